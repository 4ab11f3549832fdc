# Faster R-CNN + FPN training recipe on COCO: MMDetection's 1x
# (faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py: 1333x800, 37.4 AP with
# ResNet-50); data, schedule and runtime, no model.
_base_ = [
    './datasets/coco_detection.py', './schedules/schedule_1x.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP'))
