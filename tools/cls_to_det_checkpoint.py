#!/usr/bin/env python
"""Turn an MMPretrain classifier checkpoint into a detection backbone.

Keeps the ``backbone.`` keys, strips the prefix, drops the stages the
detection backbone does not build (``--num-stages 3`` for the SSD300 trunk)
and checks every remaining key and shape against ``--arch``. The output
holds only tensors and primitives (loads with ``weights_only=True``) and is
never written over an existing file without ``--force``.

Example::

    python tools/cls_to_det_checkpoint.py \\
        work_dirs/iresnet50_8xb32_in1k/epoch_90.pth --arch iresnet50 \\
        --num-stages 3 --out pretrained/iresnet50_in1k_ssd_trunk.pth
"""
import argparse
import os.path as osp

import mmiresnet  # noqa: F401  (weights-only allow-list for mmengine)
from mmiresnet.checkpoint import (CheckpointMismatch, backbone_cfg_from_arch,
                                  classifier_to_backbone, load_file,
                                  save_atomic)
from mmiresnet.checks import fail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='MMPretrain classifier checkpoint')
    parser.add_argument(
        '--arch', required=True, help='architecture name, e.g. iresnet50')
    parser.add_argument('--out', required=True, help='output path')
    parser.add_argument(
        '--num-stages',
        type=int,
        default=None,
        help='stages to keep (3: SSD300 trunk)')
    parser.add_argument(
        '--prefix',
        default='backbone.',
        help='key prefix of the backbone in the classifier')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing output')
    args = parser.parse_args(argv)
    try:
        if osp.exists(args.out) and not args.force:
            raise FileExistsError(
                f'{args.out} exists; pass --force to overwrite')
        cfg = backbone_cfg_from_arch(args.arch)
        if args.num_stages is not None:
            cfg['num_stages'] = args.num_stages
        backbone = classifier_to_backbone(
            load_file(args.src), cfg, prefix=args.prefix)
        meta = dict(
            arch=args.arch,
            source=osp.basename(args.src),
            num_stages=args.num_stages)
        save_atomic(
            dict(state_dict=backbone, meta=meta), args.out, force=args.force)
    except (CheckpointMismatch, ValueError, OSError) as err:
        fail(err)
    print(f'wrote backbone ({len(backbone)} tensors) to {args.out}')


if __name__ == '__main__':
    main()
