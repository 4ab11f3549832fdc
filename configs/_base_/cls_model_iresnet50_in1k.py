# ImageNet classifier: iResNet-50 backbone + global average pooling + fc,
# as the official model (architecture_spec Sec. 2; no dropout on images).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='IResNet', depth=50, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='IResNetClsHead',
        num_classes=1000,
        in_channels=2048,
        dropout_ratio=0.0,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
