# SSD300 training recipe on COCO of Duta et al., "Improved Residual Networks
# for Image and Video Recognition" (ICPR 2020), Sec. 4: data, schedule and
# runtime, no model. A config pairs it with a models/ssd300_*.py piece.
_base_ = [
    './datasets/coco_detection_ssd300.py', './schedules/ssd300_130e.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(interval=5, save_best='coco/bbox_mAP'))
