#!/usr/bin/env python
"""Test a detector: MMDetection's own ``tools/test.py``, with mmiresnet.

Runs the ``test.py`` shipped in the mmdet wheel (``mmdet/.mim/tools``, what
``mim test mmdet`` runs) after importing :mod:`mmiresnet`, with
MMDetection's command line::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULT.pkl]
        [--show-dir DIR] [--cfg-options k=v ...] [--launcher pytorch]

``--launcher pytorch`` without CUDA uses gloo, as ``tools/train.py`` does.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from train import (import_mmiresnet, run_mmdet_tool,  # noqa: E402
                   support_cpu_distributed)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    import_mmiresnet()
    argv = support_cpu_distributed(argv)
    run_mmdet_tool('test.py', argv)


if __name__ == '__main__':
    main()
