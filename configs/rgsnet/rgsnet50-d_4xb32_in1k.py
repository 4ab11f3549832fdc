# d-RGSNet-50 (inner RG shortcut too). Paper top-1 error 22.40%.
_base_ = './rgsnet50-b_4xb32_in1k.py'
model = dict(backbone=dict(variant='d'))
