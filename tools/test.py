#!/usr/bin/env python
"""Test a detector or a classifier with the library's own test script.

The config's ``default_scope`` picks MMDetection (``mmdet``) or MMPretrain
(``mmpretrain``); the ``test.py`` shipped in that wheel then runs with
mmiresnet imported, so the options are the library's::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
        [--cfg-options k=v ...] [--launcher pytorch]

Our own option: ``--no-strict-load`` evaluates a ``CHECKPOINT`` whose keys
or shapes differ from the model's, as mmengine does (refused otherwise).
Bad data, checkpoints, ``--out`` or work dir: one ``error:`` line, exit
status 2 (docs/bad_inputs.md). ``--launcher pytorch`` without CUDA uses
gloo (``tools/dist_test.sh``). See :mod:`mmiresnet.utils.launch`.
"""
from mmiresnet.utils.launch import main

if __name__ == '__main__':
    main('test')
