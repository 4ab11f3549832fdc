# iResNet ImageNet recipe (Duta et al. 2020, Sec. 4): SGD, momentum 0.9,
# weight decay 1e-4, batch 256 (8 GPUs x 32), 90 epochs, lr 0.1 divided by
# 10 at epochs 30, 60 and 80. No warm-up, no label smoothing.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[30, 60, 80], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# lr 0.1 is for a total batch of 256; `--auto-scale-lr` rescales it linearly.
auto_scale_lr = dict(base_batch_size=256)
