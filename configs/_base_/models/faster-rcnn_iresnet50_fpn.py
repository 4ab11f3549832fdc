# Faster R-CNN + FPN with an iResNet-50 backbone: MMDetection's Faster R-CNN
# with the backbone replaced as mmdet's ResNet is used (4 stages at strides
# 4/8/16/32, stem + stage 1 frozen, BN in eval mode).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
model = dict(
    _scope_='mmdet',  # MMDetection's registry, from any scope
    backbone=dict(
        _delete_=True,
        type='IResNet',
        depth=50,
        num_stages=4,
        strides=(2, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        # The official ImageNet weights (docs/model_zoo.md).
        init_cfg=dict(
            type='Pretrained',
            checkpoint='iresnet://iresnet50',
            prefix='backbone.')))
