#!/usr/bin/env python
"""How many ground-truth boxes have no anchor of IoU >= 0.5 (a detector's
anchor design against a COCO annotation file).

SSD's and RetinaNet's assigners give a box a proper positive only through an
anchor of IoU >= ``pos_iou_thr`` (0.5 by default); a box without one learns
from its single best anchor at most. For each box of ``--ann`` (scaled as the
config's fixed-size ``Resize`` scales it) this finds its best anchor of the
config's ``anchor_generator`` at ``--size`` and reports the share below the
threshold, for all boxes and by size::

    python tools/analysis/anchor_coverage.py \\
        configs/ssd/ssd192_iresnet18_synthetic.py \\
        data/synthetic_quickstart/coco/annotations/instances_val.json

``--anchors "{'type': 'AnchorGenerator', ...}"`` takes another anchor
generator (a Python dict literal), to compare a design before writing it
into a config.
"""
import argparse
import ast
import json
import os.path as osp

import torch

# COCO's size buckets (area in px^2, after scaling).
BUCKETS = (('small (area < 32^2)', lambda w, h: w * h < 32**2),
           ('medium', lambda w, h: (w * h >= 32**2) & (w * h < 96**2)),
           ('large (area >= 96^2)', lambda w, h: w * h >= 96**2))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'config',
        help='detector config with an '
        'anchor_generator in model.bbox_head')
    parser.add_argument('ann', help='COCO-format annotation JSON')
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help='square input size (default: the config\'s '
        'test Resize scale)')
    parser.add_argument(
        '--anchors',
        help='anchor generator dict literal '
        'instead of the config\'s')
    parser.add_argument(
        '--iou',
        type=float,
        default=0.5,
        help='IoU a box needs with its best anchor')
    return parser.parse_args(argv)


def resize_scale(cfg):
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            return step['scale']
    return None


def anchors_of(anchor_cfg, size):
    """All anchors (x1, y1, x2, y2) of a ``size`` x ``size`` input."""
    from mmdet.registry import TASK_UTILS
    generator = TASK_UTILS.build(anchor_cfg)
    # mmdet's generators hold each stride as a (w, h) pair; feature map
    # sizes are (h, w)
    shapes = [(-(-size // sh), -(-size // sw)) for sw, sh in generator.strides]
    return torch.cat(generator.grid_priors(shapes, device='cpu'))


def coverage(boxes, anchors, iou=0.5):
    """Per bucket: (boxes whose best anchor IoU is below ``iou``, boxes).

    ``boxes`` is an (N, 4) tensor (x1, y1, x2, y2), already scaled.
    """
    from mmdet.structures.bbox import bbox_overlaps
    best = bbox_overlaps(boxes, anchors).amax(1) if len(boxes) else \
        torch.zeros(0)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    result = {'all': (int((best < iou).sum()), len(boxes))}
    for name, test in BUCKETS:
        mask = test(w, h)
        result[name] = (int((best[mask] < iou).sum()), int(mask.sum()))
    return result


def scaled_boxes(ann, size):
    """The boxes of a COCO annotation dict, scaled to ``size`` x ``size``."""
    images = {im['id']: im for im in ann['images']}
    rows = []
    for a in ann['annotations']:
        if a.get('iscrowd'):
            continue
        im = images[a['image_id']]
        sx, sy = size / im['width'], size / im['height']
        x, y, w, h = a['bbox']
        rows.append([x * sx, y * sy, (x + w) * sx, (y + h) * sy])
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)


def main(argv=None):
    args = parse_args(argv)
    from mmiresnet.checks import fail
    if not 0 < args.iou <= 1:
        fail(f'--iou must be in (0, 1], got {args.iou}')
    if args.size is not None and args.size < 1:
        fail(f'--size must be >= 1, got {args.size}')
    for path in (args.config, args.ann):
        if not osp.isfile(path):
            fail(f'{path} not found')
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmiresnet  # noqa: F401
    cfg = Config.fromfile(args.config)
    if args.anchors:
        try:
            anchor_cfg = ast.literal_eval(args.anchors)
        except (ValueError, SyntaxError) as err:
            fail(f'--anchors is not a dict literal: {err}')
        if not isinstance(anchor_cfg, dict) or 'type' not in anchor_cfg:
            fail('--anchors must be a dict literal with a \'type\'')
    else:
        anchor_cfg = cfg.model.get('bbox_head', {}).get('anchor_generator')
        if anchor_cfg is None:
            fail(f'{args.config} has no model.bbox_head.anchor_generator')
        anchor_cfg = anchor_cfg.to_dict()
    anchor_cfg.pop('_delete_', None)
    size = args.size or resize_scale(cfg)
    if isinstance(size, (tuple, list)):
        if size[0] != size[1]:
            fail(f'the config resizes to {tuple(size)}, not a square; '
                 'give --size')
        size = size[0]
    if not size:
        fail('no fixed-size Resize in the config; give --size')
    try:
        with open(args.ann, encoding='utf-8') as f:
            ann = json.load(f)
        boxes = scaled_boxes(ann, size)
    except (ValueError, KeyError, TypeError) as err:
        fail(f'{args.ann} is not a COCO annotation file: {err!r}')
    try:
        with DefaultScope.overwrite_default_scope('mmdet'):
            anchors = anchors_of(anchor_cfg, size)
    except (KeyError, TypeError, ValueError, AssertionError) as err:
        fail(f'cannot build the anchor generator {anchor_cfg}: {err}')
    print(f'{len(anchors)} anchors at {size}x{size}; boxes whose best '
          f'anchor has IoU < {args.iou}:')
    for name, (missed, total) in coverage(boxes, anchors, args.iou).items():
        share = f'{100 * missed / total:.1f}%' if total else '-'
        print(f'  {name}: {share} of {total}')


if __name__ == '__main__':
    main()
