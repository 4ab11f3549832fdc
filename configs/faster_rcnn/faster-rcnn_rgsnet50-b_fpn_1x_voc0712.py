# Faster R-CNN + FPN, VOC 07+12, MMDetection's recipe:
# b-RGSNet-50 (Zhang et al. 2019).
_base_ = [
    '../_base_/models/faster-rcnn_rgsnet50-b_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_voc0712.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
