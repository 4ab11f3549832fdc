# b-RGSNet on CIFAR-100 (Zhang et al. 2019, Sec. 4.2, Table 4): ResNet26
# ([2, 2, 2, 2] bottlenecks), 1x width, 3x3 stride-1 stem, four stages.
# Batch 128 on two GPUs (2 x 64); see the schedule for what the paper leaves
# open. Paper top-1 error (Table 4, ResNet / b / d / Res at 1x):
# 23.17 / 21.32 / 20.71 / 20.49%.
_base_ = [
    './_base_/cls_cifar100_bs64.py',
    './_base_/cls_schedule_rgsnet_cifar100_bs128.py',
    './_base_/cls_runtime.py',
]
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='RGSNet',
        depth=26,
        variant='b',
        widen_factor=1,
        stem_type='cifar',
        out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='IResNetClsHead',
        num_classes=100,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
