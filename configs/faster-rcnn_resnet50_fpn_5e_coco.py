# Faster R-CNN + FPN, COCO, 5 epochs on one GPU (RGSNet paper Table 6):
# ResNet-50 (MMDetection's ResNet, torchvision weights), the baseline.
_base_ = './_base_/faster-rcnn_fpn_5e_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        strides=(1, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(in_channels=[256, 512, 1024, 2048]))
