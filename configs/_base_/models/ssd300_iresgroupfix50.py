# SSD300 with a truncated iResGroupFix-50 trunk (C = 512 channels).
_base_ = './ssd300_iresgroup50.py'
model = dict(
    backbone=dict(
        type='IResGroupFix',
        init_cfg=dict(checkpoint='iresnet://iresgroupfix50')))
