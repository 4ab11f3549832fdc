# RGSNet CIFAR-100 recipe (Zhang et al. 2019, Sec. 4.2): 164 epochs, lr 0.1
# divided by 10 at epochs 82 and 124, batch 128, weight decay 5e-4, two GPUs
# by default (Tables 3 and 4; Tables 5 and 8 used four).
# Left open by the paper: optimizer (SGD with momentum 0.9 assumed, as its
# ImageNet setup), warm-up (none) and augmentation (standard CIFAR random
# crop with 4-pixel padding + horizontal flip).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[82, 124], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=164, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)
