# Faster R-CNN + FPN, COCO, MMDetection's 1x schedule:
# iResGroup-50 (Duta et al. 2020).
_base_ = [
    '../_base_/models/faster-rcnn_iresgroup50_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_coco.py'
]
