_base_ = './iresnet164_1xb64_cifar10.py'
model = dict(backbone=dict(depth=2000))
