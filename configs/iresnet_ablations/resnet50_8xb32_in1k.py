# Baseline ResNet-50 (torchvision/mmpretrain layout) trained with the iResNet
# recipe, as the paper's ResNet rows (top-1 error 23.88%).
_base_ = '../iresnet/iresnet50_8xb32_in1k.py'
model = dict(backbone=dict(variant='resnet'))
