_base_ = './rgsnet26-d_2xb64_cifar100.py'
model = dict(backbone=dict(widen_factor=0.25), head=dict(in_channels=512))
