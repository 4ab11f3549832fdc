# Faster R-CNN + FPN on PASCAL VOC 07+12 with MMDetection's recipe
# (mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py: 07+12 trainval
# repeated 3 times, 4 epochs = 12 effective epochs, lr 0.01 for 8 GPUs x 2
# images with one step at epoch 3, 1000x600, VOC2007 test with
# VOCMetric(eval_mode='11points')). The backbone configs in
# configs/faster-rcnn_*_fpn_1x_voc0712.py replace the backbone and FPN's
# in_channels.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py'

custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
default_scope = 'mmdet'

# Linear lr scaling for totals other than 16 images (e.g. one GPU).
auto_scale_lr = dict(enable=True, base_batch_size=16)

default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='pascal_voc/mAP',
        rule='greater'))
