# Faster R-CNN + FPN with ResNet-50, the baseline: MMDetection's own model
# (torchvision weights).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    _scope_='mmdet',  # MMDetection's registry, from any scope
    backbone=dict(strides=(1, 2, 2, 2)))
