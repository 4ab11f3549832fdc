# SSD300 with a truncated ResNet-50 trunk on COCO (paper recipe).
# Paper Table 7: 22.89M parameters (COCO head, 81 classes incl. background).
# Baseline: MMDetection's ResNet with torchvision's ImageNet weights
# (stage 4 is not built; its keys are reported as unexpected). ResNet
# has a stem max-pool, so its stages run at strides 1, 2, 1 to give the
# same 38x38 map as the iResNet trunk at strides 2, 2, 1.
_base_ = './_base_/ssd300_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=3,
        strides=(1, 2, 1),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        in_channels=(1024, ), out_channels=(1024, 512, 512, 256, 256, 256)),
    bbox_head=dict(in_channels=(1024, 512, 512, 256, 256, 256)))
