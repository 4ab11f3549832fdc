# SSD300 with a truncated ResNet-50 trunk on COCO, iResNet paper recipe
# (Table 7: 22.89M parameters).
_base_ = ['../_base_/models/ssd300_resnet50.py', '../_base_/ssd300_coco.py']
