# Faster R-CNN + FPN, VOC 07+12, MMDetection's recipe:
# iResNet-101 (Duta et al. 2020).
# Pretrained backbone (see docs/detection.md):
#   python tools/convert_official_checkpoint.py iresnet101.pth \
#     --arch iresnet101 \
#     --out-backbone pretrained/iresnet101_in1k_backbone.pth
_base_ = './_base_/faster-rcnn_fpn_1x_voc0712.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='IResNet',
        depth=101,
        num_stages=4,
        strides=(2, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/iresnet101_in1k_backbone.pth')),
    neck=dict(in_channels=[256, 512, 1024, 2048]))
