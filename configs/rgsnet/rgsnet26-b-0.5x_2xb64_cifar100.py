_base_ = './rgsnet26-b_2xb64_cifar100.py'
model = dict(backbone=dict(widen_factor=0.5), head=dict(in_channels=1024))
