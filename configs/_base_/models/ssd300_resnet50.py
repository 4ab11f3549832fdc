# SSD300 with a truncated ResNet-50 trunk, the baseline: MMDetection's ResNet
# with torchvision's ImageNet weights (stage 4 is not built; its keys are
# reported as unexpected). ResNet has a stem max-pool, so its stages run at
# strides 1, 2, 1 to give the same 38x38 map as the iResNet trunk.
_base_ = './ssd300_iresnet50.py'
model = dict(
    backbone=dict(
        type='ResNet',
        strides=(1, 2, 1),
        dilations=(1, 1, 1),
        style='pytorch',
        init_cfg=dict(checkpoint='torchvision://resnet50', prefix=None)))
