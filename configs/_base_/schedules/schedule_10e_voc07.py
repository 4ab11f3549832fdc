# Short VOC 2007 schedule of Zhang et al. (BMVC 2019), Sec. 4.3 / Table 7:
# 10 epochs on one GPU. What the paper leaves open, chosen here:
# * batch: mmdet's 2 images per GPU on one GPU, lr auto-scaled to
#   0.01 * 2 / 16 = 0.00125 (mmdet's VOC lr for a total batch of 16);
# * lr step: one step (x0.1) before the 9th epoch (milestone 8), i.e. the
#   last 2 of 10 epochs at the low lr (mmdet's VOC recipe: last 3 of 12
#   effective epochs);
# * no warm-up, as mmdet's VOC recipe.
_base_ = './schedule_1x_voc0712.py'
max_epochs = 10
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[8],
        gamma=0.1)
]
