# b-RGSNet-50 on ImageNet-1k (Zhang et al. 2019, Sec. 4.1): 4 GPUs x 32
# images, lr 0.05, /10 every 30 epochs. Paper top-1 error 22.68%.
_base_ = [
    '../_base_/models/iresnet50.py', '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/rgsnet_imagenet_bs128.py',
    '../_base_/default_runtime_cls.py'
]
model = dict(backbone=dict(type='RGSNet', depth=50, variant='b'))
