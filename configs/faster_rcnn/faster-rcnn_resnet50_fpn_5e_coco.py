# Faster R-CNN + FPN, COCO, 5 epochs on one GPU (RGSNet paper Table 6):
# ResNet-50 (MMDetection's, torchvision weights), the baseline.
_base_ = [
    '../_base_/models/faster-rcnn_resnet50_fpn.py',
    '../_base_/faster-rcnn_fpn_5e_coco.py'
]
