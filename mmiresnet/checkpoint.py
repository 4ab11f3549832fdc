"""Checkpoint conversion and checked loading shared by the tools and models.

Official checkpoints use our parameter names, so converting one is a
``backbone.`` prefix and ``fc.* -> head.fc.*`` (key layout:
docs/architecture.md); every key and shape is checked. Files are written
atomically, never over an existing file unless asked.
"""
import json
import os
import os.path as osp
import pickle
import re
import tempfile

import torch

from .archs import get_arch
from .compat import weights_only_load


class CheckpointMismatch(ValueError):
    """A checkpoint does not fit the model it is meant for."""


def backbone_cfg_from_arch(arch, **overrides):
    """Backbone config of an arch name of :data:`mmiresnet.archs.ARCHS`.

    Args:
        arch (str): E.g. ``'iresnet50'``, ``'rgsnet26-d'``.
        **overrides: Backbone arguments to set or replace.
    """
    return get_arch(arch).backbone_cfg(**overrides)


def build_meta_backbone(cfg):
    """Build a backbone on the ``meta`` device (shapes only, no memory)."""
    from mmengine.registry import MODELS

    import mmiresnet  # noqa: F401  (registers the backbones)
    with torch.device('meta'):
        return MODELS.build(dict(cfg))


def check_state_dict(expected, given, what='checkpoint', allow_unused=()):
    """Raise :class:`CheckpointMismatch` unless ``given`` fits ``expected``.

    Args:
        expected (dict): name -> tensor (or anything with ``.shape``).
        given (dict): name -> tensor.
        what (str): What ``given`` is, for the message.
        allow_unused (Iterable[str]): Key prefixes of ``given`` that may be
            left unused (e.g. a stage the target does not build).
    """
    allow_unused = tuple(allow_unused)
    missing = sorted(set(expected) - set(given))
    unused = sorted(
        k for k in set(given) - set(expected)
        if not k.startswith(allow_unused))
    wrong = sorted(
        f'{k}: {tuple(given[k].shape)} != expected {tuple(expected[k].shape)}'
        for k in set(expected) & set(given)
        if tuple(given[k].shape) != tuple(expected[k].shape))
    problems = []
    for title, keys in (('missing keys', missing), ('unused keys', unused),
                        ('shape mismatches', wrong)):
        if keys:
            shown = '\n    '.join(keys[:40])
            more = f'\n    ... and {len(keys) - 40} more' \
                if len(keys) > 40 else ''
            problems.append(f'  {len(keys)} {title}:\n    {shown}{more}')
    if problems:
        raise CheckpointMismatch(f'{what} does not fit the model:\n' +
                                 '\n'.join(problems))


def strip_state_dict(ckpt):
    """The state dict inside a checkpoint object (plain or mmengine)."""
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not all(
            torch.is_tensor(v) for v in ckpt.values()):
        raise CheckpointMismatch('not a state dict of tensors (nor a dict '
                                 "with one under 'state_dict')")
    # DataParallel prefixes, as the official script strips them.
    return {
        k[7:] if k.startswith('module.') else k: v
        for k, v in ckpt.items()
    }


def without_num_batches_tracked(state_dict):
    return {
        k: v
        for k, v in state_dict.items() if not k.endswith('num_batches_tracked')
    }


class CheckpointReadError(ValueError):
    """A file cannot be read as a weights-only PyTorch checkpoint."""


def load_file(path):
    """``torch.load`` on CPU with weights-only safety and a clear error.

    Raises :class:`CheckpointReadError` with one line naming ``path`` for an
    empty, truncated or non-checkpoint file, or one that pickles objects
    weights-only loading refuses; never suggests ``weights_only=False``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    if osp.getsize(path) == 0:
        raise CheckpointReadError(
            f'{path} is empty (0 bytes), not a PyTorch checkpoint')
    try:
        return weights_only_load(path)
    except pickle.UnpicklingError as exc:
        found = re.search(r'Unsupported global: GLOBAL (\S+)', str(exc))
        if found:
            raise CheckpointReadError(
                f'{path} holds a pickled object of type {found.group(1)} '
                'that is not allowed (weights-only loading); convert it to '
                'plain tensors') from None
        raise CheckpointReadError(
            f'{path} is not a PyTorch checkpoint (truncated or not a '
            'zip/pickle file)') from None
    except (RuntimeError, EOFError, OSError, ValueError):
        raise CheckpointReadError(
            f'{path} is not a PyTorch checkpoint (truncated or not a '
            'zip/pickle file)') from None


def write_atomic(path, force, write, suffix):
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename.

    Args:
        path (str): The output file.
        force (bool): Replace an existing ``path`` (else FileExistsError).
        write (callable): Writes the whole file to the path it is given.
        suffix (str): Suffix of the temporary file, e.g. ``'.pth'``.
    """
    if osp.exists(path) and not force:
        raise FileExistsError(f'{path} exists; pass --force to overwrite it')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)  # mkstemp makes 0600 files; give the usual mode
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def save_atomic(obj, path, force=False):
    """``torch.save`` into a temp file, then rename over ``path``.

    Refuses an existing ``path`` unless ``force``; an interrupted save
    leaves the old file (if any) untouched and no partial file behind.
    """
    write_atomic(path, force, lambda tmp: torch.save(obj, tmp), '.pth')


def save_json(obj, path, force=False):
    """Write ``obj`` as JSON to ``path`` atomically, as :func:`save_atomic`."""

    def write(tmp):
        with open(tmp, 'w') as f:
            json.dump(obj, f, indent=1)

    write_atomic(path, force, write, '.json')


def stage_prefixes_beyond(num_stages, max_stages=8):
    return tuple(f'layer{i}.' for i in range(num_stages + 1, max_stages + 1))


def official_to_classifier(state_dict, backbone_cfg):
    """Official state dict -> mmpretrain ``ImageClassifier`` state dict.

    Checks every key and shape against ``backbone_cfg`` plus an ``fc`` of
    the checkpoint's class count. Returns ``(state_dict, num_classes)``.
    """
    state_dict = strip_state_dict(state_dict)
    backbone = build_meta_backbone(backbone_cfg)
    expected = dict(backbone.state_dict())
    if 'fc.weight' not in state_dict:
        raise CheckpointMismatch('official checkpoint has no fc.weight; '
                                 'use it as a backbone-only file instead')
    num_classes = state_dict['fc.weight'].shape[0]
    expected['fc.weight'] = torch.empty(
        num_classes, backbone.out_channels[-1], device='meta')
    expected['fc.bias'] = torch.empty(num_classes, device='meta')
    given = state_dict
    if not any(k.endswith('num_batches_tracked') for k in given):
        expected = without_num_batches_tracked(expected)
    check_state_dict(expected, given, what='official checkpoint')
    converted = {
        (f'head.{k}' if k.startswith('fc.') else f'backbone.{k}'): v
        for k, v in given.items()
    }
    return converted, int(num_classes)


def classifier_to_backbone(state_dict, backbone_cfg, prefix='backbone.'):
    """Classifier state dict -> backbone state dict for ``backbone_cfg``.

    Keys of stages the target does not build (e.g. stage 4 for the SSD
    trunk, ``num_stages=3``) are dropped; everything else must fit.
    """
    state_dict = strip_state_dict(state_dict)
    backbone_keys = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    if not backbone_keys:
        raise CheckpointMismatch(f'no key starts with {prefix!r}')
    backbone = build_meta_backbone(backbone_cfg)
    expected = dict(backbone.state_dict())
    if not any(k.endswith('num_batches_tracked') for k in backbone_keys):
        expected = without_num_batches_tracked(expected)
    dropped = stage_prefixes_beyond(backbone.num_stages)
    check_state_dict(
        expected,
        backbone_keys,
        what='classifier backbone',
        allow_unused=dropped)
    return {k: v for k, v in backbone_keys.items() if k in expected}


def load_pretrained(module, checkpoint, prefix=None, optional=()):
    """Load a pretrained file into a backbone, refusing partial fits.

    Unlike mmengine's ``Pretrained`` init (which only logs mismatches and
    leaves a randomly initialised network behind), every parameter and
    buffer of ``module`` must come from the file; keys of stages the module
    does not build may be left over. Keys under the ``optional`` prefixes
    (DCN offsets and plugins added to an ImageNet backbone, as mmdet does)
    are loaded and checked when the file has them and otherwise keep their
    initialisation.
    """
    if not re.match(r'^[a-z]+://', str(checkpoint)) and \
            not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'pretrained checkpoint not found: {checkpoint}\n'
            'Make it from an official ImageNet checkpoint with\n'
            '  python tools/convert_official_checkpoint.py SRC.pth '
            f'--arch ARCH --out-backbone {checkpoint}\n'
            'or from an MMPretrain classifier with\n'
            '  python tools/cls_to_det_checkpoint.py CLS.pth --arch ARCH '
            f'--out {checkpoint}\n'
            '(see README, "Pretrained backbones"), or train from scratch on '
            'purpose with --cfg-options model.backbone.init_cfg=None')
    if re.match(r'^[a-z]+://', str(checkpoint)):
        from mmengine.runner.checkpoint import CheckpointLoader
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    else:
        ckpt = load_file(checkpoint)
    state_dict = strip_state_dict(ckpt)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        state_dict = {
            k[len(prefix):]: v
            for k, v in state_dict.items() if k.startswith(prefix)
        }
        if not state_dict:
            raise CheckpointMismatch(
                f'{checkpoint}: no key starts with prefix {prefix!r}')
    expected = dict(module.state_dict())
    if not any(k.endswith('num_batches_tracked') for k in state_dict):
        expected = without_num_batches_tracked(expected)
    optional = tuple(optional)
    if optional:
        expected = {
            k: v
            for k, v in expected.items()
            if k in state_dict or not k.startswith(optional)
        }
    check_state_dict(
        expected,
        state_dict,
        what=str(checkpoint),
        allow_unused=stage_prefixes_beyond(getattr(module, 'num_stages', 8)))
    module.load_state_dict(
        {
            k: v
            for k, v in state_dict.items() if k in expected
        }, strict=False)
