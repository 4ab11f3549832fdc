#!/usr/bin/env python
"""iResNet as a drop-in for MMDetection's and MMPretrain's ResNet: a census.

Enumerates every distinct ResNet backbone setting in the configs shipped in
the installed mmdet and mmpretrain wheels (``<package>/.mim/configs``) and
builds each one with ``type='IResNet'``: with ``variant='resnet'`` it must
have the library ResNet's parameter names, shapes and count (checked on the
``meta`` device; tests/test_dropin.py also checks outputs and gradients),
and with the improved variants it builds or is refused with a ValueError.

A *setting* is a backbone dict of type ``ResNet``, ``ResNetV1c`` or
``ResNetV1d`` with every key but ``type`` and ``init_cfg`` (the weights are
not the setting); the library is the registry the config builds it from
(an explicit ``mmpretrain.`` / ``mmdet.`` prefix, else the config's
``_scope_`` / ``default_scope``), so MMPretrain's Mask R-CNN benchmark
configs hold mmdet ResNets. ResNetV1c / V1d are ``deep_stem=True`` (and
``avg_down=True``) here.

Example::

    python tools/analysis/dropin_report.py            # the tables
    python tools/analysis/dropin_report.py --list     # every setting too
"""
import argparse
import contextlib
import copy
import functools
import glob
import importlib
import json
import os.path as osp
import sys
import warnings
from collections import Counter, namedtuple

import torch

LIBRARIES = ('mmdet', 'mmpretrain')
RESNET_TYPES = ('ResNet', 'ResNetV1c', 'ResNetV1d')
#: What ResNetV1c / ResNetV1d add to ResNet's arguments.
TYPE_KWARGS = {
    'ResNet': {},
    'ResNetV1c': dict(deep_stem=True, avg_down=False),
    'ResNetV1d': dict(deep_stem=True, avg_down=True),
}
IGNORED_KEYS = ('type', '_scope_', 'init_cfg')

#: The families the census builds every setting with: (type, variant).
FAMILIES = (
    ('IResNet', 'iresnet'),
    ('IResNet', 'resstage'),
    ('IResNet', 'resmax'),
    ('IResGroup', 'iresnet'),
    ('IResGroupFix', 'iresnet'),
    ('ResGroup', 'resnet'),
    ('ResGroupFix', 'resnet'),
    ('RGSNet', 'b'),
    ('RGSNet', 'd'),
    ('RGSNet', 'res'),
)

Setting = namedtuple('Setting', 'library type kwargs configs')
Setting.__doc__ = """One distinct ResNet setting: the library whose ResNet
builds it, its type, its arguments (without type and init_cfg) and the
configs (``mmdet::path``) that hold it."""


def config_root(library):
    """``<library>/.mim/configs`` of the installed wheel."""
    module = importlib.import_module(library)
    return osp.join(osp.dirname(module.__file__), '.mim', 'configs')


@contextlib.contextmanager
def cached_base_files():
    """mmengine's ``Config._file2dict`` with its results cached by file:
    each ``_base_`` file is parsed once for the whole walk (copies are
    returned), a few times faster than ``Config.fromfile`` per config."""
    from mmengine.config import Config
    original = Config.__dict__['_file2dict']
    parse = original.__func__
    cache = {}

    def file2dict(filename,
                  use_predefined_variables=True,
                  use_environment_variables=True,
                  lazy_import=None):
        key = (osp.abspath(filename), use_predefined_variables,
               use_environment_variables, lazy_import)
        if key not in cache:
            try:
                cache[key] = (True,
                              parse(filename, use_predefined_variables,
                                    use_environment_variables, lazy_import))
            except Exception as exc:  # noqa: BLE001 (re-raised below)
                cache[key] = (False, exc)
        ok, value = cache[key]
        if not ok:
            raise value
        return copy.deepcopy(value)

    Config._file2dict = staticmethod(file2dict)
    try:
        yield
    finally:
        Config._file2dict = original


def _plain(obj):
    """ConfigDicts, tuples -> dicts, lists (a canonical, JSON-able form)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _backbones(obj, scope):
    """(library, type, dict) of every ResNet dict inside ``obj``."""
    if isinstance(obj, dict):
        scope = obj.get('_scope_', scope)
        kind = obj.get('type')
        if isinstance(kind, str):
            prefix, _, name = kind.rpartition('.')
            if name in RESNET_TYPES and (prefix or scope) in LIBRARIES:
                yield prefix or scope, name, obj
        for value in obj.values():
            yield from _backbones(value, scope)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _backbones(value, scope)


@functools.lru_cache(maxsize=None)
def _walk(libraries):
    from mmengine.config import Config
    found, failed = {}, []
    # Some configs warn while they load (deprecated keys); whatever the
    # warning filters (pytest -W error), they load as on the command line.
    with cached_base_files(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for wheel in libraries:
            root = config_root(wheel)
            for path in sorted(
                    glob.glob(osp.join(root, '**', '*.py'), recursive=True)):
                name = f'{wheel}::{osp.relpath(path, root)}'
                try:
                    cfg = Config._file2dict(path)[0]
                except Exception as exc:  # noqa: BLE001 (counted, shown)
                    failed.append((name, f'{type(exc).__name__}: {exc}'))
                    continue
                scope = cfg.get('default_scope') or wheel
                for library, kind, backbone in _backbones(
                        cfg.get('model'), scope):
                    kwargs = {
                        k: _plain(v)
                        for k, v in backbone.items() if k not in IGNORED_KEYS
                    }
                    key = (library, kind, json.dumps(kwargs, sort_keys=True))
                    found.setdefault(key, []).append(name)
    settings = tuple(
        Setting(library, kind, json.loads(text), tuple(sorted(set(names))))
        for (library, kind, text), names in sorted(found.items()))
    return settings, tuple(failed)


def enumerate_settings(libraries=LIBRARIES):
    """The distinct settings of the wheels' configs, and the configs that
    did not load (name, error); cached for the process."""
    return _walk(tuple(libraries))


def reference_class(setting):
    """The library's own ResNet class of ``setting``."""
    module = importlib.import_module(f'{setting.library}.models.backbones')
    return getattr(module, setting.type)


def iresnet_kwargs(setting, **overrides):
    """Arguments of ``IResNet`` for ``setting``: the config's, plus what
    ResNetV1c / V1d imply (deep stem, average-pool shortcut)."""
    return dict(
        copy.deepcopy(setting.kwargs), **TYPE_KWARGS[setting.type],
        **overrides)


def ours_class(setting, type_name='IResNet'):
    """``type_name`` as the setting's library registry builds it."""
    registry = importlib.import_module(f'{setting.library}.registry').MODELS
    import mmiresnet  # noqa: F401  (registers the backbones)
    return registry.get(type_name)


@contextlib.contextmanager
def cpu_linspace():
    """MMPretrain's ResNet reads its drop path rates with ``linspace(...)
    .item()``, which the meta device refuses: linspace on the CPU."""
    linspace = torch.linspace

    def on_cpu(*args, **kwargs):
        kwargs.setdefault('device', 'cpu')
        return linspace(*args, **kwargs)

    torch.linspace = on_cpu
    try:
        yield
    finally:
        torch.linspace = linspace


def build_reference(setting, device='meta', **overrides):
    kwargs = dict(copy.deepcopy(setting.kwargs), **overrides)
    with torch.device(device), cpu_linspace():
        return reference_class(setting)(**kwargs)


def build_ours(setting,
               type_name='IResNet',
               variant='resnet',
               device='meta',
               **overrides):
    kwargs = iresnet_kwargs(setting, variant=variant, **overrides)
    with torch.device(device):
        return ours_class(setting, type_name)(**kwargs)


def shapes(model):
    """Parameter and buffer names -> shapes (the state dict's layout)."""
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def refusal(exc):
    """The argument a ValueError refuses, e.g. ``style='caffe'``."""
    text = str(exc)
    head = text.split(' is not supported by ')[0]
    return head if ' is not supported by ' in text else text.split(';')[0]


def census(settings):
    """Rows of the tables; builds every setting (meta device)."""
    rows = {}
    for lib in LIBRARIES:
        mine = [s for s in settings if s.library == lib]
        equal = 0
        for s in mine:
            ours, ref = build_ours(s), build_reference(s)
            equal += (
                shapes(ours) == shapes(ref)
                and num_params(ours) == num_params(ref))
        rows[lib] = dict(settings=len(mine), equal=equal, families={})
        for type_name, variant in FAMILIES:
            refused = Counter()
            for s in mine:
                try:
                    build_ours(s, type_name, variant)
                except ValueError as exc:
                    refused[refusal(exc)] += 1
            rows[lib]['families'][(type_name,
                                   variant)] = (len(mine) -
                                                sum(refused.values()), refused)
    return rows


def format_report(settings, failed, rows):
    lines = [
        '| library | distinct ResNet settings | build with '
        "`variant='resnet'` and equal its ResNet (names, shapes, count) |",
        '|---|---|---|'
    ]
    for lib in LIBRARIES:
        row = rows[lib]
        lines.append(f'| {lib} | {row["settings"]} | {row["equal"]} |')
    lines += [
        '', '| type, variant | ' + ' | '.join(f'{lib}: build / refused'
                                              for lib in LIBRARIES) +
        ' | refused settings |', '|---|' + '---|' * (len(LIBRARIES) + 1)
    ]
    for type_name, variant in FAMILIES:
        cells, reasons = [], Counter()
        for lib in LIBRARIES:
            built, refused = rows[lib]['families'][(type_name, variant)]
            cells.append(f'{built} / {sum(refused.values())}')
            reasons.update(refused)
        why = ', '.join(f'`{r}` ({n})'
                        for r, n in sorted(reasons.items())) or '-'
        lines.append(f'| `{type_name}`, `{variant}` | ' + ' | '.join(cells) +
                     f' | {why} |')
    lines += [
        '', f'{sum(len(s.configs) for s in settings)} backbones in '
        f'the configs; {len(failed)} configs do not load on their own '
        '(skipped).'
    ]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--list',
        action='store_true',
        help='also list every setting and its first config')
    args = parser.parse_args(argv)
    settings, failed = enumerate_settings()
    if args.list:
        for s in settings:
            print(f'{s.library}.{s.type} {json.dumps(s.kwargs)} '
                  f'({len(s.configs)} configs, e.g. {s.configs[0]})')
        for name, error in failed:
            print(f'not loaded: {name}: {error.splitlines()[0][:120]}')
        print()
    print(format_report(settings, failed, census(settings)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
