# SSD300 with a truncated iResNet-50 trunk: the detector of Duta et al.,
# "Improved Residual Networks for Image and Video Recognition" (ICPR 2020),
# Sec. 4 and Table 7 (its parameter counts exactly). Everything not set here
# is MMDetection's SSD300 (anchors, assigner, hard negative mining, NMS).
# * backbone: stem + stages 1-3 (stage 4 removed), stage 3 at stride 1, so a
#   300x300 input gives one 38x38 map (stride 8, like VGG's conv4_3) with
#   C = 1024 channels (512 for iResGroup / iResGroupFix);
# * neck: SSDNeck adding five levels 19/10/5/3/1 (conv1x1 + conv3x3, with BN
#   because the trunk is a BN network; no L2Norm, which SSD-VGG only needs
#   for its unnormalised conv4_3);
# * head: SSDHead's layers with 4/6/6/6/4/4 priors per location (8732
#   anchors) as IRSSDHead, which predicts in mmdet 3.3.0 (the stock head
#   fails there with `'SSDHead' object has no attribute 'loss_cls'`) and
#   assigns targets batched; `model.bbox_head.type='SSDHead'` switches back.
_base_ = 'mmdet::_base_/models/ssd300.py'
model = dict(
    _scope_='mmdet',  # MMDetection's registry, from any scope
    # ImageNet-trained trunks take ImageNet mean/std normalisation (mmdet's
    # SSD-VGG uses caffe weights and std 1).
    data_preprocessor=dict(std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='IResNet',
        depth=50,
        num_stages=3,
        strides=(2, 2, 1),
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        # 32 images per GPU: the BN statistics are trained, as in the paper.
        norm_eval=False,
        # The official ImageNet weights, downloaded and converted on first
        # use (docs/model_zoo.md); `--cfg-options model.backbone.init_cfg=None`
        # trains from scratch.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='iresnet://iresnet50',
            prefix='backbone.')),
    neck=dict(
        # Tuples: SSDNeck compares in_channels with out_channels[:1].
        in_channels=(1024, ),
        out_channels=(1024, 512, 512, 256, 256, 256),
        level_strides=(2, 2, 2, 1, 1),
        level_paddings=(1, 1, 1, 0, 0),
        l2_norm_scale=None,
        norm_cfg=dict(type='BN')),
    bbox_head=dict(
        type='IRSSDHead', in_channels=(1024, 512, 512, 256, 256, 256)))
