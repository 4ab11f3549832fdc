# Faster R-CNN + FPN training recipe on PASCAL VOC 07+12: MMDetection's
# (pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py: 1000x600, VOC2007 test with
# 11-point mAP); no model. A config pairs it with a models/faster-rcnn_*.py
# piece and a 20-class head.
_base_ = [
    './datasets/voc0712.py', './schedules/schedule_1x_voc0712.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(save_best='pascal_voc/mAP'))
