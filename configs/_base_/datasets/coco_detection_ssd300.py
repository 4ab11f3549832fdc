# COCO 2017 with the SSD300 data pipeline of voc0712_ssd300.py, as the
# iResNet paper trains SSD: plain train2017 (mmdet's SSD config repeats it
# 5x; the paper counts real epochs), 32 images per GPU (8 GPUs x 32 = 256),
# val2017 with CocoMetric. The dataset type is MMDetection's CocoDataset
# with mmiresnet's checks of the files (mmiresnet.checks.datasets).
_base_ = './voc0712_ssd300.py'
dataset_type = 'CheckedCocoDataset'
data_root = 'data/coco/'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    *_base_.train_pipeline[1:]
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    *_base_.test_pipeline[1:]
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=None))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(_delete_=True, img='val2017/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox',
    format_only=False,
    backend_args=None)
test_evaluator = val_evaluator
