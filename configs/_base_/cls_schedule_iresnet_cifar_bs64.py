# iResNet CIFAR-10/100 recipe (Duta et al. 2020, Sec. 4 and App. A.3):
# one GPU, batch 64, 164 epochs, lr 0.1 divided by 10 at epochs 81 and 122,
# SGD momentum 0.9, weight decay 1e-4; augmentation as He et al. (random
# crop with 4-pixel padding + horizontal flip, mmpretrain's CIFAR pipeline).
# Left open by the paper: no warm-up is mentioned (He et al. warm up their
# 1001-layer nets at lr 0.01; add a LinearLR if a deep net diverges).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[81, 122], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=164, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
