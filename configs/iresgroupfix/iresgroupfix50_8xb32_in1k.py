# iResGroupFix-50 (Sec. 3.3): as iResGroup but 64 groups in every stage.
# Paper top-1 error 21.88%.
_base_ = '../iresnet/iresnet50_8xb32_in1k.py'
model = dict(
    backbone=dict(type='IResGroupFix', groups=64), head=dict(in_channels=1024))
