"""Checks that ``tools/train.py`` and ``tools/test.py`` run before the
``Runner`` starts (one-line errors, status 2).

:func:`check_run` reads the config (with the command line's
``--cfg-options``) and checks the test's ``--out`` file, the datasets of
the dataloaders the task uses (the same checks the checked dataset types
run when they load, :mod:`mmiresnet.checks.data`, here for any COCO, VOC,
CIFAR or image-folder dataset type), that the checkpoints (``load_from``,
``--resume``, the test checkpoint, ``Pretrained`` backbones) are readable,
and that the work dir is writable. Table of messages: docs/bad_inputs.md.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

from .data import PreflightError, check_data

LOADERS = {
    'train': ('train_dataloader', 'val_dataloader'),
    'test': ('test_dataloader', )
}
#: ``--out`` suffixes the libraries' test scripts accept: results are
#: pickled (mmdet's ``DumpDetResults``, mmengine's ``DumpResults``);
#: MMPretrain's ``--out-item metrics`` goes through ``mmengine.dump``
#: (format by suffix).
PICKLE_SUFFIXES = ('.pkl', '.pickle')
DUMP_SUFFIXES = ('.json', '.yaml', '.yml') + PICKLE_SUFFIXES


def fail(message):
    """Print ``error: message`` to stderr and exit with status 2.

    Args:
        message (str | Exception): The error; an ``OSError`` from writing
            is shown as ``cannot write FILE: reason``.
    """
    if isinstance(message, OSError) and message.filename:
        message = f'cannot write {message.filename}: {message.strerror}'
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def cfg_options_of(argv):
    """The merged ``--cfg-options`` of ``argv`` as a dict."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    known, _ = parser.parse_known_args(argv)
    return known.cfg_options or {}


def _join(root, path):
    if not path or not root or osp.isabs(path):
        return path
    return osp.join(root, path)


def _dataset_class(type_name, scope):
    """The registered dataset class of ``type_name`` (None if unknown)."""
    import importlib
    scope, _, name = type_name.rpartition('.') if '.' in type_name \
        else (scope, '', type_name)
    try:
        registry = importlib.import_module(f'{scope}.registry').DATASETS
        return registry.get(name)
    except Exception:  # noqa: BLE001  the runner reports unknown types
        return None


def _leaf_datasets(dataset):
    """The datasets inside wrappers (RepeatDataset, ConcatDataset...)."""
    if not isinstance(dataset, dict):
        return []
    if isinstance(dataset.get('datasets'), (list, tuple)):
        return [d for sub in dataset['datasets'] for d in _leaf_datasets(sub)]
    if isinstance(dataset.get('dataset'), dict):
        return _leaf_datasets(dataset['dataset'])
    return [dataset]


def _prefix(ds, *keys):
    prefix = ds.get('data_prefix') or ''
    if isinstance(prefix, dict):
        prefix = next((prefix[k] for k in keys if prefix.get(k)), '')
    return prefix


def _extensions(ds, cls):
    """The image suffixes a ``CustomDataset`` config reads (sorted)."""
    import inspect
    exts = ds.get('extensions') or getattr(cls, 'IMG_EXTENSIONS', None)
    if not exts:
        for klass in cls.__mro__:
            param = inspect.signature(
                klass.__init__).parameters.get('extensions')
            if param is not None:
                exts = param.default
                break
    return tuple(sorted({e.lower() for e in exts or ()}))


def dataset_check(ds, scope):
    """``(kind, inputs)`` for :func:`~.data.check_data` from a dataset
    config, as the checked dataset types derive them (None: not checked).

    Args:
        ds (dict): The (leaf) dataset config.
        scope (str): The config's default_scope.
    """
    cls = _dataset_class(str(ds.get('type', '')), scope)
    names = [c.__name__ for c in getattr(cls, '__mro__', ())]
    root = ds.get('data_root') or ''
    meta = ds.get('metainfo') or {}
    classes = tuple(
        meta.get('classes')
        or (getattr(cls, 'METAINFO', None) or {}).get('classes') or ())
    ann_file = _join(root, ds.get('ann_file') or '')
    common = dict(
        filter_cfg=ds.get('filter_cfg'), test_mode=ds.get('test_mode', False))
    if 'CocoDataset' in names:
        img = _join(root, _prefix(ds, 'img')) or root
        return 'coco', dict(
            data_root=root,
            ann_file=ann_file,
            img_root=img,
            classes=classes,
            **common)
    if 'XMLDataset' in names:
        return 'voc', dict(
            data_root=root,
            ann_file=ann_file,
            sub_root=_join(root, _prefix(ds, 'sub_data_root')) or root,
            classes=classes,
            ann_subdir=ds.get('ann_subdir', 'Annotations'),
            img_subdir=ds.get('img_subdir', 'JPEGImages'),
            **common)
    if 'CIFAR10' in names:
        folder = _join(root, _prefix(ds)) or root
        return 'cifar', dict(
            data_root=root,
            folder=osp.join(folder, cls.base_folder),
            files=[f for f, _ in cls.train_list + cls.test_list],
            download=ds.get('download', True),
            name=names[0].replace('Checked', ''))
    if 'CustomDataset' in names:
        prefix = _prefix(ds, 'img_path')
        if 'ImageNet' in names and ds.get('split'):
            prefix = prefix or ds['split']
            meta_file = osp.join('meta', f'{ds["split"]}.txt')
            if not ds.get('ann_file') and osp.isfile(_join(root, meta_file)):
                ann_file = _join(root, meta_file)
        return 'image_folder', dict(
            data_root=root,
            ann_file=ann_file,
            img_root=_join(root, prefix) or root,
            extensions=_extensions(ds, cls))
    return None


def check_checkpoint(path, what):
    """Read a local checkpoint weights-only; URLs are left to mmengine."""
    import re

    from ..checkpoint import CheckpointReadError, load_file
    if not path or re.match(r'^[a-z]+://', str(path)):
        return
    try:
        load_file(str(path))
    except FileNotFoundError:
        raise PreflightError(f'{what} {path} does not exist') from None
    except CheckpointReadError as exc:
        raise PreflightError(f'{what} {exc}') from None


def _pretrained(node):
    """``checkpoint`` of every ``Pretrained`` init_cfg under ``node``."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield node['checkpoint']
        for value in node.values():
            yield from _pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _pretrained(value)


def check_writable(folder, what):
    """Create ``folder`` if needed and make sure a file can be written."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PreflightError(f'cannot write to {what} {folder}: '
                             f'{exc.strerror or exc}') from None


def check_out(path, scope, out_item=None):
    """Check the ``--out`` file of ``tools/test.py`` without writing it.

    Args:
        path (str): The ``--out`` value.
        scope (str): The config's default_scope ('mmdet' or 'mmpretrain').
        out_item (str | None): MMPretrain's ``--out-item``.
    """
    if osp.isdir(path):
        raise PreflightError(f'--out {path} is a folder; give a file name')
    metrics = scope == 'mmpretrain' and out_item == 'metrics'
    allowed = DUMP_SUFFIXES if metrics else PICKLE_SUFFIXES
    if not path.endswith(allowed):
        what = 'the metrics file' if metrics else 'the pickled results file'
        raise PreflightError(f'--out {path}: {what} must end with '
                             f'{", ".join(allowed)}')
    if osp.lexists(path):
        raise PreflightError(
            f'--out {path} exists; results are not written over an existing '
            'file: move it away or choose another --out')
    folder = osp.dirname(osp.abspath(path))
    while not osp.lexists(folder):  # the folder the run would create
        folder = osp.dirname(folder)
    if not osp.isdir(folder):
        raise PreflightError(
            f'cannot write --out {path}: {folder} is not a folder')
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PreflightError(f'cannot write --out {path}: {folder}: '
                             f'{exc.strerror or exc}') from None


def check_run(task, cfg, argv):
    """Check the inputs of ``tools/<task>.py CONFIG ...`` before it runs.

    Args:
        task (str): 'train' or 'test'.
        cfg (mmengine.Config): The config as read (options not merged).
        argv (list[str]): The command line after the script name.
    """
    cfg = cfg.copy()
    try:
        cfg.merge_from_dict(cfg_options_of(argv))
    except Exception:  # noqa: BLE001  the library's script reports it
        pass
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--work-dir')
    parser.add_argument('--resume', nargs='?', const='auto')
    parser.add_argument('--out')
    parser.add_argument('--out-item')
    args, _ = parser.parse_known_args(argv[1:])
    scope = cfg.get('default_scope')
    if task == 'test' and args.out:
        check_out(args.out, scope, args.out_item)
    for name in LOADERS[task]:
        if name == 'val_dataloader' and (cfg.get('val_cfg') is None
                                         or cfg.get('val_evaluator') is None):
            continue  # mmengine's Runner builds no val loop then
        loader = cfg.get(name)
        if isinstance(loader, dict):
            for ds in _leaf_datasets(loader.get('dataset')):
                check = dataset_check(ds, scope)
                if check is not None:
                    check_data(check[0], **check[1])
    if task == 'train':
        if args.resume not in (None, 'auto'):
            check_checkpoint(args.resume, '--resume checkpoint')
        elif args.resume is None:
            check_checkpoint(cfg.get('load_from'), 'load_from checkpoint')
        for path in _pretrained(cfg.get('model')):
            check_checkpoint(path, 'Pretrained checkpoint')
    else:
        if len(argv) > 1 and not argv[1].startswith('-'):
            check_checkpoint(argv[1], 'checkpoint')
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(argv[0]))[0])
    check_writable(work_dir, 'work dir')
