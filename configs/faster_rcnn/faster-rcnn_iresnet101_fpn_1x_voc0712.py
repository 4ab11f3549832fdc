# Faster R-CNN + FPN, VOC 07+12, MMDetection's recipe:
# iResNet-101 (Duta et al. 2020).
_base_ = './faster-rcnn_iresnet50_fpn_1x_voc0712.py'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint='iresnet://iresnet101')))
