# SSD300 with a truncated iResNet-101 trunk on VOC 07+12, mmdet recipe
# (with the 81-class COCO head: 41.89M parameters, Table 7).
_base_ = './ssd300_iresnet50_voc0712.py'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint='iresnet://iresnet101')))
