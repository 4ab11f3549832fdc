# Faster R-CNN + FPN on COCO with MMDetection's 1x schedule
# (mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py: 12 epochs, SGD lr 0.02
# for 8 GPUs x 2 images, steps at epochs 8 and 11, 1333x800, 37.4 AP with
# ResNet-50). The backbone configs in configs/faster-rcnn_*_fpn_1x_coco.py
# replace the backbone (4 stages at strides 4/8/16/32, stem + stage 1 frozen,
# BN in eval mode, as mmdet's ResNet) and FPN's in_channels.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmdet'

# mmdet's lr is for a total batch of 16 (8 GPUs x 2 images); other totals,
# e.g. one GPU, get lr * total / 16 (linear scaling rule).
auto_scale_lr = dict(enable=True, base_batch_size=16)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='coco/bbox_mAP',
        rule='greater'))
