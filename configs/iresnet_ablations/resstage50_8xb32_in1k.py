# Ablation (Table 2): ResStage only -- iResNet's stage structure with the
# ResNet stem max-pool and the conv1x1(stride) projection shortcut.
_base_ = '../iresnet/iresnet50_8xb32_in1k.py'
model = dict(backbone=dict(variant='resstage'))
