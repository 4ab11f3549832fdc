# The paper's "Original" ResNet26 row: same widths, identity shortcuts.
_base_ = './rgsnet26-b_2xb64_cifar100.py'
model = dict(backbone=dict(variant='resnet'))
