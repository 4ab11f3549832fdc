"""Every row of docs/bad_inputs.md: the bad input gives one ``error: ...``
line naming what is wrong (status 2 from the CLIs, no traceback), and
nothing is written or overwritten."""
import argparse
import copy
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bad_data import make_voc
from mmengine.config import Config

from mmiresnet import checkpoint as ckpt_mod
from mmiresnet.checkpoint import (CheckpointReadError, load_file,
                                  load_pretrained, save_atomic)
from mmiresnet.checks import PreflightError, check_run

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / 'tools'
SSD_CONFIG = str(REPO / 'configs' / 'ssd' / 'ssd192_iresnet18_synthetic.py')
DIGITS_CONFIG = str(REPO / 'configs' / 'iresnet_cifar' / 'iresnet29_digits.py')
NOT_CHECKPOINT = 'is not a PyTorch checkpoint (truncated or not a zip/pickle'
FOREIGN = ('holds a pickled object of type argparse.Namespace that is not '
           'allowed (weights-only loading); convert it to plain tensors')


def run_tool(name, *args):
    """``python tools/<name> ARGS``; third-party import-time warnings
    (mmengine's pkg_resources deprecation) are silenced so that stderr is
    what the tool itself prints."""
    return subprocess.run(
        [sys.executable, str(TOOLS / name), *map(str, args)],
        cwd=REPO,
        env=dict(
            os.environ,
            OMP_NUM_THREADS='1',
            PYTHONWARNINGS='ignore::UserWarning'),
        capture_output=True,
        text=True,
        timeout=300)


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


@pytest.mark.parametrize('tool,out_opt',
                         [('convert_official_checkpoint.py', '--out-cls'),
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
         [DIGITS_CONFIG, '--resume',
          str(path), *work], '--resume checkpoint'),
        ('test', _train_cfg(digits_root), [DIGITS_CONFIG,
                                           str(path), *work], 'checkpoint'),
    ]
    cfg = _train_cfg(digits_root)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(path))
    cases.append(('train', cfg, [DIGITS_CONFIG,
                                 *work], 'Pretrained checkpoint'))
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
    proc = run_tool('train.py', DIGITS_CONFIG, '--work-dir', digits_root / 'w',
                    '--cfg-options', f'load_from={path}',
                    f'train_dataloader.dataset.data_root={root}',
                    f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'load_from checkpoint {path}', message)


def test_train_resume_cli(bad_files, digits_root):
    path, message = bad_files['foreign']
    root = digits_root / 'digits'
    proc = run_tool('train.py', DIGITS_CONFIG, '--resume', path, '--work-dir',
                    digits_root / 'w', '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}',
                    f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'--resume checkpoint {path}', message)


# -- data ----------------------------------------------------------------


def make_coco(root,
              names=('circle', 'square'),
              images=2,
              missing=0,
              annotations=True):
    """A tiny COCO set under ``root`` (images are empty files)."""
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    (root / 'train').mkdir(exist_ok=True)
    data = dict(
        images=[],
        annotations=[],
        categories=[dict(id=i + 1, name=n) for i, n in enumerate(names)])
    for i in range(images):
        name = f'{i:03d}.jpg'
        data['images'].append(dict(id=i, file_name=name, width=8, height=8))
        if i >= missing:
            (root / 'train' / name).write_bytes(b'')
        if annotations:
            data['annotations'].append(
                dict(
                    id=i,
                    image_id=i,
                    category_id=1,
                    bbox=[1, 1, 4, 4],
                    area=16,
                    iscrowd=0))
    ann = root / 'annotations' / 'instances_train.json'
    ann.write_text(json.dumps(data))
    (root / 'annotations' / 'instances_val.json').write_text(json.dumps(data))
    (root / 'val').mkdir(exist_ok=True)
    for im in data['images'][missing:]:
        (root / 'val' / im['file_name']).write_bytes(b'')
    return ann


def ssd_argv(root, tmp_path):
    return [
        SSD_CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'train_dataloader.dataset.data_root={root}/',
        f'val_dataloader.dataset.data_root={root}/',
        f'test_dataloader.dataset.data_root={root}/'
    ]


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
        assert_user_error(
            proc, f"{ann}: no category matches the config's "
            "classes; found ['cat', 'dog'], expected "
            "['circle', ")


def test_coco_empty_after_filtering(tmp_path):
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    _, err = coco_error(tmp_path, names=SYNTHETIC_CLASSES, annotations=False)
    assert 'empty after filtering (filter_empty_gt=True)' in err


def test_coco_missing_images(tmp_path):
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    ann, err = coco_error(
        tmp_path, names=SYNTHETIC_CLASSES, images=3, missing=2)
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
    assert str(info.value) == f'annotation file {ann} does not exist'


def test_missing_data_root_cli(tmp_path):
    root = tmp_path / 'nowhere'
    proc = run_tool('test.py',
                    *ssd_argv(root, tmp_path)[:1], tmp_path / 'x.pth',
                    *ssd_argv(root, tmp_path)[1:])
    assert_user_error(proc, f'data root {root}/ does not exist')


def test_image_folder_without_images(digits_root):
    for png in (digits_root / 'digits' / 'train').rglob('*.png'):
        png.unlink()
    with pytest.raises(PreflightError, match='holds no images'):
        check_run('train', _train_cfg(digits_root),
                  [DIGITS_CONFIG, '--work-dir',
                   str(digits_root / 'w')])


# -- outputs -------------------------------------------------------------


def test_unwritable_work_dir(digits_root):
    blocker = digits_root / 'file'
    blocker.write_text('')
    root = digits_root / 'digits'
    proc = run_tool('train.py', DIGITS_CONFIG, '--work-dir', blocker / 'work',
                    '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}',
                    f'val_dataloader.dataset.data_root={root}')
    assert_user_error(proc, f'cannot write to work dir {blocker}/work')


def test_unwritable_converter_output(tmp_path):
    src = tmp_path / 'src.pth'
    blocker = tmp_path / 'file'
    blocker.write_text('')
    from mmiresnet.checkpoint import (backbone_cfg_from_arch,
                                      build_meta_backbone)
    backbone = build_meta_backbone(backbone_cfg_from_arch('iresnet18'))
    sd = {
        f'backbone.{k}': torch.zeros(v.shape)
        for k, v in backbone.state_dict().items()
    }
    torch.save({'state_dict': sd}, src)
    proc = run_tool('cls_to_det_checkpoint.py', src, '--arch', 'iresnet18',
                    '--out', blocker / 'out.pth')
    assert_user_error(proc, 'cannot write', str(blocker))
    # The official converter: a plain state dict, backbone keys + fc.
    official = tmp_path / 'official.pth'
    sd = {k[len('backbone.'):]: v for k, v in sd.items()}
    sd.update({
        'fc.weight': torch.zeros(3, backbone.out_channels[-1]),
        'fc.bias': torch.zeros(3)
    })
    torch.save(sd, official)
    proc = run_tool('convert_official_checkpoint.py', official, '--arch',
                    'iresnet18', '--out-cls', blocker / 'cls.pth')
    assert_user_error(proc, 'cannot write', str(blocker))
    assert blocker.read_text() == ''


@pytest.mark.parametrize('tool,out_opt',
                         [('convert_official_checkpoint.py', '--out-cls'),
                          ('cls_to_det_checkpoint.py', '--out')])
def test_existing_output_needs_force(tool, out_opt, tmp_path):
    out = tmp_path / 'o.pth'
    out.write_text('keep me')
    proc = run_tool(tool, tmp_path / 'src.pth', '--arch', 'iresnet18', out_opt,
                    out)
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


# -- PASCAL VOC ----------------------------------------------------------

VOC07_CONFIG = str(REPO / 'configs' / 'faster_rcnn' /
                   'faster-rcnn_resnet50_fpn_10e_voc07.py')
VOC0712_CONFIG = str(REPO / 'configs' / 'ssd' / 'ssd300_iresnet50_voc0712.py')


def voc_argv(devkit, tmp_path, config=VOC07_CONFIG):
    return [
        config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *(f'{loader}_dataloader.dataset.data_root={devkit}/'
          for loader in ('train', 'val', 'test'))
    ]


@functools.lru_cache()
def _read_cfg(path):
    return Config.fromfile(path)


def read_cfg(path):
    """A fresh copy of a config file (read once)."""
    return copy.deepcopy(_read_cfg(path))


def voc_check(devkit, tmp_path, task='train'):
    argv = voc_argv(devkit, tmp_path)
    if task == 'test':
        ckpt = tmp_path / 'model.pth'
        torch.save({'state_dict': {}}, ckpt)
        argv.insert(1, str(ckpt))
    check_run(task, read_cfg(VOC07_CONFIG), argv)


def voc_error(devkit, tmp_path, task='train'):
    with pytest.raises(PreflightError) as info:
        voc_check(devkit, tmp_path, task)
    return str(info.value)


def test_voc_good_set_passes(tmp_path):
    """The layout the checks accept is one mmdet's VOCDataset reads."""
    from mmdet.datasets import VOCDataset
    devkit = tmp_path / 'VOCdevkit'
    make_voc(devkit)
    voc_check(devkit, tmp_path)
    voc_check(devkit, tmp_path, 'test')
    ds = VOCDataset(
        data_root=f'{devkit}/',
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=[])
    assert len(ds) == 2
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == \
        [ds.metainfo['classes'].index(n) for n in ('dog', 'cat')]


def test_voc_missing_folders(tmp_path):
    devkit = tmp_path / 'VOCdevkit'
    assert voc_error(devkit,
                     tmp_path) == (f'data root {devkit}/ does not exist')
    devkit.mkdir()
    assert voc_error(devkit, tmp_path).startswith(
        f'VOC folder {devkit}/VOC2007/ does not exist '
        '(data_root + data_prefix.sub_data_root')
    year = make_voc(devkit)
    split = year / 'ImageSets' / 'Main' / 'test.txt'
    split.unlink()
    assert voc_error(devkit,
                     tmp_path) == (f'VOC split file {split} does not exist')


def test_voc_bad_split_file(tmp_path):
    devkit = tmp_path / 'VOCdevkit'
    split = make_voc(devkit) / 'ImageSets' / 'Main' / 'trainval.txt'
    ids = split.read_text().split()
    split.write_text('')
    assert voc_error(devkit, tmp_path) == (f'{split} lists no images')
    split.write_text(f'{ids[0]}\n\n{ids[1]}\n')
    assert voc_error(devkit, tmp_path) == (
        f'{split} line 2 is empty; a VOC split file holds one image id per '
        'line')


@pytest.mark.parametrize('sub,ext', [('Annotations', '.xml'),
                                     ('JPEGImages', '.jpg')])
def test_voc_listed_files_missing(tmp_path, sub, ext):
    devkit = tmp_path / 'VOCdevkit'
    year = make_voc(devkit, images=3)
    split = year / 'ImageSets' / 'Main' / 'trainval.txt'
    ids = split.read_text().split()
    for stem in ids[1:]:
        (year / sub / f'{stem}{ext}').unlink()
    assert voc_error(devkit, tmp_path) == (
        f'{split} lists 2 image(s) missing in {year}/{sub}, e.g. '
        f'{ids[1]}{ext}')


@pytest.mark.parametrize(
    'broken,message',
    [
        (
            lambda text: text.replace('</annotation>', ''),  # cut short
            ' is not valid XML (no element found: line 2, column 0)'),
        (lambda text: text.replace('<name>cat</name>', ''),
         ': <object> 2 has no <name>'),
        (lambda text: text.replace('<xmin>2</xmin>', '<xmin>two</xmin>', 1),
         ": <object> 1 ('dog') needs a <bndbox> with numbers <xmin> <ymin> "
         '<xmax> <ymax>'),
        (lambda text: text.replace('<width>32</width>', '<width/>'),
         ': <size> needs integer <width> and <height>'),
    ])
def test_voc_bad_xml(tmp_path, broken, message):
    devkit = tmp_path / 'VOCdevkit'
    year = make_voc(devkit)
    xml = sorted((year / 'Annotations').glob('*.xml'))[1]
    xml.write_text(broken(xml.read_text()))
    err = voc_error(devkit, tmp_path)
    assert err.startswith(f'{xml}{message}'), err


def test_voc_classes_match_none(tmp_path):
    devkit = tmp_path / 'VOCdevkit'
    year = make_voc(devkit, names=('circle', 'square'))
    for task, split, where in (('train', 'trainval', 'train'), ('test', 'test',
                                                                'test')):
        ann = year / 'ImageSets' / 'Main' / f'{split}.txt'
        assert voc_error(devkit, tmp_path, task) == (
            f"{ann}: no object in {year}/Annotations matches the config's "
            "classes; found ['circle', 'square'], expected ['aeroplane', "
            "'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', "
            "'chair', 'cow', ... (20 in all)]")


def test_voc_empty_after_filtering(tmp_path):
    devkit = tmp_path / 'VOCdevkit'
    year = make_voc(devkit, names=())  # no object at all
    ann = year / 'ImageSets' / 'Main' / 'trainval.txt'
    assert voc_error(devkit, tmp_path).startswith(
        f'{ann}: the dataset is empty after filtering (filter_empty_gt=True)'
        ": no image has an annotation of the config's classes ['aeroplane'")
    make_voc(devkit, size=16)  # objects, but below min_size=32
    assert voc_error(devkit, tmp_path) == (
        f'{ann}: the dataset is empty after filtering (min_size=32): no '
        'annotated image is at least 32 px on its short side')
    # Test splits are not filtered: the same data passes there.
    voc_check(devkit, tmp_path, 'test')


def test_voc_cli_fails_before_model(tmp_path):
    """``tools/train.py`` on VOC 07+12 without the VOC2012 folder: one
    error line, status 2, before any model is built or weights loaded (the
    weights mirror does not exist and the torch hub folder stays empty)."""
    devkit = tmp_path / 'VOCdevkit'
    make_voc(devkit, '2007')
    torch_home = tmp_path / 'torch_home'
    torch_home.mkdir()
    options = [
        f'train_dataloader.dataset.dataset.datasets.{i}.data_root='
        f'{devkit}/' for i in (0, 1)
    ]
    proc = subprocess.run([
        sys.executable,
        str(TOOLS / 'train.py'), VOC0712_CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options,
        f'val_dataloader.dataset.data_root={devkit}/'
    ],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=dict(
                              os.environ,
                              OMP_NUM_THREADS='1',
                              TORCH_HOME=str(torch_home),
                              MMIRESNET_WEIGHTS_MIRROR=str(tmp_path /
                                                           'no_mirror'),
                              PYTHONWARNINGS='ignore::UserWarning'))
    assert_user_error(proc, f'VOC folder {devkit}/VOC2012/ does not exist')
    assert list(torch_home.iterdir()) == []
    assert not (tmp_path / 'work').exists()
    assert not (tmp_path / 'no_mirror').exists()


# -- tools/test.py --out ---------------------------------------------------


@pytest.fixture
def test_run_inputs(tmp_path):
    """A good tiny COCO set and a readable checkpoint for test.py."""
    from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES
    root = tmp_path / 'coco'
    make_coco(root, names=SYNTHETIC_CLASSES)
    ckpt = tmp_path / 'model.pth'
    torch.save({'state_dict': {}}, ckpt)
    return root, ckpt


def out_argv(root, ckpt, tmp_path, out, *extra):
    argv = ssd_argv(root, tmp_path)
    return [argv[0], str(ckpt), '--out', str(out), *extra, *argv[1:]]


def test_out_checks(test_run_inputs, tmp_path):
    root, ckpt = test_run_inputs
    blocker = tmp_path / 'file'
    blocker.write_text('')
    folder = tmp_path / 'results'
    folder.mkdir()
    cases = [
        (tmp_path / 'r.json', '--out {}: the pickled results file must end '
         'with .pkl, .pickle'),
        (folder, '--out {} is a folder; give a file name'),
        (blocker / 'r.pkl', f'cannot write --out {{}}: {blocker} is not a '
         'folder'),
        (blocker / 'sub' / 'r.pkl', f'cannot write --out {{}}: {blocker} is '
         'not a folder'),
    ]
    for out, message in cases:
        with pytest.raises(PreflightError) as info:
            check_run('test', read_cfg(SSD_CONFIG),
                      out_argv(root, ckpt, tmp_path, out))
        assert str(info.value) == message.format(out)
    # A new folder for --out is fine and is not created by the check.
    out = tmp_path / 'new' / 'sub' / 'r.pkl'
    check_run('test', read_cfg(SSD_CONFIG), out_argv(root, ckpt, tmp_path,
                                                     out))
    assert not (tmp_path / 'new').exists()


def test_out_suffix_mmpretrain(digits_root):
    ckpt = digits_root / 'model.pth'
    torch.save({'state_dict': {}}, ckpt)
    work = ['--work-dir', str(digits_root / 'w')]
    for out, item, ok in (('p.pkl', [], True), ('p.json', [], False),
                          ('m.json', ['--out-item', 'metrics'],
                           True), ('m.yaml', ['--out-item', 'metrics'], True),
                          ('m.txt', ['--out-item', 'metrics'], False)):
        argv = [
            DIGITS_CONFIG,
            str(ckpt), '--out',
            str(digits_root / out), *item, *work
        ]
        if ok:
            check_run('test', _train_cfg(digits_root), argv)
            continue
        with pytest.raises(PreflightError) as info:
            check_run('test', _train_cfg(digits_root), argv)
        allowed = '.json, .yaml, .yml, .pkl, .pickle' if item else \
            '.pkl, .pickle'
        assert str(info.value).endswith(f'file must end with {allowed}')


def test_existing_out_cli(test_run_inputs, tmp_path):
    """``tools/test.py --out FILE`` with FILE present: one error line, the
    file unchanged, nothing else written (the work dir is not made)."""
    root, ckpt = test_run_inputs
    out = tmp_path / 'results.pkl'
    out.write_bytes(b'previous results')
    proc = run_tool('test.py', *out_argv(root, ckpt, tmp_path, out))
    assert_user_error(
        proc, f'--out {out} exists; results are not written '
        'over an existing file: move it away or choose another '
        '--out')
    assert out.read_bytes() == b'previous results'
    assert not (tmp_path / 'work').exists()


def test_table_names_existing_tests():
    """Every row of docs/bad_inputs.md names tests (or ``same``: those of
    the row above) in its last column, and they exist."""
    import re
    table = (REPO / 'docs' / 'bad_inputs.md').read_text()
    rows = [
        line for line in table.splitlines()
        if line.startswith('| ') and not line.startswith('| Input')
    ]
    assert len(rows) > 25
    names = []
    for row in rows:
        cell = row.rstrip(' |').rsplit(' | ', 1)[-1]
        found = re.findall(r'`(?:(test_\w+)\.py::)?(test_\w+)`', cell)
        assert found or cell.startswith('same'), row
        names += found
    for module, name in names:
        source = REPO / 'tests' / f'{module or "test_bad_inputs"}.py'
        assert f'def {name}(' in source.read_text(), (module, name)
