# Faster R-CNN + FPN, COCO, MMDetection's 1x schedule:
# b-RGSNet-50 (Zhang et al. 2019).
# No official RGSNet weights exist: train the MMPretrain classifier
# (configs/rgsnet50-b_4xb32_in1k.py) and copy its checkpoint to the path
# below (its 'backbone.' keys are loaded, see docs/detection.md).
_base_ = './_base_/faster-rcnn_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RGSNet',
        depth=50,
        variant='b',
        num_stages=4,
        strides=(1, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/rgsnet50-b_in1k.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[256, 512, 1024, 2048]))
