"""Backbone zoo: exact sizes, shapes, OpenMMLab behaviour, official parity."""
import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.registry import MODELS
from official_iresnet import (OfficialBasicBlock, OfficialBottleneck,
                              OfficialNet)
from torch.nn.modules.batchnorm import _BatchNorm

from mmiresnet.models.backbones import (IResGroup, IResGroupFix, IResNet,
                                        IResNetCIFAR, ResGroup, ResGroupFix,
                                        RGSNet, count_params)


def meta_model(cls, **kwargs):
    with torch.device('meta'):
        return cls(**kwargs)


def with_fc(model, num_classes):
    return count_params(model) + (model.out_channels[-1] + 1) * num_classes


# The exact counts of every named arch with its fc are in test_archs.py.


def test_backbone_only_and_ssd_trunk_counts():
    # The official code's backbone without fc, and the SSD300 trunk (stem and
    # stages 1-3, stage 3 at stride 1; Duta et al. 2020, Table 7).
    for cls, full, trunk in ((IResNet, 23_508_032,
                              8_543_296), (IResGroup, 23_862_080, 10_001_216),
                             (IResGroupFix, 22_341_440, 8_480_576)):
        assert count_params(meta_model(cls, depth=50)) == full
        ssd = meta_model(cls, depth=50, num_stages=3, strides=(2, 2, 1))
        assert count_params(ssd) == trunk


def test_ablations_keep_resnet50_size():
    # Tables 2 and 14: ResStage and ResMax have ResNet-50's 25.56M params.
    for variant in ('resstage', 'resmax', 'resnet'):
        model = meta_model(IResNet, depth=50, variant=variant)
        assert with_fc(model, 1000) == 25_557_032


@pytest.mark.parametrize('depth,c10,c100', [(164, 1.70, 1.73),
                                            (1001, 10.33, 10.35),
                                            (2000, 20.62, 20.65),
                                            (3002, 30.93, 30.96)])
@pytest.mark.parametrize('variant', ['iresnet', 'resnet'])
def test_cifar_param_counts_table5(depth, c10, c100, variant):
    model = meta_model(IResNetCIFAR, depth=depth, variant=variant)
    assert round(with_fc(model, 10) / 1e6, 2) == c10
    assert round(with_fc(model, 100) / 1e6, 2) == c100


def test_cifar_block_counts_table13():
    expected = {
        164: (18, 18, 18),
        1001: (111, 111, 111),
        2000: (222, 222, 222),
        3002: (333, 334, 333)
    }
    for depth, blocks in expected.items():
        assert meta_model(IResNetCIFAR, depth=depth).stage_blocks == blocks


@pytest.mark.parametrize('variant', ['b', 'res'])
def test_rgsnet50_params_table10(variant):
    model = meta_model(RGSNet, depth=50, variant=variant)
    total = with_fc(model, 1000)
    assert round(total / 1e6, 1) == 25.6
    # RG adds only GN affine parameters over ResNet-50.
    resnet = with_fc(meta_model(RGSNet, depth=50, variant='resnet'), 1000)
    assert resnet == 25_557_032
    gn = sum(2 * m.num_channels for m in model.modules()
             if isinstance(m, nn.GroupNorm))
    assert total - resnet == gn


def test_rgsnet_settings_reach_blocks_without_touching_the_class():
    before = {k: dict(v) for k, v in RGSNet.variants.items()}
    model = meta_model(
        RGSNet,
        depth=26,
        variant='d',
        rg_groups=16,
        inner_rg_position='before_relu',
        post_add_relu=True)
    assert 'variants' not in vars(model)
    assert RGSNet.variants == before
    assert model.block_settings(1)['rgs'] == dict(
        shortcut='rg', inner='before_relu', post_relu=True, groups=16)
    later = [b for b in model.blocks() if b.downsample is None]
    assert later and all(b.inner_rg == 'before_relu' and b.relu_after_add
                         and b.rg_norm.num_groups == 16 for b in later)
    first = [b for b in model.blocks() if b.downsample is not None]
    assert all(b.rg_shortcut is None for b in first)  # projection blocks
    plain = meta_model(RGSNet, depth=26, variant='b')
    assert all(b.inner_rg is None and not b.relu_after_add
               and b.rg_norm.num_groups == 32 for b in plain.blocks()
               if b.downsample is None)
    assert meta_model(
        RGSNet, depth=26, variant='resnet').block_settings(0)['rgs'] is None


def test_rgsnet_widths_and_gn_groups():
    for widen, groups in ((0.25, 8), (0.5, 16), (1, 32), (2, 64)):
        model = meta_model(
            RGSNet,
            depth=26,
            variant='res',
            widen_factor=widen,
            stem_type='cifar')
        assert model.out_channels == [
            int(256 * widen * 2**i) for i in range(4)
        ]
        gns = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
        assert gns and all(m.num_groups == groups for m in gns)
    for depth, blocks in ((26, (2, 2, 2, 2)), (32, (2, 3, 3, 2)),
                          (38, (3, 3, 3, 3)), (62, (3, 4, 10,
                                                    3)), (77, (3, 4, 15, 3))):
        assert meta_model(RGSNet, depth=depth).stage_blocks == blocks


FAMILIES = [
    (IResNet, dict(depth=18), (64, 128, 256, 512), (4, 8, 16, 32)),
    (IResNet, dict(depth=50), (256, 512, 1024, 2048), (4, 8, 16, 32)),
    (IResNet, dict(depth=50, variant='resstage'), (256, 512, 1024, 2048),
     (4, 8, 16, 32)),
    (IResNet, dict(depth=50,
                   variant='resmax'), (256, 512, 1024, 2048), (4, 8, 16, 32)),
    (IResGroup, dict(depth=50), (128, 256, 512, 1024), (4, 8, 16, 32)),
    (IResGroupFix, dict(depth=50), (128, 256, 512, 1024), (4, 8, 16, 32)),
    (ResGroup, dict(depth=50), (128, 256, 512, 1024), (4, 8, 16, 32)),
    (ResGroupFix, dict(depth=50), (128, 256, 512, 1024), (4, 8, 16, 32)),
    (RGSNet, dict(depth=50,
                  variant='b'), (256, 512, 1024, 2048), (4, 8, 16, 32)),
    (RGSNet, dict(depth=50,
                  variant='d'), (256, 512, 1024, 2048), (4, 8, 16, 32)),
    (RGSNet, dict(depth=50,
                  variant='res'), (256, 512, 1024, 2048), (4, 8, 16, 32)),
    (IResNetCIFAR, dict(depth=164), (64, 128, 256), (1, 2, 4)),
    (RGSNet, dict(depth=26, stem_type='cifar',
                  widen_factor=0.25), (64, 128, 256, 512), (1, 2, 4, 8)),
]


@pytest.mark.parametrize(
    'cls,kwargs,channels,strides',
    FAMILIES,
    ids=lambda v: getattr(v, '__name__', None))
def test_out_indices_channels_and_strides(cls, kwargs, channels, strides):
    size = 64
    x = torch.empty(1, 3, size, size, device='meta')
    n = len(channels)
    for out_indices in [tuple(range(n))] + [(i, ) for i in range(n)]:
        model = meta_model(cls, out_indices=out_indices, **kwargs)
        outs = model(x)
        assert isinstance(outs, tuple) and len(outs) == len(out_indices)
        for i, out in zip(out_indices, outs):
            assert out.shape == (1, channels[i], size // strides[i],
                                 size // strides[i])


def test_ssd_trunk_gives_one_38x38_map():
    for cls, channels in ((IResNet, 1024), (IResGroup, 512), (IResGroupFix,
                                                              512)):
        model = meta_model(
            cls, depth=50, num_stages=3, strides=(2, 2, 1), out_indices=(2, ))
        (out, ) = model(torch.empty(1, 3, 300, 300, device='meta'))
        assert out.shape == (1, channels, 38, 38)


def test_dilated_stage_keeps_resolution():
    model = meta_model(
        IResNet, depth=50, strides=(2, 2, 2, 1), dilations=(1, 1, 1, 2))
    outs = model(torch.empty(1, 3, 64, 64, device='meta'))
    assert outs[3].shape[-1] == outs[2].shape[-1] == 4


def _randomize_bn(model):
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) - .5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + .5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + .5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) - .5)


@pytest.mark.parametrize(
    'mine,official', [
        (lambda **kw: IResNet(depth=18, **kw),
         lambda: OfficialNet(OfficialBasicBlock, (2, 2, 2, 2))),
        (lambda **kw: IResNet(depth=50, **kw),
         lambda: OfficialNet(OfficialBottleneck, (3, 4, 6, 3))),
        (lambda **kw: IResGroup(depth=50, **kw),
         lambda: OfficialNet(OfficialBottleneck,
                             (3, 4, 6, 3), group='scaled')),
        (lambda **kw: IResGroupFix(depth=50, **kw),
         lambda: OfficialNet(OfficialBottleneck, (3, 4, 6, 3), group='fixed')),
    ],
    ids=['iresnet18', 'iresnet50', 'iresgroup50', 'iresgroupfix50'])
def test_matches_official_forward_and_keys(mine, official):
    torch.manual_seed(0)
    ref = official()
    _randomize_bn(ref)
    ref.eval()
    state = {
        k: v
        for k, v in ref.state_dict().items() if not k.startswith('fc.')
    }
    model = mine().eval()
    model.load_state_dict(state, strict=True)  # same key layout
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = ref.relu(ref.bn1(ref.conv1(x)))
        for i in range(1, 5):
            feats = getattr(ref, f'layer{i}')(feats)
        expected = feats
        assert torch.equal(model(x)[-1], expected)
        # The paper-exact variant is a different function.
        exact = mine(official_relu_shortcut=False).eval()
        exact.load_state_dict(state)
        assert (exact(x)[-1] - expected).abs().max() > 1e-2


def test_frozen_stages_survive_train():
    model = IResNet(depth=18, frozen_stages=2)
    model.train()
    frozen = [model.conv1, model.norm1, model.layer1, model.layer2]
    for module in frozen:
        assert all(not p.requires_grad for p in module.parameters())
        assert all(not m.training for m in module.modules())
    for module in (model.layer3, model.layer4):
        assert all(p.requires_grad for p in module.parameters())
        assert all(m.training for m in module.modules()
                   if isinstance(m, _BatchNorm))
    stem_only = IResNet(depth=18, frozen_stages=0).train()
    assert not stem_only.conv1.weight.requires_grad
    assert all(p.requires_grad for p in stem_only.layer1.parameters())


def test_norm_eval():
    model = IResNet(depth=18, norm_eval=True).train()
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    assert IResNet(depth=18).train().layer1[0].bn1.training


@pytest.mark.parametrize(
    'cls,kwargs', [(IResNet, dict(depth=18)),
                   (RGSNet, dict(depth=26, variant='res', widen_factor=0.25))])
def test_with_cp_same_outputs_and_grads(cls, kwargs):
    torch.manual_seed(0)
    ref = cls(**kwargs).train()
    ckpt = cls(with_cp=True, **kwargs).train()
    ckpt.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 16, 16)
    outs = []
    for model in (ref, ckpt):
        xi = x.clone().requires_grad_()
        out = model(xi)
        sum(o.square().sum() for o in out).backward()
        outs.append((out, xi.grad, [p.grad for p in model.parameters()]))
    for a, b in zip(outs[0][0], outs[1][0]):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(outs[0][1], outs[1][1])
    for a, b in zip(outs[0][2], outs[1][2]):
        torch.testing.assert_close(a, b)


def test_zero_init_residual_done_right():
    model = IResNet(depth=18, zero_init_residual=True)
    model.init_weights()
    for block in model.blocks():
        if block.norm_before_add:  # only the start blocks
            assert torch.count_nonzero(block.last_norm.weight) == 0
        elif block.last_norm is not None:  # end blocks: post-add norm kept
            assert torch.all(block.last_norm.weight == 1)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(4, 3, 32, 32))[-1].mean((2, 3))
    assert logits.std(0).max() > 0  # the signal is not zeroed
    resnet = IResNet(depth=18, variant='resnet', zero_init_residual=True)
    resnet.init_weights()
    assert all(
        torch.count_nonzero(b.last_norm.weight) == 0 for b in resnet.blocks())


def test_gn_and_syncbn_norm_cfg():
    gn = IResNet(depth=18, norm_cfg=dict(type='GN', num_groups=32)).eval()
    assert any(isinstance(m, nn.GroupNorm) for m in gn.modules())
    assert gn(torch.randn(1, 3, 32, 32))[-1].shape == (1, 512, 1, 1)
    sync = meta_model(IResNet, depth=50, norm_cfg=dict(type='SyncBN'))
    assert any(isinstance(m, nn.SyncBatchNorm) for m in sync.modules())
    with pytest.raises(ValueError, match='groups'):
        IResNet(depth=18, norm_cfg=dict(type='GN', num_groups=48))


def test_registered_in_all_scopes():
    pytest.importorskip('mmdet')
    pytest.importorskip('mmpretrain')
    from mmdet.registry import MODELS as DET
    from mmpretrain.registry import MODELS as CLS
    names = ('IResNet', 'IResGroup', 'IResGroupFix', 'ResGroup', 'ResGroupFix',
             'IResNetCIFAR', 'RGSNet')
    for name in names:
        assert MODELS.get(name).__name__ == name
        assert DET.get(name).__name__ == name
        assert CLS.get(name).__name__ == name
        # each library's registry: the class with its ResNet's defaults
        for scope, registry in (('mmdet', DET), ('mmpretrain', CLS)):
            assert registry.get(name).__bases__ == (MODELS.get(name), )
            assert registry.get(name).library == scope
        assert MODELS.get(name).library is None
    with torch.device('meta'):
        assert isinstance(
            DET.build(dict(type='mmdet.IResNet', depth=18)), IResNet)
        assert isinstance(
            CLS.build(dict(type='mmpretrain.RGSNet', depth=26)), RGSNet)
        assert isinstance(MODELS.build(dict(type='IResGroup')), IResGroup)


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=42), r"depth=42 .*allowed: \[18, 34, 50"),
    (dict(variant='resnext'), r"variant='resnext'.*allowed"),
    (dict(out_indices=(4, )), r'out_indices=\(4,\).*\[0, 4\)'),
    (dict(num_stages=3, out_indices=(3, )), r'out_indices.*\[0, 3\)'),
    (dict(frozen_stages=5), r'frozen_stages=5.*-1 .*to 4'),
    (dict(strides=(1, 2, 2)), r'strides=\(1, 2, 2\) must hold 4'),
    (dict(dilations=(1, 1)), r'dilations=\(1, 1\) must hold 4'),
    (dict(num_stages=5), r'num_stages=5; allowed: 1 to 4'),
    (dict(stem_type='deep'), r"stem_type='deep'.*allowed"),
    (dict(block_type='wide'), r"block_type='wide'.*allowed"),
    (dict(stage_blocks=(1, 1, 1, 1)), r'at least 2 blocks'),
    (dict(stage_blocks=(0, 2)), r'stage_blocks=\(0, 2\)'),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        meta_model(IResNet, **kwargs)


@pytest.mark.parametrize('cls,kwargs,match', [
    (IResGroup, dict(depth=18), r'depth=18 .*allowed: \[50, 101, 152\]'),
    (IResGroupFix, dict(groups=0), r'groups=0 must be a positive int'),
    (IResGroupFix, dict(groups=3), r'groups=3 must divide'),
    (IResNetCIFAR, dict(depth=51), r'depth=51 is not a CIFAR'),
    (RGSNet, dict(widen_factor=3), r'widen_factor=3.*allowed'),
    (RGSNet, dict(variant='c'), r"variant='c'.*allowed"),
    (RGSNet, dict(rg_groups=48), r'rg_groups=48 must divide'),
    (RGSNet, dict(inner_rg_position='middle'), r'inner_rg_position'),
])
def test_bad_family_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        meta_model(cls, **kwargs)


def test_custom_stage_blocks():
    model = meta_model(
        IResNet,
        depth=None,
        stage_blocks=(2, 3),
        block_type='basic',
        out_indices=(0, 1))
    assert model.stage_blocks == (2, 3) and model.out_channels == [64, 128]
    deep = meta_model(IResNet, stage_blocks=(2, 2, 2, 2))  # depth 50 block
    assert deep.block_type == 'bottleneck'


def test_pretrained_missing_file_names_path_and_remedy(tmp_path):
    path = str(tmp_path / 'nowhere' / 'iresnet18.pth')
    model = IResNet(
        depth=18, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(FileNotFoundError) as err:
        model.init_weights()
    assert path in str(err.value)
    assert 'convert_official_checkpoint.py' in str(err.value)
    assert 'init_cfg=None' in str(err.value)


def test_pretrained_refuses_partial_fit_and_loads_truncated(tmp_path):
    source = IResNet(depth=18)
    state = source.state_dict()
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': state}, good)
    # The SSD trunk (3 stages) takes the 4-stage file: layer4 is left over.
    trunk = IResNet(
        depth=18,
        num_stages=3,
        strides=(2, 2, 1),
        init_cfg=dict(type='Pretrained', checkpoint=str(good)))
    trunk.init_weights()
    assert torch.equal(trunk.layer3[0].conv1.weight,
                       source.layer3[0].conv1.weight)
    broken = dict(state)
    broken.pop('layer2.0.conv1.weight')
    broken['layer1.0.conv1.weight'] = torch.zeros(1)
    bad = tmp_path / 'bad.pth'
    torch.save(broken, bad)
    model = IResNet(
        depth=18, init_cfg=dict(type='Pretrained', checkpoint=str(bad)))
    with pytest.raises(ValueError) as err:
        model.init_weights()
    assert 'missing keys' in str(err.value)
    assert 'layer2.0.conv1.weight' in str(err.value)
    assert 'layer1.0.conv1.weight: (1,)' in str(err.value)


def test_model_code_runs_on_torch_2_1(monkeypatch):
    """torch 2.1 / 2.2 have no ``torch.compiler.is_compiling``: the blocks
    resolve dynamo's function of the same name once, at import, and the
    model code calls nothing newer-only directly."""
    from mmiresnet.models.backbones import blocks

    class Torch21Compiler:  # torch.compiler of torch 2.1: no is_compiling
        pass

    monkeypatch.setattr(torch, 'compiler', Torch21Compiler())
    resolved = blocks._resolve_is_compiling()
    from torch._dynamo import is_compiling as dynamo_is_compiling
    assert resolved is dynamo_is_compiling
    monkeypatch.undo()  # on newer torch dynamo's calls torch.compiler's
    assert resolved() is False
    sources = (Path(blocks.__file__).parents[1]).rglob('*.py')
    for path in sources:
        text = path.read_text()
        calls = re.findall(r'torch\.compiler\.\w+\(', text)
        assert not calls, (path, calls)
