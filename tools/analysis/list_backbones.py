#!/usr/bin/env python
"""List every registered mmiresnet backbone with its paper reference and size.

For each registered name and ``variant``, prints the supported depths and
the exact parameter count of each (with a 1000-class fc; CIFAR nets with a
10-class fc), counted on the ``meta`` device (no memory, no forward).

Example::

    python tools/analysis/list_backbones.py            # markdown table
"""
import argparse
import inspect

import torch
from mmengine.registry import MODELS

import mmiresnet  # noqa: F401
from mmiresnet.models.backbones import IResNetCIFAR, count_params


def registered_backbones():
    return [(name, cls) for name, cls in sorted(MODELS.module_dict.items())
            if cls.__module__.startswith('mmiresnet.models.backbones')]


def depths_of(cls):
    if issubclass(cls, IResNetCIFAR):
        return cls.paper_depths
    return tuple(sorted(cls.arch_settings))


def reference_of(cls):
    return inspect.getdoc(cls).split('\n')[0].rstrip('.')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.parse_args(argv)
    rows = []
    print('| type | variant | reference | depth: params (M) |')
    print('|---|---|---|---|')
    for name, cls in registered_backbones():
        classes = 10 if issubclass(cls, IResNetCIFAR) else 1000
        for variant in cls.variants:
            sizes = []
            for depth in depths_of(cls):
                with torch.device('meta'):
                    model = cls(depth=depth, variant=variant)
                params = count_params(model) + \
                    (model.out_channels[-1] + 1) * classes
                sizes.append((depth, params))
                rows.append(dict(type=name, variant=variant, depth=depth,
                                 params=params))
            size_text = ', '.join(f'{d}: {p / 1e6:.2f}' for d, p in sizes)
            print(f'| {name} | {variant} | {reference_of(cls)} | '
                  f'{size_text} |')
    return rows


if __name__ == '__main__':
    main()
