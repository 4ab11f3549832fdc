"""Let mmengine 0.10.7 load its own checkpoints under torch >= 2.6.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``. mmengine
0.10.7 calls ``torch.load`` without the argument, and its full checkpoints
(``Runner`` resume, ``load_from``, test, local ``Pretrained`` files) pickle a
few non-tensor objects, so they are refused (mmengine#1655, fixed upstream in
151a87ab but unreleased).

Instead of switching weights-only loading off, this module allow-lists exactly
the globals that a real mmengine ``Runner`` checkpoint contains (found with
``torch.serialization.get_unsafe_globals_in_checkpoint`` on iteration- and
epoch-based checkpoints with val metrics, ``save_best``, param schedulers and
``EMAHook``):

* ``mmengine.logging.history_buffer.HistoryBuffer`` (``message_hub``),
* ``numpy.ndarray``, ``numpy.dtype``, ``numpy._core.multiarray._reconstruct``
  and ``numpy._core.multiarray.scalar`` (also under numpy 1's
  ``numpy.core.multiarray`` names), plus the numpy >= 1.25 dtype classes of
  bool/int/uint/float arrays and scalars (``numpy.dtypes.Float64DType`` ...);
  object, string and void dtypes are *not* allowed,
* ``builtins.getattr``, which pickle uses for ``HistoryBuffer.min`` & co. in
  ``HistoryBuffer.statistics_methods``. Real ``getattr`` would be unsafe, so
  it is mapped to :func:`_history_buffer_getattr`, which only resolves
  ``HistoryBuffer.{min,max,mean,current}`` (torch >= 2.6 only).

Any other pickled global is still refused by torch with its usual
``UnpicklingError`` ("Unsupported global: GLOBAL <name> ..."), which names the
global. Such a checkpoint should be converted to plain tensors (a
``state_dict``) by whoever produced it; weights-only loading stays on.

On torch < 2.4 (no ``add_safe_globals``; torch 2.1 is OpenMMLab's reference
stack) nothing is registered: mmengine loads as it always did there, and
mmiresnet's own checked reads (:func:`mmiresnet.checkpoint.load_file`) use
:func:`weights_only_load`, a restricted unpickler that allows torch's own
weights-only globals plus the list above and nothing else. On torch 2.4/2.5
the default is still ``weights_only=False``; the classes are allow-listed for
explicit ``weights_only=True`` loads, without the ``getattr`` shim (these
versions do not support registering a global under another name).
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is never set and no loader is replaced.
"""
import _compat_pickle
import codecs
import collections
import functools
import pickle
import re
import types

import numpy as np
import torch

__all__ = [
    'MMENGINE_SAFE_GLOBALS', 'allow_mmengine_checkpoints', 'weights_only_load'
]

_HISTORY_BUFFER_METHODS = ('min', 'max', 'mean', 'current')
_NUMERIC_DTYPE_CHARS = '?bhilqBHILQefdg'  # bool, (u)ints, floats

#: What :func:`allow_mmengine_checkpoints` registered (empty if nothing).
MMENGINE_SAFE_GLOBALS = []


def _torch_version():
    match = re.match(r'(\d+)\.(\d+)', torch.__version__)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _history_buffer_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` in weights-only unpickling."""
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'mmiresnet.compat refused getattr({obj!r}, {name!r}) during a '
        'weights_only torch.load: only HistoryBuffer.'
        f'{{{",".join(_HISTORY_BUFFER_METHODS)}}} are allowed; convert the '
        'checkpoint to plain tensors (a state_dict).')


def _safe_globals(named):
    from mmengine.logging import HistoryBuffer
    reconstruct = np.ndarray(0).__reduce__()[0]  # numpy(._)core.multiarray
    scalar = np.float64(0).__reduce__()[0]
    dtype_classes = {type(np.dtype(c)) for c in _NUMERIC_DTYPE_CHARS}
    items = [HistoryBuffer, np.ndarray, np.dtype, reconstruct, scalar]
    items += sorted(dtype_classes - {np.dtype}, key=lambda c: c.__name__)
    if named:  # checkpoints written under numpy 1 and numpy 2 both load
        for mod in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            items += [(reconstruct, f'{mod}._reconstruct'),
                      (scalar, f'{mod}.scalar')]
        items.append((_history_buffer_getattr, 'builtins.getattr'))
    return items


def allow_mmengine_checkpoints():
    """Allow-list mmengine's checkpoint globals for ``weights_only`` loads.

    Idempotent; returns the registered entries (empty on torch < 2.4).
    """
    if MMENGINE_SAFE_GLOBALS:
        return MMENGINE_SAFE_GLOBALS
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None or _torch_version() < (2, 4):
        return MMENGINE_SAFE_GLOBALS
    items = _safe_globals(named=_torch_version() >= (2, 6))
    add(items)
    MMENGINE_SAFE_GLOBALS.extend(items)
    return MMENGINE_SAFE_GLOBALS


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only allow-listed globals (torch < 2.4, see above)."""

    def find_class(self, module, name):
        # torch.save writes pickle protocol 2, with Python 2 names
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        allowed = _restricted_globals()
        key = f'{module}.{name}'
        if key not in allowed:
            # the wording of torch's own refusal, which callers parse
            raise pickle.UnpicklingError(f'Unsupported global: GLOBAL {key}')
        return allowed[key]


@functools.lru_cache(maxsize=None)
def _restricted_globals():
    from torch._weights_only_unpickler import _get_allowed_globals
    allowed = dict(_get_allowed_globals())
    # what later torch releases allow by default, where it exists here
    allowed.update({
        '_codecs.encode': codecs.encode,  # bytes under protocol 2
        'builtins.bytearray': bytearray,
        'builtins.complex': complex,
        'builtins.set': set,
        'collections.Counter': collections.Counter,
        'torch.device': torch.device,
    })
    allowed.update({
        f'torch.{name}': value
        for name, value in vars(torch).items()
        if isinstance(value, torch.dtype)
    })
    for item in _safe_globals(named=True):
        obj, key = item if isinstance(item, tuple) else \
            (item, f'{item.__module__}.{item.__qualname__}')
        allowed[key] = obj
    return allowed


def weights_only_load(path, map_location='cpu'):
    """``torch.load(path, weights_only=True)`` that also reads mmengine's
    checkpoints on torch < 2.4 (see the module docstring)."""
    if MMENGINE_SAFE_GLOBALS or _torch_version() >= (2, 4):
        return torch.load(path, map_location=map_location, weights_only=True)
    return _restricted_load(path, map_location)


def _restricted_load(path, map_location):
    restricted = types.SimpleNamespace(
        __name__='mmiresnet_restricted_pickle',
        Unpickler=_RestrictedUnpickler,
        load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load())
    return torch.load(
        path,
        map_location=map_location,
        weights_only=False,
        pickle_module=restricted)


allow_mmengine_checkpoints()
