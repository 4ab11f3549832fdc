# Faster R-CNN + FPN, VOC 2007, 10 epochs on one GPU (RGSNet paper Table 7):
# ResNet-50 (MMDetection's, torchvision weights), the baseline.
_base_ = [
    '../_base_/models/faster-rcnn_resnet50_fpn.py',
    '../_base_/faster-rcnn_fpn_10e_voc07.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
