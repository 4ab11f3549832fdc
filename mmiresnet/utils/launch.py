"""Run MMDetection's or MMPretrain's own train/test script on a config.

``tools/train.py`` and ``tools/test.py`` call :func:`main`. The config's
``default_scope`` picks the library (``mmdet`` or ``mmpretrain``); the
``train.py`` / ``test.py`` that its wheel ships in ``<package>/.mim/tools``
(the scripts ``mim train`` / ``mim test`` run) then runs as ``__main__``
with the same arguments, after ``import mmiresnet``. So the command line is
the library's own and no source checkout of it is needed. The launcher only
launches: the checks live in :mod:`mmiresnet.checks`, and nothing of
mmengine, mmdet or mmpretrain is replaced.

Additions:

* Before the script runs, :func:`mmiresnet.checks.run.check_run` checks
  the data, checkpoints, ``--out`` and the work dir. Its errors, and those
  of the checked datasets and ``CheckpointFitHook`` while the script runs
  (:class:`mmiresnet.checks.PreflightError`), are printed as one
  ``error: ...`` line with exit status 2.
* ``--no-strict-load``: loads a checkpoint that does not fit the model as
  mmengine does (``default_hooks.checkpoint_fit.strict=False``).
* ``--launcher pytorch`` without CUDA (e.g. ``tools/dist_train.sh CONFIG 2``
  on a CPU): mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
  and the configs ask for NCCL, none of which works without a GPU. The
  launcher starts the gloo process group itself (mmengine's
  ``Runner.setup_env`` only starts one when none is running) and adds
  ``--cfg-options env_cfg.dist_cfg.backend=gloo
  model_wrapper_cfg.device_ids=None
  model_wrapper_cfg.broadcast_buffers=False`` (DDP on CPU modules).
* A dataloader with ``num_workers=0`` gets ``persistent_workers=False``
  (torch's ``DataLoader`` refuses persistent workers without workers, and
  MMPretrain's scripts switch them on by default).
"""
import os
import os.path as osp
import runpy
import sys

from ..checks.data import PreflightError
from ..checks.run import cfg_options_of, check_run

#: ``default_scope`` -> the package whose wheel ships the scripts.
SCOPES = {'mmdet': 'mmdet', 'mmpretrain': 'mmpretrain'}
TASKS = {
    'train': 'CONFIG [options]',
    'test': 'CONFIG CHECKPOINT [options]',
}
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
GLOO_OPTIONS = ('env_cfg.dist_cfg.backend=gloo',
                'model_wrapper_cfg.device_ids=None',
                'model_wrapper_cfg.broadcast_buffers=False')
#: Our option: load a checkpoint that does not fit as mmengine does.
STRICT_FLAG = '--no-strict-load'


class UsageError(Exception):
    """A user error: printed as one ``error: ...`` line, exit status 2."""


def wheel_script(package, name):
    """Path of ``<package>/.mim/tools/<name>`` in the installed wheel.

    Args:
        package (str): 'mmdet' or 'mmpretrain'.
        name (str): script file name, e.g. 'train.py'.
    """
    import importlib
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise UsageError(f'{package} is not installed ({exc}); the config '
                         f'needs it (pip install {package})') from exc
    path = osp.join(osp.dirname(module.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise UsageError(
            f'{path} does not exist; it is part of the {package} wheel '
            f'(pip install {package}), an install from a source checkout '
            'without its .mim folder lacks it')
    return path


def config_scope(config):
    """The ``default_scope`` of a config file, checked against SCOPES.

    Args:
        config (str): path of the config file.
    """
    if not osp.isfile(config):
        raise UsageError(f'config file {config} does not exist')
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(config)
    except (SyntaxError, OSError) as exc:  # bad syntax, missing bases
        raise UsageError(f'cannot read config {config}: '
                         f'{type(exc).__name__}: {exc}') from exc
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise UsageError(
            f'config {config} has default_scope={scope!r}; allowed: '
            f'{", ".join(repr(s) for s in SCOPES)}')
    return scope, cfg


def launcher_of(argv):
    """The value of ``--launcher`` in ``argv`` ('none' when absent)."""
    for i, arg in enumerate(argv):
        if arg == '--launcher' and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--launcher='):
            return arg.split('=', 1)[1]
    return 'none'


def has_option(argv, name):
    """Whether ``argv`` holds option ``name`` (``--x v`` or ``--x=v``)."""
    return any(a == name or a.startswith(name + '=') for a in argv)


def cpu_distributed(argv):
    """Whether ``argv`` asks for ``--launcher pytorch`` without CUDA."""
    import torch
    return launcher_of(argv) == 'pytorch' and not torch.cuda.is_available()


def support_cpu_distributed(argv):
    """``argv`` plus the gloo options when ``--launcher pytorch`` runs
    without CUDA (mmengine's ``DictAction`` merges repeated
    ``--cfg-options``); otherwise ``argv`` unchanged."""
    if not cpu_distributed(argv):
        return list(argv)
    return list(argv) + ['--cfg-options', *GLOO_OPTIONS]


def start_gloo(cfg):
    """Start the gloo process group from torchrun's environment (``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), with the config's
    ``env_cfg.dist_cfg.timeout`` (seconds) if set; nothing if one runs."""
    import datetime

    import torch.distributed as torch_dist
    if torch_dist.is_initialized():
        return
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise UsageError(f'--launcher pytorch needs {", ".join(missing)} in '
                         'the environment; start it with torchrun or '
                         'tools/dist_train.sh / tools/dist_test.sh')
    kwargs = {}
    timeout = ((cfg.get('env_cfg') or {}).get('dist_cfg') or {}).get('timeout')
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(backend='gloo', **kwargs)


def lenient_load_options(cfg, argv):
    """``argv`` without ``--no-strict-load``, and the ``--cfg-options``
    that switch ``CheckpointFitHook`` off when it was given (the config has
    the hook as ``default_hooks.checkpoint_fit``; without it mmengine loads
    leniently anyway)."""
    argv = list(argv)
    if STRICT_FLAG not in argv:
        return argv
    argv = [a for a in argv if a != STRICT_FLAG]
    hooks = cfg.get('default_hooks') or {}
    if isinstance(hooks.get('checkpoint_fit'), dict):
        argv += ['--cfg-options', 'default_hooks.checkpoint_fit.strict=False']
    return argv


def worker_options(cfg, argv):
    """``--cfg-options`` that switch ``persistent_workers`` off for every
    dataloader left with ``num_workers=0`` (after the user's options)."""
    cfg = cfg.copy()
    try:
        cfg.merge_from_dict(cfg_options_of(argv))
    except Exception:  # noqa: BLE001  the library's script reports it
        return []
    opts = []
    for name in LOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict) and not loader.get('num_workers', 0):
            opts.append(f'{name}.persistent_workers=False')
    return ['--cfg-options', *opts] if opts else []


def usage(task):
    return (f'usage: tools/{task}.py {TASKS[task]}\n\n'
            f"Runs the {task}.py that MMDetection's or MMPretrain's wheel "
            "ships, chosen by the config's default_scope "
            f'({" / ".join(SCOPES)}), with mmiresnet imported. '
            f'"tools/{task}.py CONFIG --help" lists that script\'s options.'
            f'\n\nOption of ours: {STRICT_FLAG} loads a checkpoint whose '
            "keys or shapes differ from the model's (as mmengine does) "
            'instead of refusing it.')


def run(task, argv):
    """Run the library's ``<task>.py`` for ``argv`` (raises UsageError)."""
    if task not in TASKS:
        raise UsageError(f'unknown task {task!r}; allowed: '
                         f'{", ".join(TASKS)}')
    argv = list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(usage(task))
        if not argv:
            raise UsageError(f'the config file is missing ({TASKS[task]})')
        return
    if argv[0].startswith('-'):
        raise UsageError(f'the first argument must be the config file, got '
                         f'{argv[0]!r} ({TASKS[task]})')
    import mmiresnet  # noqa: F401  (registries, checkpoint compatibility)
    scope, cfg = config_scope(argv[0])
    if task == 'test' and scope == 'mmpretrain' and \
            has_option(argv, '--out-item') and not has_option(argv, '--out'):
        raise UsageError('--out-item needs --out FILE')
    script = wheel_script(SCOPES[scope], f'{task}.py')
    if not any(a in ('-h', '--help') for a in argv):
        argv = lenient_load_options(cfg, argv)
        try:
            check_run(task, cfg, argv)
        except PreflightError as exc:
            raise UsageError(str(exc)) from None
        if cpu_distributed(argv):
            start_gloo(cfg)
        argv = support_cpu_distributed(argv)
        argv += worker_options(cfg, argv)
    saved, sys.argv = sys.argv, [script] + argv
    try:
        runpy.run_path(script, run_name='__main__')
    except PreflightError as exc:  # checked datasets, CheckpointFitHook
        raise UsageError(str(exc)) from None
    finally:
        sys.argv = saved


def main(task, argv=None):
    """Entry point of ``tools/<task>.py``; user errors exit with status 2."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        run(task, argv)
    except UsageError as exc:
        print(f'error: {exc}', file=sys.stderr)
        sys.exit(2)
