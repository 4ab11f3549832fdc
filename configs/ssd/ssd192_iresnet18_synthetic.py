# Quickstart: SSD with a truncated iResNet-18 trunk, trained from scratch on
# the synthetic shapes set, evaluated with CocoMetric. Sized for a 2-core CPU
# and run by tools/quickstart.sh (see docs/detection.md for its measured time
# and mAP), which first makes the data with
#   python tools/data/make_synthetic_det.py --out data/synthetic_quickstart \
#       --num-train 2000 --num-val 200
# (COCO layout in data/synthetic_quickstart/coco).
#
# Same design as configs/ssd/ssd300_iresnet50_coco.py (truncated iResNet trunk,
# SSDNeck with BN, IRSSDHead, ImageNet normalisation) at the synthetic
# images' own size, 192x192; iResNet-18 at half width (32/64/128 channels)
# instead of -50; no pretrained weights; flip-only augmentation, batch 4 and
# AdamW for fast convergence on a short schedule (4 epochs of 2000 images,
# 1908 iterations). The anchors are the recipe's main change from SSD300's:
# with SSD300's levels and sizes scaled to 192 px, 32% of the large val boxes
# and 22% of the small ones had no anchor of IoU >= 0.5, so the assigner
# never gave them a proper positive; with the levels below, 0% and 2%
# (tools/analysis/anchor_coverage.py, docs/detection.md).
_base_ = './ssd300_iresnet50_coco.py'

# The class names come from the package (one source of truth with the data
# tool). Importing here runs at config parsing; `classes` is a plain tuple in
# the parsed (and dumped) config.
from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES as classes  # noqa

data_root = 'data/synthetic_quickstart/coco/'
input_size = 192
# Four levels at strides 4/8/16/32: stage 1 (32 channels) and stage 3 (128)
# of the trunk, plus two neck levels. Square anchors only (the shapes are
# about as wide as tall), three scales a third of an octave apart per level,
# covering boxes from 11 to ~140 px.
channels = (32, 128, 256, 256)

model = dict(
    backbone=dict(
        depth=18,
        base_channels=32,  # half width: stages of 32/64/128 channels
        out_indices=(0, 2),
        init_cfg=None),  # from scratch, the official (Kaiming) init
    neck=dict(
        in_channels=channels[:2],
        out_channels=channels,
        level_strides=(2, 2),
        level_paddings=(1, 1)),
    bbox_head=dict(
        in_channels=channels,
        num_classes=len(classes),
        anchor_generator=dict(
            _delete_=True,
            type='AnchorGenerator',
            strides=[4, 8, 16, 32],
            base_sizes=[11, 22, 44, 88],
            scales=[1, 2**(1 / 3), 2**(2 / 3)],
            ratios=[1.0],
            center_offset=0.5)),
    test_cfg=dict(max_per_img=100))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    *_base_.test_pipeline[2:]  # LoadAnnotations, PackDetInputs
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,  # decoding on the second core (training uses one thread)
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='CheckedCocoDataset',
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
# The val split of the same set: test mode and pipeline, no filtering.
val_dataloader = dict(
    train_dataloader,
    batch_size=8,
    dataset=dict(
        {
            k: v
            for k, v in train_dataloader['dataset'].items()
            if k != 'filter_cfg'
        },
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric='bbox',
    format_only=False)
test_evaluator = val_evaluator

max_epochs = 4
train_cfg = dict(  # one evaluation, at the end
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_interval=max_epochs)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=max_epochs,
        eta_min_ratio=0.02,
        convert_to_iter_based=True)
]
# The lr above is for this batch of 4; no scaling (the COCO config scales
# for a total batch of 256).
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook',
        interval=max_epochs,
        max_keep_ckpts=1,
        save_best='coco/bbox_mAP',
        rule='greater'))
randomness = dict(seed=0)
