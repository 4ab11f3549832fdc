# PASCAL VOC 07+12 with MMDetection's SSD300 data recipe
# (pascal_voc/ssd300_voc0712.py, v3.3.0): the SSD augmentation (Expand and
# MinIoURandomCrop, the SSD paper's random crop; flip; PhotoMetricDistortion,
# colour jitter; resize to 300x300), 07+12 trainval repeated 10 times with 8
# images per GPU, VOC2007 test with 11-point mAP. The dataset type is
# MMDetection's VOCDataset with mmiresnet's checks of the files
# (mmiresnet.checks.datasets).
_base_ = 'mmdet::_base_/datasets/voc0712.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='Expand',
        mean=[123.675, 116.28, 103.53],
        to_rgb=True,
        ratio_range=(1, 4)),
    dict(
        type='MinIoURandomCrop',
        min_ious=(0.1, 0.3, 0.5, 0.7, 0.9),
        min_crop_size=0.3),
    dict(type='Resize', scale=(300, 300), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(300, 300), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=3,
    dataset=dict(  # RepeatDataset of a ConcatDataset
        times=10,
        dataset=dict(datasets=[
            dict(
                type='CheckedVOCDataset',
                data_root='data/VOCdevkit/',
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline=train_pipeline) for year in ('2007', '2012')
        ])))
val_dataloader = dict(
    dataset=dict(type='CheckedVOCDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
# MMDetection's SSD hooks: dataset classes vs head, and a NaN-loss check.
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW')
]
