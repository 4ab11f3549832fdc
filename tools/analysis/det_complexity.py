#!/usr/bin/env python
"""Parameters and FLOPs of the detection configs, as a Markdown table.

FLOPs come from mmengine's ``get_model_complexity_info``, called the way
MMDetection's own ``tools/analysis_tools/get_flops.py`` calls it: the model
in eval mode, ``forward`` in ``'tensor'`` mode (backbone, neck and heads;
for Faster R-CNN including the RPN proposals and the RoI head on them, no
final NMS), one image. mmengine counts one multiply-add as one FLOP, as the
iResNet paper's GFLOPs do (ResNet-50: paper 4.14, conv+fc multiply-adds
4.09); operators it does not support (e.g. NMS) are skipped. For the SSD300
configs the paper's figures are 1.2-3.5% above this count (it presumably
also counts BN, ReLU and pooling); the parameter counts match exactly.
Inputs: 300x300 for SSD300, 192x192 for the quickstart SSD and 1344x800 for
Faster R-CNN (1333x800 padded to a multiple of 32, as mmdet's 1x pipeline
gives for a 4:3 COCO image; VOC configs resize to 1000x600, but the table
uses one size for comparability).

Configs with the same model (e.g. a backbone's 1x COCO and 5e COCO configs)
are measured once. Run from the repository root::

    python tools/analysis/det_complexity.py [--configs PATTERN ...]
        [--frcnn-size 1344 800] [--out docs/det_complexity.md]
"""
import argparse
import fnmatch
import os.path as osp
import sys
import time
from functools import partial

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--configs',
        nargs='+',
        default=['ssd*.py', 'faster-rcnn_*.py'],
        help='file name patterns of the configs of the '
        'family folders, configs/<family>/')
    parser.add_argument(
        '--frcnn-size',
        type=int,
        nargs=2,
        default=(1344, 800),
        metavar=('W', 'H'))
    parser.add_argument('--out', help='also write the table to this file')
    return parser.parse_args(argv)


def input_size(name, cfg, frcnn_size):
    if cfg.model.type == 'FasterRCNN':
        return tuple(frcnn_size)
    if name.startswith('ssd300'):
        return (300, 300)
    # other SSDs: the Resize of their test pipeline
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            return tuple(step['scale'])
    raise ValueError(f'{name}: no input size')


def complexity(cfg, size):
    """(parameters, FLOPs) of ``cfg.model`` on one ``size`` (W, H) image."""
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.analysis import get_model_complexity_info

    model = MODELS.build(cfg.model)
    model.eval()
    w, h = size
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=(h, w),
            pad_shape=(h, w),
            batch_input_shape=(h, w),
            scale_factor=(1., 1.)))
    inputs = torch.zeros(1, 3, h, w)
    model.forward = partial(
        model.forward, data_samples=[sample], mode='tensor')
    with torch.no_grad():
        out = get_model_complexity_info(
            model, None, inputs=(inputs, ), show_table=False, show_arch=False)
    params = sum(p.numel() for p in model.parameters())
    return params, out['flops']


def paper_columns(name, figures):
    """Paper params, GFLOPs and result of a config (file name), from the
    model index (``mmiresnet.model_zoo.paper_figures()``,
    configs/<family>/metafile.yml)."""
    stem = name[:-3]
    fig = figures.get(stem)
    if stem.startswith('ssd300_'):
        arch, data = stem[len('ssd300_'):].rsplit('_', 1)
        coco = figures.get(f'ssd300_{arch}_coco') or {}
        if data == 'coco' and coco.get('params_m') is not None:
            m = coco['metrics']
            return f"{coco['params_m']:.2f}", f"{coco['gflops']:.2f}", \
                f"AP {m['box AP']:.2f} / {m['box AP50']:.2f} / " \
                f"{m['box AP75']:.2f}"
        if coco.get('params_m') is not None:
            return f"({coco['params_m']:.2f} w. COCO head)", '', ''
        return '', '', ''
    if stem.startswith('faster-rcnn_') and fig and fig['metrics']:
        result = ', '.join(f'{k} {v:.2f}' for k, v in fig['metrics'].items())
        return '', '', f"{result} ({fig['source']})"
    return '', '', ''


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import mmiresnet  # noqa: F401
    from mmiresnet.model_zoo import paper_figures
    from mmiresnet.utils.config_index import family_config_paths
    figures = paper_figures()
    init_default_scope('mmdet')
    MMLogger.get_instance('mmengine', log_level='ERROR')
    config_dir = osp.join(REPO_ROOT, 'configs')
    paths = sorted((p for p in family_config_paths(config_dir) if any(
        fnmatch.fnmatch(osp.basename(p), pat) for pat in args.configs)),
                   key=osp.basename)
    cache = {}
    rows = []
    for path in paths:
        name = osp.basename(path)
        cfg = Config.fromfile(path)
        size = input_size(name, cfg, args.frcnn_size)
        key = (Config(dict(model=cfg.model)).pretty_text, size)
        start = time.perf_counter()
        if key not in cache:
            cache[key] = complexity(cfg, size)
        params, flops = cache[key]
        seconds = time.perf_counter() - start
        paper_p, paper_g, paper_ap = paper_columns(name, figures)
        rel = osp.relpath(path, config_dir).replace(osp.sep, '/')
        rows.append((rel, f'{size[0]}x{size[1]}', f'{params / 1e6:.2f}',
                     f'{flops / 1e9:.2f}', paper_p, paper_g, paper_ap))
        print(
            f'{name}: {params / 1e6:.2f}M params, {flops / 1e9:.2f} '
            f'GFLOPs ({seconds:.0f} s)',
            file=sys.stderr,
            flush=True)
    header = ('config', 'input', 'params (M)', 'GFLOPs', 'paper params (M)',
              'paper GFLOPs', 'paper result')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    table = '\n'.join(lines)
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')


if __name__ == '__main__':
    main()
