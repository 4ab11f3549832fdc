#!/usr/bin/env python
"""List the MMPretrain classification configs with their parameter counts.

Every config of the family folders, ``configs/<family>/*.py``, whose
``default_scope`` is ``mmpretrain`` is loaded,
its model is built on the ``meta`` device (no memory, no weights) through
mmpretrain's ``MODELS`` and its parameters are counted. Prints a Markdown
table (config as ``<family>/<name>``, backbone, classes, params, the
paper's top-1 error where it reports one): the table of
docs/classification.md (a test checks that the page holds this output).

Usage::

    python tools/analysis/list_cls_configs.py [--config-dir configs]

Exits with an error when a head's ``in_channels`` differs from its
backbone's output channels.
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config

import mmiresnet  # noqa: F401  (registers the models)
from mmiresnet.model_zoo import paper_figures
from mmiresnet.utils.config_index import cls_config_paths
from mmiresnet.utils.model_stats import count_params


def paper_top1_errors():
    """Top-1 error (%) the papers report for a config, by config name.

    100 minus the ``Top 1 Accuracy`` of the model index (the papers'
    figures, configs/<family>/metafile.yml).
    """
    return {
        stem: round(100 - fig['metrics']['Top 1 Accuracy'], 2)
        for stem, fig in paper_figures().items()
        if 'Top 1 Accuracy' in fig['metrics']
    }


def build_meta_model(cfg):
    """The config's model on the meta device (mmpretrain's MODELS)."""
    from mmpretrain.registry import MODELS
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def describe(path, errors):
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    family = osp.basename(osp.dirname(path))
    model = build_meta_model(cfg)
    backbone = cfg.model.backbone
    arch = backbone.type + ''.join(f' {k}={backbone[k]}' for k in (
        'depth', 'variant', 'widen_factor', 'groups') if k in backbone)
    return dict(
        name=name,
        config=f'{family}/{name}',
        arch=arch,
        num_classes=cfg.model.head.num_classes,
        head_in=cfg.model.head.in_channels,
        backbone_out=model.backbone.out_channels[-1],
        params=count_params(model),
        paper=errors.get(name))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--config-dir',
        default=osp.join(
            osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
            'configs'))
    args = parser.parse_args(argv)
    if not osp.isdir(args.config_dir):
        parser.error(f'--config-dir {args.config_dir} is not a folder')
    errors = paper_top1_errors()
    rows = [describe(p, errors) for p in cls_config_paths(args.config_dir)]
    print('| config | backbone | classes | params | paper top-1 err. (%) |')
    print('|---|---|---|---|---|')
    for r in rows:
        paper = '-' if r['paper'] is None else f"{r['paper']:.2f}"
        print(f"| `{r['config']}` | {r['arch']} | {r['num_classes']} | "
              f"{r['params']:,} | {paper} |")
    bad = [r['name'] for r in rows if r['head_in'] != r['backbone_out']]
    if bad:
        sys.exit(f'head in_channels != backbone output channels: {bad}')
    return rows


if __name__ == '__main__':
    main()
