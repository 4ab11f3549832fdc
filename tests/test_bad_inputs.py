"""Every row of docs/bad_inputs.md: the bad input gives one ``error: ...``
line naming what is wrong (status 2 from the CLIs, no traceback), and
nothing is written or overwritten."""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmiresnet import checkpoint as ckpt_mod
from mmiresnet.checkpoint import (CheckpointReadError, load_file,
                                  load_pretrained, save_atomic)
from mmiresnet.utils.preflight import PreflightError, check_run

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / 'tools'
SSD_CONFIG = str(REPO / 'configs' / 'ssd192_iresnet18_synthetic.py')
DIGITS_CONFIG = str(REPO / 'configs' / 'iresnet29_digits.py')
NOT_CHECKPOINT = 'is not a PyTorch checkpoint (truncated or not a zip/pickle'
FOREIGN = ('holds a pickled object of type argparse.Namespace that is not '
           'allowed (weights-only loading); convert it to plain tensors')


def run_tool(name, *args):
    """``python tools/<name> ARGS``; third-party import-time warnings
    (mmengine's pkg_resources deprecation) are silenced so that stderr is
    what the tool itself prints."""
    return subprocess.run(
        [sys.executable, str(TOOLS / name), *map(str, args)], cwd=REPO,
        env=dict(os.environ, OMP_NUM_THREADS='1',
                 PYTHONWARNINGS='ignore::UserWarning'),
        capture_output=True, text=True, timeout=300)


def assert_user_error(proc, *fragments):
    """Status 2, stderr one line ``error: ...`` holding every fragment."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    assert 'Traceback' not in proc.stderr + proc.stdout, err
    assert 'weights_only=False' not in err, err
    assert err.startswith('error: ') and '\n' not in err, err
    for fragment in fragments:
        assert str(fragment) in err, (fragment, err)


@pytest.fixture(scope='module')
def bad_files(tmp_path_factory):
    """name -> (path, expected message fragment) of unreadable files."""
    root = tmp_path_factory.mktemp('bad')
    good = root / 'good.pth'
    torch.save({'w': torch.zeros(4, 4)}, good)
    data = good.read_bytes()
    (root / 'empty.pth').write_bytes(b'')
    (root / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (root / 'page.pth').write_text('<html><body>Not found</body></html>')
    torch.save({'args': argparse.Namespace(lr=0.1)}, root / 'foreign.pth')
    return {
        'empty': (root / 'empty.pth', 'is empty (0 bytes)'),
        'truncated': (root / 'truncated.pth', NOT_CHECKPOINT),
        'html': (root / 'page.pth', NOT_CHECKPOINT),
        'foreign': (root / 'foreign.pth', FOREIGN),
    }


KINDS = ('empty', 'truncated', 'html', 'foreign')


# -- checkpoints ---------------------------------------------------------


@pytest.mark.parametrize('kind', KINDS)
def test_load_file(bad_files, kind):
    path, message = bad_files[kind]
    with pytest.raises(CheckpointReadError) as info:
        load_file(str(path))
    assert str(info.value) == str(info.value).strip().split('\n')[0]
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize('kind', KINDS)
def test_pretrained_init(bad_files, kind):
    path, message = bad_files[kind]
    with pytest.raises(CheckpointReadError, match='weights-only|PyTorch'):
        load_pretrained(torch.nn.Linear(2, 2), str(path))


@pytest.mark.parametrize('kind', KINDS)
def test_convert_official(bad_files, kind, tmp_path):
    path, message = bad_files[kind]
    out = tmp_path / 'cls.pth'
    proc = run_tool('convert_official_checkpoint.py', path, '--arch',
                    'iresnet18', '--out-cls', out)
    assert_user_error(proc, path, message)
    assert not out.exists()


@pytest.mark.parametrize('kind', ('truncated', 'foreign'))
def test_cls_to_det(bad_files, kind, tmp_path):
    path, message = bad_files[kind]
    out = tmp_path / 'det.pth'
    proc = run_tool('cls_to_det_checkpoint.py', path, '--arch', 'iresnet18',
                    '--out', out)
    assert_user_error(proc, path, message)
    assert not out.exists()


@pytest.mark.parametrize('tool,out_opt', [
    ('convert_official_checkpoint.py', '--out-cls'),
    ('cls_to_det_checkpoint.py', '--out')])
def test_unknown_arch_before_reading(tool, out_opt, tmp_path):
    # The source does not exist: the arch error proves it is checked first.
    proc = run_tool(tool, tmp_path / 'missing.pth', '--arch', 'iresnet51',
                    out_opt, tmp_path / 'o.pth')
    assert_user_error(proc, 'iresnet51', 'iresnet50')
    assert 'not found' not in proc.stderr


def _train_cfg(tmp_path, **changes):
    cfg = Config.fromfile(DIGITS_CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader]['dataset']['data_root'] = str(tmp_path / 'digits')
    for key, value in changes.items():
        cfg[key] = value
    return cfg


@pytest.fixture
def digits_root(tmp_path):
    for split in ('train', 'val'):
        folder = tmp_path / 'digits' / split / '0'
        folder.mkdir(parents=True)
        (folder / 'a.png').write_bytes(b'')
    return tmp_path


@pytest.mark.parametrize('kind', KINDS)
def test_check_run_checkpoints(bad_files, kind, digits_root):
    path, message = bad_files[kind]
    work = ['--work-dir', str(digits_root / 'work')]
    cases = [
        ('train', _train_cfg(digits_root, load_from=str(path)),
         [DIGITS_CONFIG, *work], 'load_from checkpoint'),
        ('train', _train_cfg(digits_root),
         [DIGITS_CONFIG, '--resume', str(path), *work],
         '--resume checkpoint'),
        ('test', _train_cfg(digits_root), [DIGITS_CONFIG, str(path), *work],
         'checkpoint'),
    ]
    cfg = _train_cfg(digits_root)
    cfg.model.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=str(path))
    cases.append(('train', cfg, [DIGITS_CONFIG, *work],
                  'Pretrained checkpoint'))
    for task, cfg, argv, what in cases:
        with pytest.raises(PreflightError) as info:
            check_run(task, cfg, argv)
        assert str(info.value).startswith(f'{what} {path}')
        assert message in str(info.value)
    # The same config with a good dataset and no checkpoint passes.
    check_run('train', _train_cfg(digits_root), [DIGITS_CONFIG, *work])


def test_train_load_from_cli(bad_files, digits_root):
    path, message = bad_files['truncated']
    root = digits_root / 'digits'
    proc = run_tool(
        'train.py', DIGITS_CONFIG, '--work-dir', digits_root / 'w',
        '--cfg-options', f'load_from={path}',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'load_from checkpoint {path}', message)


def test_train_resume_cli(bad_files, digits_root):
    path, message = bad_files['foreign']
    root = digits_root / 'digits'
    proc = run_tool(
        'train.py', DIGITS_CONFIG, '--resume', path, '--work-dir',
        digits_root / 'w', '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'--resume checkpoint {path}', message)


# -- data ----------------------------------------------------------------


def make_coco(root, names=('circle', 'square'), images=2, missing=0,
              annotations=True):
    """A tiny COCO set under ``root`` (images are empty files)."""
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'train').mkdir(exist_ok=True)
    data = dict(images=[], annotations=[], categories=[
        dict(id=i + 1, name=n) for i, n in enumerate(names)])
    for i in range(images):
        name = f'{i:03d}.jpg'
        data['images'].append(dict(id=i, file_name=name, width=8, height=8))
        if i >= missing:
            (root / 'train' / name).write_bytes(b'')
        if annotations:
            data['annotations'].append(dict(
                id=i, image_id=i, category_id=1, bbox=[1, 1, 4, 4], area=16,
                iscrowd=0))
    ann = root / 'annotations' / 'instances_train.json'
    ann.write_text(json.dumps(data))
    (root / 'annotations' / 'instances_val.json').write_text(json.dumps(data))
    (root / 'val').mkdir(exist_ok=True)
    for im in data['images'][missing:]:
        (root / 'val' / im['file_name']).write_bytes(b'')
    return ann


def ssd_argv(root, tmp_path):
    return [SSD_CONFIG, '--work-dir', str(tmp_path / 'work'),
            '--cfg-options', f'train_dataloader.dataset.data_root={root}/',
            f'val_dataloader.dataset.data_root={root}/',
            f'test_dataloader.dataset.data_root={root}/']


def coco_error(tmp_path, task='train', **kwargs):
    root = tmp_path / 'coco'
    ann = make_coco(root, **kwargs)
    argv = ssd_argv(root, tmp_path)
    with pytest.raises(PreflightError) as info:
        check_run(task, Config.fromfile(SSD_CONFIG), argv)
    return ann, str(info.value)


def test_coco_good_set_passes(tmp_path):
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    root = tmp_path / 'coco'
    make_coco(root, names=SYNTHETIC_CLASSES)
    check_run('train', Config.fromfile(SSD_CONFIG), ssd_argv(root, tmp_path))


def test_coco_classes_match_none(tmp_path):
    ann, err = coco_error(tmp_path, names=('cat', 'dog'))
    assert err.startswith(f"{ann}: no category matches the config's "
                          "classes; found ['cat', 'dog'], expected [")


def test_coco_classes_match_none_cli(tmp_path):
    root = tmp_path / 'coco'
    ann = make_coco(root, names=('cat', 'dog'))
    for task in ('train', 'test'):
        argv = ssd_argv(root, tmp_path)
        if task == 'test':  # the test split is instances_val.json
            argv.insert(1, str(tmp_path / 'unused.pth'))
            ann = ann.with_name('instances_val.json')
        proc = run_tool(f'{task}.py', *argv)
        assert_user_error(proc, f"{ann}: no category matches the config's "
                          "classes; found ['cat', 'dog'], expected "
                          "['circle', ")


def test_coco_empty_after_filtering(tmp_path):
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    _, err = coco_error(tmp_path, names=SYNTHETIC_CLASSES, annotations=False)
    assert 'empty after filtering (filter_empty_gt=True)' in err


def test_coco_missing_images(tmp_path):
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    ann, err = coco_error(tmp_path, names=SYNTHETIC_CLASSES, images=3,
                          missing=2)
    assert err.startswith(f'{ann} lists 2 image(s) missing under ')
    assert 'e.g. 000.jpg' in err


def test_coco_malformed_json(tmp_path):
    root = tmp_path / 'coco'
    ann = make_coco(root)
    ann.write_text('{"images": [')
    with pytest.raises(PreflightError, match=r'is not valid JSON \(line 1'):
        check_run('train', Config.fromfile(SSD_CONFIG),
                  ssd_argv(root, tmp_path))
    ann.write_text('[1, 2]')
    with pytest.raises(PreflightError, match='is not a COCO annotation'):
        check_run('train', Config.fromfile(SSD_CONFIG),
                  ssd_argv(root, tmp_path))


def test_coco_missing_json(tmp_path):
    root = tmp_path / 'coco'
    ann = make_coco(root)
    ann.unlink()
    with pytest.raises(PreflightError) as info:
        check_run('train', Config.fromfile(SSD_CONFIG),
                  ssd_argv(root, tmp_path))
    assert str(info.value) == (f'annotation file {ann} (train_dataloader) '
                               'does not exist')


def test_missing_data_root_cli(tmp_path):
    root = tmp_path / 'nowhere'
    proc = run_tool('test.py', *ssd_argv(root, tmp_path)[:1],
                    tmp_path / 'x.pth', *ssd_argv(root, tmp_path)[1:])
    assert_user_error(proc, f'data root {root}/ (test_dataloader) does not '
                      'exist')


def test_image_folder_without_images(digits_root):
    for png in (digits_root / 'digits' / 'train').rglob('*.png'):
        png.unlink()
    with pytest.raises(PreflightError, match='holds no images'):
        check_run('train', _train_cfg(digits_root),
                  [DIGITS_CONFIG, '--work-dir', str(digits_root / 'w')])


# -- outputs -------------------------------------------------------------


def test_unwritable_work_dir(digits_root):
    blocker = digits_root / 'file'
    blocker.write_text('')
    root = digits_root / 'digits'
    proc = run_tool(
        'train.py', DIGITS_CONFIG, '--work-dir', blocker / 'work',
        '--cfg-options', f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'cannot write to work dir {blocker}/work')


def test_unwritable_converter_output(tmp_path):
    src = tmp_path / 'src.pth'
    blocker = tmp_path / 'file'
    blocker.write_text('')
    from mmiresnet.checkpoint import backbone_cfg_from_arch, \
        build_meta_backbone
    backbone = build_meta_backbone(backbone_cfg_from_arch('iresnet18'))
    sd = {f'backbone.{k}': torch.zeros(v.shape)
          for k, v in backbone.state_dict().items()}
    torch.save({'state_dict': sd}, src)
    proc = run_tool('cls_to_det_checkpoint.py', src, '--arch', 'iresnet18',
                    '--out', blocker / 'out.pth')
    assert_user_error(proc, 'cannot write', str(blocker))


@pytest.mark.parametrize('tool,out_opt', [
    ('convert_official_checkpoint.py', '--out-cls'),
    ('cls_to_det_checkpoint.py', '--out')])
def test_existing_output_needs_force(tool, out_opt, tmp_path):
    out = tmp_path / 'o.pth'
    out.write_text('keep me')
    proc = run_tool(tool, tmp_path / 'src.pth', '--arch', 'iresnet18',
                    out_opt, out)
    assert_user_error(proc, f'{out} exists; pass --force to overwrite')
    assert out.read_text() == 'keep me'


def test_interrupted_save_leaves_nothing(tmp_path, monkeypatch):
    real_save = torch.save

    def save_then_fail(obj, path, *args, **kwargs):
        real_save(obj, path, *args, **kwargs)
        with open(path, 'r+b') as f:  # half of it on disk, then killed
            f.truncate(os.path.getsize(path) // 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt_mod.torch, 'save', save_then_fail)
    new = tmp_path / 'new.pth'
    with pytest.raises(KeyboardInterrupt):
        save_atomic({'w': torch.zeros(8)}, str(new))
    assert list(tmp_path.iterdir()) == []
    old = tmp_path / 'old.pth'
    old.write_text('previous')
    with pytest.raises(KeyboardInterrupt):
        save_atomic({'w': torch.zeros(8)}, str(old), force=True)
    assert [p.name for p in tmp_path.iterdir()] == ['old.pth']
    assert old.read_text() == 'previous'
