# Faster R-CNN + FPN, COCO, MMDetection's 1x schedule:
# ResNet-50 (MMDetection's, torchvision weights), the baseline.
_base_ = [
    '../_base_/models/faster-rcnn_resnet50_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_coco.py'
]
