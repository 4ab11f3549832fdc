# Baseline ResNet-29 (same CIFAR net, plain ResNet blocks) on the digits data.
_base_ = './iresnet29_digits.py'
model = dict(backbone=dict(variant='resnet'))
