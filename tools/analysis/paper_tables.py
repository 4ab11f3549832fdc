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
import json
import os.path as osp

import torch
import torch.nn as nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# (table, model name, backbone cfg, num_classes, paper params M, GFLOPs)
CLS_ROWS = []


def _add(table, name, cfg, params, gflops, num_classes=1000):
    CLS_ROWS.append((table, name, cfg, num_classes, params, gflops))


_add('1', 'ResNet-50', dict(type='IResNet', depth=50, variant='resnet'),
     25.56, 4.14)
_add('1', 'ResGroupFix-50', dict(type='ResGroupFix', depth=50), 23.37, 4.30)
_add('1', 'ResGroup-50', dict(type='ResGroup', depth=50), 24.89, 5.43)
for depth, params, base, ires in ((50, 25.56, 4.14, 4.18),
                                  (101, 44.55, 7.88, 7.92),
                                  (152, 60.19, 11.62, 11.65),
                                  (200, 64.67, 15.16, 15.19)):
    _add('2', f'ResNet-{depth}',
         dict(type='IResNet', depth=depth, variant='resnet'), params, base)
    _add('2', f'ResStage-{depth}',
         dict(type='IResNet', depth=depth, variant='resstage'), params, base)
    _add('2', f'iResNet-{depth}', dict(type='IResNet', depth=depth), params,
         ires)
_add('3', 'iResNet-302', dict(type='IResNet', depth=302), 96.59, 22.67)
_add('3', 'iResNet-404', dict(type='IResNet', depth=404), 124.5, 30.15)
for depth, p10, p100, gflops in ((164, 1.70, 1.73, 0.26),
                                 (1001, 10.33, 10.35, 1.59),
                                 (2000, 20.62, 20.65, 3.17),
                                 (3002, 30.93, 30.96, 4.75)):
    for variant, label in (('resnet', 'ResNet'), ('iresnet', 'iResNet')):
        cfg = dict(type='IResNetCIFAR', depth=depth, variant=variant)
        _add('5', f'{label}-{depth} CIFAR-10', cfg, p10, gflops, 10)
        _add('5', f'{label}-{depth} CIFAR-100', cfg, p100, gflops, 100)
for depth, rows in ((50, ((23.37, 4.30), (24.89, 5.43), (23.37, 4.47),
                          (24.89, 5.60))),
                    (101, ((43.79, 8.33), (47.81, 9.94), (43.79, 8.49),
                           (47.81, 10.11))),
                    (152, ((60.61, 12.35), (66.99, 14.70), (60.61, 12.53),
                           (66.99, 14.87)))):
    for (family, label), (params, gflops) in zip(
        (('ResGroupFix', 'ResGroupFix'), ('ResGroup', 'ResGroup'),
         ('IResGroupFix', 'iResGroupFix'), ('IResGroup', 'iResGroup')),
            rows):
        _add('6', f'{label}-{depth}', dict(type=family, depth=depth), params,
             gflops)
_add('14', 'ResMax-50', dict(type='IResNet', depth=50, variant='resmax'),
     25.56, 4.18)
_add('R10', 'b-RGSNet-50', dict(type='RGSNet', depth=50, variant='b'), 25.6,
     None)
_add('R10', 'Res-RGSNet-50', dict(type='RGSNet', depth=50, variant='res'),
     25.6, None)

# Table 7: SSD300 on COCO (config, params M, GFLOPs).
SSD_ROWS = [
    ('ResNet-50', 'ssd300_resnet50_coco.py', 22.89, 20.92),
    ('iResNet-50', 'ssd300_iresnet50_coco.py', 22.89, 20.99),
    ('iResGroupFix-50', 'ssd300_iresgroupfix50_coco.py', 21.13, 18.61),
    ('iResGroup-50', 'ssd300_iresgroup50_coco.py', 22.66, 21.62),
    ('ResNet-101', 'ssd300_resnet101_coco.py', 41.89, 48.45),
    ('iResNet-101', 'ssd300_iresnet101_coco.py', 41.89, 48.49),
    ('iResGroupFix-101', 'ssd300_iresgroupfix101_coco.py', 41.55, 48.25),
    ('iResGroup-101', 'ssd300_iresgroup101_coco.py', 45.58, 54.87),
]
TABLES = ('1', '2', '3', '5', '6', '7', '14', 'R10')


class Classifier(nn.Module):
    """Backbone -> global average pooling -> fc, as the official nets."""

    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.out_channels[-1], num_classes)

    def forward(self, x):
        return self.fc(self.backbone(x)[-1].mean((2, 3)))


def count_flops(model, input_shape):
    """FLOPs of one forward (mmengine's FlopAnalyzer, 1 MAC = 1 FLOP)."""
    from mmengine.analysis import FlopAnalyzer
    inputs = (torch.zeros(1, *input_shape), )
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total()


def classification_row(cfg, num_classes, flops):
    from mmengine.registry import MODELS

    import mmiresnet  # noqa: F401
    cfg = dict(cfg, out_indices=(-1, ))
    size = 32 if cfg['type'] == 'IResNetCIFAR' else 224
    with torch.device('cpu' if flops else 'meta'):
        model = Classifier(MODELS.build(cfg), num_classes).eval()
    params = sum(p.numel() for p in model.parameters())
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
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmiresnet  # noqa: F401
    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None
    with torch.device('cpu' if flops else 'meta'):
        model = MODELS.build(cfg.model).eval()
    params = sum(p.numel() for p in model.parameters())
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
    args = parser.parse_args(argv)
    flops = not args.no_flops

    def wanted(name):
        return args.models is None or any(m in name for m in args.models)

    rows = []
    for table, name, cfg, num_classes, p_paper, f_paper in CLS_ROWS:
        if table in args.tables and wanted(name):
            params, gflops = classification_row(cfg, num_classes, flops)
            rows.append((table, name, params, p_paper, gflops, f_paper))
    if '7' in args.tables:
        for name, config, p_paper, f_paper in SSD_ROWS:
            if wanted(name):
                params, gflops = ssd_row(config, flops)
                rows.append(('7', f'SSD300 {name}', params, p_paper, gflops,
                             f_paper))

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
        with open(args.json, 'w') as f:
            json.dump([
                dict(table=t, model=n, params=p, paper_params_m=pp,
                     gflops=g, paper_gflops=pg)
                for t, n, p, pp, g, pg in rows
            ], f, indent=1)
    return rows


if __name__ == '__main__':
    main()
