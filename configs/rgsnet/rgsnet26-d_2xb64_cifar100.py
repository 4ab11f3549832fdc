_base_ = './rgsnet26-b_2xb64_cifar100.py'
model = dict(backbone=dict(variant='d'))
