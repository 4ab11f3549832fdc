#!/usr/bin/env python
"""Reproduce the papers' complexity tables: our params and GFLOPs vs theirs.

For every model of the iResNet paper's Tables 1, 2 (+3: 302/404 layers),
5 (CIFAR), 6, 7 (SSD300), 14 and the RGSNet paper's Table 10, build our
model, count its parameters exactly and its FLOPs with mmengine's
complexity counter (``mmengine.analysis``: one multiply-add = one FLOP,
convolutions and linear layers, plus the element-wise ops it counts, e.g.
BN), and print them beside the paper's numbers with the difference.

Examples::

    python tools/analysis/paper_tables.py                  # all tables
    python tools/analysis/paper_tables.py --tables 2 6 --json out.json
    python tools/analysis/paper_tables.py --no-flops       # params only

Classification models are counted with a 1000-class (CIFAR: 10/100-class)
fc at 224x224 (CIFAR 32x32); SSD300 models are built from
``configs/ssd300_*_coco.py`` and counted at 300x300.
"""
import argparse
import os.path as osp

import torch
import torch.nn as nn

from mmiresnet.archs import get_arch
from mmiresnet.checkpoint import save_json
from mmiresnet.utils.model_stats import (PooledClassifier, count_flops,
                                         count_params)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# The papers' figures: (table, arch name, classes) -> (params M, GFLOPs).
# Tables of Duta et al. 2020; 'R10' is Table 10 of Zhang et al. 2019.
# Table 7 rows are SSD300 on COCO (80 classes), built from
# configs/ssd300_<arch>_coco.py; the others are classifiers.
PAPER_FIGURES = {
    ('1', 'resnet50', 1000): (25.56, 4.14),
    ('1', 'resgroupfix50', 1000): (23.37, 4.30),
    ('1', 'resgroup50', 1000): (24.89, 5.43),
    ('2', 'resnet50', 1000): (25.56, 4.14),
    ('2', 'resstage50', 1000): (25.56, 4.14),
    ('2', 'iresnet50', 1000): (25.56, 4.18),
    ('2', 'resnet101', 1000): (44.55, 7.88),
    ('2', 'resstage101', 1000): (44.55, 7.88),
    ('2', 'iresnet101', 1000): (44.55, 7.92),
    ('2', 'resnet152', 1000): (60.19, 11.62),
    ('2', 'resstage152', 1000): (60.19, 11.62),
    ('2', 'iresnet152', 1000): (60.19, 11.65),
    ('2', 'resnet200', 1000): (64.67, 15.16),
    ('2', 'resstage200', 1000): (64.67, 15.16),
    ('2', 'iresnet200', 1000): (64.67, 15.19),
    ('3', 'iresnet302', 1000): (96.59, 22.67),
    ('3', 'iresnet404', 1000): (124.5, 30.15),
    ('5', 'resnet164-cifar', 10): (1.70, 0.26),
    ('5', 'resnet164-cifar', 100): (1.73, 0.26),
    ('5', 'iresnet164-cifar', 10): (1.70, 0.26),
    ('5', 'iresnet164-cifar', 100): (1.73, 0.26),
    ('5', 'resnet1001-cifar', 10): (10.33, 1.59),
    ('5', 'resnet1001-cifar', 100): (10.35, 1.59),
    ('5', 'iresnet1001-cifar', 10): (10.33, 1.59),
    ('5', 'iresnet1001-cifar', 100): (10.35, 1.59),
    ('5', 'resnet2000-cifar', 10): (20.62, 3.17),
    ('5', 'resnet2000-cifar', 100): (20.65, 3.17),
    ('5', 'iresnet2000-cifar', 10): (20.62, 3.17),
    ('5', 'iresnet2000-cifar', 100): (20.65, 3.17),
    ('5', 'resnet3002-cifar', 10): (30.93, 4.75),
    ('5', 'resnet3002-cifar', 100): (30.96, 4.75),
    ('5', 'iresnet3002-cifar', 10): (30.93, 4.75),
    ('5', 'iresnet3002-cifar', 100): (30.96, 4.75),
    ('6', 'resgroupfix50', 1000): (23.37, 4.30),
    ('6', 'resgroup50', 1000): (24.89, 5.43),
    ('6', 'iresgroupfix50', 1000): (23.37, 4.47),
    ('6', 'iresgroup50', 1000): (24.89, 5.60),
    ('6', 'resgroupfix101', 1000): (43.79, 8.33),
    ('6', 'resgroup101', 1000): (47.81, 9.94),
    ('6', 'iresgroupfix101', 1000): (43.79, 8.49),
    ('6', 'iresgroup101', 1000): (47.81, 10.11),
    ('6', 'resgroupfix152', 1000): (60.61, 12.35),
    ('6', 'resgroup152', 1000): (66.99, 14.70),
    ('6', 'iresgroupfix152', 1000): (60.61, 12.53),
    ('6', 'iresgroup152', 1000): (66.99, 14.87),
    ('14', 'resmax50', 1000): (25.56, 4.18),
    ('R10', 'rgsnet50-b', 1000): (25.6, None),
    ('R10', 'rgsnet50-res', 1000): (25.6, None),
    ('7', 'resnet50', 80): (22.89, 20.92),
    ('7', 'iresnet50', 80): (22.89, 20.99),
    ('7', 'iresgroupfix50', 80): (21.13, 18.61),
    ('7', 'iresgroup50', 80): (22.66, 21.62),
    ('7', 'resnet101', 80): (41.89, 48.45),
    ('7', 'iresnet101', 80): (41.89, 48.49),
    ('7', 'iresgroupfix101', 80): (41.55, 48.25),
    ('7', 'iresgroup101', 80): (45.58, 54.87),
}
TABLES = ('1', '2', '3', '5', '6', '7', '14', 'R10')
SSD_TABLE = '7'


def row_label(table, arch, num_classes):
    """The row's model name: the paper's title of ``arch`` (and dataset)."""
    title = get_arch(arch).title
    if table == SSD_TABLE:
        return f'SSD300 {title}'
    if get_arch(arch).family.dataset == 'cifar':
        return f'{title} CIFAR-{num_classes}'
    return title


def classification_row(arch, num_classes, flops):
    """(params, GFLOPs or None) of ``arch`` with an fc of ``num_classes``."""
    from mmengine.registry import MODELS

    import mmiresnet  # noqa: F401
    arch = get_arch(arch)
    cfg = arch.backbone_cfg(out_indices=(-1, ))
    size = 32 if arch.family.dataset == 'cifar' else 224
    with torch.device('cpu' if flops else 'meta'):
        model = PooledClassifier(MODELS.build(cfg), num_classes).eval()
    params = count_params(model)
    gflops = count_flops(model, (3, size, size)) / 1e9 if flops else None
    return params, gflops


class _DetectorForward(nn.Module):
    """Whole SSD300 (backbone, neck, head outputs) as one traced call."""

    def __init__(self, detector):
        super().__init__()
        self.detector = detector

    def forward(self, x):
        return self.detector._forward(x)


def ssd_row(arch, flops):
    """(params, GFLOPs or None) of ``configs/ssd300_<arch>_coco.py``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmiresnet  # noqa: F401
    from mmdet.registry import MODELS
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', f'ssd300_{get_arch(arch).name}_coco.py'))
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    with torch.device('cpu' if flops else 'meta'):
        model = MODELS.build(cfg.model).eval()
    params = count_params(model)
    gflops = count_flops(_DetectorForward(model),
                         (3, 300, 300)) / 1e9 if flops else None
    return params, gflops


def paper_digits(value):
    """Decimals the paper gives (124.5 -> 1, 25.56 -> 2)."""
    text = repr(value)
    return len(text.split('.')[1]) if '.' in text else 0


def fmt(value, digits=2):
    return '-' if value is None else f'{value:.{digits}f}'


def diff(ours, paper, digits=2):
    if ours is None or paper is None:
        return '-'
    return f'{ours - paper:+.{digits}f}'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tables', nargs='+', default=list(TABLES),
                        choices=TABLES, help="tables to print ('R10' is the "
                        "RGSNet paper's Table 10)")
    parser.add_argument('--no-flops', action='store_true',
                        help='count parameters only (fast, no forward)')
    parser.add_argument('--models', nargs='+', default=None,
                        help='only rows whose model name contains one of '
                        'these strings')
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing --json file')
    args = parser.parse_args(argv)
    if args.json and osp.exists(args.json) and not args.force:
        parser.error(f'--json {args.json} exists; pass --force to '
                     'overwrite it')
    flops = not args.no_flops

    rows = []
    for (table, arch, num_classes), (p_paper, f_paper) in \
            PAPER_FIGURES.items():
        name = row_label(table, arch, num_classes)
        if table not in args.tables or not (
                args.models is None or any(m in name for m in args.models)):
            continue
        if table == SSD_TABLE:
            params, gflops = ssd_row(arch, flops)
        else:
            params, gflops = classification_row(arch, num_classes, flops)
        rows.append((table, name, params, p_paper, gflops, f_paper))

    print('| table | model | params (M) | paper | diff | GFLOPs | paper '
          '| diff |')
    print('|---|---|---|---|---|---|---|---|')
    for table, name, params, p_paper, gflops, f_paper in rows:
        p_digits = paper_digits(p_paper)
        ours_m = round(params / 1e6, p_digits)
        print(f'| {table} | {name} | {params / 1e6:.3f} | {p_paper} | '
              f'{diff(ours_m, p_paper, p_digits)} | {fmt(gflops)} | '
              f'{fmt(f_paper)} | {diff(gflops, f_paper)} |')
    if args.json:
        save_json([
            dict(table=t, model=n, params=p, paper_params_m=pp, gflops=g,
                 paper_gflops=pg) for t, n, p, pp, g, pg in rows
        ], args.json, force=args.force)
    return rows


if __name__ == '__main__':
    main()
