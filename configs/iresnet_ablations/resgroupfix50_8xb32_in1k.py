# Baseline ResGroupFix-50 (Duta et al. 2020, Tables 1 and 6): the
# ResGroupFix block (64 groups in every stage) in a plain ResNet.
_base_ = '../iresgroupfix/iresgroupfix50_8xb32_in1k.py'
model = dict(backbone=dict(type='ResGroupFix'))
