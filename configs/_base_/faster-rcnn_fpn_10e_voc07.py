# Faster R-CNN + FPN training recipe on PASCAL VOC 2007 for 10 epochs on one
# GPU (RGSNet paper, Table 7: ResNet-50 73.89, b-RGSNet-50 74.20,
# Res-RGSNet-50 74.59 mAP@0.5 on VOC2007 test); no model.
_base_ = [
    './datasets/voc07.py', './schedules/schedule_10e_voc07.py',
    './default_runtime_det.py'
]
default_hooks = dict(checkpoint=dict(save_best='pascal_voc/mAP'))
