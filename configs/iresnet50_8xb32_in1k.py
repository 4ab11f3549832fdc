# iResNet-50 on ImageNet-1k (Duta et al. 2020): 8 GPUs x 32 images, 90
# epochs. Data as mmpretrain's imagenet_bs32 (RandomResizedCrop 224 + flip;
# test: short edge 256, center crop 224). Paper top-1 error 22.69%.
_base_ = [
    './_base_/cls_model_iresnet50_in1k.py',
    './_base_/cls_imagenet_bs32.py',
    './_base_/cls_schedule_iresnet_in1k_bs256.py',
    './_base_/cls_runtime.py',
]
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'
