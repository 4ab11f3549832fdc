# Baseline ResNet-164 (original post-activation bottleneck, variant='resnet')
# with the same recipe: the "baseline" rows of Table 5.
_base_ = './iresnet164_1xb64_cifar10.py'
model = dict(backbone=dict(variant='resnet'))
