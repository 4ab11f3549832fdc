# Faster R-CNN + FPN, VOC 07+12, MMDetection's recipe:
# ResNet-50 (MMDetection's, torchvision weights), the baseline.
_base_ = [
    '../_base_/models/faster-rcnn_resnet50_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_voc0712.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
