# b-RGSNet-50 on ImageNet-1k (Zhang et al. 2019, Sec. 4.1): 4 GPUs x 32
# images, lr 0.05, /10 every 30 epochs (see the schedule's comment for what
# the paper leaves open). Paper top-1 error 22.68%.
_base_ = [
    './_base_/cls_model_iresnet50_in1k.py',
    './_base_/cls_imagenet_bs32.py',
    './_base_/cls_schedule_rgsnet_in1k_bs128.py',
    './_base_/cls_runtime.py',
]
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'
model = dict(backbone=dict(type='RGSNet', depth=50, variant='b'))
