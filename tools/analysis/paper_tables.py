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

The rows and the papers' figures come from the model index
(``configs/<family>/metafile.yml``: a model's ``Paper Tables``, ``Paper Params
(M)`` and ``Paper GFLOPs``, read by ``mmiresnet.model_zoo``), the arch of a
row from its config's backbone. Classification models are counted with a
1000-class (CIFAR: 10/100-class) fc at 224x224 (CIFAR 32x32); SSD300
models are built from their ``configs/ssd/ssd300_*_coco.py`` and counted at
300x300.
"""
import argparse
import os.path as osp

import torch
import torch.nn as nn

from mmiresnet import model_zoo
from mmiresnet.archs import get_arch
from mmiresnet.checkpoint import save_json
from mmiresnet.utils.model_stats import (PooledClassifier, count_flops,
                                         count_params)


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


def ssd_row(config, flops):
    """(params, GFLOPs or None) of the SSD300 detector of ``config``."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmiresnet  # noqa: F401
    cfg = Config.fromfile(config)
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
    # short name ('2'; 'R10': the RGSNet paper's Table 10) -> full name
    tables = {
        model_zoo.split_table(table)[2]: table
        for table in model_zoo.paper_tables()
    }
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--tables',
        nargs='+',
        default=list(tables),
        choices=list(tables),
        help="tables to print ('R10' "
        "is the RGSNet paper's Table 10)")
    parser.add_argument(
        '--no-flops',
        action='store_true',
        help='count parameters only (fast, no forward)')
    parser.add_argument(
        '--models',
        nargs='+',
        default=None,
        help='only rows whose model name contains one of '
        'these strings')
    parser.add_argument('--json', help='also write the rows to this file')
    parser.add_argument(
        '--force',
        action='store_true',
        help='overwrite an existing --json file')
    args = parser.parse_args(argv)
    if args.json and osp.exists(args.json) and not args.force:
        parser.error(f'--json {args.json} exists; pass --force to '
                     'overwrite it')
    flops = not args.no_flops

    rows = []
    for row in model_zoo.paper_table_rows(
            tables=[tables[key] for key in args.tables]):
        name = row['label']
        if not (args.models is None or any(m in name for m in args.models)):
            continue
        if row['task'] == model_zoo.DETECTION:
            params, gflops = ssd_row(row['config'], flops)
        else:
            params, gflops = classification_row(row['arch'],
                                                row['num_classes'], flops)
        rows.append(
            (row['key'], name, params, row['params_m'], gflops, row['gflops']))

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
            dict(
                table=t,
                model=n,
                params=p,
                paper_params_m=pp,
                gflops=g,
                paper_gflops=pg) for t, n, p, pp, g, pg in rows
        ],
                  args.json,
                  force=args.force)
    return rows


if __name__ == '__main__':
    main()
