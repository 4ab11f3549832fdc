# Res-RGSNet-50 (RG + identity shortcuts). Paper top-1 error 22.21%.
_base_ = './rgsnet50-b_4xb32_in1k.py'
model = dict(backbone=dict(variant='res'))
