# SSD300 with a truncated iResGroupFix-50 trunk on COCO, iResNet paper recipe
# (Table 7: 21.13M parameters).
_base_ = [
    '../_base_/models/ssd300_iresgroupfix50.py', '../_base_/ssd300_coco.py'
]
