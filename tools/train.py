#!/usr/bin/env python
"""Train a detector: MMDetection's own ``tools/train.py``, with mmiresnet.

Runs the ``train.py`` that the mmdet wheel ships in ``mmdet/.mim/tools``
(the same script ``mim train mmdet`` runs), so the command line is
MMDetection's, unchanged::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch]

No MMDetection source checkout is needed. Before handing over, this wrapper
imports :mod:`mmiresnet` (registers the backbones and heads and lets
mmengine 0.10.7 resume its own checkpoints under torch >= 2.6).

Distributed training without CUDA (``--launcher pytorch`` on a CPU-only
machine, e.g. ``tools/dist_train.sh CONFIG 2``): mmengine 0.10.7 calls
``torch.cuda.set_device`` and mmdet configs ask for NCCL, and mmengine wraps
the model in DDP with ``device_ids=[LOCAL_RANK]``, none of which works
without a GPU. Only in that case the wrapper initialises the process group
with gloo instead of NCCL, without ``set_device``, and adds
``--cfg-options env_cfg.dist_cfg.backend=gloo
model_wrapper_cfg.device_ids=None model_wrapper_cfg.broadcast_buffers=False``
(``broadcast_buffers=False`` is what mmengine uses by default). With CUDA,
or without a launcher, nothing is changed.
"""
import os.path as osp
import runpy
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def import_mmiresnet():
    """Import mmiresnet, from the repository if it is not installed."""
    try:
        import mmiresnet  # noqa: F401
    except ImportError:
        sys.path.insert(0, REPO_ROOT)
        import mmiresnet  # noqa: F401


def mmdet_tool(name):
    """Path of a script shipped in the mmdet wheel (``mmdet/.mim/tools``)."""
    import mmdet
    path = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise SystemExit(
            f'error: {path} does not exist. It is part of the mmdet wheel '
            '(pip install mmdet==3.3.0); an mmdet installed from a source '
            'checkout without its .mim folder does not have it.')
    return path


def launcher_of(argv):
    """The value of ``--launcher`` in ``argv`` ('none' when absent)."""
    for i, arg in enumerate(argv):
        if arg == '--launcher' and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--launcher='):
            return arg.split('=', 1)[1]
    return 'none'


def _init_dist_pytorch_without_cuda(backend, init_backend='torch',
                                    **kwargs):
    """mmengine's ``_init_dist_pytorch`` for machines without CUDA."""
    import torch.distributed as torch_dist
    if init_backend != 'torch':
        raise NotImplementedError(
            f'init_backend={init_backend!r} needs CUDA; only torch '
            'distributed (gloo) works without a GPU')
    if backend == 'nccl':
        backend = 'gloo'
    torch_dist.init_process_group(backend=backend, **kwargs)


def support_cpu_distributed(argv):
    """Make ``--launcher pytorch`` work without CUDA (see module doc).

    Returns ``argv`` with the extra ``--cfg-options`` appended (mmengine's
    ``DictAction`` merges repeated ``--cfg-options``), or unchanged.
    """
    import torch
    if launcher_of(argv) != 'pytorch' or torch.cuda.is_available():
        return argv
    import mmengine.dist.utils as dist_utils
    dist_utils._init_dist_pytorch = _init_dist_pytorch_without_cuda
    return list(argv) + [
        '--cfg-options', 'env_cfg.dist_cfg.backend=gloo',
        'model_wrapper_cfg.device_ids=None',
        'model_wrapper_cfg.broadcast_buffers=False'
    ]


def run_mmdet_tool(name, argv):
    """Run ``mmdet/.mim/tools/<name>`` as ``__main__`` with ``argv``."""
    import_mmiresnet()
    path = mmdet_tool(name)
    sys.argv = [path] + list(argv)
    runpy.run_path(path, run_name='__main__')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    import_mmiresnet()
    argv = support_cpu_distributed(argv)
    run_mmdet_tool('train.py', argv)


if __name__ == '__main__':
    main()
