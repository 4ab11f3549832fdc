"""tools/train.py, tools/test.py (mmiresnet.utils.launch) and the launch
scripts tools/{dist,slurm}_{train,test}.sh.

The shell scripts run with a fake ``python`` / ``srun`` that prints its
arguments, so their command lines are checked exactly without a cluster.
Real distributed runs are in test_det_e2e.py and test_cls_training.py.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from mmiresnet.utils import launch

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / 'tools'
DET_CONFIG = 'configs/ssd/ssd192_iresnet18_synthetic.py'
CLS_CONFIG = 'configs/iresnet_cifar/iresnet29_digits.py'


@pytest.mark.parametrize('package', sorted(set(launch.SCOPES.values())))
@pytest.mark.parametrize('name', ['train.py', 'test.py'])
def test_wheels_ship_the_scripts(package, name):
    pytest.importorskip(package)
    path = Path(launch.wheel_script(package, name))
    assert path.is_file()
    assert path.parts[-4:] == (package, '.mim', 'tools', name)


def write_config(tmp_path, text):
    path = tmp_path / 'cfg.py'
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('task', ['train', 'test'])
@pytest.mark.parametrize('make_argv, message', [
    (lambda tmp: [write_config(tmp, "default_scope = 'mmseg'\n")],
     "has default_scope='mmseg'; allowed: 'mmdet', 'mmpretrain'"),
    (lambda tmp: [write_config(tmp, 'model = dict()\n')],
     "has default_scope=None; allowed: 'mmdet', 'mmpretrain'"),
    (lambda tmp: [str(tmp / 'missing.py')], 'missing.py does not exist'),
    (lambda tmp: [write_config(tmp, 'model = dict(\n')], 'cannot read config'),
    (lambda tmp: ['--work-dir', 'x'], 'the first argument must be the '
     "config file, got '--work-dir'"),
    (lambda tmp: [], 'the config file is missing'),
])
def test_user_errors_are_one_line(task, make_argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        launch.main(task, make_argv(tmp_path))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith('error: '), err
    assert message in err


def test_tool_prints_error_without_traceback(tmp_path):
    config = write_config(tmp_path, "default_scope = 'mmseg'\n")
    proc = subprocess.run(
        [sys.executable, str(TOOLS / 'train.py'), config],
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 2
    assert proc.stderr == (f'error: config {config} has '
                           "default_scope='mmseg'; allowed: 'mmdet', "
                           "'mmpretrain'\n")


def test_help_without_config(capsys):
    launch.main('train', ['--help'])
    out = capsys.readouterr().out
    assert out.startswith('usage: tools/train.py CONFIG')
    assert 'mmdet / mmpretrain' in out


def test_cpu_distributed_options(monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    argv = ['cfg.py', '--launcher', 'none']
    assert launch.support_cpu_distributed(argv) == argv
    argv = ['cfg.py', '--launcher', 'pytorch']
    assert launch.support_cpu_distributed(argv) == argv + [
        '--cfg-options', 'env_cfg.dist_cfg.backend=gloo',
        'model_wrapper_cfg.device_ids=None',
        'model_wrapper_cfg.broadcast_buffers=False'
    ]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert launch.support_cpu_distributed(argv) == argv


def test_start_gloo_before_the_runner(monkeypatch):
    """The launcher starts the gloo process group itself; mmengine's
    ``Runner.setup_env`` then sees one running and does not call its
    ``init_dist`` (which needs CUDA)."""
    import socket

    import torch.distributed as dist
    from mmengine.dist import is_distributed
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    assert not dist.is_initialized()
    try:
        launch.start_gloo(
            Config(
                dict(env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60)))))
        assert is_distributed() and dist.get_backend() == 'gloo'
        launch.start_gloo(Config())  # already running: nothing to do
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_start_gloo_needs_torchrun_environment(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(
            launch.UsageError,
            match='--launcher pytorch needs '
            'RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'):
        launch.start_gloo(Config())


def test_no_strict_load_option():
    cfg = Config(
        dict(
            default_hooks=dict(checkpoint_fit=dict(type='CheckpointFitHook'))))
    argv = ['cfg.py', 'ckpt.pth', '--no-strict-load', '--out', 'r.pkl']
    assert launch.lenient_load_options(cfg, argv) == [
        'cfg.py', 'ckpt.pth', '--out', 'r.pkl', '--cfg-options',
        'default_hooks.checkpoint_fit.strict=False'
    ]
    # without the hook mmengine loads leniently anyway: nothing to add
    assert launch.lenient_load_options(
        Config(), argv) == ['cfg.py', 'ckpt.pth', '--out', 'r.pkl']
    assert launch.lenient_load_options(cfg, argv[:2]) == argv[:2]


def _replaced_library_attributes():
    """``(file, target)`` of every assignment in the package to an
    attribute of a name imported from mmengine / mmdet / mmpretrain /
    mmcv / torch (``Runner.__init__ = ...``, ``setattr(dist_utils, ...)``).
    """
    import ast
    libs = ('mmengine', 'mmdet', 'mmpretrain', 'mmcv', 'torch')
    found = set()
    for path in sorted((ROOT / 'mmiresnet').rglob('*.py')):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.split('.')[0] in libs:
                names |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                names |= {
                    a.asname or a.name.split('.')[0]
                    for a in node.names if a.name.split('.')[0] in libs
                }
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Call) and \
                    getattr(node.func, 'id', None) == 'setattr':
                targets = [ast.Attribute(value=node.args[0], attr='?')]
            for target in targets:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(target, ast.Attribute) and \
                        isinstance(base, ast.Name) and base.id in names:
                    found.add(
                        (str(path.relative_to(ROOT)), ast.unparse(target)))
    return found


def test_no_library_function_replaced_at_run_time():
    """Nothing in the package replaces a function or method of mmengine,
    mmdet or mmpretrain, except what docs/bad_inputs.md names (with the
    reason no extension point serves)."""
    found = _replaced_library_attributes()
    assert not any(
        f.startswith(('mmiresnet/utils/', 'mmiresnet/checks/'))
        for f, _ in found), found
    docs = (ROOT / 'docs' / 'bad_inputs.md').read_text()
    section = docs.split('## Run-time replacements', 1)[1]
    for path, target in found:
        assert f'`{target}`' in section and f'`{path}`' in section, (path,
                                                                     target)


def test_worker_options():
    cfg = Config.fromfile(str(ROOT / CLS_CONFIG))
    assert cfg.train_dataloader.num_workers == 1
    assert launch.worker_options(cfg, [CLS_CONFIG]) == []
    argv = [
        CLS_CONFIG, '--cfg-options', 'train_dataloader.num_workers=0', '--amp',
        '--cfg-options', 'test_dataloader.num_workers=0'
    ]
    assert launch.worker_options(cfg, argv) == [
        '--cfg-options', 'train_dataloader.persistent_workers=False',
        'test_dataloader.persistent_workers=False'
    ]
    assert cfg.train_dataloader.num_workers == 1  # not changed in place


class Captured(Exception):
    """Raised instead of building the Runner."""


def capture_runner_cfg(monkeypatch, task, argv):
    """The config that the library's script hands to ``Runner.from_cfg``,
    and that script's path."""
    from mmengine.runner import Runner
    seen = {}

    def from_cfg(cfg):
        seen.update(cfg=cfg, script=sys.argv[0])
        raise Captured

    monkeypatch.setattr(Runner, 'from_cfg', from_cfg)
    # the checks of the data and files are tested in test_bad_inputs.py
    monkeypatch.setattr(launch, 'check_run', lambda *args: None)
    with pytest.raises(Captured):
        launch.run(task, argv)
    return seen['cfg'], seen['script']


def test_detection_config_runs_mmdet_script(monkeypatch, tmp_path):
    pytest.importorskip('mmdet')
    import mmengine.dist.utils as dist_utils
    from mmengine.runner import Runner
    before = (Runner.__init__, dist_utils._init_dist_pytorch)
    argv_before = list(sys.argv)
    cfg, script = capture_runner_cfg(
        monkeypatch, 'train',
        [DET_CONFIG, '--work-dir',
         str(tmp_path), '--amp'])
    assert Path(script).parts[-4:] == ('mmdet', '.mim', 'tools', 'train.py')
    assert sys.argv == argv_before  # restored
    assert cfg.work_dir == str(tmp_path)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.model.backbone.type == 'IResNet'
    cfg, script = capture_runner_cfg(
        monkeypatch, 'test',
        [DET_CONFIG, 'ckpt.pth', '--work-dir',
         str(tmp_path)])
    assert Path(script).parts[-4:] == ('mmdet', '.mim', 'tools', 'test.py')
    assert cfg.load_from == 'ckpt.pth'
    # the launcher replaced nothing of mmengine on the way
    assert (Runner.__init__, dist_utils._init_dist_pytorch) == before


# -- shell scripts ------------------------------------------------------
def fake_program(folder, name):
    """An executable that prints its arguments, one per line."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    path.chmod(0o755)
    return path


def run_script(script, args, env, cwd=ROOT):
    proc = subprocess.run(['bash', str(TOOLS / script), *args],
                          cwd=cwd,
                          env=dict(os.environ, **env),
                          capture_output=True,
                          text=True,
                          timeout=60)
    return proc


TORCHRUN = [
    '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
    '--master_addr=10.1.2.3', '--nproc_per_node=4', '--master_port=29555'
]


def test_dist_train_command(tmp_path):
    python = fake_program(tmp_path / 'bin', 'python')
    env = dict(
        PYTHON=str(python),
        NNODES='2',
        NODE_RANK='1',
        MASTER_ADDR='10.1.2.3',
        PORT='29555')
    proc = run_script('dist_train.sh',
                      [CLS_CONFIG, '4', '--amp', '--cfg-options', 'a=1 2'],
                      env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == TORCHRUN + [
        str(TOOLS / 'train.py'), CLS_CONFIG, '--launcher', 'pytorch', '--amp',
        '--cfg-options', 'a=1 2'
    ]


def test_dist_test_command(tmp_path):
    python = fake_program(tmp_path / 'bin', 'python')
    env = dict(
        PYTHON=str(python),
        NNODES='2',
        NODE_RANK='1',
        MASTER_ADDR='10.1.2.3',
        PORT='29555')
    proc = run_script('dist_test.sh',
                      [DET_CONFIG, 'w/epoch_1.pth', '4', '--out', 'r.pkl'],
                      env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == TORCHRUN + [
        str(TOOLS / 'test.py'), DET_CONFIG, 'w/epoch_1.pth', '--launcher',
        'pytorch', '--out', 'r.pkl'
    ]


def test_dist_defaults(tmp_path):
    python = fake_program(tmp_path / 'bin', 'python')
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('NNODES', 'NODE_RANK', 'MASTER_ADDR', 'PORT')
    }
    proc = subprocess.run(
        ['bash', str(TOOLS / 'dist_train.sh'), CLS_CONFIG, '2'],
        cwd=ROOT,
        env=dict(env, PYTHON=str(python)),
        capture_output=True,
        text=True,
        timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:7] == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
        '--master_addr=127.0.0.1', '--nproc_per_node=2', '--master_port=29500'
    ]


SRUN = [
    '-p', 'gpu', '--job-name=ires', '--gres=gpu:8', '--ntasks=16',
    '--ntasks-per-node=8', '--cpus-per-task=4', '--kill-on-bad-exit=1',
    '--quotatype=auto', '--time=60'
]


def slurm_env(tmp_path):
    fake_program(tmp_path / 'bin', 'srun')
    return dict(
        PATH=f'{tmp_path / "bin"}:{os.environ["PATH"]}',
        GPUS='16',
        GPUS_PER_NODE='8',
        CPUS_PER_TASK='4',
        SRUN_ARGS='--quotatype=auto --time=60',
        PYTHON='python3')


def test_slurm_train_command(tmp_path):
    proc = run_script('slurm_train.sh', [
        'gpu', 'ires', CLS_CONFIG, 'work_dirs/ires', '--amp', '--cfg-options',
        'a=1 2'
    ], slurm_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == SRUN + [
        'python3', '-u',
        str(TOOLS / 'train.py'), CLS_CONFIG, '--work-dir=work_dirs/ires',
        '--launcher=slurm', '--amp', '--cfg-options', 'a=1 2'
    ]


def test_slurm_test_command(tmp_path):
    proc = run_script(
        'slurm_test.sh',
        ['gpu', 'ires', DET_CONFIG, 'w/epoch_1.pth', '--out', 'r.pkl'],
        slurm_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == SRUN + [
        'python3', '-u',
        str(TOOLS / 'test.py'), DET_CONFIG, 'w/epoch_1.pth',
        '--launcher=slurm', '--out', 'r.pkl'
    ]


@pytest.mark.parametrize('script, args', [
    ('dist_train.sh', [CLS_CONFIG]),
    ('dist_test.sh', [CLS_CONFIG, 'ckpt.pth']),
    ('slurm_train.sh', ['gpu', 'job', CLS_CONFIG]),
    ('slurm_test.sh', ['gpu', 'job', CLS_CONFIG]),
])
def test_scripts_refuse_missing_arguments(script, args, tmp_path):
    env = slurm_env(tmp_path)
    env['PYTHON'] = str(fake_program(tmp_path / 'bin', 'python'))
    proc = run_script(script, args, env)
    assert proc.returncode == 2
    assert proc.stdout == ''
    assert proc.stderr.startswith('usage: ')


def test_checks_do_not_import_the_launcher():
    """The launcher imports the checks, never the reverse (no cycle)."""
    import ast
    for path in sorted((ROOT / 'mmiresnet' / 'checks').rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [f'{node.module}.{a.name}' for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any('launch' in n or n.startswith('utils')
                           for n in names), (path, names)
    source = (ROOT / 'mmiresnet' / 'utils' / 'launch.py').read_text()
    assert 'from ..checks' in source
