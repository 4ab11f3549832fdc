"""``CheckpointFitHook``: refuse a checkpoint that does not fit the model.

mmengine's ``Runner.load_checkpoint`` (``load_from``, ``--resume``, the
test scripts' ``CHECKPOINT``) loads non-strictly: missing and unexpected
keys are only logged and tensors of another shape are skipped, so a
checkpoint of another model evaluates or trains a partly random network.
mmengine calls ``after_load_checkpoint(runner, checkpoint)`` before it
loads the state dict; there this hook compares the checkpoint's keys and
shapes with the model's and raises :class:`CheckpointFitError` (one line:
counts and a few keys) unless ``strict=False``. Our runtime bases add it as
``default_hooks.checkpoint_fit``.
"""
import re

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from .data import PreflightError

#: How to keep mmengine's lenient loading (named in the refusal message).
LENIENT = ('--no-strict-load (tools/train.py, tools/test.py) or '
           '--cfg-options default_hooks.checkpoint_fit.strict=False')


class CheckpointFitError(PreflightError):
    """A checkpoint whose keys or shapes differ from the model's."""


def _keys(keys, limit=3):
    shown = ', '.join(keys[:limit])
    return f'{shown}, ...' if len(keys) > limit else shown


def fit_problems(model_state, ckpt_state):
    """``(missing, unexpected, shapes)``: sorted key lists (``shapes`` as
    ``'key (checkpoint) != (model)'`` strings); ``num_batches_tracked``
    buffers are not counted as missing, as in mmengine's own report.

    Args:
        model_state (dict): The model's ``state_dict()``.
        ckpt_state (dict): The checkpoint's state dict.
    """
    missing = sorted(
        k for k in set(model_state) - set(ckpt_state)
        if not k.endswith('num_batches_tracked'))
    unexpected = sorted(set(ckpt_state) - set(model_state))
    shapes = sorted(
        f'{k} {tuple(ckpt_state[k].shape)} != {tuple(model_state[k].shape)}'
        for k in set(model_state) & set(ckpt_state)
        if hasattr(ckpt_state[k], 'shape')
        and tuple(ckpt_state[k].shape) != tuple(model_state[k].shape))
    return missing, unexpected, shapes


def checkpoint_state(checkpoint):
    """The state dict mmengine loads from ``checkpoint``: its
    ``state_dict`` (or the dict itself), ``module.`` prefixes removed."""
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else {}
    return {
        re.sub(r'^module\.', '', k): v
        for k, v in state.items() if k != '_metadata'
    }


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Refuse a checkpoint whose keys or shapes differ from the model's.

    Args:
        strict (bool): Refuse a checkpoint that does not fit. False keeps
            mmengine's lenient loading (e.g. fine-tuning with another
            class count). Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, strict=True):
        self.strict = strict

    def after_load_checkpoint(self, runner, checkpoint):
        if not self.strict:
            return
        model = runner.model
        model = getattr(model, 'module', model)  # DDP, TTA wrappers
        missing, unexpected, shapes = fit_problems(
            model.state_dict(), checkpoint_state(checkpoint))
        if not (missing or unexpected or shapes):
            return
        parts = [
            f'{len(keys)} {what} ({_keys(keys)})'
            for what, keys in (('missing keys', missing), ('unexpected keys',
                                                           unexpected),
                               ('shape mismatches', shapes)) if keys
        ]
        source = runner.cfg.get('load_from') or \
            f'the latest checkpoint in {runner.work_dir}'
        raise CheckpointFitError(
            f'checkpoint {source} does not fit the model '
            f'{type(model).__name__}: {"; ".join(parts)}; to load it '
            f'anyway (lenient, as mmengine does), pass {LENIENT}')
