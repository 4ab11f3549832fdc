# iResGroup-50 (Sec. 3.3): grouped, 4x wider 3x3 convs, 32 channels per
# group, stage outputs 128/256/512/1024. Paper top-1 error 21.55%.
_base_ = '../iresnet/iresnet50_8xb32_in1k.py'
model = dict(
    backbone=dict(type='IResGroup', groups=64), head=dict(in_channels=1024))
