#!/usr/bin/env python
"""Write scikit-learn's handwritten digits as an MMPretrain CustomDataset.

``sklearn.datasets.load_digits()`` ships inside scikit-learn (no download):
1,797 real 8x8 greyscale digits (UCI optdigits test set), values 0..16. Each
is scaled to 0..255, upsampled to ``--size`` (default 32) with bicubic
interpolation and saved as a 3-channel PNG::

    <out>/train/<class>/<index>.png     class folders '0'..'9'
    <out>/val/<class>/<index>.png
    <out>/train.txt, <out>/val.txt      "<class>/<index>.png <label>" lines
    <out>/meta.json                     config, classes, split sizes

``<index>`` is the sample's 4-digit index in ``load_digits()``. The split is
stratified and seeded: within each class the indices are shuffled with
``numpy.random.default_rng(seed)`` and the first ``round(val_frac * n)`` go
to val. Default: 1,438 train / 359 val.

Use either form in a config (labels 0..9 = digit value, as the folder names
sort lexicographically in numeric order)::

    dict(type='CustomDataset', data_root='data/digits', data_prefix='train',
         with_label=True)
    dict(type='CustomDataset', data_root='data/digits', data_prefix='train',
         ann_file='train.txt', metainfo=dict(classes=DIGITS_CLASSES))

Same output-folder rules as make_synthetic_det.py: atomic write, "up to
date" (exit 0) when the existing ``meta.json`` config matches, refusal
(exit 2) on a different config unless ``--force``.

Usage::

    python tools/data/make_digits.py [--out data/digits] [--val-frac 0.2]
        [--seed 0] [--size 32] [--force]
"""
import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

GENERATOR = 'make_digits'
GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent


def _load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Output-folder helpers and the class-name constants live with the shapes
# generator; load it by path so this works as a script and when imported.
_det = _load_by_path('_make_synthetic_det', HERE / 'make_synthetic_det.py')
CLASSES = tuple(_det.load_constants().DIGITS_CLASSES)


def load_digits():
    """``(images uint8 [N, 8, 8] in 0..255, labels int [N])``."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise SystemExit('make_digits.py needs scikit-learn '
                         '(pip install scikit-learn)') from exc
    digits = sk_load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).clip(0, 255)
    return images.astype(np.uint8), digits.target.astype(np.int64)


def stratified_split(labels, val_frac, seed):
    """Sorted index arrays ``(train, val)``; per class ``round(frac*n)``
    samples go to val."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for cls in range(len(CLASSES)):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(idx.size)]
        n_val = int(round(val_frac * idx.size))
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def generate(root, cfg):
    root = Path(root)
    images, labels = load_digits()
    train_idx, val_idx = stratified_split(labels, cfg['val_frac'],
                                          cfg['seed'])
    stats = {}
    for split, indices in (('train', train_idx), ('val', val_idx)):
        for name in CLASSES:
            (root / split / name).mkdir(parents=True, exist_ok=True)
        lines = []
        per_class = {name: 0 for name in CLASSES}
        for i in indices:
            name = CLASSES[labels[i]]
            img = Image.fromarray(images[i]).resize(
                (cfg['size'], cfg['size']), Image.BICUBIC).convert('RGB')
            rel = f'{name}/{i:04d}.png'
            img.save(root / split / rel, format='PNG')
            lines.append(f'{rel} {int(labels[i])}\n')
            per_class[name] += 1
        (root / f'{split}.txt').write_text(''.join(lines))
        stats[split] = dict(images=int(len(indices)), per_class=per_class)
    return stats


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Write scikit-learn load_digits() as an MMPretrain '
        'CustomDataset folder (class-per-folder PNGs).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--out', default='data/digits', help='output folder')
    parser.add_argument('--val-frac', type=float, default=0.2,
                        help='share of each class that goes to val')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=32,
                        help='output side in pixels (bicubic from 8x8)')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing output folder that was '
                        'generated with a different config')
    args = parser.parse_args(argv)
    if not 0.0 < args.val_frac < 1.0:
        parser.error('--val-frac must be in (0, 1)')
    if args.size < 8:
        parser.error('--size must be >= 8')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = dict(
        generator=GENERATOR,
        version=GENERATOR_VERSION,
        seed=args.seed,
        val_frac=args.val_frac,
        size=args.size,
        classes=list(CLASSES),
    )
    out = Path(args.out)
    try:
        action = _det.check_output(out, cfg, args.force)
    except _det.OutputRefused as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if action == 'up-to-date':
        meta = _det.read_meta(out) or {}
        stats = meta.get('stats', {})
        print(f'{out} is up to date (same config): ' + ', '.join(
            f'{k} {v["images"]} images' for k, v in stats.items()))
        return 0
    start = time.perf_counter()
    with _det.atomic_output(out) as tmp:
        stats = generate(tmp, cfg)
        _det.write_meta(
            tmp, cfg, stats, classes=list(CLASSES),
            source='sklearn.datasets.load_digits (UCI optdigits, 8x8, '
            'values 0..16 scaled to 0..255)')
    elapsed = time.perf_counter() - start
    print(f'wrote {out} in {elapsed:.1f} s: ' + ', '.join(
        f'{k} {v["images"]} images' for k, v in stats.items()) +
          f'; {len(CLASSES)} classes, {args.size}x{args.size}x3 PNG')
    for split, s in stats.items():
        print(f'  {split} per class: ' + ', '.join(
            f'{k} {v}' for k, v in s['per_class'].items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
