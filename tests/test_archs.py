"""The architecture table (mmiresnet/archs.py) and what derives from it."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.registry import MODELS

import mmiresnet  # noqa: F401  (registers the backbones)
from mmiresnet.archs import (ARCHS, CIFAR_DEPTHS, FAMILIES, OFFICIAL_WEIGHTS,
                             archs_with_weights, cifar_stage_blocks, get_arch)
from mmiresnet.checkpoint import backbone_cfg_from_arch
from mmiresnet.utils.model_stats import params_with_fc

REPO = Path(__file__).resolve().parents[1]

# Exact counts with a 1000-class fc: the official iResNet code (iresnet*,
# iresgroup*) and torchvision (resnet50/101/152); the ablations and
# baselines have the same counts as the iResNet of their depth (Tables 2,
# 6 and 14 of Duta et al. 2020).
IMAGENET_PARAMS = {
    'iresnet18': 11_689_512,
    'iresnet34': 21_797_672,
    'iresnet50': 25_557_032,
    'iresnet101': 44_549_160,
    'iresnet152': 60_192_808,
    'iresnet200': 64_673_832,
    'iresnet302': 96_585_512,
    'iresnet404': 124_524_328,
    'iresnet1001': 255_597_864,
    'iresgroup50': 24_887_080,
    'iresgroup101': 47_813_416,
    'iresgroup152': 66_993_960,
    'iresgroupfix50': 23_366_440,
    'iresgroupfix101': 43_786_024,
    'iresgroupfix152': 60_607_272,
    'resnet50': 25_557_032,
    'resnet101': 44_549_160,
    'resnet152': 60_192_808,
    'resstage50': 25_557_032,
    'resstage101': 44_549_160,
    'resstage152': 60_192_808,
    'resstage200': 64_673_832,
    'resmax50': 25_557_032,
    'resgroup50': 24_887_080,
    'resgroup101': 47_813_416,
    'resgroup152': 66_993_960,
    'resgroupfix50': 23_366_440,
    'resgroupfix101': 43_786_024,
    'resgroupfix152': 60_607_272,
    'rgsnet50-resnet': 25_557_032,
}


def build_meta(cfg):
    with torch.device('meta'):
        return MODELS.build(cfg)


@pytest.mark.parametrize('name', list(ARCHS))
def test_every_arch_builds_with_its_stage_blocks(name):
    arch = ARCHS[name]
    model = build_meta(arch.backbone_cfg())
    assert type(model).__name__ == arch.type
    assert model.variant == arch.variant and model.depth == arch.depth
    assert model.stage_blocks == arch.stage_blocks
    assert model.block_type == arch.block_type
    assert len(model.blocks()) == sum(arch.stage_blocks)


@pytest.mark.parametrize('name', list(IMAGENET_PARAMS))
def test_imagenet_param_counts_exact(name):
    model = build_meta(backbone_cfg_from_arch(name))
    assert params_with_fc(model, 1000) == IMAGENET_PARAMS[name]


def test_every_official_weight_has_an_exact_count():
    assert set(OFFICIAL_WEIGHTS) <= set(IMAGENET_PARAMS)


def test_names_titles_and_families():
    assert len(FAMILIES) == len({f.name for f in FAMILIES})
    for name, arch in ARCHS.items():
        assert arch.name == name == arch.family.name.format(depth=arch.depth)
        assert arch.title == arch.family.title.format(depth=arch.depth)
        assert (arch.block_type, arch.stage_blocks) == \
            arch.family.depths[arch.depth]
        assert arch.paper == arch.family.paper and 'et al.' in arch.paper
        assert arch.family.dataset in ('imagenet', 'cifar')
    assert len(ARCHS) == sum(len(f.depths) for f in FAMILIES)


def test_classes_read_their_depths_from_the_table():
    # A new depth is one row of a depth table: every class of a family uses
    # the family's table itself, not a copy.
    for family in FAMILIES:
        cls = MODELS.get(family.type)
        assert cls.arch_settings is family.depths, family.name
        assert family.variant in cls.variants, family.name


def test_every_class_variant_has_a_family():
    named = {(f.type, f.variant) for f in FAMILIES}
    types = {f.type for f in FAMILIES}
    for type_name in types:
        for variant in MODELS.get(type_name).variants:
            assert (type_name, variant) in named


def test_cifar_stage_blocks_table13():
    assert cifar_stage_blocks(164) == (18, 18, 18)
    assert cifar_stage_blocks(1001) == (111, 111, 111)
    assert cifar_stage_blocks(2000) == (222, 222, 222)
    assert cifar_stage_blocks(3002) == (333, 334, 333)
    assert tuple(CIFAR_DEPTHS) == (164, 1001, 2000, 3002)


def test_official_weights_names():
    assert archs_with_weights() == tuple(n for n in ARCHS
                                         if n in OFFICIAL_WEIGHTS)
    for name, source in OFFICIAL_WEIGHTS.items():
        assert ARCHS[name].weights == source
        assert source.startswith(('gdrive://', 'https://'))
        cfg = backbone_cfg_from_arch(name)
        assert cfg == dict(
            type=ARCHS[name].type,
            depth=ARCHS[name].depth,
            variant=ARCHS[name].variant)
    assert get_arch('iresnet18').weights is None


@pytest.mark.parametrize('name,expected', [
    ('iresnet50', dict(type='IResNet', depth=50, variant='iresnet')),
    ('resstage101', dict(type='IResNet', depth=101, variant='resstage')),
    ('iresgroupfix152', dict(
        type='IResGroupFix', depth=152, variant='iresnet')),
    ('rgsnet26-d', dict(type='RGSNet', depth=26, variant='d')),
    ('rgsnet200-resnet', dict(type='RGSNet', depth=200, variant='resnet')),
    ('iresnet3002-cifar',
     dict(type='IResNetCIFAR', depth=3002, variant='iresnet')),
])
def test_backbone_cfg_from_arch(name, expected):
    assert backbone_cfg_from_arch(name) == expected
    assert backbone_cfg_from_arch(
        name, num_stages=3, depth=7) == dict(
            expected, num_stages=3, depth=7)


@pytest.mark.parametrize('name', [
    'iresnet51', 'iresnet', 'IResNet50', 'rgsnet26', 'iresnet164',
    'resgroup18', '', None, 50
])
def test_unknown_arch_is_one_line_listing_names(name):
    with pytest.raises(ValueError) as err:
        backbone_cfg_from_arch(name)
    message = str(err.value)
    assert '\n' not in message
    assert message.startswith(f'unknown arch {name!r}; allowed: ')
    allowed = message.split('allowed: ')[1].split(', ')
    assert allowed == list(ARCHS)


def test_convert_tool_names_unknown_arch_before_reading(tmp_path):
    out = tmp_path / 'cls.pth'
    tool = REPO / 'tools' / 'convert_official_checkpoint.py'
    proc = subprocess.run([
        sys.executable,
        str(tool),
        str(tmp_path / 'missing.pth'), '--arch', 'iresnet51', '--out-cls',
        str(out)
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert "error: unknown arch 'iresnet51'" in proc.stderr
    assert 'not found' not in proc.stderr
    assert not out.exists()
