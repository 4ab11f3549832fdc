# SSD300 schedule of the iResNet paper (Sec. 4): 130 epochs = about 60K
# iterations of 256 images (117K train2017 images with boxes / 256 = 458
# iterations per epoch), SGD lr 0.02, momentum 0.9, weight decay 5e-4, linear
# warm-up during the first epoch, lr divided by 10 *before* the 86th and the
# 108th epoch (1-based). mmengine counts epochs from 0 and applies a
# milestone m from epoch index m on, i.e. to the (m+1)-th epoch, so the
# milestones are 85 and 107. Validation every 5 epochs.
_base_ = 'mmdet::_base_/schedules/schedule_2x.py'
max_epochs = 130
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[85, 107],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
# lr 0.02 is for a total batch of 256 (8 GPUs x 32). With auto scaling on,
# mmengine multiplies the lr by (GPUs x batch_size) / 256, so e.g. 4 GPUs x
# 32 images train with lr 0.01 (linear scaling rule, Goyal et al. 2017).
auto_scale_lr = dict(enable=True, base_batch_size=256)
