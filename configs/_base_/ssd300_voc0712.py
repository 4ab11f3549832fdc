# SSD300 on PASCAL VOC 07+12 with a truncated (i)ResNet trunk.
#
# The model is the one of configs/_base_/ssd300_coco.py (iResNet paper
# Table 7 design: stage 3 at stride 1, one 38x38 map, SSDNeck with BN, no
# L2Norm, ImageNet normalisation, IRSSDHead) with 20 classes; data, schedule
# and evaluation are MMDetection's own VOC recipe
# (mmdet::pascal_voc/ssd300_voc0712.py): VOC2007+2012 trainval through
# ConcatDataset in RepeatDataset(times=10), batch 8 per GPU, SGD lr 1e-3,
# 24 epochs with lr steps at 16 and 20, VOC2007 test with
# VOCMetric(metric='mAP', eval_mode='11points'), anchor
# basesize_ratio_range (0.2, 0.9). The backbone configs in
# configs/ssd300_*_voc0712.py only replace the backbone and its channels.
_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'

custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmdet'

model = dict(
    data_preprocessor=dict(std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='IResNet',
        depth=50,
        num_stages=3,
        strides=(2, 2, 1),
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/iresnet50_in1k_backbone.pth')),
    neck=dict(
        in_channels=(1024, ),
        out_channels=(1024, 512, 512, 256, 256, 256),
        level_strides=(2, 2, 2, 1, 1),
        level_paddings=(1, 1, 1, 0, 0),
        l2_norm_scale=None,
        norm_cfg=dict(type='BN')),
    bbox_head=dict(
        type='IRSSDHead',
        in_channels=(1024, 512, 512, 256, 256, 256),
        num_classes=20,
        anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))

# mmdet's lr 1e-3 is for 8 GPUs x 8 images; scale it linearly for other
# totals (mmdet ships this switched off).
auto_scale_lr = dict(enable=True, base_batch_size=64)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='pascal_voc/mAP',
        rule='greater'))
