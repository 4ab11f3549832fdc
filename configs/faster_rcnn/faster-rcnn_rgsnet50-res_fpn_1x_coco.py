# Faster R-CNN + FPN, COCO, MMDetection's 1x schedule:
# Res-RGSNet-50 (Zhang et al. 2019).
_base_ = [
    '../_base_/models/faster-rcnn_rgsnet50-res_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_coco.py'
]
