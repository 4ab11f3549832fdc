_base_ = './resnet164_1xb64_cifar10.py'
model = dict(backbone=dict(depth=3002))
