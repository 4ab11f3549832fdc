# SSD300 with a truncated iResGroupFix-101 trunk on COCO, iResNet paper recipe
# (Table 7: 41.55M parameters).
_base_ = './ssd300_iresgroupfix50_coco.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(checkpoint='iresnet://iresgroupfix101')))
