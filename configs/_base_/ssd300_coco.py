# SSD300 on COCO with a truncated (i)ResNet trunk: the detection setup of
# Duta et al., "Improved Residual Networks for Image and Video Recognition"
# (ICPR 2020), Sec. 4 and Table 7.
#
# Everything not set here comes from MMDetection's own SSD300 config
# (mmdet::ssd/ssd300_coco.py: anchors, assigner, hard negative mining, NMS,
# the SSD data augmentation, CocoMetric, runtime). This file is a complete
# config for iResNet-50; the backbone configs in configs/ssd300_*_coco.py
# only replace the backbone and the channel count C of its output.
#
# Model (targets.md Sec. 2; reproduces Table 7's parameter counts exactly):
# * backbone: stem + stages 1-3 (stage 4 removed), stage 3 at stride 1, so a
#   300x300 input gives one 38x38 map (stride 8, like VGG's conv4_3) with
#   C = 1024 channels (512 for iResGroup / iResGroupFix);
# * neck: mmdet SSDNeck adding five levels 19/10/5/3/1 (conv1x1 + conv3x3,
#   with BN because the trunk is a BN network; no L2Norm, which SSD-VGG only
#   needs for its unnormalised conv4_3);
# * head: mmdet SSDHead layers with 4/6/6/6/4/4 priors per location (8732
#   anchors), as IRSSDHead, which fixes the stock head's predict crash in
#   mmdet 3.3.0 (`'SSDHead' object has no attribute 'loss_cls'`) and assigns
#   targets batched. `model.bbox_head.type='SSDHead'` switches back to the
#   stock head (which can train but not validate or test in mmdet 3.3.0).
_base_ = 'mmdet::ssd/ssd300_coco.py'

custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmdet'

data_root = 'data/coco/'

model = dict(
    # The trunks are ImageNet-trained with ImageNet mean/std normalisation
    # (mmdet's SSD-VGG uses caffe weights and std 1).
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
        # Made by tools/convert_official_checkpoint.py --out-backbone (see
        # docs/detection.md). A missing file is an error naming this path;
        # `--cfg-options model.backbone.init_cfg=None` trains from scratch.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/iresnet50_in1k_backbone.pth')),
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

# Data: plain train2017 (mmdet's SSD config repeats it 5x; the paper counts
# real epochs), 32 images per GPU (8 GPUs x 32 = 256), mmdet's SSD pipeline:
# Expand + MinIoURandomCrop (the SSD paper's random crop), flip,
# PhotoMetricDistortion (colour jitter), resize to 300x300.
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    dataset=dict(
        _delete_=True,
        type='CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}},
        backend_args=None))

# Schedule (paper Sec. 4): 130 epochs = about 60K iterations of 256 images
# (117K train2017 images with boxes / 256 = 458 iterations per epoch), lr
# 0.02, linear warm-up during the first epoch, lr divided by 10 *before* the
# 86th and the 108th epoch (1-based). mmengine counts epochs from 0 and
# applies a milestone m from epoch index m on, i.e. to the (m+1)-th epoch,
# so the milestones are 85 and 107.
max_epochs = 130
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[85, 107],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))

# lr 0.02 is for a total batch of 256 (8 GPUs x 32). With auto scaling on,
# mmengine multiplies the lr by (GPUs x batch_size) / 256, so e.g. 4 GPUs x
# 32 images train with lr 0.01 (linear scaling rule, Goyal et al. 2017).
auto_scale_lr = dict(enable=True, base_batch_size=256)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5,
        max_keep_ckpts=3,
        save_best='coco/bbox_mAP',
        rule='greater'))
