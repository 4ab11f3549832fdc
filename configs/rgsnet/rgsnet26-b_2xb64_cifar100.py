# b-RGSNet-26 on CIFAR-100 (Zhang et al. 2019, Sec. 4.2, Table 4): batch 128
# on two GPUs (2 x 64). Paper top-1 error (Table 4, ResNet / b / d / Res at
# 1x): 23.17 / 21.32 / 20.71 / 20.49%.
_base_ = [
    '../_base_/models/rgsnet26-b_cifar.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/rgsnet_cifar100_bs128.py',
    '../_base_/default_runtime_cls.py'
]
