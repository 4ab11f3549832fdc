"""iResNet as a drop-in for MMDetection's and MMPretrain's ResNet.

The oracle: every distinct ResNet / ResNetV1c / ResNetV1d backbone setting
in the configs of the installed mmdet and mmpretrain wheels, enumerated from
the wheels when this module loads (``tools/analysis/dropin_report.py``,
cached for the module), built as ``IResNet(variant='resnet', **the same
kwargs)`` from that library's registry, has the library ResNet's parameter
names, shapes and count and loads its state dict strictly (every setting,
on the meta device), and gives the same eval outputs and training-mode
gradients (exactly here; the bound is 1e-5). The numeric check runs once per
group of settings that differ only in keys that leave the computation alone
once the weights are loaded (init_cfg, zero_init_residual, out_indices: all
stages are compared, SyncBN vs BN on one process, arguments given at their
defaults) and at the smallest depth of the same block type (18 or 50).

Then the improved variants with the same settings (DCN, plugins, caffe
style, deep stem, ResNet-D shortcut, expansion, stochastic depth): design
parameter counts, forward, backward and ``fuse_conv_bn``; the settings a
family refuses (a ValueError naming argument, family and allowed values);
the per-library defaults; the docs table against the census tool; and two
mmdet configs (DCN, GCB) trained with only ``type='IResNet'`` on the CPU.
"""
import contextlib
import copy
import importlib.util
import inspect
import io
import json
import pickle
import re
import warnings
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import mmiresnet  # noqa: F401  (registers the backbones)
from mmiresnet.models.backbones import IResGroup, IResNet, IResNetCIFAR, RGSNet
from mmiresnet.models.backbones.blocks import ResidualBlock

pytest.importorskip('mmdet')
pytest.importorskip('mmpretrain')
from mmcv.cnn import build_plugin_layer, fuse_conv_bn  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# mmdet's own solov2 / tood configs use the old DCN argument name
pytestmark = pytest.mark.filterwarnings(
    'ignore:"deformable_groups" is deprecated:DeprecationWarning')


def _load_tool():
    path = REPO / 'tools' / 'analysis' / 'dropin_report.py'
    spec = importlib.util.spec_from_file_location('dropin_report', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dropin = _load_tool()
SETTINGS, FAILED = dropin.enumerate_settings()  # once per module


def setting_id(setting):
    kw = setting.kwargs
    parts = [setting.library, setting.type, f"d{kw['depth']}"]
    for key, short in (('dcn', 'dcn'), ('plugins', 'plugins'), ('conv_cfg',
                                                                'ws'),
                       ('expansion', 'exp'), ('drop_path_rate', 'droppath')):
        if kw.get(key) is not None:
            parts.append(short)
    if kw.get('style') == 'caffe':
        parts.append('caffe')
    return '-'.join(parts) + f'-{SETTINGS.index(setting)}'


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Small tensors: one thread is as fast, and OpenMP threads spin-wait
    (several times slower) when the 2 cores are busy."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- the enumeration ---------------------------------------------------------
def test_wheels_hold_every_kind_of_setting():
    by_lib = {
        lib: [s for s in SETTINGS if s.library == lib]
        for lib in dropin.LIBRARIES
    }
    # mmdet 3.3 / mmpretrain 1.2 (setup.py pins them); docs/dropin.md
    assert {
        lib: len(s)
        for lib, s in by_lib.items()
    } == dict(
        mmdet=59, mmpretrain=21)
    kw = [s.kwargs for s in SETTINGS]
    assert {k['dcn']['type'] for k in kw if k.get('dcn')} == {'DCN', 'DCNv2'}
    assert {p['cfg']['type']
            for k in kw
            for p in k.get('plugins') or ()
            } == {'ContextBlock', 'GeneralizedAttention'}
    assert {s.type for s in SETTINGS} == set(dropin.RESNET_TYPES)
    for key in ('expansion', 'drop_path_rate', 'conv_cfg', 'dilations'):
        assert any(key in k for k in kw), key
    assert any(k.get('style') == 'caffe' for k in kw)
    assert {k.get('norm_cfg', {}).get('type')
            for k in kw} >= {'BN', 'SyncBN', 'GN'}
    # MMPretrain's Mask R-CNN benchmarks build mmdet's ResNet
    assert any(s.library == 'mmdet' and s.configs[0].startswith('mmpretrain::')
               for s in SETTINGS)


# -- the oracle: names, shapes, count, strict load (every setting) -----------
@pytest.mark.parametrize('setting', SETTINGS, ids=setting_id)
def test_resnet_variant_is_the_library_resnet(setting):
    ref = dropin.build_reference(setting)
    registry = importlib.import_module(f'{setting.library}.registry').MODELS
    with torch.device('meta'):
        ours = registry.build(
            dict(
                type='IResNet',
                variant='resnet',
                **dropin.iresnet_kwargs(setting)))
    assert type(ours).library == setting.library
    assert dropin.shapes(ours) == dropin.shapes(ref)
    assert sorted(dict(ours.named_parameters())) == sorted(
        dict(ref.named_parameters()))
    assert dropin.num_params(ours) == dropin.num_params(ref)
    ours.load_state_dict(ref.state_dict(), strict=True)
    assert ours.out_indices == tuple(ref.out_indices)
    assert ours.norm_eval == ref.norm_eval
    assert {
        n: p.requires_grad
        for n, p in ours.named_parameters()
    } == {
        n: p.requires_grad
        for n, p in ref.named_parameters()
    }


# -- the oracle: outputs and gradients (one setting per numeric group) -------
NUMERIC_IGNORED = ('init_cfg', 'zero_init_residual', 'out_indices',
                   'pretrained')


def numeric_key(setting):
    """The setting with every argument given (the library's defaults), the
    depth of its block type's smallest network, SyncBN as BN, and without
    the keys that do not change outputs or gradients."""
    cls = dropin.reference_class(setting)
    base = cls if setting.type == 'ResNet' else cls.__mro__[1]
    kw = {
        k: p.default
        for k, p in inspect.signature(base.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    kw.update(dropin.iresnet_kwargs(setting))
    for key in NUMERIC_IGNORED:
        kw.pop(key, None)
    kw['depth'] = small_depth(kw['depth'])
    norm = dict(kw['norm_cfg'])
    norm.setdefault('requires_grad', True)
    norm['type'] = 'BN' if norm['type'] == 'SyncBN' else norm['type']
    kw['norm_cfg'] = norm
    if kw.get('dcn') is None:
        kw.pop('stage_with_dcn', None)
    return setting.library, setting.type, json.dumps(
        dropin._plain(kw), sort_keys=True)


def small_depth(depth):
    return 18 if depth in (18, 34) else 50


def numeric_groups():
    groups = OrderedDict()
    for setting in SETTINGS:
        groups.setdefault(numeric_key(setting), []).append(setting)
    return list(groups.values())


NUMERIC_GROUPS = numeric_groups()


def randomize(model, seed=1):
    """Trained-looking norms and DCN offsets, non-zero plugin gates."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (_BatchNorm, nn.GroupNorm)) and \
                    m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + .5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * .2)
            if isinstance(m, _BatchNorm):
                m.running_mean.copy_(
                    torch.randn(m.running_mean.shape, generator=g) * .5)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=g) + .5)
        for name, p in model.named_parameters():
            if 'conv_offset' in name or name.endswith('gamma'):
                p.copy_(torch.randn(p.shape, generator=g) * .1)
    return model


def load_into_meta(model, ref):
    """``model`` (on meta) takes copies of ``ref``'s tensors. torch 2.1's
    ``assign`` does not keep requires_grad (frozen norms): restored."""
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    model.load_state_dict(copied_state(ref), strict=True, assign=True)
    for name, p in model.named_parameters():
        p.requires_grad_(flags[name])
    return model


def copied_state(model):
    state = model.state_dict()
    copied = OrderedDict((k, v.clone()) for k, v in state.items())
    copied._metadata = state._metadata  # DCN's version: no upgrade path
    return copied


def outputs_and_gradients(model, x):
    model.eval()
    with torch.no_grad():
        evals = model(x)
    model.train()
    torch.manual_seed(3)  # the same drop path masks
    xi = x.clone().requires_grad_()
    outs = model(xi)
    g = torch.Generator().manual_seed(2)
    loss = sum((o * torch.randn(o.shape, generator=g)).mean() for o in outs)
    loss.backward()
    grads = {
        n: p.grad
        for n, p in model.named_parameters() if p.grad is not None
    }
    return evals, outs, xi.grad, grads


def assert_close(a, b):
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    'group', NUMERIC_GROUPS, ids=[setting_id(g[0]) for g in NUMERIC_GROUPS])
def test_resnet_variant_same_outputs_and_gradients(group):
    setting = group[0]
    kwargs = dict(setting.kwargs, depth=small_depth(setting.kwargs['depth']))
    kwargs['out_indices'] = tuple(range(kwargs.get('num_stages', 4)))
    small = setting._replace(kwargs=kwargs)
    torch.manual_seed(0)
    ref = randomize(dropin.build_reference(small, device='cpu'))
    ours = dropin.build_ours(small)  # meta: the weights come from ref
    load_into_meta(ours, ref)
    size = 96 if kwargs.get('dcn') else 64  # DCN: 3x3 maps in stage 4
    x = torch.randn(1, 3, size, size)
    ref_evals, ref_outs, ref_dx, ref_grads = outputs_and_gradients(ref, x)
    evals, outs, dx, grads = outputs_and_gradients(ours, x)
    for a, b in zip(evals + outs, ref_evals + ref_outs):
        assert_close(a, b)
    assert_close(dx, ref_dx)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        assert_close(grads[name], ref_grads[name])


def test_numeric_groups_cover_every_setting_once():
    members = [s for g in NUMERIC_GROUPS for s in g]
    assert sorted(map(setting_id,
                      members)) == sorted(map(setting_id, SETTINGS))
    assert len(NUMERIC_GROUPS) < len(SETTINGS)


@pytest.mark.parametrize('library,kwargs', [
    ('mmdet', dict(depth=18, strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))),
    ('mmpretrain',
     dict(
         depth=50,
         strides=(1, 2, 2, 1),
         dilations=(1, 1, 1, 2),
         deep_stem=True,
         avg_down=True,
         base_channels=32,
         stem_channels=48,
         expansion=3,
         frozen_stages=2)),
])
def test_settings_beyond_the_configs(library, kwargs):
    """Options no config of the wheels combines: dilated basic blocks (their
    second 3x3 conv is not dilated, as in both libraries), a dilated
    ResNetV1d with its own widths and expansion."""
    setting = dropin.Setting(library, 'ResNet', kwargs, ())
    torch.manual_seed(0)
    ref = randomize(dropin.build_reference(setting, device='cpu'))
    ours = dropin.build_ours(setting)
    load_into_meta(ours, ref)
    x = torch.randn(1, 3, 64, 64)
    ref_evals, ref_outs, ref_dx, ref_grads = outputs_and_gradients(ref, x)
    evals, outs, dx, grads = outputs_and_gradients(ours, x)
    for a, b in zip(evals + outs + (dx, ), ref_evals + ref_outs + (ref_dx, )):
        assert_close(a, b)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        assert_close(grads[name], ref_grads[name])


# -- the improved variants with the same settings ----------------------------
FAMILIES = {
    'iresnet': (IResNet, dict(depth=50, variant='iresnet')),
    'resstage': (IResNet, dict(depth=50, variant='resstage')),
    'resmax': (IResNet, dict(depth=50, variant='resmax')),
    'resnet': (IResNet, dict(depth=50, variant='resnet')),
    'iresgroup': (IResGroup, dict(depth=50, groups=8)),
    'iresgroupfix': (MODELS.get('IResGroupFix'), dict(depth=50, groups=8)),
    'resgroup': (MODELS.get('ResGroup'), dict(depth=50, groups=8)),
    'resgroupfix': (MODELS.get('ResGroupFix'), dict(depth=50, groups=8)),
    'rgsnet-b': (RGSNet, dict(depth=26, variant='b', widen_factor=0.25)),
    'rgsnet-d': (RGSNet, dict(depth=26, variant='d', widen_factor=0.25)),
    'rgsnet-res': (RGSNet, dict(depth=26, variant='res', widen_factor=0.25)),
    'iresnet-cifar': (IResNetCIFAR, dict(variant='iresnet')),
    'resnet-cifar': (IResNetCIFAR, dict(variant='resnet')),
}
GROUP_FAMILIES = ('iresgroup', 'iresgroupfix', 'resgroup', 'resgroupfix')
#: Families with the improved projection shortcut (no caffe, no avg_down).
MAXPOOL_SHORTCUT = ('iresnet', 'resmax', 'iresgroup', 'iresgroupfix',
                    'iresnet-cifar')


def small_kwargs(family):
    cls, kwargs = FAMILIES[family]
    kwargs = dict(kwargs)
    if cls is IResNetCIFAR:
        kwargs['stage_blocks'] = (3, 2, 2)
    elif cls is not RGSNet:
        kwargs.update(stage_blocks=(3, 2, 2, 2), base_channels=16)
    return cls, kwargs


def num_stages(family):
    return 3 if small_kwargs(family)[0] is IResNetCIFAR else 4


def design_widths(family, i, expansion=None):
    """(3x3 conv width, output width) of stage ``i`` by the papers' design
    (independent of the model code): ResNet bottleneck widths at the small
    base width of 16, the ResGroup block's 4x wider grouped 3x3 conv."""
    base = 16
    if family in GROUP_FAMILIES:
        return 4 * base * 2**i, 2 * base * 2**i
    mid = base * 2**i
    return mid, mid * (expansion or 4)


def structural_options(family):
    """Every block-structure option the family honours."""
    options = dict(drop_path_rate=0.1)
    if 'cifar' not in family:
        options['deep_stem'] = True
    if family not in MAXPOOL_SHORTCUT:
        options.update(style='caffe', avg_down=True)
    if family not in GROUP_FAMILIES:
        options['expansion'] = 2
    return options


def extension_options(family, dcn_type='DCN', deform_groups=1):
    n = num_stages(family)
    last = (False, ) * (n - 2) + (True, True)
    plugins = [
        dict(
            cfg=dict(type='ContextBlock', ratio=1. / 4),
            stages=(False, ) + (True, ) * (n - 1),
            position='after_conv3'),
        dict(
            cfg=dict(
                type='GeneralizedAttention',
                spatial_range=-1,
                num_heads=8,
                attention_type='1111',
                kv_stride=2),
            stages=last,
            position='after_conv2'),
        dict(
            cfg=dict(type='NonLocal2d', reduction=2),
            stages=(False, True) + (False, ) * (n - 2),
            position='after_conv1'),
    ]
    return dict(
        dcn=dict(
            type=dcn_type,
            deform_groups=deform_groups,
            fallback_on_stride=False),
        stage_with_dcn=(False, ) + (True, ) * (n - 1),
        plugins=plugins)


def build_family(family, **options):
    cls, kwargs = small_kwargs(family)
    torch.manual_seed(0)
    return cls(**kwargs, **options)


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def plugin_params(cfg, channels):
    cfg = dict(cfg)
    cfg.pop('postfix', None)
    return num_params(build_plugin_layer(cfg, in_channels=channels)[1])


def expected_extension_params(family, options, expansion=None):
    """What DCN and plugins add by design: per DCN block an offset conv
    (3x3, 2 * 9 (DCN) or 3 * 9 (DCNv2, with the mask) channels per deform
    group, with bias) on the 3x3 conv's input; per plugin its own
    parameters at the width of the conv it follows."""
    _, kwargs = small_kwargs(family)
    blocks = kwargs['stage_blocks'] if 'stage_blocks' in kwargs else (2, 2, 2,
                                                                      2)
    dcn = options['dcn']
    per_k = 27 if dcn['type'] == 'DCNv2' else 18
    offsets = per_k * dcn['deform_groups']
    total = 0
    for i, n in enumerate(blocks):
        mid, out = design_widths(family, i, expansion)
        if options['stage_with_dcn'][i]:
            total += n * (offsets * mid * 9 + offsets)
        for plugin in options['plugins']:
            if plugin['stages'][i]:
                width = out if plugin['position'] == 'after_conv3' else mid
                total += n * plugin_params(plugin['cfg'], width)
    return total


def unfused_norms(model):
    """BNs fuse_conv_bn leaves: pre-activation and after-addition norms,
    and the norm after a DCN conv (not an nn.Conv2d)."""
    names = set()
    for name, block in model.named_modules():
        if isinstance(block, ResidualBlock):
            if block.pre_act == 'norm_relu':
                names.add(f'{name}.{block.norm_names[0]}')
            if block.norm_after_add:
                names.add(f'{name}.{block.norm_names[block.num_convs]}')
            if block.with_dcn:
                names.add(f'{name}.{block.norm_names[2]}')
    return names


def check_forward_backward_fuse(model, size):
    x = torch.randn(2, 3, size, size)
    model.train()
    outs = model(x)
    sum((o * o).mean() for o in outs).backward()
    missing = [
        n for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]
    assert not missing
    randomize(model).eval()
    model = model.double()
    with torch.no_grad():
        ref = model(x.double())
        fused = fuse_conv_bn(model)
        out = fused(x.double())
    left = {n for n, m in fused.named_modules() if isinstance(m, _BatchNorm)}
    assert left == unfused_norms(fused)
    for a, b in zip(out, ref):
        assert float((a - b).abs().max() / b.abs().max()) < 1e-8


@pytest.mark.parametrize('family', list(FAMILIES))
def test_improved_variants_take_every_setting(family):
    """DCN (v1 here), plugins at all three positions and every structural
    option the family honours at once: the parameters the design implies,
    then forward, backward and fuse_conv_bn."""
    structure = structural_options(family)
    extensions = extension_options(family)
    model = build_family(family, **structure, **extensions)
    plain = build_family(family, **structure)
    assert num_params(model) - num_params(plain) == \
        expected_extension_params(family, extensions,
                                  structure.get('expansion'))
    if family in ('iresnet', 'resstage', 'resmax'):
        # the improvements add no parameters (Duta et al. 2020, Table 2)
        same = {
            k: v
            for k, v in structure.items() if k not in ('style', 'avg_down')
        }
        resnet = IResNet(
            **dict(small_kwargs('resnet')[1], **same, **extensions))
        ours = IResNet(**dict(small_kwargs(family)[1], **same, **extensions))
        assert num_params(ours) == num_params(resnet)
    blocks = [b for b in model.blocks() if b.with_dcn]
    assert blocks and all(
        type(b.conv2).__name__ == 'DeformConv2dPack' for b in blocks)
    names = set(dict(model.named_modules()))
    for plugin in ('context_block', 'gen_attention_block', 'nonlocal_block'):
        assert any(n.endswith(plugin) for n in names), plugin
    check_forward_backward_fuse(model, 32 if 'cifar' in family else 96)


@pytest.mark.parametrize('family', ['iresnet', 'iresgroup', 'rgsnet-d'])
def test_dcnv2_with_deform_groups(family):
    extensions = extension_options(family, 'DCNv2', deform_groups=2)
    extensions['plugins'] = []
    model = build_family(family, **extensions)
    assert num_params(model) - num_params(build_family(family)) == \
        expected_extension_params(family, extensions)
    assert any(
        type(m).__name__ == 'ModulatedDeformConv2dPack'
        for m in model.modules())
    check_forward_backward_fuse(model, 96)


def test_plugins_sit_after_each_conv_of_the_branch():
    """A recording plugin at each position sees the output of that conv
    (after its norm and ReLU; the last one before the addition)."""
    model = build_family(
        'iresnet',
        plugins=[
            dict(
                cfg=dict(type='ContextBlock', ratio=1. / 4, postfix=p),
                position=f'after_conv{p}') for p in (1, 2, 3)
        ]).eval()
    block = model.layer1[1]  # the first middle block: ReLU pre-activation
    assert block.pre_act == 'relu' and not block.norm_before_add
    seen = {}
    for p in (1, 2, 3):
        getattr(block, f'context_block{p}').register_forward_hook(
            lambda m, i, o, p=p: seen.__setitem__(p, i[0].clone()))
    x = torch.randn(1, 64, 8, 8)
    with torch.no_grad():
        block(x)
        a = block.conv1(torch.relu(x))
        assert torch.allclose(seen[1], torch.relu(block.bn1(a)))
        b = block.conv2(block.context_block1(seen[1]))
        assert torch.allclose(seen[2], torch.relu(block.bn2(b)))
        c = block.conv3(block.context_block2(seen[2]))
        assert torch.allclose(seen[3], c)  # middle blocks end with conv3


def test_caffe_style_moves_the_stride_to_conv1():
    model = build_family('resstage', style='caffe')
    first = model.layer2[0]
    assert first.conv1.stride == (2, 2) and first.conv2.stride == (1, 1)
    pytorch = build_family('resstage')
    assert pytorch.layer2[0].conv2.stride == (2, 2)
    basic = IResNet(depth=18, style='caffe', base_channels=16)
    assert basic.layer2[0].conv1.stride == (2, 2)  # a basic block's first


def test_drop_path_rates_rise_over_the_blocks():
    model = build_family('iresnet', drop_path_rate=0.2)
    rates = [
        b.drop_path.drop_prob if b.drop_path else 0. for b in model.blocks()
    ]
    assert rates[0] == 0 and rates[-1] == pytest.approx(0.2)
    assert rates == sorted(rates) and len(set(rates)) == len(rates)
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # identity in eval
        assert torch.equal(model(x)[-1], build_family('iresnet').eval()(x)[-1])


# -- what a family cannot honour: ValueError, never TypeError ---------------
REFUSED = [
    (IResNet, dict(style='caffe'), "style='caffe'",
     "IResNet variant 'iresnet'", r"\['pytorch'\]"),
    (IResNet, dict(variant='resmax', style='caffe'), "style='caffe'",
     "variant 'resmax'", 'pytorch'),
    (IResGroup, dict(style='caffe'), "style='caffe'", 'IResGroup', 'pytorch'),
    (IResNet, dict(style='detectron'), "style='detectron'", 'IResNet',
     "'pytorch', 'caffe'"),
    (IResNet, dict(avg_down=True), 'avg_down=True', "variant 'iresnet'",
     r'\[False\]'),
    (IResNetCIFAR, dict(deep_stem=True), 'deep_stem=True', 'IResNetCIFAR',
     r'\[False\]'),
    (IResNet, dict(strides=(1, 2, 2, 1)), r'strides=\(1, 2, 2, 1\)',
     "variant 'iresnet'", 'first stride of 2'),
    (IResNet,
     dict(
         depth=18,
         dcn=dict(type='DCN'),
         stage_with_dcn=(False, True, True, True)), 'dcn=',
     "IResNet variant 'iresnet'", r'\[None\]'),
    (IResNet,
     dict(
         depth=34,
         variant='resnet',
         plugins=[
             dict(
                 cfg=dict(type='ContextBlock', ratio=.25),
                 position='after_conv3')
         ]), 'plugins=', "variant 'resnet'", r'\[None\]'),
    (IResNet, dict(depth=18,
                   expansion=2), 'expansion=2', 'IResNet', r'\[None, 1\]'),
    (IResGroup, dict(expansion=2), 'expansion=2', 'IResGroup', r'\[None\]'),
    (IResNet,
     dict(
         dcn=dict(type='DCN', fallback_on_stride=True),
         stage_with_dcn=(False, True, True, True)), 'fallback_on_stride=True',
     'dcn', 'allowed: False'),
    (IResNet,
     dict(
         dcn=dict(type='DCN'),
         conv_cfg=dict(type='ConvWS'),
         stage_with_dcn=(False, True, True, True)), 'conv_cfg', 'dcn',
     'must be None'),
    (IResNet, dict(dcn=dict(type='DCN'), stage_with_dcn=(True, )),
     r'stage_with_dcn=\(True,\)', 'num_stages=4', 'one per stage'),
    (IResNet, dict(dcn='DCN'), "dcn='DCN'", 'conv config', 'type'),
    (IResNet,
     dict(plugins=[
         dict(
             cfg=dict(type='ContextBlock', ratio=.25), position='after_conv4')
     ]), "position='after_conv4'", 'allowed', 'after_conv3'),
    (IResNet,
     dict(plugins=[
         dict(
             cfg=dict(type='ContextBlock', ratio=.25),
             position='after_conv3',
             stages=(True, ))
     ]), r'stages=\(True,\)', 'num_stages=4', 'flags'),
    (IResNet, dict(plugins=dict(cfg=None)), 'plugins=', 'list', 'dicts'),
    (IResNet, dict(expansion=0), 'expansion=0', 'positive int', 'None'),
    (IResNet, dict(drop_path_rate=1.5), 'drop_path_rate=1.5', r'\[0, 1\)',
     'number'),
    (IResNet, dict(deep_stem='yes'), "deep_stem='yes'", 'True or False',
     'False'),
    (IResNet, dict(pretrained=5), 'pretrained=5', 'str', 'None'),
    (IResNet,
     dict(
         pretrained='a.pth',
         init_cfg=dict(type='Pretrained', checkpoint='b.pth')),
     'init_cfg and pretrained', 'same time', 'init_cfg'),
]


@pytest.mark.parametrize(
    'cls,kwargs,argument,family,allowed',
    REFUSED,
    ids=[f'{c.__name__}-{i}' for i, (c, *_) in enumerate(REFUSED)])
def test_refused_settings_name_argument_family_and_allowed(
        cls, kwargs, argument, family, allowed):
    with pytest.raises(ValueError) as err, torch.device('meta'):
        cls(**kwargs)
    message = str(err.value)
    for part in (argument, family, allowed):
        assert re.search(part, message), (part, message)


def test_honoured_where_the_family_defines_it():
    with torch.device('meta'):
        for cls, kwargs in [
            (IResNet,
             dict(
                 variant='resstage',
                 style='caffe',
                 avg_down=True,
                 deep_stem=True)),
            (IResNet, dict(depth=18, style='caffe')),  # basic: same
            (IResNet, dict(strides=(2, 2, 2, 1), dilations=(1, 1, 1, 2))),
            (IResNet, dict(variant='resstage', strides=(1, 2, 2, 1))),
            (RGSNet, dict(variant='d', style='caffe', avg_down=True)),
            (MODELS.get('ResGroup'), dict(avg_down=True, style='caffe')),
            (IResNetCIFAR, dict(variant='resnet', style='caffe')),
            (IResNet, dict(depth=18, dcn=dict(type='DCN'))),  # no stage
        ]:
            cls(**kwargs)


# -- deprecated pretrained, Pretrained with DCN / plugins --------------------
def test_pretrained_is_deprecated_as_in_mmdet():
    with pytest.warns(UserWarning, match='pretrained is deprecated'):
        model = IResNet(depth=18, pretrained='x.pth', base_channels=16)
    assert model.init_cfg == dict(type='Pretrained', checkpoint='x.pth')


def test_imagenet_weights_load_into_dcn_and_plugin_backbones(tmp_path):
    """A plain ImageNet backbone file loads into a DCN + GCB backbone (the
    offsets and plugins keep their init, as mmdet), and a file that has
    them loads them; anything else still has to fit."""
    plain = randomize(build_family('iresnet'))
    path = tmp_path / 'plain.pth'
    torch.save(plain.state_dict(), path)
    ext = extension_options('iresnet')
    ext['plugins'] = ext['plugins'][:1]
    model = build_family(
        'iresnet', **ext, init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    for key, value in plain.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    offsets = [p for n, p in model.named_parameters() if 'conv_offset' in n]
    assert offsets and all(torch.count_nonzero(p) == 0 for p in offsets)
    full = randomize(build_family('iresnet', **ext), seed=5)
    path = tmp_path / 'full.pth'
    torch.save(full.state_dict(), path)
    again = build_family(
        'iresnet', **ext, init_cfg=dict(type='Pretrained', checkpoint=path))
    again.init_weights()
    for key, value in full.state_dict().items():
        assert torch.equal(again.state_dict()[key], value), key
    broken = dict(plain.state_dict())
    broken.pop('layer2.0.conv1.weight')
    path = tmp_path / 'broken.pth'
    torch.save(broken, path)
    with pytest.raises(ValueError, match='layer2.0.conv1.weight'):
        build_family(
            'iresnet',
            **ext,
            init_cfg=dict(type='Pretrained', checkpoint=path)).init_weights()


def test_mmdet_dcn_checkpoint_loads_through_init_cfg(tmp_path):
    from mmdet.models.backbones import ResNet
    kwargs = dict(
        depth=50,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        plugins=[
            dict(
                cfg=dict(type='ContextBlock', ratio=1. / 4),
                stages=(False, True, True, True),
                position='after_conv3')
        ])
    ref = randomize(ResNet(**copy.deepcopy(kwargs)))
    path = tmp_path / 'r50_dcn_gcb.pth'
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in ref.state_dict().items()
        }), path)
    ours = IResNet(
        variant='resnet',
        **kwargs,
        init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    ours.init_weights()
    x = torch.randn(1, 3, 96, 96)
    ref.eval()  # mmdet's train() returns None
    with torch.no_grad():
        for a, b in zip(ours.eval()(x), ref(x)):
            assert_close(a, b)


# -- per-library defaults -----------------------------------------------------
def test_each_library_name_follows_its_library():
    from mmdet.registry import MODELS as DET
    from mmpretrain.registry import MODELS as CLS
    with torch.device('meta'):
        det = DET.build(dict(type='IResNet', depth=50))
        cls = CLS.build(dict(type='IResNet', depth=50))
        root = MODELS.build(dict(type='IResNet', depth=50))
        det_v1d = DET.build(
            dict(
                type='IResNet',
                variant='resnet',
                deep_stem=True,
                avg_down=True))
        cls_v1d = CLS.build(
            dict(
                type='IResNet',
                variant='resnet',
                deep_stem=True,
                avg_down=True))
    # outputs: mmdet's ResNet all stages, MMPretrain's the last one
    assert det.out_indices == (0, 1, 2, 3) and cls.out_indices == (3, )
    # BN in eval mode while training: mmdet True, MMPretrain False
    assert det.norm_eval and not cls.norm_eval
    # plain IResNet (root registry, the class itself): mmiresnet's defaults
    assert type(root) is IResNet and root.out_indices == (0, 1, 2, 3)
    assert not root.norm_eval and IResNet(depth=18).library is None
    for cls_ in (type(det), type(cls)):
        assert issubclass(cls_, IResNet) and cls_.__name__ == 'IResNet'
    # layouts of the deep stem and of a stride-1 ResNet-D shortcut
    det_keys, cls_keys = set(det_v1d.state_dict()), set(cls_v1d.state_dict())
    assert {
        'stem.0.weight', 'stem.1.weight', 'stem.3.weight',
        'layer1.0.downsample.1.weight'
    } <= det_keys
    assert {
        'stem.0.conv.weight', 'stem.0.bn.weight',
        'layer1.0.downsample.0.weight'
    } <= cls_keys
    assert 'layer2.0.downsample.1.weight' in cls_keys  # strided: pool first


def test_library_classes_pickle():
    from mmdet.registry import MODELS as DET
    model = DET.build(
        dict(type='IResGroup', depth=50, base_channels=8, groups=8))
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    assert type(loaded) is type(model) and loaded.library == 'mmdet'
    assert pickle.loads(pickle.dumps(type(model))) is type(model)


# -- the census tool and the docs ---------------------------------------------
def docs_report():
    text = (REPO / 'docs' / 'dropin.md').read_text()
    match = re.search(
        r'<!-- dropin_report start -->\n(.*?)\n<!-- dropin_report end -->',
        text, re.S)
    assert match, 'docs/dropin.md has no dropin_report block'
    return match.group(1).rstrip('\n')


def test_docs_table_is_the_census_tool_output():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert dropin.main([]) == 0
    assert out.getvalue().rstrip('\n') == docs_report()
    text = (REPO / 'docs' / 'dropin.md').read_text()
    assert 'python tools/analysis/dropin_report.py' in text


# -- done when: mmdet's DCN and GCB configs train with type='IResNet' --------
def make_coco_with_masks(root, num_images=4, size=96, seed=0):
    """COCO-format boxes and polygon masks of rectangles and ellipses on
    noise, two classes."""
    import numpy as np
    from PIL import Image, ImageDraw
    rng = np.random.default_rng(seed)
    (root / 'train').mkdir(parents=True)
    images, annotations = [], []
    for i in range(num_images):
        img = Image.fromarray(
            rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
        draw = ImageDraw.Draw(img)
        for _ in range(2):
            w, h = rng.integers(20, 48, 2)
            x0, y0 = rng.integers(0, size - 48, 2)
            box = [int(x0), int(y0), int(x0 + w), int(y0 + h)]
            label = int(rng.integers(1, 3))
            draw.rectangle(
                box, fill=(255, 0, 0) if label == 1 else (0, 0, 255))
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=i + 1,
                    category_id=label,
                    bbox=[box[0], box[1], int(w),
                          int(h)],
                    area=int(w * h),
                    iscrowd=0,
                    segmentation=[[
                        box[0], box[1], box[2], box[1], box[2], box[3], box[0],
                        box[3]
                    ]]))
        name = f'{i:04d}.png'
        img.save(root / 'train' / name)
        images.append(dict(id=i + 1, file_name=name, width=size, height=size))
    ann = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=1, name='red'),
                    dict(id=2, name='blue')])
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'train.json').write_text(json.dumps(ann))
    return root


USER_CONFIG = """_base_ = '{base}'
custom_imports = dict(imports=['mmiresnet'], allow_failed_imports=False)
model = dict(backbone=dict(type='IResNet', init_cfg=None))
"""


@pytest.mark.parametrize('base,masks', [
    ('mmdet::dcn/faster-rcnn_r50-dconv-c3-c5_fpn_1x_coco.py', False),
    ('mmdet::gcnet/mask-rcnn_r50-gcb-r4-c3-c5_fpn_1x_coco.py', True),
])
def test_mmdet_config_trains_with_only_the_type_changed(base, masks, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    data = make_coco_with_masks(tmp_path / 'coco')
    config = tmp_path / 'user_config.py'
    config.write_text(USER_CONFIG.format(base=base))
    cfg = Config.fromfile(str(config))
    backbone = cfg.model.backbone
    assert backbone.type == 'IResNet' and backbone.style == 'pytorch'
    assert backbone.dcn if not masks else backbone.plugins
    # the data and the run (not the backbone): 4 images, 96 px, 2 steps
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=masks),
        dict(type='Resize', scale=(96, 96), keep_ratio=True),
        dict(type='PackDetInputs')
    ]
    cfg.train_dataloader = dict(
        batch_size=2,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(
            type='CocoDataset',
            data_root=str(data) + '/',
            ann_file='annotations/train.json',
            data_prefix=dict(img='train/'),
            metainfo=dict(classes=('red', 'blue')),
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=pipeline))
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.model.roi_head.bbox_head.num_classes = 2
    if masks:
        cfg.model.roi_head.mask_head.num_classes = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.log_level = 'WARNING'
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.name = f'vis_dropin_{tmp_path.name}'
    runner = Runner.from_cfg(cfg)
    model = runner.model.backbone
    assert type(model).__name__ == 'IResNet' and model.library == 'mmdet'
    assert model.variant == 'iresnet' and model.norm_eval
    if masks:
        assert any(
            n.endswith('context_block') for n, _ in model.named_modules())
    else:
        assert any(b.with_dcn for b in model.blocks())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    runner.train()
    assert runner.iter == 2
    changed = [
        k for k, v in model.state_dict().items()
        if not torch.equal(v, before[k])
    ]
    assert any('conv_offset' in k or 'context_block' in k for k in changed)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_docs_configs_build_with_only_the_backbone_changed(tmp_path):
    """Every ``_base_ = 'mmdet::...'`` of docs/dropin.md, with the page's
    custom_imports and backbone (weights aside), builds its detector in
    mmdet's scope with mmdet.IResNet, iResNet, and mmdet's other keys."""
    from mmdet.registry import MODELS as DET
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    text = (REPO / 'docs' / 'dropin.md').read_text()
    bases = re.findall(r"_base_ = '(mmdet::[^']+)'", text)
    assert len(bases) == 6
    for base in bases:
        config = tmp_path / 'user.py'
        config.write_text(USER_CONFIG.format(base=base))
        cfg = Config.fromfile(str(config))
        with DefaultScope.overwrite_default_scope('mmdet'), \
                torch.device('meta'):
            detector = DET.build(cfg.model)
        backbone = detector.backbone
        assert type(backbone).__name__ == 'IResNet', base
        assert backbone.library == 'mmdet' and backbone.variant == 'iresnet'
        assert backbone.frozen_stages == 1 and backbone.norm_eval
        assert (backbone.dcn is not None) == ('dconv' in base)
        assert bool(backbone.plugins) == ('gcb' in base)
