#!/usr/bin/env python
"""Train an mmiresnet classifier with MMPretrain (no mmpretrain checkout).

The command line of MMPretrain's ``tools/train.py`` (same options, same
work-dir and resume rules), run through mmengine's ``Runner`` after
``import mmiresnet`` (which registers the models and lets mmengine's own
checkpoints load under torch >= 2.6's ``weights_only`` default). Detection
has its own ``tools/train.py``.

Examples::

    python tools/train_cls.py configs/iresnet29_digits.py
    python tools/train_cls.py configs/iresnet50_8xb32_in1k.py --amp \\
        --work-dir work_dirs/iresnet50 --cfg-options train_dataloader.num_workers=8
    python tools/train_cls.py configs/iresnet50_8xb32_in1k.py --resume
    torchrun --nproc-per-node 8 tools/train_cls.py \\
        configs/iresnet50_8xb32_in1k.py --launcher pytorch
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
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a classifier')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate linearly with the actual total batch '
        "size against the config's auto_scale_lr.base_batch_size")
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in the dataloaders')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy pairs merged into the '
        'config, e.g. train_cfg.max_epochs=5 or key="[a,b]"')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge the command line into ``cfg`` as MMPretrain's train.py does."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher

    # work_dir: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    def set_default_dataloader_cfg(cfg, field):
        if cfg.get(field, None) is None:
            return
        dataloader_cfg = ConfigDict(
            pin_memory=True,
            persistent_workers=True,
            collate_fn=dict(type='default_collate'))
        dataloader_cfg.update(deepcopy(cfg[field]))
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False
        if args.no_persistent_workers:
            cfg[field]['persistent_workers'] = False

    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        set_default_dataloader_cfg(cfg, field)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # torch's DataLoader refuses persistent workers without workers.
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field, None)
        if loader is not None and not loader.get('num_workers', 0):
            loader['persistent_workers'] = False
    return cfg


def build_runner(cfg):
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    runner = build_runner(cfg)
    runner.train()
    return runner


if __name__ == '__main__':
    main()
