"""Every data row of docs/bad_inputs.md on every path users run: our
``tools/train.py`` (one ``error:`` line, status 2, nothing written),
the libraries' own ``train.py`` that ``mim train mmdet`` / ``mim train
mmpretrain`` run (the message is the last line of the traceback; one
process for all rows), the mission's ``mim train mmdet`` command itself
and a user's ``Runner.from_cfg(cfg).train()``. The data sit where the
configs expect them (``data/...`` under the folder the command runs
from), as a user would have them; no weights are fetched and no
checkpoint is written."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bad_data import ROWS, config, make_coco, row_coco_classes_none

from mmiresnet.checks import PreflightError
from mmiresnet.utils import launch

MIM = Path(sys.executable).parent / 'mim'
#: An unreachable weights mirror: a fetch would fail loudly, not hang.
NO_MIRROR = 'http://127.0.0.1:9/'


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    """The folder a user runs from, with no weights cache (TORCH_HOME)
    and an unreachable weights mirror."""
    cwd = tmp_path / 'project'
    cwd.mkdir()
    torch_home = tmp_path / 'torch_home'
    torch_home.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(torch_home))
    monkeypatch.setenv('MMIRESNET_WEIGHTS_MIRROR', NO_MIRROR)
    return cwd, torch_home


def assert_nothing_fetched_or_saved(cwd, torch_home):
    assert list(torch_home.rglob('*')) == []
    assert list(cwd.rglob('*.pth')) == []


@pytest.mark.parametrize('row', sorted(ROWS))
def test_row_through_our_tools(row, user_dir, monkeypatch, capsys):
    """``python tools/train.py CONFIG``: one error line, status 2, before
    the Runner starts (no work dir)."""
    cwd, torch_home = user_dir
    name, _, build, options = ROWS[row]
    message = build(cwd)
    monkeypatch.chdir(cwd)
    argv = [config(name), '--work-dir', 'work']
    if options:
        argv += ['--cfg-options', *options]
    with pytest.raises(SystemExit) as exc:
        launch.main('train', argv)
    assert exc.value.code == 2
    assert capsys.readouterr().err == f'error: {message}\n'
    assert not (cwd / 'work').exists()
    assert_nothing_fetched_or_saved(cwd, torch_home)


#: Runs the libraries' own train.py (the script ``mim train`` runs) once
#: per row, each in its own folder, in one process: a fresh interpreter per
#: row would cost a full import of torch, mmdet and mmpretrain each time.
DRIVER = """
import os, runpy, sys, traceback
for row, cwd, script, args in ROWS:
    os.chdir(cwd)
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name='__main__')
        print(f'ROW {row}: no error')
    except BaseException as exc:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        print(f'ROW {row}: {last}')
    sys.stdout.flush()
"""


def library_script(library):
    import importlib
    module = importlib.import_module(library)
    return str(Path(module.__file__).parent / '.mim' / 'tools' / 'train.py')


def test_rows_through_library_scripts(tmp_path):
    """Every row through MMDetection's / MMPretrain's own ``train.py`` (as
    ``mim train`` runs it), with the files where the configs expect them and
    no option given: the checked dataset stops the run when it loads
    (before weights are initialised); the traceback's last line is the
    message."""
    torch_home = tmp_path / 'torch_home'
    torch_home.mkdir()
    rows, expected = [], {}
    for row in sorted(ROWS):
        name, library, build, options = ROWS[row]
        cwd = tmp_path / row
        cwd.mkdir()
        expected[row] = build(cwd)
        args = [config(name)
                ] + (['--cfg-options', *options] if options else [])
        rows.append((row, str(cwd), library_script(library), args))
    driver = tmp_path / 'driver.py'
    driver.write_text(f'ROWS = {rows!r}\n{DRIVER}')
    proc = subprocess.run([sys.executable, str(driver)],
                          capture_output=True,
                          text=True,
                          timeout=900,
                          env=dict(
                              os.environ,
                              OMP_NUM_THREADS='1',
                              TORCH_HOME=str(torch_home),
                              MMIRESNET_WEIGHTS_MIRROR=NO_MIRROR,
                              PYTHONWARNINGS='ignore::UserWarning'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = dict(line[4:].split(': ', 1) for line in proc.stdout.splitlines()
                if line.startswith('ROW '))
    for row, message in expected.items():
        assert seen.get(row) == \
            f'mmiresnet.checks.data.PreflightError: {message}', row
        assert list((tmp_path / row).rglob('*.pth')) == [], row
    assert 'fetching the official weights' not in proc.stdout + proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
    assert list(torch_home.rglob('*')) == []


@pytest.mark.skipif(not MIM.exists(), reason='openmim is not installed')
def test_mission_command_through_mim(user_dir):
    """The mission's own command, ``mim train mmdet
    configs/ssd300_iresnet50_coco.py``, run from a folder whose
    ``data/coco`` has categories that match none of COCO's: it stops
    before training with the traceback's last line naming the categories
    found and expected; no weights are fetched, no checkpoint written."""
    cwd, torch_home = user_dir
    message = row_coco_classes_none(cwd)
    proc = subprocess.run(
        [str(MIM), 'train', 'mmdet',
         config('ssd300_iresnet50_coco')],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(
            os.environ,
            OMP_NUM_THREADS='1',
            PYTHONWARNINGS='ignore::UserWarning'))
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    last = f'mmiresnet.checks.data.PreflightError: {message}'
    assert last in lines, proc.stderr[-3000:]
    # the traceback's last line (mim adds its own summary after it)
    assert lines[lines.index(last) - 1].startswith(' '), proc.stderr[-3000:]
    assert "found ['circle', 'square'], expected ['person'" in last
    assert 'fetching the official weights' not in proc.stdout + proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
    assert_nothing_fetched_or_saved(cwd, torch_home)


def test_runner_from_cfg_mismatched_categories(user_dir, monkeypatch):
    """A user's script, ``Runner.from_cfg(cfg).train()`` on the mission's
    config with COCO categories that match none of COCO's: the checked
    dataset raises before weights are initialised or a checkpoint is
    written."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cwd, torch_home = user_dir
    message = row_coco_classes_none(cwd)
    monkeypatch.chdir(cwd)
    cfg = Config.fromfile(config('ssd300_iresnet50_coco'))
    cfg.work_dir = 'work'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(PreflightError) as info:
        runner.train()
    assert str(info.value) == message
    assert "found ['circle', 'square'], expected ['person'" in message
    assert_nothing_fetched_or_saved(cwd, torch_home)


def test_checked_types_in_every_base():
    """Every dataset of every config is a checked type."""
    from mmengine.config import Config

    from mmiresnet.checks.run import _leaf_datasets
    names = [
        'ssd300_iresnet50_coco', 'ssd300_iresnet50_voc0712',
        'faster-rcnn_resnet50_fpn_10e_voc07',
        'faster-rcnn_resnet50_fpn_1x_coco',
        'faster-rcnn_resnet50_fpn_1x_voc0712',
        'faster-rcnn_resnet50_fpn_5e_coco', 'iresnet29_digits',
        'iresnet164_1xb64_cifar10', 'iresnet164_1xb64_cifar100',
        'iresnet50_8xb32_in1k'
    ]
    for name in names:
        cfg = Config.fromfile(config(name))
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            for ds in _leaf_datasets(cfg[loader]['dataset']):
                assert ds['type'].startswith('Checked'), (name, loader, ds)


def test_dataset_check_runs_once_per_process(tmp_path, monkeypatch):
    """Under our tools the config-level check and the dataset's own check
    see the same inputs: the set is read once; a changed file is read
    again."""
    from mmiresnet.checks import data
    calls = []
    real = data.CHECKS['coco']
    monkeypatch.setitem(data.CHECKS, 'coco',
                        lambda **kw: calls.append(kw) or real(**kw))
    ann = make_coco(tmp_path / 'coco', names=('circle', ))
    inputs = dict(
        data_root=str(tmp_path / 'coco'),
        ann_file=str(ann),
        img_root=str(tmp_path / 'coco' / 'train'),
        classes=('circle', ))
    data.check_data('coco', **inputs)
    data.check_data('coco', **dict(inputs, classes=['circle']))
    assert len(calls) == 1
    ann.write_text(ann.read_text().replace('circle', 'dot'))
    with pytest.raises(PreflightError, match='no category matches'):
        data.check_data('coco', **inputs)
    assert len(calls) == 2
