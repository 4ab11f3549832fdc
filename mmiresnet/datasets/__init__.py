"""Dataset helpers: class names of the locally generated datasets.

Deliberately dependency-free; see :mod:`mmiresnet.datasets.synthetic`.
"""
from .synthetic import (DIGITS_CLASSES, DIGITS_DATA_ROOT, SYNTHETIC_CLASSES,
                        SYNTHETIC_DATA_ROOT)

__all__ = [
    'SYNTHETIC_CLASSES', 'DIGITS_CLASSES', 'SYNTHETIC_DATA_ROOT',
    'DIGITS_DATA_ROOT'
]
