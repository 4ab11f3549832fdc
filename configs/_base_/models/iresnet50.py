# ImageNet classifier: iResNet-50 + global average pooling + fc, as the
# official model (no dropout); the layout of the CIFAR classifier.
_base_ = './iresnet164_cifar.py'
model = dict(
    backbone=dict(type='IResNet', depth=50, out_indices=(3, )),
    head=dict(
        num_classes=1000, in_channels=2048, dropout_ratio=0.0, topk=(1, 5)))
