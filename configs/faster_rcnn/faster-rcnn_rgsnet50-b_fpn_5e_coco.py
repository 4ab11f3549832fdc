# Faster R-CNN + FPN, COCO, 5 epochs on one GPU (RGSNet paper Table 6):
# b-RGSNet-50 (Zhang et al. 2019).
_base_ = [
    '../_base_/models/faster-rcnn_rgsnet50-b_fpn.py',
    '../_base_/faster-rcnn_fpn_5e_coco.py'
]
