# b-RGSNet on CIFAR-100 (Zhang et al. 2019, Sec. 4.2): ResNet26
# ([2, 2, 2, 2] bottlenecks), 1x width, 3x3 stride-1 stem, four stages.
_base_ = './iresnet164_cifar.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='RGSNet',
        depth=26,
        variant='b',
        widen_factor=1,
        stem_type='cifar',
        out_indices=(3, )),
    head=dict(num_classes=100, in_channels=2048, topk=(1, 5)))
