"""Class names of the locally generated datasets (no dependencies).

``tools/data/make_synthetic_det.py`` and ``tools/data/make_digits.py`` read
these constants (by file path, so that the tools do not import the
``mmiresnet`` package and its torch/mmengine dependencies); configs use them
as ``metainfo=dict(classes=SYNTHETIC_CLASSES)``. Each generated dataset also
records its class names in its ``meta.json``.

This module must stay importable without torch, mmengine, mmdet or mmpretrain.
"""

#: Classes of the synthetic shapes detection set, in category-id order
#: (COCO ``category_id`` = index + 1; VOC ``<name>`` = the string itself).
SYNTHETIC_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring')

#: Classes of the scikit-learn digits classification set. The folder names
#: are the same strings; they sort lexicographically in numeric order, which
#: is the order mmpretrain's ``CustomDataset`` assigns labels in.
DIGITS_CLASSES = tuple(str(i) for i in range(10))

# Default output folders of the two tools (relative to the repository root).
SYNTHETIC_DATA_ROOT = 'data/synthetic'
DIGITS_DATA_ROOT = 'data/digits'

__all__ = [
    'SYNTHETIC_CLASSES', 'DIGITS_CLASSES', 'SYNTHETIC_DATA_ROOT',
    'DIGITS_DATA_ROOT'
]
