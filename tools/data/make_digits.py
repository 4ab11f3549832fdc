#!/usr/bin/env python
"""Write scikit-learn's handwritten digits as an MMPretrain CustomDataset.

Usage::

    python tools/data/make_digits.py [--out data/digits] [--val-frac 0.2]
        [--seed 0] [--size 32] [--force]

Same output-folder rules as make_synthetic_det.py: atomic write, "up to
date" (exit 0) when the existing ``meta.json`` config matches, refusal
(exit 2) on a different config unless ``--force``; an unwritable ``--out`` is
one ``error:`` line (exit 2), and an interrupted run leaves nothing. The
generator is :mod:`mmiresnet.datasets.digits`; the data is described in
docs/classification.md.
"""
import sys

from mmiresnet.datasets.digits import main

if __name__ == '__main__':
    sys.exit(main())
