#!/usr/bin/env python
"""List the MMPretrain classification configs with their parameter counts.

Every ``configs/*.py`` whose ``default_scope`` is ``mmpretrain`` is loaded,
its model is built on the ``meta`` device (no memory, no weights) through
mmpretrain's ``MODELS`` and its parameters are counted. Prints a Markdown
table (config, backbone, classes, params, the paper's top-1 error where it
reports one) as used in docs/classification.md.

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
from mmiresnet.utils.config_index import cls_config_paths
from mmiresnet.utils.model_stats import count_params

# Top-1 error (%) reported by the papers for the exact setting of a config.
# iResNet paper (Duta et al. 2020): Tables 2, 3, 5, 6 and 14 (ImageNet, 224
# crop; CIFAR best of five for 164 layers). RGSNet paper (Zhang et al. 2019):
# Tables 2 and 4.
PAPER_TOP1_ERROR = {
    'iresnet50_8xb32_in1k': 22.69,
    'iresnet101_8xb32_in1k': 21.36,
    'iresnet152_8xb32_in1k': 20.66,
    'iresnet200_8xb32_in1k': 20.52,
    'iresnet302_8xb32_in1k': 20.45,
    'iresnet404_8xb32_in1k': 20.30,
    'iresgroup50_8xb32_in1k': 21.55,
    'iresgroup101_8xb32_in1k': 20.55,
    'iresgroup152_8xb32_in1k': 20.34,
    'iresgroupfix50_8xb32_in1k': 21.88,
    'iresgroupfix101_8xb32_in1k': 20.92,
    'iresgroupfix152_8xb32_in1k': 20.75,
    'resnet50_8xb32_in1k': 23.88,
    'resnet101_8xb32_in1k': 22.00,
    'resnet152_8xb32_in1k': 21.55,
    'resnet200_8xb32_in1k': 22.45,
    'resstage50_8xb32_in1k': 23.25,
    'resmax50_8xb32_in1k': 22.85,
    'rgsnet50-resnet_4xb32_in1k': 23.81,
    'rgsnet50-b_4xb32_in1k': 22.68,
    'rgsnet50-d_4xb32_in1k': 22.40,
    'rgsnet50-res_4xb32_in1k': 22.21,
    'iresnet164_1xb64_cifar10': 4.80,
    'iresnet1001_1xb64_cifar10': 4.61,
    'iresnet2000_1xb64_cifar10': 4.40,
    'iresnet3002_1xb64_cifar10': 4.95,
    'resnet164_1xb64_cifar10': 5.23,
    'iresnet164_1xb64_cifar100': 22.26,
    'iresnet1001_1xb64_cifar100': 20.92,
    'iresnet2000_1xb64_cifar100': 21.12,
    'iresnet3002_1xb64_cifar100': 21.46,
    'resnet164_1xb64_cifar100': 23.86,
}
# RGSNet paper Table 4 (CIFAR-100, ResNet26): widths x variants.
for _w, _errs in (('-0.25x', (27.74, 26.76, 26.43, 26.00)),
                  ('-0.5x', (24.41, 23.34, 22.91, 22.46)),
                  ('', (23.17, 21.32, 20.71, 20.49)),
                  ('-2x', (22.40, 20.79, 20.16, 19.76))):
    for _v, _e in zip(('resnet', 'b', 'd', 'res'), _errs):
        PAPER_TOP1_ERROR[f'rgsnet26-{_v}{_w}_2xb64_cifar100'] = _e


def build_meta_model(cfg):
    """The config's model on the meta device (mmpretrain's MODELS)."""
    from mmpretrain.registry import MODELS
    with torch.device('meta'):
        return MODELS.build(cfg.model)


def describe(path):
    cfg = Config.fromfile(path)
    name = osp.splitext(osp.basename(path))[0]
    model = build_meta_model(cfg)
    backbone = cfg.model.backbone
    arch = backbone.type + ''.join(
        f' {k}={backbone[k]}'
        for k in ('depth', 'variant', 'widen_factor', 'groups')
        if k in backbone)
    return dict(
        name=name,
        arch=arch,
        num_classes=cfg.model.head.num_classes,
        head_in=cfg.model.head.in_channels,
        backbone_out=model.backbone.out_channels[-1],
        params=count_params(model),
        paper=PAPER_TOP1_ERROR.get(name))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config-dir', default=osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'configs'))
    args = parser.parse_args(argv)
    if not osp.isdir(args.config_dir):
        parser.error(f'--config-dir {args.config_dir} is not a folder')
    rows = [describe(p) for p in cls_config_paths(args.config_dir)]
    print('| config | backbone | classes | params | paper top-1 err. (%) |')
    print('|---|---|---|---|---|')
    for r in rows:
        paper = '-' if r['paper'] is None else f"{r['paper']:.2f}"
        print(f"| `{r['name']}` | {r['arch']} | {r['num_classes']} | "
              f"{r['params']:,} | {paper} |")
    bad = [r['name'] for r in rows if r['head_in'] != r['backbone_out']]
    if bad:
        sys.exit(f'head in_channels != backbone output channels: {bad}')
    return rows


if __name__ == '__main__':
    main()
