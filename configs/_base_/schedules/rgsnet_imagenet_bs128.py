# RGSNet ImageNet recipe (Zhang et al. 2019, Sec. 4.1): 4 GPUs, batch 128,
# lr 0.05 (0.1 for 256 by the linear scaling rule), divided by 10 "at every
# 30 epochs".
# Left open by the paper, taken from the common setup it cites: SGD momentum
# 0.9, weight decay 1e-4, 90 epochs in total (so steps at 30 and 60).
_base_ = './iresnet_imagenet_bs256.py'
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(milestones=[30, 60])
auto_scale_lr = dict(base_batch_size=128)
