"""Print the mmiresnet environment: versions, mmcv ops, registered modules.

Usage: .venv/bin/python tools/env_info.py

Exits with status 1 if mmcv's compiled ops or ``import mmiresnet`` fail, so
that ``bash tools/setup_env.sh && .venv/bin/python tools/env_info.py`` tells
whether the environment is usable.
"""
import importlib
import platform
import sys
import traceback
from importlib import metadata

PACKAGES = ('torch', 'torchvision', 'numpy', 'mmengine', 'mmcv', 'mmdet',
            'mmpretrain', 'openmim', 'mmiresnet')
# Registry modules scanned for mmiresnet entries (root first).
REGISTRY_MODULES = ('mmengine.registry', 'mmdet.registry',
                    'mmpretrain.registry')


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return 'not installed'


def _mmcv_ops():
    try:
        import mmcv.ops  # noqa: F401
        from mmcv.ops import get_compiling_cuda_version
        return True, f'compiled (CUDA: {get_compiling_cuda_version()})'
    except Exception as e:  # ImportError, undefined symbols, ...
        return False, f'NOT available: {type(e).__name__}: {e}'


def _mmiresnet_entries():
    """{'<module>.<REGISTRY>': [names]} for classes from mmiresnet."""
    from mmengine.registry import Registry
    found, seen = {}, set()
    for mod_name in REGISTRY_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        for attr, reg in sorted(vars(mod).items()):
            if not isinstance(reg, Registry) or id(reg) in seen:
                continue  # e.g. mmdet.registry.MMENGINE_MODELS is the root
            seen.add(id(reg))
            names = sorted(
                name for name, obj in reg.module_dict.items()
                if str(getattr(obj, '__module__', '')).startswith('mmiresnet'))
            if names:
                found[f'{mod_name.split(".")[0]}.registry.{attr}'] = names
    return found


def main():
    ok = True
    print(f'python      {platform.python_version()} ({sys.executable})')
    for dist in PACKAGES:
        print(f'{dist:11s} {_version(dist)}')
    try:
        import torch
        print(f'torch CUDA  {torch.version.cuda or "none (CPU build)"}, '
              f'available: {torch.cuda.is_available()}')
    except ImportError as e:
        ok = False
        print(f'torch       import failed: {e}')
    ops_ok, ops_msg = _mmcv_ops()
    ok &= ops_ok
    print(f'mmcv ops    {ops_msg}')

    try:
        import mmiresnet
        print(f'mmiresnet   imported from {mmiresnet.__file__}')
    except Exception:
        print('mmiresnet   import FAILED:')
        traceback.print_exc(file=sys.stdout)
        return 1

    entries = _mmiresnet_entries()
    print('registered by mmiresnet:')
    if not entries:
        print('  (nothing)')
    for reg, names in entries.items():
        print(f'  {reg} ({len(names)}): {", ".join(names)}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
