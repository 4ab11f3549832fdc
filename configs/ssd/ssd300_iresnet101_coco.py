# SSD300 with a truncated iResNet-101 trunk on COCO, iResNet paper recipe
# (Table 7: 41.89M parameters).
_base_ = './ssd300_iresnet50_coco.py'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint='iresnet://iresnet101')))
