# SSD300 with a truncated iResGroupFix-50 trunk on COCO (paper recipe).
# Paper Table 7: 21.13M parameters (COCO head, 81 classes incl. background).
# Pretrained backbone (see docs/detection.md):
#   python tools/convert_official_checkpoint.py iresgroupfix50.pth \
#     --arch iresgroupfix50 \
#     --out-backbone pretrained/iresgroupfix50_in1k_backbone.pth
_base_ = './_base_/ssd300_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='IResGroupFix',
        depth=50,
        num_stages=3,
        strides=(2, 2, 1),
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/iresgroupfix50_in1k_backbone.pth')),
    neck=dict(
        in_channels=(512, ), out_channels=(512, 512, 512, 256, 256, 256)),
    bbox_head=dict(in_channels=(512, 512, 512, 256, 256, 256)))
