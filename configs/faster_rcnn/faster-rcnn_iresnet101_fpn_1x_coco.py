# Faster R-CNN + FPN, COCO, MMDetection's 1x schedule:
# iResNet-101 (Duta et al. 2020).
_base_ = './faster-rcnn_iresnet50_fpn_1x_coco.py'
model = dict(
    backbone=dict(depth=101, init_cfg=dict(checkpoint='iresnet://iresnet101')))
