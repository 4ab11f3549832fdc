# Ablation (Table 14): ResNet with only iResNet's max-pool projection
# shortcut. Paper top-1 error 22.85%.
_base_ = '../iresnet/iresnet50_8xb32_in1k.py'
model = dict(backbone=dict(variant='resmax'))
