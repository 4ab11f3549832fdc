#!/usr/bin/env python
"""List the architecture families of mmiresnet with their depths and sizes.

One row per family of ``mmiresnet.archs.FAMILIES``: arch names, backbone
type and variant, paper reference, and for every depth the exact parameter
count with a 1000-class fc (CIFAR nets: 10-class), counted on the ``meta``
device (no memory, no forward).

Example::

    python tools/analysis/list_backbones.py [--json rows.json]
"""
import argparse
import os.path as osp

import torch
from mmengine.registry import MODELS

import mmiresnet  # noqa: F401  (registers the backbones)
from mmiresnet.archs import ARCHS, FAMILIES
from mmiresnet.checkpoint import save_json
from mmiresnet.utils.model_stats import params_with_fc


def num_classes_of(arch):
    """Classes of the fc counted with ``arch``: 10 for CIFAR, else 1000."""
    return 10 if arch.family.dataset == 'cifar' else 1000


def arch_params(arch):
    """Exact parameters of ``arch`` with its fc (built on ``meta``)."""
    with torch.device('meta'):
        model = MODELS.build(arch.backbone_cfg())
    return params_with_fc(model, num_classes_of(arch))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument(
        '--force',
        action='store_true',
        help='overwrite an existing --json file')
    args = parser.parse_args(argv)
    if args.json and osp.exists(args.json) and not args.force:
        parser.error(f'--json {args.json} exists; pass --force to '
                     'overwrite it')
    rows = []
    print('| archs | type | variant | reference | depth: params (M) |')
    print('|---|---|---|---|---|')
    for family in FAMILIES:
        sizes = []
        for arch in ARCHS.values():
            if arch.family is family:
                params = arch_params(arch)
                sizes.append((arch.depth, params))
                rows.append(
                    dict(
                        arch=arch.name,
                        type=arch.type,
                        variant=arch.variant,
                        depth=arch.depth,
                        num_classes=num_classes_of(arch),
                        params=params))
        size_text = ', '.join(f'{d}: {p / 1e6:.2f}' for d, p in sizes)
        print(f'| `{family.name}` | {family.type} | {family.variant} | '
              f'{family.paper} | {size_text} |')
    if args.json:
        save_json(rows, args.json, force=args.force)
    return rows


if __name__ == '__main__':
    main()
