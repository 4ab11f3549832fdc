# CIFAR-10, 64 images per GPU: MMPretrain's
# `_base_/datasets/cifar10_bs16.py` (v1.2.0) with batch 64. Train: random 32x32
# crop of the 4-pixel zero-padded image + horizontal flip (He et al.); test:
# the plain image. MMPretrain's CIFAR10 dataset downloads the python version
# into data_root if missing (download=True). The dataset type is MMPretrain's
# CIFAR10 with mmiresnet's checks of the files (mmiresnet.checks.datasets).
_base_ = './imagenet_bs32.py'
dataset_type = 'CheckedCIFAR10'
data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)  # the dataset yields RGB already
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        type=dataset_type, data_root='data/cifar10', pipeline=train_pipeline))
# The train settings on the test split, with the test pipeline.
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'], split='test', pipeline=test_pipeline))
val_evaluator = dict(topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
