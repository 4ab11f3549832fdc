"""A checkpoint that does not fit the model is refused (CheckpointFitHook):
``tools/test.py CONFIG CHECKPOINT``, ``load_from`` and ``--resume`` print
one error line with the counts and a few keys and exit with status 2;
``--no-strict-load`` loads it as mmengine does."""
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from bad_data import config, make_image_folder

from mmiresnet.checks import CheckpointFitError, CheckpointFitHook
from mmiresnet.checks.hooks import LENIENT
from mmiresnet.utils import launch

REPO = Path(__file__).resolve().parents[1]


def fake_runner(model, load_from='x.pth'):
    return SimpleNamespace(
        model=model, cfg={'load_from': load_from}, work_dir='work')


def test_hook_compares_keys_and_shapes():
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    hook = CheckpointFitHook()
    hook.after_load_checkpoint(fake_runner(model), {'state_dict': state})
    # num_batches_tracked may be absent (older checkpoints), as in mmengine
    del state['module.1.num_batches_tracked']
    hook.after_load_checkpoint(fake_runner(model), {'state_dict': state})
    bad = dict(
        state, **{
            'module.0.weight': torch.zeros(5, 3, 3, 3),
            'head.fc.weight': torch.zeros(2, 2)
        })
    del bad['module.1.bias']
    with pytest.raises(CheckpointFitError) as info:
        hook.after_load_checkpoint(fake_runner(model), {'state_dict': bad})
    assert str(info.value) == (
        'checkpoint x.pth does not fit the model Sequential: 1 missing keys '
        '(1.bias); 1 unexpected keys (head.fc.weight); 1 shape mismatches '
        '(0.weight (5, 3, 3, 3) != (4, 3, 3, 3)); to load it anyway '
        f'(lenient, as mmengine does), pass {LENIENT}')
    CheckpointFitHook(strict=False).after_load_checkpoint(
        fake_runner(model), {'state_dict': bad})


def test_many_keys_are_shortened():
    model = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(5)])
    with pytest.raises(CheckpointFitError) as info:
        CheckpointFitHook().after_load_checkpoint(
            fake_runner(model, None), {'state_dict': {}})
    assert '10 missing keys (0.bias, 0.weight, 1.bias, ...)' in \
        str(info.value)
    assert 'checkpoint the latest checkpoint in work does not fit' in \
        str(info.value)


def run_tool(name, *args, cwd=REPO):
    return subprocess.run(
        [sys.executable,
         str(REPO / 'tools' / name), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(
            os.environ,
            OMP_NUM_THREADS='1',
            PYTHONWARNINGS='ignore::UserWarning'))


@pytest.fixture(scope='module')
def digits_model_state(tmp_path_factory):
    """The state dict of the digits classifier (another model than the
    SSD detector) and its path as a checkpoint."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config('iresnet29_digits'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    state = model.state_dict()
    path = tmp_path_factory.mktemp('ckpt') / 'digits_iresnet29.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    return state, path


def test_tools_test_refuses_another_models_checkpoint(digits_model_state,
                                                      tmp_path):
    """``tools/test.py`` on the SSD quickstart config with the digits
    classifier's checkpoint: one line, status 2, no metrics; with
    ``--no-strict-load`` it evaluates as mmengine does (random head)."""
    from mmiresnet.datasets.synthetic import make_synthetic
    _, ckpt = digits_model_state
    make_synthetic(tmp_path / 'syn', num_train=2, num_val=2, size=64, seed=1)
    root = tmp_path / 'syn' / 'coco'
    argv = [
        config('ssd192_iresnet18_synthetic'), ckpt, '--work-dir',
        tmp_path / 'work', '--cfg-options',
        f'test_dataloader.dataset.data_root={root}/',
        f'test_evaluator.ann_file={root}/annotations/instances_val.json',
        'test_dataloader.num_workers=0'
    ]
    proc = run_tool('test.py', *argv)
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.stdout[-2000:], err)
    assert err.startswith(f'error: checkpoint {ckpt} does not fit the model '
                          'SingleStageDetector: ') and '\n' not in err, err
    for fragment in ('36 missing keys (bbox_head.cls_convs.0.0.bias, ',
                     'unexpected keys (backbone.layer1.0.bn3.bias, ',
                     'shape mismatches (backbone.bn1.bias (16,) != (32,), ',
                     '--no-strict-load', 'checkpoint_fit.strict=False'):
        assert fragment in err, (fragment, err)
    assert 'coco/bbox_mAP: ' not in proc.stdout + proc.stderr  # no metrics
    proc = run_tool('test.py', *argv, '--no-strict-load')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'coco/bbox_mAP: ' in proc.stdout + proc.stderr


@pytest.fixture
def digits_dir(tmp_path, monkeypatch):
    for split in ('train', 'val'):
        make_image_folder(
            tmp_path / 'data' / 'digits' / split,
            classes=[str(i) for i in range(10)],
            per_class=1)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_train_load_from_and_resume_refused(digits_model_state, digits_dir,
                                            capsys):
    """``load_from`` / ``--resume`` with the digits model trained for 5
    classes (another head size) on the 10-class config: one line, status
    2, nothing trained; ``--no-strict-load`` loads it (fine-tuning)."""
    state, _ = digits_model_state
    five = {
        k: (v[:5] if k.startswith('head.fc.') else v)
        for k, v in state.items()
    }
    ckpt = digits_dir / 'five_classes.pth'
    torch.save({'state_dict': five, 'meta': {}}, ckpt)
    common = [config('iresnet29_digits'), '--work-dir', 'work']
    options = [
        '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0'
    ]
    for extra in (['--cfg-options',
                   f'load_from={ckpt}'], ['--resume', str(ckpt)]):
        with pytest.raises(SystemExit) as exc:
            launch.main('train', common + extra + options)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err == (
            f'error: checkpoint {ckpt} does not fit the model '
            'ImageClassifier: 2 shape mismatches (head.fc.bias (5,) != '
            '(10,), head.fc.weight (5, 256) != (10, 256)); to load it anyway '
            f'(lenient, as mmengine does), pass {LENIENT}\n'), err
        assert not list((digits_dir / 'work').glob('*.pth'))
    launch.main(
        'train', common + ['--cfg-options', f'load_from={ckpt}'] + options +
        ['--no-strict-load'])
    assert (digits_dir / 'work' / 'epoch_1.pth').is_file()
