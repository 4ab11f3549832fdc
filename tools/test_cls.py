#!/usr/bin/env python
"""Test (evaluate) an mmiresnet classifier with MMPretrain.

The command line of MMPretrain's ``tools/test.py``, run through mmengine's
``Runner`` after ``import mmiresnet``. Checkpoints: MMPretrain's own
(``epoch_*.pth``) or an official one converted with
``tools/convert_official_checkpoint.py --out-cls``. Detection has its own
``tools/test.py``.

Examples::

    python tools/test_cls.py configs/iresnet29_digits.py \\
        work_dirs/iresnet29_digits/epoch_15.pth
    python tools/test_cls.py configs/iresnet50_8xb32_in1k.py \\
        pretrained/iresnet50_in1k.pth --out results.pkl
"""
import argparse
import os
import os.path as osp
import sys
from copy import deepcopy

try:
    import mmiresnet  # noqa: F401  (registry + checkpoint compatibility)
except ImportError:  # run from a source tree that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmiresnet  # noqa: F401
import mmengine
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a classifier')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument('--out', help='the file to output results to')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help="what --out holds: 'pred' (default) or 'metrics'")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy pairs merged into the '
        'config')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision test')
    parser.add_argument(
        '--show-dir', help='directory to save visualized predictions to')
    parser.add_argument(
        '--show', action='store_true', help='display predictions')
    parser.add_argument(
        '--interval', type=int, default=1,
        help='visualize every n-th sample')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='display time of every window (s)')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloader')
    parser.add_argument(
        '--tta',
        action='store_true',
        help="test-time augmentation: the config's tta_pipeline/tta_model, "
        'else flip TTA averaging the scores')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge the command line into ``cfg`` as MMPretrain's test.py does."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint

    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.show or args.show_dir is not None:
        assert 'visualization' in cfg.default_hooks, \
            'VisualizationHook is not set in the `default_hooks` field of ' \
            'config. Please set `visualization=dict(type="VisualizationHook")`'
        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.show = args.show
        cfg.default_hooks.visualization.wait_time = args.wait_time
        cfg.default_hooks.visualization.out_dir = args.show_dir
        cfg.default_hooks.visualization.interval = args.interval

    if args.tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.tta_pipeline = deepcopy(test_pipeline)
            cfg.tta_pipeline[-1] = dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(type='RandomFlip', prob=1.),
                        dict(type='RandomFlip', prob=0.)
                    ],
                    [test_pipeline[-1]],
                ])
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    if cfg.get('test_dataloader', None) is not None:
        loader = ConfigDict(
            pin_memory=True, collate_fn=dict(type='default_collate'))
        loader.update(deepcopy(cfg.test_dataloader))
        cfg.test_dataloader = loader
        if args.no_pin_memory:
            cfg.test_dataloader.pin_memory = False

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.get('test_dataloader', None)
    if loader is not None and not loader.get('num_workers', 0):
        loader['persistent_workers'] = False
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    return metrics


if __name__ == '__main__':
    main()
