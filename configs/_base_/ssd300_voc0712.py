# SSD300 training recipe on PASCAL VOC 07+12: MMDetection's own
# (pascal_voc/ssd300_voc0712.py); data, schedule and runtime, no model. A
# config pairs it with a models/ssd300_*.py piece and a 20-class head whose
# anchors span basesize_ratio_range (0.2, 0.9).
_base_ = [
    './datasets/voc0712_ssd300.py', './schedules/ssd300_24e_voc0712.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(save_best='pascal_voc/mAP'))
