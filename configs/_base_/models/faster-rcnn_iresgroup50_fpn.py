# Faster R-CNN + FPN with an iResGroup-50 backbone (stages output
# 128/256/512/1024 channels).
_base_ = './faster-rcnn_iresnet50_fpn.py'
model = dict(
    backbone=dict(
        type='IResGroup', init_cfg=dict(checkpoint='iresnet://iresgroup50')),
    neck=dict(in_channels=[128, 256, 512, 1024]))
