# PASCAL VOC 07+12: MMDetection's `_base_/datasets/voc0712.py` (v3.3.0:
# 1000x600, flip; 07+12 trainval repeated 3 times; VOC2007 test with
# 11-point mAP) with its VOCDataset replaced by the same type with
# mmiresnet's checks of the files (CheckedVOCDataset,
# mmiresnet.checks.datasets).
_base_ = 'mmdet::_base_/datasets/voc0712.py'
train_dataloader = dict(
    dataset=dict(  # RepeatDataset of a ConcatDataset
        dataset=dict(datasets=[
            dict(
                type='CheckedVOCDataset',
                data_root='data/VOCdevkit/',
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(
                    filter_empty_gt=True, min_size=32, bbox_min_size=32),
                pipeline={{_base_.train_pipeline}},
                backend_args=None) for year in ('2007', '2012')
        ])))
val_dataloader = dict(dataset=dict(type='CheckedVOCDataset'))
test_dataloader = val_dataloader
