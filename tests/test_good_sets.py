"""The checks never refuse valid data: for every dataset type our configs
use (COCO, VOC, CIFAR-10/100, ImageNet-style folders, the digits folder),
a small set in that library's own layout passes both checks (the config's
in ``tools/train.py`` and the checked dataset's own when it loads) and
``tools/train.py`` trains one iteration on it."""
import pytest
from bad_data import (COCO_NAMES, config, make_cifar, make_coco,
                      make_image_folder, make_imagenet, make_voc)

from mmiresnet.checks import data
from mmiresnet.utils import launch

DET_INIT = ['model.backbone.init_cfg=None']  # no weights to fetch


def coco(cwd):
    # all 80 categories, as in COCO's files (CocoMetric maps every label)
    from mmdet.datasets import CocoDataset
    names = CocoDataset.METAINFO['classes']
    assert names[:len(COCO_NAMES)] == COCO_NAMES
    make_coco(
        cwd / 'data' / 'coco', names=names, year='2017', size=64, real=True)
    return 'ssd300_iresnet50_coco', 'coco', 2, DET_INIT


def voc(cwd):
    for year in ('2007', '2012'):
        make_voc(cwd / 'data' / 'VOCdevkit', year=year, size=64, images=1)
    return 'ssd300_iresnet50_voc0712', 'voc', 2, DET_INIT + [
        'train_dataloader.dataset.times=1'
    ]


def cifar10(cwd):
    make_cifar(cwd / 'data' / 'cifar10', 'cifar10', per_file=1)
    return 'iresnet164_1xb64_cifar10', 'cifar', 5, []


def cifar100(cwd):
    make_cifar(cwd / 'data' / 'cifar100', 'cifar100', per_file=2)
    return 'iresnet164_1xb64_cifar100', 'cifar', 2, []


def imagenet(cwd):
    make_imagenet(cwd / 'data' / 'imagenet')
    return 'iresnet50_8xb32_in1k', 'image_folder', 2, []


def digits(cwd):
    for split in ('train', 'val'):
        make_image_folder(cwd / 'data' / 'digits' / split)
    return 'iresnet29_digits', 'image_folder', 4, []


class NoMemory(set):
    """Each check runs in full (no 'passed before' shortcut)."""

    def add(self, item):
        pass


@pytest.mark.parametrize('make',
                         [coco, voc, cifar10, cifar100, imagenet, digits])
def test_valid_set_passes_and_trains(make, tmp_path, monkeypatch):
    cwd = tmp_path / 'project'
    cwd.mkdir()
    name, kind, batch, options = make(cwd)
    calls = []
    real = data.CHECKS[kind]
    monkeypatch.setitem(data.CHECKS, kind,
                        lambda **kw: calls.append(kw) or real(**kw))
    monkeypatch.setattr(data, '_PASSED', NoMemory())
    if kind == 'cifar':  # stands in for MMPretrain's md5 of the real files
        import mmpretrain.datasets.cifar as cifar
        monkeypatch.setattr(cifar, 'check_md5', lambda path, md5: True)
    monkeypatch.setenv('MMIRESNET_WEIGHTS_MIRROR', 'http://127.0.0.1:9/')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.chdir(cwd)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    launch.main('train', [
        config(name), '--work-dir', 'work', '--cfg-options',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1', *options,
        *(f'{loader}.num_workers=0'
          for loader in loaders), f'train_dataloader.batch_size={batch}'
    ])
    # the config's check and the dataset's own, train and val sets
    assert len(calls) >= 4, calls
    log = next((cwd / 'work').glob('*/*.log')).read_text()
    assert 'Epoch(train) [1][1/1]' in log, log[-2000:]
    assert (cwd / 'work' / 'epoch_1.pth').is_file()
