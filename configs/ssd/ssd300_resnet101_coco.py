# SSD300 with a truncated ResNet-101 trunk on COCO, iResNet paper recipe
# (Table 7: 41.89M parameters).
_base_ = './ssd300_resnet50_coco.py'
model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(checkpoint='torchvision://resnet101')))
