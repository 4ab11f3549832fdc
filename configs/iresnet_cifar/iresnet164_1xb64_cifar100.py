# iResNet-164 on CIFAR-100 (Duta et al. 2020, Tables 5, 12 and 13): one GPU,
# batch 64, 164 epochs. Paper top-1 error 22.26% (best of 5; mean 22.37).
_base_ = [
    '../_base_/models/iresnet164_cifar.py',
    '../_base_/datasets/cifar100_bs64.py',
    '../_base_/schedules/iresnet_cifar_bs64.py',
    '../_base_/default_runtime_cls.py'
]
model = dict(head=dict(num_classes=100))
