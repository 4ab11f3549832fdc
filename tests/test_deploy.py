"""Deployment: BN fusing, torch.export, ONNX + onnxruntime, torch.compile.

Small widths and inputs keep every test fast; the fusing sweep covers every
family of the architecture table and both block types.
"""
import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import mmiresnet  # noqa: F401  (registers the models)
from mmiresnet.archs import ARCHS, FAMILIES
from mmiresnet.models.backbones.blocks import ResidualBlock
from mmiresnet.utils.deploy import (TensorForward, export_onnx, export_program,
                                    onnxruntime_outputs)

REPO = Path(__file__).resolve().parents[1]
IRESNET50_CONFIG = REPO / 'configs' / 'iresnet' / 'iresnet50_8xb32_in1k.py'
DIGITS_CONFIG = REPO / 'configs' / 'iresnet_cifar' / 'iresnet29_digits.py'
fuse_conv_bn = pytest.importorskip('mmcv.cnn').fuse_conv_bn
MMLogger.get_instance('mmengine', log_level='WARNING')


def fuse_archs():
    """Per family and block type, the smallest depth of the table whose
    stages all hold >= 3 blocks (start, ReLU- and BN-pre-activated, end
    blocks), else the smallest depth."""
    names = []
    for fam in FAMILIES:
        for block_type in ('basic', 'bottleneck'):
            archs = [
                a for a in ARCHS.values()
                if a.family is fam and a.block_type == block_type
            ]
            if archs:
                full = [a for a in archs if min(a.stage_blocks) >= 3]
                names.append(min(full or archs, key=lambda a: a.depth).name)
    return names


def small_cfg(arch, **overrides):
    """Backbone config of ``arch`` at a small width."""
    arch = ARCHS[arch]
    if arch.type == 'RGSNet':
        overrides.setdefault('widen_factor', 0.25)
    elif arch.type != 'IResNetCIFAR':  # CIFAR nets are 16 wide already
        overrides.setdefault('base_channels', 16)
    return arch.backbone_cfg(**overrides)


def build_classifier(cfg):
    """An MMPretrain classifier, built in MMPretrain's scope as its
    ``get_model`` does (whatever scope is current)."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as CLS_MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return CLS_MODELS.build(cfg)


def randomize_norms(model, seed=0):
    """Trained-looking norms: random statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (_BatchNorm, torch.nn.GroupNorm)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
            if isinstance(m, _BatchNorm):
                m.running_mean.copy_(
                    torch.randn(m.running_mean.shape, generator=g) * 0.5)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5)
    return model


def build(cfg, seed=0):
    torch.manual_seed(seed)
    return randomize_norms(MODELS.build(cfg), seed).eval()


def flat(outs):
    return [outs
            ] if torch.is_tensor(outs) else [t for o in outs for t in flat(o)]


def max_rel_diff(outs, refs):
    outs, refs = flat(outs), flat(refs)
    assert len(outs) == len(refs) > 0
    return max(
        float((o - r).abs().max() / r.abs().max()) for o, r in zip(outs, refs))


def unfusable_norms(model):
    """BN layers that normalise no conv output: pre-activation ``bn0`` and
    the norm after the addition of iResNet end blocks."""
    names = set()
    for name, m in model.named_modules():
        if isinstance(m, ResidualBlock):
            if m.pre_act == 'norm_relu':
                names.add(f'{name}.{m.norm_names[0]}')
            if m.norm_after_add:
                names.add(f'{name}.{m.norm_names[m.num_convs]}')
    return names


def check_fuse(model, x, tol=1e-5):
    """Fuse ``model`` in float64; outputs and unfused BN layers as expected.
    """
    model = model.double()
    x = x.double()
    keep = unfusable_norms(model)
    with torch.no_grad():
        ref = model(x)
        fused = fuse_conv_bn(model)
        out = fused(x)
    left = {n for n, m in fused.named_modules() if isinstance(m, _BatchNorm)}
    assert left == keep  # every BN after a conv folded, no other
    assert max_rel_diff(out, ref) <= tol
    return fused


@pytest.mark.parametrize('arch', fuse_archs())
def test_fuse_conv_bn_keeps_outputs(arch):
    size = 32 if 'cifar' in arch else 64
    check_fuse(build(small_cfg(arch)), torch.randn(2, 3, size, size))


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_fuse_folds_exactly_the_conv_norms_of_every_arch(arch):
    """Every arch of the table, on the meta device: fuse_conv_bn folds every
    BN that normalises a conv output and leaves the others (pre-activation
    and after-addition norms); the per-family tests above check values."""
    with torch.device('meta'):
        model = MODELS.build(ARCHS[arch].backbone_cfg()).eval()
    keep = unfusable_norms(model)
    norms = {n for n, m in model.named_modules() if isinstance(m, _BatchNorm)}
    assert keep < norms
    fused = fuse_conv_bn(model)
    left = {n for n, m in fused.named_modules() if isinstance(m, _BatchNorm)}
    assert left == keep


def test_fuse_covers_every_family_and_block_role():
    names = fuse_archs()
    assert {ARCHS[n].family.name
            for n in names} == {fam.name
                                for fam in FAMILIES}
    assert {ARCHS[n].block_type for n in names} == {'basic', 'bottleneck'}
    model = MODELS.build(small_cfg('iresnet50'))
    blocks = [b for b in model.modules() if isinstance(b, ResidualBlock)]
    assert {b.pre_act for b in blocks} == {None, 'relu', 'norm_relu'}
    assert any(b.norm_after_add for b in blocks)


def test_fuse_ssd300_trunk():
    cfg = Config.fromfile(REPO / 'configs/ssd300_iresnet50_coco.py')
    cfg = cfg.model.backbone
    cfg = dict(cfg, init_cfg=None, base_channels=16)
    assert (cfg['num_stages'], cfg['strides']) == (3, (2, 2, 1))
    check_fuse(build(cfg), torch.randn(1, 3, 96, 96))


def test_fuse_classifier():
    cfg = Config.fromfile(IRESNET50_CONFIG).model
    model = build_classifier(cfg)
    randomize_norms(model).eval()
    x = torch.randn(1, 3, 64, 64)
    check_fuse(TensorForward(model), x)


def test_fuse_check_fails_with_the_old_registration_order():
    """Registering the after-addition norm after the last conv (as before
    the fix) makes fuse_conv_bn fold it into that conv: outputs change."""
    model = build(small_cfg('iresnet50')).double()
    for block in model.modules():
        if isinstance(block, ResidualBlock) and block.norm_after_add:
            name = block.norm_names[block.num_convs]
            block._modules[name] = block._modules.pop(name)  # re-append
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    with torch.no_grad():
        ref = model(x)
        out = fuse_conv_bn(model)(x)
    assert max_rel_diff(out, ref) > 0.01


def test_fuse_keeps_checkpoint_keys():
    model = build(small_cfg('iresnet50'))
    keys = list(model.state_dict())
    assert 'layer1.2.bn0.weight' in keys and 'layer1.2.bn3.weight' in keys
    reloaded = build(small_cfg('iresnet50'), seed=1)
    reloaded.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert max_rel_diff(reloaded(x), model(x)) == 0


# -- torch.export and ONNX -------------------------------------------------
EXPORT_BACKBONES = ['iresnet18', 'iresgroup50', 'rgsnet26-d']


def small_classifier():
    cfg = Config.fromfile(IRESNET50_CONFIG).model
    cfg.backbone.stage_blocks = (2, 3, 2, 2)
    cfg.backbone.base_channels = 16
    cfg.head.in_channels = 16 * 8 * 4
    cfg.head.num_classes = 10
    torch.manual_seed(0)
    return randomize_norms(build_classifier(cfg)).eval()


def export_models():
    return [(name, lambda n=name: build(small_cfg(n)))
            for name in EXPORT_BACKBONES] + [('classifier', small_classifier)]


@pytest.mark.parametrize(
    'name,make', export_models(), ids=[n for n, _ in export_models()])
def test_torch_export(name, make):
    model = make()
    program = export_program(model, torch.randn(2, 3, 64, 64))
    x = torch.randn(3, 3, 64, 64)  # another batch size
    with torch.no_grad():
        ref = TensorForward(model)(x)
        out = program.module()(x)
    assert max_rel_diff(out, ref) <= 1e-5


@pytest.mark.parametrize(
    'name,make', export_models(), ids=[n for n, _ in export_models()])
def test_onnx_matches_onnxruntime(name, make, tmp_path):
    pytest.importorskip('onnxruntime')
    pytest.importorskip('onnxscript')
    model = fuse_conv_bn(make())  # deployed models are fused
    path = export_onnx(model, torch.randn(2, 3, 64, 64),
                       tmp_path / f'{name}.onnx')
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        ref = TensorForward(model)(x)
    outs = [torch.from_numpy(o) for o in onnxruntime_outputs(path, x)]
    assert max_rel_diff(outs, ref) <= 1e-4
    assert sorted(p.name for p in tmp_path.iterdir()) == [f'{name}.onnx']


def test_export_onnx_refuses_overwrite_and_bad_inputs(tmp_path):
    model = build(small_cfg('iresnet18', num_stages=1))
    path = tmp_path / 'm.onnx'
    path.write_text('keep')
    with pytest.raises(FileExistsError, match='force'):
        export_onnx(model, torch.randn(1, 3, 32, 32), path)
    assert path.read_text() == 'keep'
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        export_onnx(model, torch.randn(3, 32, 32), tmp_path / 'n.onnx')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        export_onnx(model, torch.randn(1, 3, 32, 32),
                    tmp_path / 'missing' / 'n.onnx')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['m.onnx']


def test_dynamic_batch_needs_a_batch_of_two():
    model = build(small_cfg('iresnet18', num_stages=1))
    with pytest.raises(ValueError, match='batch >= 2'):
        export_program(model, torch.randn(1, 3, 32, 32))
    program = export_program(
        model, torch.randn(1, 3, 32, 32), dynamic_batch=False)
    assert flat(program.module()(torch.randn(1, 3, 32, 32)))[0].shape[0] == 1


# -- tools/export.py --------------------------------------------------------
def run_export(*args):
    return subprocess.run(
        [sys.executable,
         str(REPO / 'tools/export.py'), *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))


@pytest.mark.parametrize('suffix', ['.onnx', '.pt2'])
def test_export_tool_verifies(suffix, tmp_path):
    if suffix == '.onnx':
        pytest.importorskip('onnxruntime')
    out = tmp_path / f'digits{suffix}'
    proc = run_export(DIGITS_CONFIG, '--out', out, '--fuse-conv-bn',
                      '--verify')
    assert proc.returncode == 0, proc.stderr
    assert 'verify: max relative difference' in proc.stdout
    diff = float(proc.stdout.split('difference ')[1].split()[0])
    assert diff <= 1e-4
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_export_tool_loads_checkpoint_and_refuses_bad_ones(tmp_path):
    cfg = Config.fromfile(DIGITS_CONFIG).model
    model = randomize_norms(build_classifier(cfg)).eval()
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=model.state_dict()), good)
    out = tmp_path / 'm.pt2'
    proc = run_export(DIGITS_CONFIG, '--out', out, '--checkpoint', good)
    assert proc.returncode == 0, proc.stderr
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        assert max_rel_diff(
            torch.export.load(str(out)).module()(x),
            TensorForward(model)(x)) <= 1e-5
    wrong = tmp_path / 'wrong.pth'
    torch.save({'backbone.conv1.weight': torch.zeros(1)}, wrong)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:100])
    for ckpt, message in [(wrong, 'does not fit the config'),
                          (truncated, 'not a PyTorch checkpoint')]:
        proc = run_export(DIGITS_CONFIG, '--out', tmp_path / 'n.pt2',
                          '--checkpoint', ckpt)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1].startswith('error: ')
        assert message in proc.stderr and 'Traceback' not in proc.stderr
    assert not (tmp_path / 'n.pt2').exists()


@pytest.mark.parametrize('args,message', [
    (['--out', '{tmp}/m.txt'], 'unknown format; allowed: .onnx, .pt2'),
    (['--out', '{tmp}/old.onnx'], 'exists; pass --force'),
    (['--out', '{tmp}/missing/m.onnx'], 'does not exist'),
    (['--out', '{tmp}/m.onnx', '--batch', '1'], 'must be >= 2'),
    (['--out', '{tmp}/m.onnx', '--config-typo'], 'unrecognized arguments'),
])
def test_export_tool_bad_arguments(args, message, tmp_path):
    (tmp_path / 'old.onnx').write_text('keep')
    args = [a.format(tmp=tmp_path) for a in args]
    proc = run_export(DIGITS_CONFIG, *args)
    assert proc.returncode == 2 and message in proc.stderr
    assert 'Traceback' not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['old.onnx']
    assert (tmp_path / 'old.onnx').read_text() == 'keep'


def test_export_tool_two_stage_needs_part_backbone(tmp_path):
    cfg = REPO / 'configs/faster_rcnn/faster-rcnn_iresnet50_fpn_1x_coco.py'
    proc = run_export(cfg, '--out', tmp_path / 'm.onnx')
    assert proc.returncode == 2 and '--part backbone' in proc.stderr
    assert not any(tmp_path.iterdir())


# -- the oneDNN max-pool of the shortcuts ----------------------------------
def test_shortcut_maxpool_fast_path_is_exact():
    from mmiresnet.models.backbones.blocks import MaxPool2d
    pool = MaxPool2d(3, 2, 1)
    x = torch.randn(2, 8, 15, 12)
    x[:, :4] = x[:, :4].relu()  # ties at zero, as after a ReLU
    with torch.no_grad():
        assert pool._use_onednn(x)
        assert torch.equal(pool(x), torch.nn.functional.max_pool2d(x, 3, 2, 1))
    x.requires_grad_()
    assert not pool._use_onednn(x)  # training: PyTorch's own kernel
    pool(x).sum().backward()
    assert x.grad.sum() == 2 * 8 * 8 * 6


# -- torch.compile (CPU inductor) ------------------------------------------
def test_compile_train_step_matches_eager():
    """Forward + backward of an iResNet stage with every block role
    (start with the max-pool shortcut, ReLU- and BN-pre-activated middle,
    end); the full iResNet-50 is checked by tools/analysis/benchmark.py
    --compile --mode train (docs/deployment.md)."""
    cfg = small_cfg('iresnet50', stage_blocks=(4, ), num_stages=1)
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    compiled_model = copy.deepcopy(model)
    x = torch.randn(2, 3, 32, 32)
    g = torch.Generator().manual_seed(1)
    weights = None

    def step(net, fn):
        nonlocal weights
        outs = fn(x)
        if weights is None:  # a loss whose gradients are well conditioned
            weights = [torch.randn(o.shape, generator=g) for o in outs]
        loss = sum((o * w).mean() for o, w in zip(outs, weights))
        loss.backward()
        grads = torch.cat([p.grad.flatten() for p in net.parameters()])
        return outs, loss, grads

    outs, loss, grads = step(model, model)
    c_outs, c_loss, c_grads = step(compiled_model,
                                   torch.compile(compiled_model))
    assert max_rel_diff(c_outs, outs) <= 1e-4
    assert abs(float(c_loss - loss)) <= 1e-4 * abs(float(loss))
    assert float((c_grads - grads).norm() / grads.norm()) <= 1e-4
    for a, b in zip(compiled_model.buffers(), model.buffers()):
        assert torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-6)


def test_compile_ssd300_predict_matches_eager():
    """The SSD300 config's predict path (trunk, neck, head, NMS) at a
    smaller width, on one 300x300 image."""
    from mmdet.registry import MODELS as DET_MODELS
    from mmdet.structures import DetDataSample
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = Config.fromfile(REPO / 'configs/ssd300_iresnet50_coco.py').model
    cfg.backbone.update(
        init_cfg=None, base_channels=16, stage_blocks=(2, 2, 2))
    widths = (256, 128, 128, 64, 64, 64)
    cfg.neck.update(in_channels=widths[:1], out_channels=widths)
    cfg.bbox_head.in_channels = widths
    torch.manual_seed(0)
    model = DET_MODELS.build(cfg)
    randomize_norms(model).eval()
    image = torch.randint(0, 256, (3, 300, 300), dtype=torch.uint8)
    sample = DetDataSample(
        metainfo=dict(
            img_id=0,
            img_shape=(300, 300),
            ori_shape=(300, 300),
            scale_factor=(1., 1.)))
    data = model.data_preprocessor(
        dict(inputs=[image], data_samples=[sample]), False)
    inputs, samples = data['inputs'], data['data_samples']
    with torch.no_grad():
        ref = model.predict(inputs, copy.deepcopy(samples))[0].pred_instances
        out = torch.compile(model.predict)(inputs, copy.deepcopy(samples))
    out = out[0].pred_instances
    assert len(ref.scores) > 0 and len(out.scores) == len(ref.scores)
    assert torch.equal(out.labels, ref.labels)
    assert max_rel_diff([out.scores, out.bboxes],
                        [ref.scores, ref.bboxes]) <= 1e-4
