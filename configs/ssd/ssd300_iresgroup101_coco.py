# SSD300 with a truncated iResGroup-101 trunk on COCO, iResNet paper recipe
# (Table 7: 45.58M parameters).
_base_ = './ssd300_iresgroup50_coco.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(checkpoint='iresnet://iresgroup101')))
