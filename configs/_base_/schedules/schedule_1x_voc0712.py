# MMDetection's VOC 07+12 schedule (pascal_voc/faster-rcnn_r50_fpn_1x_voc0712
# .py, v3.3.0): 4 epochs of the 3x repeated data (12 effective epochs), lr
# 0.01 for 8 GPUs x 2 images with one step at epoch 3, no warm-up.
_base_ = './schedule_1x.py'
max_epochs = 4
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(_base_.param_scheduler[1], end=max_epochs, milestones=[3])
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
