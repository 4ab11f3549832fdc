#!/usr/bin/env python
"""Convert an official iResNet / iResGroup checkpoint for OpenMMLab.

The official files (``iresnet50.pth`` ...) are plain state dicts whose keys
already follow mmiresnet's layout (docs/architecture.md, "Checkpoint key
layout"). This tool checks that every key is used and every shape fits the
named architecture, then writes

* ``--out-cls``: an MMPretrain ``ImageClassifier`` checkpoint
  (``backbone.*`` + ``head.fc.*``), for ``load_from`` or testing with the
  matching ``configs/<family>/<arch>_8xb32_in1k.py``;
* ``--out-backbone``: a backbone-only checkpoint for detection configs
  (``init_cfg=dict(type='Pretrained', checkpoint=...)``); ``--num-stages 3``
  drops stage 4 for the SSD300 trunk.

Both load with ``torch.load(weights_only=True)``. Existing outputs are never
overwritten without ``--force``.

Example::

    python tools/convert_official_checkpoint.py \\
        iresnet50.pth --arch iresnet50 \\
        --out-cls pretrained/iresnet50_in1k.pth \\
        --out-backbone pretrained/iresnet50_in1k_backbone.pth
"""
import argparse
import os.path as osp

from mmiresnet.checkpoint import (CheckpointMismatch, backbone_cfg_from_arch,
                                  classifier_to_backbone, load_file,
                                  official_to_classifier, save_atomic)
from mmiresnet.checks import fail


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth state dict)')
    parser.add_argument(
        '--arch',
        required=True,
        help='official architecture name, e.g. iresnet50, '
        'iresgroupfix101, resstage50')
    parser.add_argument('--out-cls', help='MMPretrain classifier output')
    parser.add_argument('--out-backbone', help='backbone-only output')
    parser.add_argument(
        '--num-stages',
        type=int,
        default=None,
        help='stages kept in --out-backbone (3: SSD trunk)')
    parser.add_argument(
        '--force', action='store_true', help='overwrite existing outputs')
    args = parser.parse_args(argv)
    if not (args.out_cls or args.out_backbone):
        parser.error('give --out-cls and/or --out-backbone')
    return args


def main(argv=None):
    args = parse_args(argv)
    outputs = [p for p in (args.out_cls, args.out_backbone) if p]
    existing = [p for p in outputs if osp.exists(p)]
    if existing and not args.force:
        fail(f'{", ".join(existing)} exists; pass --force to overwrite')
    try:
        backbone_cfg = backbone_cfg_from_arch(args.arch)
        source = load_file(args.src)
        classifier, num_classes = official_to_classifier(source, backbone_cfg)
        meta = dict(
            arch=args.arch,
            source=osp.basename(args.src),
            num_classes=num_classes)
        if args.out_cls:
            save_atomic(
                dict(state_dict=classifier, meta=meta),
                args.out_cls,
                force=args.force)
            print(f'wrote classifier ({num_classes} classes) to '
                  f'{args.out_cls}')
        if args.out_backbone:
            cfg = backbone_cfg_from_arch(args.arch)
            if args.num_stages is not None:
                cfg['num_stages'] = args.num_stages
            backbone = classifier_to_backbone(classifier, cfg)
            save_atomic(
                dict(
                    state_dict=backbone,
                    meta=dict(meta, num_stages=args.num_stages)),
                args.out_backbone,
                force=args.force)
            print(f'wrote backbone ({len(backbone)} tensors) to '
                  f'{args.out_backbone}')
    except (CheckpointMismatch, ValueError, OSError) as err:
        fail(err)


if __name__ == '__main__':
    main()
