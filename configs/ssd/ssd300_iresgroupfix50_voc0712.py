# SSD300 with a truncated iResGroupFix-50 trunk on VOC 07+12, mmdet recipe
# (with the 81-class COCO head: 21.13M parameters, Table 7).
_base_ = [
    '../_base_/models/ssd300_iresgroupfix50.py', '../_base_/ssd300_voc0712.py'
]
model = dict(
    bbox_head=dict(
        num_classes=20, anchor_generator=dict(basesize_ratio_range=(0.2,
                                                                    0.9))))
