# iResNet-164 on CIFAR-100 (Duta et al. 2020, Tables 5, 12 and 13): one GPU,
# batch 64, 164 epochs. mmpretrain's CIFAR-100 data (random crop with
# 4-pixel padding + horizontal flip).
# Paper top-1 error 22.26% (best of 5; mean 22.37).
_base_ = [
    './_base_/cls_model_iresnet_cifar.py',
    './_base_/cls_cifar100_bs64.py',
    './_base_/cls_schedule_iresnet_cifar_bs64.py',
    './_base_/cls_runtime.py',
]
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'
model = dict(head=dict(num_classes=100))
