# Faster R-CNN + FPN, VOC 07+12, MMDetection's recipe:
# iResNet-50 (Duta et al. 2020).
_base_ = [
    '../_base_/models/faster-rcnn_iresnet50_fpn.py',
    '../_base_/faster-rcnn_fpn_1x_voc0712.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
