# iResNet-50 on ImageNet-1k (Duta et al. 2020): 8 GPUs x 32 images, 90
# epochs. Paper top-1 error 22.69%.
_base_ = [
    '../_base_/models/iresnet50.py', '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/iresnet_imagenet_bs256.py',
    '../_base_/default_runtime_cls.py'
]
