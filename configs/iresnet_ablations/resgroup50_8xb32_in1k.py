# Baseline ResGroup-50 (Duta et al. 2020, Tables 1 and 6): the ResGroup block
# in a plain ResNet (stem max-pool, conv1x1(stride) projection shortcut).
_base_ = '../iresgroup/iresgroup50_8xb32_in1k.py'
model = dict(backbone=dict(type='ResGroup'))
