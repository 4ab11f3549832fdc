"""Every detection config in configs/ loads, builds and runs.

* Each SSD / Faster R-CNN config (``default_scope='mmdet'``) parses with
  mmengine (``mmdet::`` bases resolved from the installed wheel), imports
  mmiresnet through ``custom_imports``, builds its model with mmdet's
  ``MODELS`` and runs one loss forward (2 images: the SSD neck's 1x1 level
  has BN) and one predict forward (1 image) at 300x300 (SSD300; 192x192 for
  the quickstart) / 128x128 (Faster R-CNN). Pretrained weights are not
  loaded (``init_weights`` is not called), so no file or download is needed.
  The SSD300 configs with 101-layer trunks (~48 GFLOPs per image) run their
  forward on the ``meta`` device instead (shapes of every map and head
  output, anchors); their loss and predict code is the same as that of the
  50-layer configs of the same family, which run for real.
* The SSD COCO configs have exactly the parameter counts of the iResNet
  paper's Table 7 (to 0.01M), counted on the meta device; the VOC ones
  differ only by the 21- instead of 81-way classifier.
* The recipes (paper SSD schedule, mmdet VOC / 1x, RGSNet short schedules)
  hold the values their comments claim.
"""
import copy
import functools
import math
import os
import re
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmdet')

from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.optim import MultiStepLR  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmiresnet.datasets.synthetic import SYNTHETIC_CLASSES  # noqa: E402
from mmiresnet.model_zoo import paper_figures  # noqa: E402
from mmiresnet.utils.config_index import family_config_paths  # noqa: E402

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
DET_PREFIXES = ('ssd', 'faster-rcnn')
# configs/<family>/<name>.py by file name
CONFIG_PATHS = {
    Path(p).name: Path(p)
    for p in family_config_paths(str(CONFIG_DIR))
}
DET_CONFIGS = sorted(
    name for name in CONFIG_PATHS if name.startswith(DET_PREFIXES))
SSD_CONFIGS = [c for c in DET_CONFIGS if c.startswith('ssd')]
FRCNN_CONFIGS = [c for c in DET_CONFIGS if c.startswith('faster-rcnn')]

# iResNet paper, Table 7 (SSD300 on COCO), parameters in millions: the
# model index's figures (configs/ssd/metafile.yml).
TABLE7_PARAMS = {
    stem[len('ssd300_'):-len('_coco')]: figure['params_m']
    for stem, figure in paper_figures().items()
    if stem.startswith('ssd300_') and stem.endswith('_coco')
}
SSD300_MAPS = [38, 19, 10, 5, 3, 1]
SSD300_PRIORS = [4, 6, 6, 6, 4, 4]


@functools.lru_cache(maxsize=None)
def _load(name):
    return Config.fromfile(str(CONFIG_PATHS[name]))


def load(name):
    """The parsed config (parsed once per test session, copied)."""
    return copy.deepcopy(_load(name))


@pytest.fixture(autouse=True, scope='module')
def mmdet_scope():
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(autouse=True, scope='module')
def cpu_threads():
    """One thread when the CPU is already busy.

    OpenMP threads spin-wait: on an oversubscribed 2-core machine, 2
    threads run these forwards several times slower than 1.
    """
    before = torch.get_num_threads()
    if os.getloadavg()[0] >= (os.cpu_count() or 1):
        torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_config_inventory():
    """All 16 SSD300 configs, 18 Faster R-CNN configs and the quickstart."""
    expected_ssd = {
        f'ssd300_{arch}_{data}.py'
        for arch in TABLE7_PARAMS
        for data in ('coco', 'voc0712')
    }
    assert expected_ssd <= set(SSD_CONFIGS)
    assert 'ssd300_iresnet50_coco.py' in SSD_CONFIGS
    backbones = ('resnet50', 'iresnet50', 'iresnet101', 'iresgroup50',
                 'rgsnet50-b', 'rgsnet50-res')
    expected_frcnn = {
        f'faster-rcnn_{b}_fpn_1x_{d}.py'
        for b in backbones
        for d in ('coco', 'voc0712')
    } | {
        f'faster-rcnn_{b}_fpn_{s}.py'
        for b in ('resnet50', 'rgsnet50-b', 'rgsnet50-res')
        for s in ('5e_coco', '10e_voc07')
    }
    assert expected_frcnn == set(FRCNN_CONFIGS)
    assert 'ssd192_iresnet18_synthetic.py' in SSD_CONFIGS


def test_no_other_detection_configs():
    """Configs not named ssd*/faster-rcnn* are not MMDetection configs."""
    for path in CONFIG_PATHS.values():
        if path.name.startswith(DET_PREFIXES):
            continue
        text = path.read_text()
        assert 'mmdet' not in text, (
            f'{path.name} looks like a detection config; name it ssd*/'
            'faster-rcnn* so that tests/test_det_configs.py covers it')


def make_batch(num_images, size, num_classes):
    """Images (uint8 BGR) and samples with two boxes each, in pixels."""
    h = w = size
    inputs, samples = [], []
    for i in range(num_images):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        sample = DetDataSample(
            metainfo=dict(
                img_id=i,
                img_shape=(h, w),
                ori_shape=(h, w),
                scale_factor=(1., 1.)))
        boxes = torch.tensor([[0.05, 0.10, 0.40, 0.55],
                              [0.50, 0.20, 0.95, 0.90]]) * size
        sample.gt_instances = InstanceData(
            bboxes=boxes, labels=torch.tensor([0, num_classes - 1]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def num_classes_of(cfg):
    if cfg.model.type == 'FasterRCNN':
        return cfg.model.roi_head.bbox_head.num_classes
    return cfg.model.bbox_head.num_classes


@pytest.mark.parametrize('name', DET_CONFIGS)
def test_config_builds_and_runs(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports == dict(
        imports=['mmiresnet'], allow_failed_imports=False)
    is_ssd = cfg.model.type == 'SingleStageDetector'
    if is_ssd:
        assert cfg.model.bbox_head.type == 'IRSSDHead'
        # ImageNet normalisation (not SSD-VGG's caffe std of 1)
        assert cfg.model.data_preprocessor.std == [58.395, 57.12, 57.375]
    size = 300 if name.startswith('ssd300') else (192 if is_ssd else 128)
    num_classes = num_classes_of(cfg)

    if name.startswith('ssd300') and '101' in name:
        return check_ssd300_on_meta(cfg)
    if not is_ssd:
        # Fewer proposals / sampled RoIs: the RoI head's fc layers on 1000
        # proposals would cost more than the backbone at 128x128.
        cfg.model.train_cfg.rpn_proposal.max_per_img = 64
        cfg.model.train_cfg.rcnn.sampler.num = 32
        cfg.model.test_cfg.rpn.max_per_img = 64
    model = MODELS.build(cfg.model)
    model.train()
    data = model.data_preprocessor(
        make_batch(2, size, num_classes), training=True)
    with torch.no_grad():
        feats = model.backbone(data['inputs'])
        if is_ssd:
            # SSD300: one map at stride 8 (stage 3 at stride 1); the
            # quickstart also takes stage 1 (stride 4) for its small shapes
            strides = (8, ) if name.startswith('ssd300') else (4, 8)
            assert [f.shape[-2:] for f in feats
                    ] == [(math.ceil(size / s), ) * 2 for s in strides]
            assert [f.shape[1]
                    for f in feats] == list(cfg.model.neck.in_channels)
        else:
            # four maps at strides 4/8/16/32 with FPN's in_channels
            assert [f.shape[-1]
                    for f in feats] == [size // s for s in (4, 8, 16, 32)]
            assert [f.shape[1]
                    for f in feats] == list(cfg.model.neck.in_channels)
        if name.startswith('ssd300'):
            maps = model.neck(feats)
            assert [m.shape[-1] for m in maps] == SSD300_MAPS
            priors = model.bbox_head.prior_generator.num_base_priors
            assert list(priors) == SSD300_PRIORS
            assert sum(p * s * s for p, s in zip(priors, SSD300_MAPS)) == 8732
        losses = model(**data, mode='loss')
        loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss) and loss.item() > 0, log_vars

    model.eval()
    data = model.data_preprocessor(
        make_batch(1, size, num_classes), training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert len(results) == 1
    pred = results[0].pred_instances
    assert pred.bboxes.shape == (len(pred.scores), 4)
    assert len(pred.labels) == len(pred.scores)
    if len(pred.labels):
        assert 0 <= int(pred.labels.min()) <= int(
            pred.labels.max()) < num_classes


def check_ssd300_on_meta(cfg):
    """Backbone -> neck -> head shapes of an SSD300 without computing."""
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
        model.train()
        feats = model.backbone(torch.empty(2, 3, 300, 300))
        assert len(feats) == 1
        assert tuple(feats[0].shape) == (2, cfg.model.neck.in_channels[0], 38,
                                         38)
        maps = model.neck(feats)
        assert [tuple(m.shape[1:]) for m in maps] == [
            (c, s, s) for c, s in zip(cfg.model.neck.out_channels, SSD300_MAPS)
        ]
        cls_scores, bbox_preds = model.bbox_head(maps)
    priors = list(model.bbox_head.prior_generator.num_base_priors)
    assert priors == SSD300_PRIORS
    num_classes = cfg.model.bbox_head.num_classes
    assert [tuple(c.shape[1:]) for c in cls_scores] == [
        (p * (num_classes + 1), s, s) for p, s in zip(priors, SSD300_MAPS)
    ]
    assert [tuple(b.shape[1:]) for b in bbox_preds
            ] == [(p * 4, s, s) for p, s in zip(priors, SSD300_MAPS)]
    assert sum(p * s * s for p, s in zip(priors, SSD300_MAPS)) == 8732


def count_params_meta(cfg):
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    return sum(p.numel() for p in model.parameters()), model


@pytest.mark.parametrize('arch', sorted(TABLE7_PARAMS))
def test_ssd300_params_match_table7(arch):
    coco = load(f'ssd300_{arch}_coco.py')
    assert coco.model.bbox_head.num_classes == 80
    n_coco, model = count_params_meta(coco)
    assert round(n_coco / 1e6, 2) == TABLE7_PARAMS[arch], n_coco

    # VOC: the same network with a 21-way instead of 81-way classifier.
    voc = load(f'ssd300_{arch}_voc0712.py')
    assert voc.model.bbox_head.num_classes == 20
    n_voc, _ = count_params_meta(voc)
    in_channels = voc.model.bbox_head.in_channels
    assert tuple(in_channels) == tuple(coco.model.bbox_head.in_channels)
    cls_params_per_class = sum(p * (c * 3 * 3 + 1)
                               for p, c in zip(SSD300_PRIORS, in_channels))
    assert n_coco - n_voc == 60 * cls_params_per_class


def lr_per_epoch(milestones, epochs, lr=0.02):
    """lr used in each 0-based epoch by an epoch-based MultiStepLR."""
    param = torch.nn.Parameter(torch.zeros(1))
    optim = torch.optim.SGD([param], lr=lr)
    sched = MultiStepLR(
        optim, milestones=milestones, by_epoch=True, begin=0, end=epochs)
    lrs = []
    for _ in range(epochs):
        lrs.append(optim.param_groups[0]['lr'])
        optim.step()
        sched.step()
    return lrs


@pytest.mark.parametrize('arch', sorted(TABLE7_PARAMS))
def test_ssd300_coco_paper_recipe(arch):
    cfg = load(f'ssd300_{arch}_coco.py')
    backbone = cfg.model.backbone
    assert backbone.num_stages == 3 and backbone.out_indices == (2, )
    assert backbone.norm_eval is False
    if arch.startswith('resnet'):
        assert backbone.type == 'ResNet' and backbone.strides == (1, 2, 1)
        assert backbone.init_cfg == dict(
            type='Pretrained', checkpoint=f'torchvision://{arch}', prefix=None)
    else:
        assert backbone.strides == (2, 2, 1)
        assert backbone.init_cfg == dict(
            type='Pretrained',
            checkpoint=f'iresnet://{arch}',
            prefix='backbone.')
    neck = cfg.model.neck
    c = 512 if arch.startswith('iresgroup') else 1024
    assert neck.in_channels == (c, )
    assert neck.out_channels == (c, 512, 512, 256, 256, 256)
    assert neck.l2_norm_scale is None and neck.norm_cfg == dict(type='BN')

    optim = cfg.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.momentum,
            optim.weight_decay) == ('SGD', 0.02, 0.9, 5e-4)
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=256)
    assert cfg.train_cfg.max_epochs == 130
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'CheckedCocoDataset'  # no RepeatDataset
    assert dataset.ann_file == 'annotations/instances_train2017.json'
    steps = [t['type'] for t in dataset.pipeline]
    for step in ('Expand', 'MinIoURandomCrop', 'RandomFlip',
                 'PhotoMetricDistortion'):
        assert step in steps
    warmup, multistep = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.by_epoch
    assert (warmup.begin, warmup.end) == (0, 1)
    assert warmup.convert_to_iter_based
    assert multistep.type == 'MultiStepLR'
    # "reduce the lr by 1/10 before the 86th and 108th epochs" (1-based)
    lrs = lr_per_epoch(multistep.milestones, 130)
    one_based = {e + 1: lr for e, lr in enumerate(lrs)}
    assert one_based[85] == pytest.approx(0.02)
    assert one_based[86] == pytest.approx(0.002)
    assert one_based[107] == pytest.approx(0.002)
    assert one_based[108] == pytest.approx(0.0002)
    assert one_based[130] == pytest.approx(0.0002)
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP'


@pytest.mark.parametrize('arch', sorted(TABLE7_PARAMS))
def test_ssd300_voc_recipe(arch):
    cfg = load(f'ssd300_{arch}_voc0712.py')
    coco = load(f'ssd300_{arch}_coco.py')
    assert cfg.model.backbone == coco.model.backbone
    assert cfg.model.neck == coco.model.neck
    head = cfg.model.bbox_head
    assert head.num_classes == 20
    assert head.anchor_generator.basesize_ratio_range == (0.2, 0.9)
    repeat = cfg.train_dataloader.dataset
    assert repeat.type == 'RepeatDataset' and repeat.times == 10
    concat = repeat.dataset
    assert concat.type == 'ConcatDataset'
    assert [d.ann_file for d in concat.datasets] == [
        'VOC2007/ImageSets/Main/trainval.txt',
        'VOC2012/ImageSets/Main/trainval.txt'
    ]
    assert cfg.val_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Main/test.txt'
    assert cfg.val_evaluator == dict(
        type='VOCMetric', metric='mAP', eval_mode='11points', _scope_='mmdet')
    assert cfg.default_hooks.checkpoint.save_best == 'pascal_voc/mAP'


FPN_IN = {
    'resnet50': [256, 512, 1024, 2048],
    'iresnet50': [256, 512, 1024, 2048],
    'iresnet101': [256, 512, 1024, 2048],
    'iresgroup50': [128, 256, 512, 1024],
    'rgsnet50-b': [256, 512, 1024, 2048],
    'rgsnet50-res': [256, 512, 1024, 2048],
}


@pytest.mark.parametrize('name', FRCNN_CONFIGS)
def test_faster_rcnn_recipe(name):
    cfg = load(name)
    arch, schedule = re.match(r'faster-rcnn_(.+)_fpn_(.+)\.py', name).groups()
    backbone = cfg.model.backbone
    assert backbone.num_stages == 4 and backbone.out_indices == (0, 1, 2, 3)
    assert backbone.frozen_stages == 1 and backbone.norm_eval is True
    assert cfg.model.neck.in_channels == FPN_IN[arch]
    if arch.startswith('rgsnet'):
        assert backbone.type == 'RGSNet'
        assert backbone.variant == arch.split('-')[1]
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=16)
    assert cfg.train_dataloader.batch_size == 2
    milestones = [
        s.milestones for s in cfg.param_scheduler if s.type == 'MultiStepLR'
    ][0]
    expected = {
        '1x_coco': (12, [8, 11], 0.02, 'coco/bbox_mAP'),
        '1x_voc0712': (4, [3], 0.01, 'pascal_voc/mAP'),
        '5e_coco': (5, [4], 0.02, 'coco/bbox_mAP'),
        '10e_voc07': (10, [8], 0.01, 'pascal_voc/mAP'),
    }[schedule]
    assert (cfg.train_cfg.max_epochs, milestones,
            cfg.optim_wrapper.optimizer.lr,
            cfg.default_hooks.checkpoint.save_best) == expected
    if schedule == '10e_voc07':
        dataset = cfg.train_dataloader.dataset
        assert dataset.type == 'CheckedVOCDataset'
        assert dataset.ann_file == 'VOC2007/ImageSets/Main/trainval.txt'
        assert cfg.val_evaluator.eval_mode == '11points'


def test_quickstart_config():
    cfg = load('ssd192_iresnet18_synthetic.py')
    assert tuple(cfg.train_dataloader.dataset.metainfo.classes) == \
        SYNTHETIC_CLASSES
    assert tuple(cfg.val_dataloader.dataset.metainfo.classes) == \
        SYNTHETIC_CLASSES
    assert cfg.model.bbox_head.num_classes == len(SYNTHETIC_CLASSES)
    assert cfg.model.backbone.init_cfg is None
    assert cfg.auto_scale_lr.enable is False
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.val_evaluator.ann_file == cfg.val_dataloader.dataset.data_root \
        + cfg.val_dataloader.dataset.ann_file


def test_users_path_resolves_to_the_ssd_config():
    """``configs/ssd300_iresnet50_coco.py``, the path of the users' command
    (``mim train mmdet configs/ssd300_iresnet50_coco.py``), is kept as a
    one-line child of ``configs/ssd/ssd300_iresnet50_coco.py`` and resolves
    to the same config."""
    alias = Config.fromfile(str(CONFIG_DIR / 'ssd300_iresnet50_coco.py'))
    assert alias.to_dict() == _load('ssd300_iresnet50_coco.py').to_dict()
    assert alias.filename != _load('ssd300_iresnet50_coco.py').filename
