"""Detection end to end through MMDetection's runners, on synthetic data.

A tiny synthetic set (:mod:`mmiresnet.datasets.synthetic`, COCO and VOC
layouts) is generated once into a temporary folder. Then:

* SSD (the quickstart config, iResNet-18 trunk) on the COCO layout through
  mmengine's ``Runner``: trains, writes a checkpoint, resumes from it (torch's
  default ``weights_only`` loading of an mmengine checkpoint) and evaluates
  with ``CocoMetric``;
* Faster R-CNN + FPN with an iResNet-18 backbone on the VOC layout with
  ``VOCMetric``, the same way;
* ``mim train mmdet configs/ssd300_iresnet50_coco.py`` (the users' entry
  point, from scratch, pointed at the synthetic data) runs to completion in
  a subprocess, as do ``tools/dist_train.sh`` and ``tools/dist_test.sh``
  with 2 CPU processes (gloo);
* a config outside the repository inherits ours by absolute path;
* a missing dataset or pretrained file fails with an error naming the path.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmdet')

from mmdet.registry import DATASETS, MODELS  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES  # noqa: E402
from mmiresnet.datasets.synthetic import make_synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs'
SSD_SYNTHETIC = CONFIGS / 'ssd' / 'ssd192_iresnet18_synthetic.py'
PYTHON = sys.executable
BIN = Path(PYTHON).parent
CLASSES_OPT = '(' + ','.join(SYNTHETIC_CLASSES) + ')'


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """8 train / 4 val images, long side 96 px, in both layouts."""
    out = tmp_path_factory.mktemp('det_data') / 'synthetic'
    built, stats = make_synthetic(out, num_train=8, num_val=4, size=96, seed=3)
    assert built and stats['train']['images'] == 8
    return out


@pytest.fixture(autouse=True)
def mmdet_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(autouse=True, scope='module')
def cpu_threads():
    """One thread when the CPU is already busy (OpenMP threads spin-wait:
    on an oversubscribed 2-core machine 2 threads are several times slower).
    Subprocesses below always get ``OMP_NUM_THREADS=1``."""
    before = torch.get_num_threads()
    if os.getloadavg()[0] >= (os.cpu_count() or 1):
        torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def quiet(cfg, work_dir, name):
    cfg.work_dir = str(work_dir)
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.name = f'vis_{name}_{os.getpid()}'
    cfg.log_level = 'WARNING'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    return cfg


def ssd_cfg(data, work_dir, max_epochs):
    cfg = Config.fromfile(str(SSD_SYNTHETIC))
    root = str(data / 'coco') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
        cfg[loader].batch_size = 4
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = root + 'annotations/instances_val.json'
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    return quiet(cfg, work_dir, f'ssd{max_epochs}')


def frcnn_cfg(data, work_dir, max_epochs):
    """Faster R-CNN + FPN, iResNet-18 backbone, VOC layout, 128 px."""
    cfg = Config.fromfile(
        str(CONFIGS / 'faster_rcnn' /
            'faster-rcnn_iresnet50_fpn_1x_voc0712.py'))
    cfg.model.backbone.depth = 18
    cfg.model.backbone.init_cfg = None
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.model.roi_head.bbox_head.num_classes = len(SYNTHETIC_CLASSES)
    # fewer proposals / sampled RoIs: on CPU the RoI head's fc layers on
    # mmdet's 1000-2000 proposals cost far more than the tiny backbone
    for proposals in (cfg.model.train_cfg.rpn_proposal,
                      cfg.model.test_cfg.rpn):
        proposals.nms_pre = 200
        proposals.max_per_img = 64
    cfg.model.train_cfg.rcnn.sampler.num = 32
    scale = (128, 128)
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs')
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(
            type='PackDetInputs',
            meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                       'scale_factor'))
    ]
    voc = dict(
        type='VOCDataset',
        data_root=str(data / 'VOCdevkit') + '/',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=SYNTHETIC_CLASSES))
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset = dict(
        voc,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline)
    cfg.val_dataloader.dataset = dict(
        voc,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        test_mode=True,
        pipeline=test_pipeline)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_epochs = max_epochs
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0)]
    cfg.optim_wrapper.optimizer.lr = 0.005
    cfg.auto_scale_lr.enable = False
    return quiet(cfg, work_dir, f'frcnn{max_epochs}')


def train_resume_evaluate(make_cfg, data, work_dir, metric_key):
    # 1 epoch, checkpoint written
    runner = Runner.from_cfg(make_cfg(data, work_dir, 1))
    runner.train()
    iters_per_epoch = runner.iter
    assert iters_per_epoch >= 1
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip() == str(ckpt)

    # resume (auto: latest checkpoint of work_dir) and train one more epoch
    cfg = make_cfg(data, work_dir, 2)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2
    assert runner.iter == 2 * iters_per_epoch  # continued, not restarted
    assert (work_dir / 'epoch_2.pth').is_file()

    # evaluate the resumed model
    metrics = runner.val()
    assert metric_key in metrics
    assert 0.0 <= metrics[metric_key] <= 1.0
    metrics = runner.test()
    assert metric_key in metrics
    return metrics


def test_ssd_coco_train_resume_eval(data, tmp_path):
    metrics = train_resume_evaluate(ssd_cfg, data, tmp_path / 'ssd',
                                    'coco/bbox_mAP')
    for key in ('coco/bbox_mAP_50', 'coco/bbox_mAP_75', 'coco/bbox_mAP_s'):
        assert key in metrics


def test_faster_rcnn_voc_train_resume_eval(data, tmp_path):
    train_resume_evaluate(frcnn_cfg, data, tmp_path / 'frcnn',
                          'pascal_voc/mAP')


def run(cmd, cwd=ROOT, timeout=600, env=None):
    env = dict(os.environ if env is None else env, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True)
    assert proc.returncode == 0, (
        f'{" ".join(map(str, cmd))} failed ({proc.returncode}):\n'
        f'{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}')
    return proc


def synthetic_coco_options(data, batch_size=2):
    root = str(data / 'coco') + '/'
    opts = [
        'model.backbone.init_cfg=None',
        f'model.bbox_head.num_classes={len(SYNTHETIC_CLASSES)}',
        'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1',
    ]
    for loader, split in (('train_dataloader', 'train'),
                          ('val_dataloader', 'val'), ('test_dataloader',
                                                      'val')):
        opts += [
            f'{loader}.batch_size={batch_size}',
            f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False',
            f'{loader}.dataset.data_root={root}',
            f'{loader}.dataset.ann_file=annotations/instances_{split}.json',
            f'{loader}.dataset.data_prefix.img={split}/',
            f'{loader}.dataset.metainfo.classes={CLASSES_OPT}',
        ]
    for evaluator in ('val_evaluator', 'test_evaluator'):
        opts.append(
            f'{evaluator}.ann_file={root}annotations/instances_val.json')
    return opts


def coco_map(log):
    """The last ``coco/bbox_mAP`` value printed in an mmengine log."""
    values = re.findall(r'coco/bbox_mAP: (\d+\.\d+)', log)
    assert values, 'no coco/bbox_mAP in the log'
    return float(values[-1])


@pytest.mark.skipif(
    shutil.which('mim', path=str(BIN)) is None,
    reason='openmim is not installed next to this python')
def test_mim_train_users_entry_point(data, tmp_path):
    """``mim train mmdet configs/ssd300_iresnet50_coco.py`` on tiny data."""
    work_dir = tmp_path / 'mim'
    run([
        str(BIN / 'mim'), 'train', 'mmdet', 'configs/ssd300_iresnet50_coco.py',
        '--work-dir',
        str(work_dir), '--cfg-options', *synthetic_coco_options(data)
    ])
    assert (work_dir / 'epoch_1.pth').is_file()
    logs = list(work_dir.glob('*/*.log'))
    assert logs and 'coco/bbox_mAP' in logs[0].read_text()


@pytest.fixture(scope='module')
def dist_run(data, tmp_path_factory):
    """``tools/dist_train.sh CONFIG 2`` without CUDA: gloo, 2 processes."""
    if torch.cuda.is_available():
        pytest.skip('checks the CPU (gloo) path')
    work_dir = tmp_path_factory.mktemp('dist')
    env = dict(os.environ, PYTHON=PYTHON, PORT='29533')
    opts = synthetic_coco_options(data)
    # the quickstart model (cheap); its anchors and 5 classes are already set
    proc = run([
        'bash', 'tools/dist_train.sh',
        'configs/ssd/ssd192_iresnet18_synthetic.py', '2', '--work-dir',
        str(work_dir), '--cfg-options', *opts[1:]
    ],
               env=env)
    return work_dir, opts, proc


def test_dist_train_two_cpu_processes(dist_run):
    work_dir, _, proc = dist_run
    assert (work_dir / 'epoch_1.pth').is_file()
    log = next(work_dir.glob('*/*.log')).read_text()
    # mmengine's runtime-environment report ("GPU number" = world size)
    for line in ('Distributed launcher: pytorch', 'Distributed training: True',
                 'GPU number: 2', "dist_cfg: {'backend': 'gloo'}"):
        assert line in log, line
    assert 'Epoch(train) [1][2/2]' in log  # 8 images / (2 x 2) per step
    assert proc.returncode == 0


def test_dist_test_two_cpu_processes(dist_run, tmp_path):
    """``tools/dist_test.sh CONFIG CHECKPOINT 2`` gives the validation's
    mAP of the same checkpoint on the same images."""
    train_dir, opts, _ = dist_run
    work_dir = tmp_path / 'test'
    env = dict(os.environ, PYTHON=PYTHON, PORT='29534')
    run([
        'bash', 'tools/dist_test.sh',
        'configs/ssd/ssd192_iresnet18_synthetic.py',
        str(train_dir / 'epoch_1.pth'), '2', '--work-dir',
        str(work_dir), '--cfg-options', *opts[1:]
    ],
        env=env)
    log = next(work_dir.glob('*/*.log')).read_text()
    for line in ('Distributed training: True', 'GPU number: 2',
                 "dist_cfg: {'backend': 'gloo'}"):
        assert line in log, line
    assert 'Epoch(test) [1/1]' in log  # 4 val images / (2 x 2) per step
    val_log = next(train_dir.glob('*/*.log')).read_text()
    assert coco_map(log) == coco_map(val_log)


def test_config_inherits_ours_by_absolute_path(tmp_path):
    child = tmp_path / 'elsewhere' / 'my_ssd.py'
    child.parent.mkdir()
    child.write_text(f"_base_ = '{CONFIGS / 'ssd300_iresnet50_coco.py'}'\n"
                     "model = dict(bbox_head=dict(num_classes=5))\n")
    cfg = Config.fromfile(str(child))
    assert cfg.custom_imports.imports == ['mmiresnet']
    assert cfg.default_scope == 'mmdet'
    assert cfg.model.backbone.type == 'IResNet'
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert type(model.bbox_head).__name__ == 'IRSSDHead'
    assert model.bbox_head.num_classes == 5


def test_missing_dataset_names_the_path(tmp_path):
    # the checked dataset types (mmiresnet.checks) refuse it before loading
    from mmiresnet.checks.data import PreflightError
    missing = tmp_path / 'no_such_data'
    cfg = Config.fromfile(str(SSD_SYNTHETIC))
    cfg.train_dataloader.dataset.data_root = str(missing) + '/'
    with pytest.raises(PreflightError, match=str(missing)):
        DATASETS.build(cfg.train_dataloader.dataset)

    cfg = Config.fromfile(str(CONFIGS / 'ssd' / 'ssd300_iresnet50_voc0712.py'))
    datasets = cfg.train_dataloader.dataset.dataset.datasets
    datasets[0].data_root = str(missing) + '/'
    with pytest.raises(PreflightError, match=str(missing)):
        DATASETS.build(datasets[0])


@pytest.mark.parametrize('name, path', [
    ('faster_rcnn/faster-rcnn_rgsnet50-b_fpn_1x_coco.py',
     'pretrained/rgsnet50-b_in1k.pth'),
    ('faster_rcnn/faster-rcnn_rgsnet50-res_fpn_5e_coco.py',
     'pretrained/rgsnet50-res_in1k.pth'),
])
def test_missing_pretrained_names_the_path(name, path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the relative path does not exist here
    cfg = Config.fromfile(str(CONFIGS / name))
    assert cfg.model.backbone.init_cfg.checkpoint == path
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError) as err:
        model.init_weights()
    assert path in str(err.value)
    assert 'convert_official_checkpoint.py' in str(err.value)
    assert not osp.exists(path)


def test_det_inferencer_runs_our_config_with_a_checkpoint(tmp_path):
    """docs/detection.md, "Run a trained detector on your own image":
    mmdet's ``DetInferencer`` with our config path and a checkpoint (it
    cannot resolve names of a third-party package's models). The
    checkpoint is the quickstart detector's random init, saved as training
    saves it (``state_dict`` + ``meta.dataset_meta``); the image is made
    here."""
    import numpy as np
    from mmdet.apis import DetInferencer
    cfg = Config.fromfile(str(SSD_SYNTHETIC))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    checkpoint = tmp_path / 'epoch_4.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=SYNTHETIC_CLASSES))),
        checkpoint)
    image = np.random.default_rng(0).integers(
        0, 256, (120, 160, 3), dtype=np.uint8)
    inferencer = DetInferencer(
        model=str(SSD_SYNTHETIC),
        weights=str(checkpoint),
        device='cpu',
        show_progress=False)
    assert inferencer.model.dataset_meta['classes'] == SYNTHETIC_CLASSES
    for key, value in model.state_dict().items():  # the checkpoint's weights
        assert torch.equal(inferencer.model.state_dict()[key], value), key
    result = inferencer(image, no_save_vis=True)
    (pred, ) = result['predictions']
    assert len(pred['bboxes']) == len(pred['scores']) == \
        len(pred['labels']) >= 1
    assert all(0 <= label < len(SYNTHETIC_CLASSES) for label in pred['labels'])
    for x1, y1, x2, y2 in pred['bboxes']:  # boxes in the image's pixels
        assert -1 <= x1 <= x2 <= 161 and -1 <= y1 <= y2 <= 121
