# CIFAR-100, 64 images per GPU: the CIFAR-10 data settings with MMPretrain's
# CIFAR-100 statistics (`_base_/datasets/cifar100_bs16.py`, v1.2.0) and
# top-1/top-5 accuracy. The dataset type is MMPretrain's CIFAR100 with
# mmiresnet's checks of the files (mmiresnet.checks.datasets).
_base_ = './cifar10_bs64.py'
dataset_type = 'CheckedCIFAR100'
data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418])
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/cifar100'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/cifar100'))
val_evaluator = dict(topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
