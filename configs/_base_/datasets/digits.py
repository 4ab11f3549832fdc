# A real-data set that trains on a CPU in minutes: scikit-learn's 1,797
# handwritten digits (UCI optdigits, 8x8 upsampled to 32x32 RGB PNGs), written
# by `python tools/data/make_digits.py --out data/digits` as an MMPretrain
# CustomDataset folder (1,438 train / 359 val, 10 classes), read by
# MMPretrain's CustomDataset with mmiresnet's checks of the files
# (CheckedCustomDataset, mmiresnet.checks.datasets).
data_root = 'data/digits'
data_preprocessor = dict(
    num_classes=10,
    # Grey digits replicated to 3 channels; train-set pixel mean / std.
    mean=[78.9] * 3,
    std=[89.0] * 3,
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
test_pipeline = [t for t in train_pipeline if t['type'] != 'RandomCrop']
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        type='CheckedCustomDataset',
        data_root=data_root,
        data_prefix='train',
        with_label=True,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    train_dataloader,
    batch_size=128,
    dataset=dict(
        train_dataloader['dataset'], data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
