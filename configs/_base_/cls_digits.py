# A real-data smoke test that trains on a CPU in minutes: scikit-learn's
# 1,797 handwritten digits (UCI optdigits, 8x8 upsampled to 32x32 RGB PNGs),
# written by `python tools/data/make_digits.py --out data/digits` as an
# MMPretrain CustomDataset folder (1,438 train / 359 val, 10 classes).
# Model: the CIFAR bottleneck net of the iResNet paper (IResNetCIFAR).
_base_ = ['./cls_runtime.py']
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(type='IResNetCIFAR', depth=29, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='IResNetClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

data_root = 'data/digits'
data_preprocessor = dict(
    num_classes=10,
    # Grey digits replicated to 3 channels; train-set pixel mean / std.
    mean=[78.9, 78.9, 78.9],
    std=[89.0, 89.0, 89.0],
    to_rgb=False)
# The digits are 8x8 at source: 16x16 keeps all their detail at a quarter
# of the compute of the 32x32 files. Random 16x16 crops of the image padded
# by 2 pixels; no flip (mirrored digits are other glyphs).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(16, 16)),
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(16, 16)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        with_label=True,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128,
    num_workers=1,
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='val',
        with_label=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# Short schedule: SGD with a one-epoch linear warm-up, then cosine decay.
max_epochs = 15
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=1, max_keep_ckpts=2, save_best='accuracy/top1',
        rule='greater'))
randomness = dict(seed=0, deterministic=False)
