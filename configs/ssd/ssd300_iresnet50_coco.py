# SSD300 with a truncated iResNet-50 trunk on COCO, iResNet paper recipe
# (Table 7: 22.89M parameters).
_base_ = ['../_base_/models/ssd300_iresnet50.py', '../_base_/ssd300_coco.py']
