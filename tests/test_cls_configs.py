"""MMPretrain classification configs, the classification head and the
classification path of tools/train.py / tools/test.py (argument handling
only; training runs are in test_cls_training.py)."""
import os.path as osp
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmiresnet.utils import launch
from mmiresnet.utils.config_index import cls_config_paths, family_config_paths
from mmiresnet.utils.model_stats import count_params

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / 'configs'

CLS_CONFIGS = [
    osp.splitext(osp.basename(p))[0]
    for p in cls_config_paths(str(CONFIG_DIR))
]
# configs/<family>/<name>.py by name
CONFIG_PATHS = {
    osp.splitext(osp.basename(p))[0]: p
    for p in family_config_paths(str(CONFIG_DIR))
}
# Exact parameter counts of the official code's models (1000 classes).
IMAGENET_PARAMS = {
    'iresnet50_8xb32_in1k': 25_557_032,
    'iresnet101_8xb32_in1k': 44_549_160,
    'iresnet152_8xb32_in1k': 60_192_808,
    'iresnet200_8xb32_in1k': 64_673_832,
    'iresnet302_8xb32_in1k': 96_585_512,
    'iresnet404_8xb32_in1k': 124_524_328,
    'iresgroup50_8xb32_in1k': 24_887_080,
    'iresgroup101_8xb32_in1k': 47_813_416,
    'iresgroup152_8xb32_in1k': 66_993_960,
    'iresgroupfix50_8xb32_in1k': 23_366_440,
    'iresgroupfix101_8xb32_in1k': 43_786_024,
    'iresgroupfix152_8xb32_in1k': 60_607_272,
    'resnet50_8xb32_in1k': 25_557_032,
    'resstage50_8xb32_in1k': 25_557_032,
    'resmax50_8xb32_in1k': 25_557_032,
    'rgsnet50-resnet_4xb32_in1k': 25_557_032,
}
# Table 5 of the iResNet paper, millions (CIFAR-10 / CIFAR-100 heads).
CIFAR_PARAMS_M = {
    164: (1.70, 1.73),
    1001: (10.33, 10.35),
    2000: (20.62, 20.65),
    3002: (30.93, 30.96)
}
# Building thousands of blocks takes seconds even on the meta device; for
# these the same family at a small depth stands in for the channel check
# (widths do not depend on depth) and the count uses test_backbones' oracle.
HUGE_DEPTH = 1001
# Configs run for real (loss + predict) at a tiny input.
REAL_FORWARD = [
    'iresnet50_8xb32_in1k', 'iresgroup50_8xb32_in1k',
    'iresgroupfix50_8xb32_in1k', 'resnet50_8xb32_in1k',
    'resstage50_8xb32_in1k', 'resmax50_8xb32_in1k', 'rgsnet50-b_4xb32_in1k',
    'rgsnet50-d_4xb32_in1k', 'rgsnet50-res_4xb32_in1k',
    'iresnet164_1xb64_cifar10', 'resnet164_1xb64_cifar100',
    'rgsnet26-b_2xb64_cifar100', 'rgsnet26-res-0.25x_2xb64_cifar100',
    'iresnet29_digits', 'resnet29_digits'
]


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread. On a shared 2-core machine two
    OpenMP threads wait on each other and run these 10-50x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def load_cfg(name):
    return Config.fromfile(CONFIG_PATHS[name])


def test_expected_configs_are_found():
    names = set(CLS_CONFIGS)
    expected = {
        f'iresnet{d}_8xb32_in1k'
        for d in (50, 101, 152, 200, 302, 404)
    }
    expected |= {f'iresgroup{d}_8xb32_in1k' for d in (50, 101, 152)}
    expected |= {f'iresgroupfix{d}_8xb32_in1k' for d in (50, 101, 152)}
    expected |= {f'rgsnet50-{v}_4xb32_in1k' for v in ('b', 'd', 'res')}
    expected |= {f'{a}50_8xb32_in1k' for a in ('resnet', 'resstage', 'resmax')}
    expected |= {
        f'{a}164_1xb64_cifar{c}'
        for a in ('iresnet', 'resnet')
        for c in (10, 100)
    }
    expected |= {
        f'iresnet{d}_1xb64_cifar{c}'
        for d in (1001, 2000, 3002)
        for c in (10, 100)
    }
    expected |= {
        f'rgsnet26-{v}{w}_2xb64_cifar100'
        for v in ('resnet', 'b', 'd', 'res')
        for w in ('-0.25x', '-0.5x', '', '-2x')
    }
    expected |= {'iresnet29_digits', 'resnet29_digits'}
    assert expected <= names, sorted(expected - names)
    # Detection configs in the same folder are not picked up.
    assert not [n for n in names if n.startswith(('ssd', 'faster'))]


@pytest.mark.parametrize('name', CLS_CONFIGS)
def test_config_loads_and_builds(name):
    from mmpretrain.models.classifiers import ImageClassifier

    from mmiresnet.models.heads.cls_head import IResNetClsHead
    cfg = load_cfg(name)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(
        imports=['mmiresnet'], allow_failed_imports=False)
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator',
                'optim_wrapper', 'param_scheduler', 'train_cfg',
                'auto_scale_lr', 'data_preprocessor'):
        assert key in cfg, key
    model_cfg = cfg.model.copy()
    huge = cfg.model.backbone.get('depth', 0) >= HUGE_DEPTH
    if huge:  # same widths at the smallest depth of the family
        model_cfg.backbone = dict(model_cfg.backbone, depth=20)
    from mmpretrain.registry import MODELS
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    assert isinstance(model, ImageClassifier)
    assert type(model.head) is IResNetClsHead
    assert model.head.in_channels == model.backbone.out_channels[-1]
    assert model.head.num_classes == cfg.data_preprocessor.num_classes
    # The backbone returns only what the head uses.
    assert len(model.backbone.out_indices) == 1
    params = count_params(model)
    if name in IMAGENET_PARAMS:
        assert params == IMAGENET_PARAMS[name]
    if name in ('rgsnet50-b_4xb32_in1k', 'rgsnet50-res_4xb32_in1k'):
        assert round(params / 1e6, 1) == 25.6  # RGSNet paper Table 10
    depth = cfg.model.backbone.get('depth')
    if 'cifar' in name and cfg.model.backbone.type == 'IResNetCIFAR':
        c10, c100 = CIFAR_PARAMS_M[depth]
        if not huge:
            assert round(params / 1e6, 2) == (
                c100 if 'cifar100' in name else c10)


def test_children_change_only_the_backbone():
    base = load_cfg('iresnet50_8xb32_in1k')
    child = load_cfg('iresnet101_8xb32_in1k')
    assert child.model.backbone.depth == 101
    assert child.model.head == base.model.head
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'auto_scale_lr'):
        assert child[key] == base[key], key


def test_recipes():
    ires = load_cfg('iresnet50_8xb32_in1k')
    assert ires.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)
    assert ires.param_scheduler.milestones == [30, 60, 80]
    assert ires.train_cfg.max_epochs == 90
    assert ires.train_dataloader.batch_size * 8 == \
        ires.auto_scale_lr.base_batch_size == 256
    train_types = [t['type'] for t in ires.train_dataloader.dataset.pipeline]
    assert train_types == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs'
    ]
    test_pipe = ires.val_dataloader.dataset.pipeline
    assert test_pipe[1] == dict(type='ResizeEdge', scale=256, edge='short')
    assert test_pipe[2] == dict(type='CenterCrop', crop_size=224)

    rgs = load_cfg('rgsnet50-res_4xb32_in1k')
    assert rgs.optim_wrapper.optimizer.lr == 0.05
    assert rgs.train_dataloader.batch_size * 4 == \
        rgs.auto_scale_lr.base_batch_size == 128
    assert rgs.param_scheduler.milestones == [30, 60]

    cifar = load_cfg('iresnet164_1xb64_cifar100')
    assert cifar.train_dataloader.batch_size == 64
    assert cifar.optim_wrapper.optimizer.weight_decay == 1e-4
    assert cifar.param_scheduler.milestones == [81, 122]
    assert cifar.train_cfg.max_epochs == 164
    assert cifar.train_dataloader.dataset.type == 'CheckedCIFAR100'

    rgs_c = load_cfg('rgsnet26-b-0.25x_2xb64_cifar100')
    assert rgs_c.train_dataloader.batch_size * 2 == 128
    assert rgs_c.optim_wrapper.optimizer.weight_decay == 5e-4
    assert rgs_c.param_scheduler.milestones == [82, 124]
    assert rgs_c.model.backbone.stem_type == 'cifar'

    digits = load_cfg('iresnet29_digits')
    types = [t['type'] for t in digits.train_dataloader.dataset.pipeline]
    assert 'RandomFlip' not in types and 'RandomCrop' in types
    assert digits.val_evaluator == dict(type='Accuracy', topk=(1, ))
    assert digits.train_cfg.val_interval == 1
    assert load_cfg('resnet29_digits').model.backbone.variant == 'resnet'


def _batch(model, num_classes, size=32, n=2):
    from mmpretrain.structures import DataSample
    inputs = [
        torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
        for _ in range(n)
    ]
    samples = [DataSample().set_gt_label(i % num_classes) for i in range(n)]
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), True)


@pytest.mark.parametrize('name', REAL_FORWARD)
def test_real_loss_and_predict(name):
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    cfg = load_cfg(name)
    model_cfg = cfg.model.copy()
    model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    model.train()
    data = _batch(model, cfg.data_preprocessor.num_classes)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss'} and torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert model.head.fc.weight.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model(**data, mode='predict')
    assert len(preds) == 2
    assert preds[0].pred_score.shape == (cfg.model.head.num_classes, )
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.))


# -- head --------------------------------------------------------------------
def build_head(**kwargs):
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(type='IResNetClsHead', **kwargs))


def test_head_registered_only_in_mmpretrain():
    from mmdet.registry import MODELS as DET_MODELS
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmpretrain.registry import MODELS as CLS_MODELS
    assert CLS_MODELS.get('IResNetClsHead') is not None
    assert 'IResNetClsHead' not in ROOT_MODELS.module_dict
    assert 'IResNetClsHead' not in DET_MODELS.module_dict


def test_head_pools_4d_like_the_neck():
    from mmpretrain.registry import MODELS
    head = build_head(num_classes=5, in_channels=8)
    neck = MODELS.build(dict(type='GlobalAveragePooling'))
    x = torch.randn(3, 8, 5, 7)
    direct = head((x, ))
    via_neck = head(neck((x, )))
    assert direct.shape == (3, 5)
    assert torch.equal(direct, via_neck)
    assert torch.equal(head(x), direct)  # a bare tensor works too
    assert torch.equal(head.pre_logits((x, )), neck((x, ))[0])


def test_head_dropout_only_in_training():
    head = build_head(num_classes=4, in_channels=16, dropout_ratio=0.5)
    assert isinstance(head.dropout, torch.nn.Dropout)
    x = torch.randn(6, 16)
    head.eval()
    expected = head.fc(x)
    assert torch.equal(head((x, )), expected)
    head.train()
    torch.manual_seed(0)
    assert not torch.equal(head((x, )), expected)
    assert build_head(num_classes=4, in_channels=16).dropout is None


def test_head_loss_and_topk():
    from mmpretrain.structures import DataSample
    head = build_head(num_classes=4, in_channels=8, topk=(1, 2), cal_acc=True)
    feats = (torch.randn(4, 8, 2, 2), )
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss', 'accuracy_top-1', 'accuracy_top-2'}
    expected = torch.nn.functional.cross_entropy(head(feats), torch.arange(4))
    torch.testing.assert_close(losses['loss'], expected)


def test_head_default_init_is_pytorch_linear():
    # Official fc init: nn.Linear's default; init_weights leaves it alone.
    torch.manual_seed(0)
    head = build_head(num_classes=3, in_channels=4)
    before = head.fc.weight.clone()
    head.init_weights()
    assert torch.equal(head.fc.weight, before)
    assert head.fc.weight.abs().max() <= 0.5  # U(-1/sqrt(4), 1/sqrt(4))


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_classes=0, in_channels=8), 'num_classes=0'),
    (dict(num_classes=3, in_channels=-1), 'in_channels=-1'),
    (dict(num_classes=3, in_channels=8,
          dropout_ratio=1.0), 'dropout_ratio=1.0'),
])
def test_head_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_head(**kwargs)


def test_head_wrong_channels_named():
    head = build_head(num_classes=3, in_channels=8)
    with pytest.raises(ValueError, match='16 channels but in_channels=8'):
        head((torch.randn(2, 16, 3, 3), ))
    with pytest.raises(ValueError, match=r'got shape \(2, 8, 3\)'):
        head((torch.randn(2, 8, 3), ))


def test_converted_head_keys():
    head = build_head(num_classes=10, in_channels=4, dropout_ratio=0.5)
    assert set(head.state_dict()) == {'fc.weight', 'fc.bias'}


# -- entry points -------------------------------------------------------------
class Captured(Exception):
    """Raised instead of building the Runner."""


def runner_cfg(monkeypatch, task, argv):
    """The config MMPretrain's own script (run by tools/<task>.py) hands to
    ``Runner.from_cfg``."""
    from mmengine.runner import Runner
    seen = {}

    def from_cfg(cfg):
        seen.update(cfg=cfg, script=sys.argv[0])
        raise Captured

    monkeypatch.setattr(Runner, 'from_cfg', from_cfg)
    # the checks of the data and files (run before the script) are tested
    # in test_bad_inputs.py; here only the merged config matters
    monkeypatch.setattr(launch, 'check_run', lambda *args: None)
    with pytest.raises(Captured):
        launch.run(task, argv)
    assert Path(seen['script']).parts[-4:] == ('mmpretrain', '.mim', 'tools',
                                               f'{task}.py')
    return seen['cfg']


def test_train_merges_cli_like_mmpretrain(monkeypatch, tmp_path):
    config = str(CONFIG_DIR / 'iresnet_cifar' / 'iresnet29_digits.py')
    cfg = runner_cfg(monkeypatch, 'train', [
        config, '--work-dir',
        str(tmp_path), '--amp', '--resume', '--auto-scale-lr', '--cfg-options',
        'train_cfg.max_epochs=3', 'train_dataloader.num_workers=0'
    ])
    assert cfg.work_dir == str(tmp_path)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.auto_scale_lr.enable is True
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.train_dataloader.persistent_workers is False  # 0 workers
    assert cfg.val_dataloader.persistent_workers is True
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')

    cfg = runner_cfg(monkeypatch, 'train',
                     [config, '--resume', 'x.pth', '--no-validate'])
    assert cfg.resume is True and cfg.load_from == 'x.pth'
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.work_dir == osp.join('./work_dirs', 'iresnet29_digits')


def test_test_merges_cli_like_mmpretrain(monkeypatch, tmp_path, capsys):
    config = str(CONFIG_DIR / 'iresnet_cifar' / 'iresnet29_digits.py')
    cfg = runner_cfg(monkeypatch, 'test', [
        config, 'ckpt.pth', '--work-dir',
        str(tmp_path), '--tta', '--cfg-options', 'test_dataloader.batch_size=7'
    ])
    assert cfg.load_from == 'ckpt.pth'
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.test_dataloader.batch_size == 7
    assert cfg.test_dataloader.dataset.pipeline[-1].type == 'TestTimeAug'
    with pytest.raises(SystemExit):
        launch.main('test', [config, 'ckpt.pth', '--out-item', 'metrics'])
    assert capsys.readouterr().err == 'error: --out-item needs --out FILE\n'
