# Faster R-CNN + FPN, VOC 2007, 10 epochs on one GPU (RGSNet paper Table 7):
# b-RGSNet-50 (Zhang et al. 2019).
_base_ = [
    '../_base_/models/faster-rcnn_rgsnet50-b_fpn.py',
    '../_base_/faster-rcnn_fpn_10e_voc07.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
