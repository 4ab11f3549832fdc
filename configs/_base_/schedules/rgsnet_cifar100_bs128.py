# RGSNet CIFAR-100 recipe (Zhang et al. 2019, Sec. 4.2): 164 epochs, lr 0.1
# divided by 10 at epochs 82 and 124, batch 128, weight decay 5e-4, two GPUs
# by default (Tables 3 and 4; Tables 5 and 8 used four).
# Left open by the paper: optimizer (SGD with momentum 0.9 assumed, as its
# ImageNet setup), warm-up (none) and augmentation (standard CIFAR random
# crop with 4-pixel padding + horizontal flip).
_base_ = './iresnet_cifar_bs64.py'
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
param_scheduler = dict(milestones=[82, 124])
auto_scale_lr = dict(base_batch_size=128)
