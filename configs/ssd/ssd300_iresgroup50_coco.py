# SSD300 with a truncated iResGroup-50 trunk on COCO, iResNet paper recipe
# (Table 7: 22.66M parameters).
_base_ = ['../_base_/models/ssd300_iresgroup50.py', '../_base_/ssd300_coco.py']
