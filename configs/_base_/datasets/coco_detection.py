# COCO 2017 detection: MMDetection's `_base_/datasets/coco_detection.py`
# (v3.3.0: 1333x800, flip; val2017 with CocoMetric) with its CocoDataset
# replaced by the same type with mmiresnet's checks of the files
# (CheckedCocoDataset, mmiresnet.checks.datasets).
_base_ = 'mmdet::_base_/datasets/coco_detection.py'
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
