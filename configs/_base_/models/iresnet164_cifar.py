# CIFAR classifier (Duta et al. 2020, Table 12): the bottleneck CIFAR net
# (3x3 stem, stages of 64/128/256 output channels) + global pooling + fc.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='IResNetCIFAR', depth=164, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='IResNetClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
