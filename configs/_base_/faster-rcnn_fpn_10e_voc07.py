# Faster R-CNN + FPN on PASCAL VOC 2007 for 10 epochs on one GPU: the short
# schedule of Zhang et al. (BMVC 2019), Sec. 4.3 / Table 7 (ResNet-50 73.89,
# b-RGSNet-50 74.20, Res-RGSNet-50 74.59 mAP@0.5 on VOC2007 test).
#
# Data: VOC2007 trainval only (no VOC2012, no repeat), VOC2007 test with
# 11-point mAP; mmdet's VOC pipeline (1000x600, flip).
# What the paper leaves open, chosen here:
# * batch: mmdet's 2 images per GPU on one GPU, lr auto-scaled to
#   0.01 * 2 / 16 = 0.00125 (mmdet's VOC lr for a total batch of 16);
# * lr step: one step (x0.1) before the 9th epoch (milestone 8), i.e. the
#   last 2 of 10 epochs at the low lr (mmdet's VOC recipe: last 3 of 12
#   effective epochs);
# * no warm-up, as mmdet's VOC recipe.
_base_ = './faster-rcnn_fpn_1x_voc0712.py'

dataset_type = 'VOCDataset'
data_root = 'data/VOCdevkit/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
        pipeline={{_base_.train_pipeline}},
        backend_args=None))

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
