# Short COCO schedule of Zhang et al., "Revisiting Residual Networks with
# Nonlinear Shortcuts" (BMVC 2019), Sec. 4.3 / Table 6: 5 epochs on one GPU.
# What the paper leaves open, chosen here:
# * batch: mmdet's 2 images per GPU, one GPU, so the lr is auto-scaled to
#   0.02 * 2 / 16 = 0.0025 (run without a launcher: `python tools/train.py
#   CONFIG`);
# * lr step: one step (x0.1) before the 5th epoch (milestone 4): 4 epochs
#   at full lr, the last one at 0.1x (the 1x schedule keeps 8 of 12 epochs
#   at full lr and steps at 8 and 11; 5 epochs leave room for one step);
# * warm-up: mmdet's 500-iteration linear warm-up.
_base_ = './schedule_1x.py'
max_epochs = 5
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[4],
        gamma=0.1)
]
