#!/usr/bin/env python
"""Generate the synthetic shapes detection set (COCO and VOC layouts).

Usage::

    python tools/data/make_synthetic_det.py                # data/synthetic
    python tools/data/make_synthetic_det.py --num-train 400 --num-val 80 \\
        --size 192 --seed 0 --out data/synthetic [--force]

An existing folder made with the same options is left alone ("up to date");
one made with other options is refused (exit 2) unless ``--force``. The set
is written into a temporary sibling folder renamed into place at the end, so
an interrupted run (error, Ctrl-C) leaves nothing half-written and a previous
folder unchanged; an unwritable ``--out`` is one ``error:`` line (exit 2). The
generator is :mod:`mmiresnet.datasets.synthetic`; the data is described in
docs/detection.md ("The synthetic shapes set").
"""
import sys

from mmiresnet.datasets.synthetic import main

if __name__ == '__main__':
    sys.exit(main())
