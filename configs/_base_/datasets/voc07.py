# PASCAL VOC 2007 alone: MMDetection's VOC data (1000x600, flip) trained on
# VOC2007 trainval only (no VOC2012, no repeat); VOC2007 test, 11-point mAP.
# The dataset type is MMDetection's VOCDataset with mmiresnet's checks of the
# files (mmiresnet.checks.datasets).
_base_ = 'mmdet::_base_/datasets/voc0712.py'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CheckedVOCDataset',
        data_root='data/VOCdevkit/',
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
        pipeline={{_base_.train_pipeline}},
        backend_args=None))
val_dataloader = dict(dataset=dict(type='CheckedVOCDataset'))
test_dataloader = val_dataloader
