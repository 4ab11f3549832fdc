# The RGSNet paper's "Original" ResNet-50 row, with its recipe (top-1 error
# 23.81%).
_base_ = './rgsnet50-b_4xb32_in1k.py'
model = dict(backbone=dict(variant='resnet'))
