# SSD300 with a truncated iResGroup-101 trunk on COCO (paper recipe).
# Paper Table 7: 45.58M parameters (COCO head, 81 classes incl. background).
# Pretrained backbone (see docs/detection.md):
#   python tools/convert_official_checkpoint.py iresgroup101.pth \
#     --arch iresgroup101 \
#     --out-backbone pretrained/iresgroup101_in1k_backbone.pth
_base_ = './_base_/ssd300_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='IResGroup',
        depth=101,
        num_stages=3,
        strides=(2, 2, 1),
        out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrained/iresgroup101_in1k_backbone.pth')),
    neck=dict(
        in_channels=(512, ), out_channels=(512, 512, 512, 256, 256, 256)),
    bbox_head=dict(in_channels=(512, 512, 512, 256, 256, 256)))
