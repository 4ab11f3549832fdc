"""Locally generated datasets: class names and generators.

:mod:`.synthetic` (shapes, COCO + VOC layouts) and :mod:`.digits`
(scikit-learn digits as an MMPretrain ``CustomDataset``) need only numpy,
Pillow (and scikit-learn for the digits), not mmdet or mmpretrain.
"""
from .digits import DIGITS_CLASSES, DIGITS_DATA_ROOT
from .synthetic import SYNTHETIC_CLASSES, SYNTHETIC_DATA_ROOT

__all__ = [
    'SYNTHETIC_CLASSES', 'DIGITS_CLASSES', 'SYNTHETIC_DATA_ROOT',
    'DIGITS_DATA_ROOT'
]
