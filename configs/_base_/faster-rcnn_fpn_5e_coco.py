# Faster R-CNN + FPN training recipe on COCO for 5 epochs on one GPU (RGSNet
# paper, Table 6: ResNet-50 31.5, b-RGSNet-50 32.8, Res-RGSNet-50 33.4 AP).
# COCO 2017 train/val is the paper's 2014 trainval35k/minival split.
_base_ = [
    './datasets/coco_detection.py', './schedules/schedule_5e.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP'))
