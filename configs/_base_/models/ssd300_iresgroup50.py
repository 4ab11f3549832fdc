# SSD300 with a truncated iResGroup-50 trunk (C = 512 channels).
_base_ = './ssd300_iresnet50.py'
model = dict(
    backbone=dict(
        type='IResGroup', init_cfg=dict(checkpoint='iresnet://iresgroup50')),
    neck=dict(
        in_channels=(512, ), out_channels=(512, 512, 512, 256, 256, 256)),
    bbox_head=dict(in_channels=(512, 512, 512, 256, 256, 256)))
