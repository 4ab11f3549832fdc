# iResNet-29 (IResNetCIFAR, 3 bottlenecks per stage) on the digits data.
# Make the data first: python tools/data/make_digits.py --out data/digits
_base_ = [
    '../_base_/models/iresnet164_cifar.py', '../_base_/datasets/digits.py',
    '../_base_/schedules/digits_bs64.py', '../_base_/default_runtime_cls.py'
]
model = dict(backbone=dict(depth=29, variant='iresnet'))
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=1,
        max_keep_ckpts=2,
        save_best='accuracy/top1',
        rule='greater'))
randomness = dict(seed=0, deterministic=False)
