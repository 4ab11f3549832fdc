#!/usr/bin/env python
"""Train a detector or a classifier with the library's own train script.

The config's ``default_scope`` picks MMDetection (``mmdet``) or MMPretrain
(``mmpretrain``); the ``train.py`` shipped in that wheel then runs with
mmiresnet imported, so the options are the library's::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]

Our own option: ``--no-strict-load`` loads a ``load_from`` / ``--resume``
checkpoint whose keys or shapes differ from the model's, as mmengine does
(refused otherwise). Bad data, checkpoints or work dir: one ``error:`` line,
exit status 2 (docs/bad_inputs.md). ``--launcher pytorch`` without CUDA
trains with gloo on CPU processes (``tools/dist_train.sh CONFIG N``). See
:mod:`mmiresnet.utils.launch`.
"""
from mmiresnet.utils.launch import main

if __name__ == '__main__':
    main('train')
