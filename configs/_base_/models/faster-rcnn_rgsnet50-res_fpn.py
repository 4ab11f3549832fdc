# Faster R-CNN + FPN with a Res-RGSNet-50 backbone (Zhang et al. 2019); its
# weights come from configs/rgsnet/rgsnet50-res_4xb32_in1k.py.
_base_ = './faster-rcnn_rgsnet50-b_fpn.py'
model = dict(
    backbone=dict(
        variant='res',
        init_cfg=dict(checkpoint='pretrained/rgsnet50-res_in1k.pth')))
