# Short schedule for the digits data: SGD with weight decay 5e-4 and a
# one-epoch linear warm-up, then cosine decay over 15 epochs.
_base_ = './iresnet_cifar_bs64.py'
max_epochs = 15
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=max_epochs,
        T_max=max_epochs - 1,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
