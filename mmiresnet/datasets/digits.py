"""scikit-learn's handwritten digits as an MMPretrain ``CustomDataset``.

``sklearn.datasets.load_digits()`` ships inside scikit-learn (no download):
1,797 real 8x8 greyscale digits (UCI optdigits test set), values 0..16. Each
is scaled to 0..255, upsampled to ``size`` pixels (bicubic) and saved as a
3-channel PNG::

    <out>/train/<class>/<index>.png     class folders '0'..'9'
    <out>/val/<class>/<index>.png
    <out>/train.txt, <out>/val.txt      "<class>/<index>.png <label>" lines
    <out>/meta.json                     config, classes, split sizes

``<index>`` is the sample's 4-digit index in ``load_digits()``. The split is
stratified and seeded: within each class the indices are shuffled with
``numpy.random.default_rng(seed)`` and the first ``round(val_frac * n)`` go
to val (default: 1,438 train / 359 val). Labels 0..9 are the digit values;
the folder names sort lexicographically in numeric order, which is the order
``CustomDataset`` assigns labels in.

CLI: ``tools/data/make_digits.py`` (``main`` below).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from .output import OutputError, write_dataset

#: Class names (= folder names) of the digits set.
DIGITS_CLASSES = tuple(str(i) for i in range(10))
CLASSES = DIGITS_CLASSES
#: Default output folder (relative to the repository root).
DIGITS_DATA_ROOT = 'data/digits'

GENERATOR = 'make_digits'
GENERATOR_VERSION = 1
SOURCE = ('sklearn.datasets.load_digits (UCI optdigits, 8x8, values 0..16 '
          'scaled to 0..255)')


def load_digits():
    """``(images uint8 [N, 8, 8] in 0..255, labels int [N])``."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:  # depends on the environment
        raise ImportError('the digits set needs scikit-learn (pip install '
                          f'scikit-learn): {exc}') from None
    digits = sk_load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).clip(0, 255)
    return images.astype(np.uint8), digits.target.astype(np.int64)


def stratified_split(labels, val_frac, seed):
    """Sorted index arrays ``(train, val)``.

    Args:
        labels (np.ndarray): class index of every sample.
        val_frac (float): share of each class that goes to val.
        seed (int): seed of the per-class shuffle.
    """
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
    """Write both splits under ``root``; return per-split statistics."""
    root = Path(root)
    images, labels = load_digits()
    train_idx, val_idx = stratified_split(labels, cfg['val_frac'], cfg['seed'])
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


def check_options(val_frac, size):
    """Raise ``ValueError`` naming an invalid option."""
    if not 0.0 < val_frac < 1.0:
        raise ValueError(f'--val-frac must be in (0, 1) (got {val_frac!r})')
    if size < 8:
        raise ValueError(f'--size must be >= 8 (got {size!r})')


def make_digits(out=DIGITS_DATA_ROOT,
                force=False,
                val_frac=0.2,
                seed=0,
                size=32):
    """Write the set to ``out`` unless it is already there.

    Args:
        out (str | Path): output folder.
        force (bool): replace a folder generated with another config.
        val_frac (float): share of each class that goes to val.
        seed (int): seed of the split.
        size (int): output side in pixels.

    Returns:
        tuple[bool, dict]: whether it was (re)built, and per-split statistics.

    Raises:
        OutputRefused: ``out`` holds something else and ``force`` is false.
        OutputUnwritable: ``out`` cannot be written (nothing is left).
        ImportError: scikit-learn is not installed.
        ValueError: an invalid option.
    """
    check_options(val_frac, size)
    cfg = dict(
        generator=GENERATOR,
        version=GENERATOR_VERSION,
        seed=seed,
        val_frac=val_frac,
        size=size,
        classes=list(CLASSES),
    )
    return write_dataset(
        out, cfg, force, generate, classes=list(CLASSES), source=SOURCE)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Write scikit-learn load_digits() as an MMPretrain '
        'CustomDataset folder (class-per-folder PNGs).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        '--out', default=DIGITS_DATA_ROOT, help='output folder')
    parser.add_argument(
        '--val-frac',
        type=float,
        default=0.2,
        help='share of each class that goes to val')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='output side in pixels (bicubic from 8x8)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace an existing output folder that was '
        'generated with a different config')
    args = parser.parse_args(argv)
    try:
        check_options(args.val_frac, args.size)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv=None):
    """``tools/data/make_digits.py``; returns the exit status."""
    args = parse_args(argv)
    out = Path(args.out)
    start = time.perf_counter()
    try:
        built, stats = make_digits(out, args.force, args.val_frac, args.seed,
                                   args.size)
    except (OutputError, ImportError) as exc:  # nothing is written
        print(f'error: {exc}', file=sys.stderr)
        return 2
    summary = ', '.join(f'{k} {v["images"]} images' for k, v in stats.items())
    if not built:
        print(f'{out} is up to date (same config): {summary}')
        return 0
    elapsed = time.perf_counter() - start
    print(f'wrote {out} in {elapsed:.1f} s: {summary}; {len(CLASSES)} '
          f'classes, {args.size}x{args.size}x3 PNG')
    for split, s in stats.items():
        print(f'  {split} per class: ' +
              ', '.join(f'{k} {v}' for k, v in s['per_class'].items()))
    return 0
