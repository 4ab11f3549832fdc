# iResNet-29 (IResNetCIFAR, 3 bottlenecks per stage) on the digits data.
# Make the data first: python tools/data/make_digits.py --out data/digits
_base_ = './_base_/cls_digits.py'
model = dict(backbone=dict(depth=29, variant='iresnet'))
