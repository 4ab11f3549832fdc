# Faster R-CNN + FPN with a b-RGSNet-50 backbone (Zhang et al. 2019).
# No official RGSNet weights exist: train the MMPretrain classifier
# (configs/rgsnet/rgsnet50-b_4xb32_in1k.py) and copy its checkpoint to the path
# below (its 'backbone.' keys are loaded, see docs/detection.md).
_base_ = './faster-rcnn_iresnet50_fpn.py'
model = dict(
    backbone=dict(
        type='RGSNet',
        variant='b',
        strides=(1, 2, 2, 2),
        init_cfg=dict(
            checkpoint='pretrained/rgsnet50-b_in1k.pth', prefix='backbone.')))
