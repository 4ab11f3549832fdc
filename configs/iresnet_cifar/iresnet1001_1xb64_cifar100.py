_base_ = './iresnet164_1xb64_cifar100.py'
model = dict(backbone=dict(depth=1001))
