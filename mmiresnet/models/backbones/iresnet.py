"""iResNet, iResGroup(Fix), RGSNet and their baselines as one backbone class.

Every network here is :class:`IResNet` with another table of settings:

* :class:`IResNet` -- Duta et al., "Improved Residual Networks for Image and
  Video Recognition" (ICPR 2020): ResStage (Sec. 3.1) + improved projection
  shortcut (Sec. 3.2), block counts of Table 9 and the official code; the
  ablations of Table 2 / Table 14 as ``variant`` (``'resstage'``,
  ``'resmax'``, ``'resnet'``).
* :class:`IResGroup`, :class:`IResGroupFix` -- the ResGroup block (Sec. 3.3,
  Table 1) in iResNet; :class:`ResGroup`, :class:`ResGroupFix` -- the same
  widths in a plain ResNet.
* :class:`IResNetCIFAR` -- the CIFAR networks of Tables 12 and 13.
* :class:`RGSNet` -- Zhang et al., "Revisiting Residual Networks with
  Nonlinear Shortcuts" (BMVC 2019), b-/d-/Res-RGSNet (Sec. 3).

The interface follows mmdet's ``ResNet``: ``num_stages``, ``strides``,
``dilations``, ``out_indices``, ``frozen_stages``, ``norm_cfg``,
``norm_eval``, ``with_cp``, ``zero_init_residual``, ``init_cfg`` and tuple
outputs.
"""
import math

import torch.nn as nn
from mmcv.cnn import build_conv_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import load_pretrained
from ...registry import register_model
from .blocks import (INNER_RG_POSITIONS, ResidualBlock, build_norm,
                     build_stage)


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f'{name}={value!r} is not supported; allowed: '
                         f'{sorted(allowed, key=str)}')


@register_model
class IResNet(BaseModule):
    """iResNet, ResStage, ResMax, ResNet (Duta et al. 2020, Tables 2, 9, 14).

    iResNet is ResStage (Sec. 3.1) + the improved projection shortcut
    (Sec. 3.2); the other variants are the paper's ablations.

    Args:
        depth (int, optional): One of ``arch_settings`` (18, 34 basic; 50,
            101, 152, 200, 302, 404, 1001 bottleneck, per Table 9 and the
            official code). Ignored for the block counts if ``stage_blocks``
            is given; may be None then.
        variant (str): Row of ``variants``: ``'iresnet'`` (ResStage +
            max-pool projection, no stem max-pool, all stages stride 2),
            ``'resstage'`` (ResStage only, Table 2), ``'resmax'`` (ResNet with
            the max-pool projection only, Table 14) or ``'resnet'``.
        stage_blocks (Sequence[int], optional): Custom blocks per stage.
        block_type (str, optional): ``'basic'`` or ``'bottleneck'``; defaults
            to the depth's, else bottleneck.
        in_channels (int): Input image channels.
        stem_type (str): ``'imagenet'`` (7x7/2 conv) or ``'cifar'`` (3x3/1
            conv, Table 12).
        stem_channels (int, optional): Stem width; defaults to
            ``base_channels``.
        base_channels (int): Width of the first stage's 3x3 conv.
        num_stages (int): Stages to build, from 1 to the arch's stage count.
            ``num_stages=3, strides=(2, 2, 1)`` is the SSD300 trunk
            (paper Sec. 4, Table 7): one 38x38 map at 300x300 input.
        strides (Sequence[int], optional): Stride of each stage. Defaults to
            2 everywhere for iResNet (its stage 1 replaces the stem max-pool)
            and to ``(1, 2, 2, 2)`` with a stem max-pool or the CIFAR stem.
        dilations (Sequence[int], optional): Dilation of each stage.
        out_indices (Sequence[int], optional): Stages whose outputs are
            returned (negative counts from the end); default all stages.
        frozen_stages (int): -1 freezes nothing, 0 the stem, k the stem and
            stages 1..k (no gradient, norms in eval mode).
        conv_cfg (dict, optional): Convolution config.
        norm_cfg (dict): Norm config (BN, SyncBN, GN ...).
        norm_eval (bool): Keep BN layers in eval mode while training.
            Default False (classification); detection configs set True.
        with_cp (bool): Gradient checkpointing of every block.
        zero_init_residual (bool): Zero the norms that end a residual branch
            before its addition (the official flag crashes or zeroes the whole
            signal, architecture_spec Sec. 8). In iResNet only the start blocks
            have such a norm.
        official_relu_shortcut (bool): Reproduce the official code's in-place
            ReLU on the shortcut of each stage's block 1 (y = F(relu x) +
            relu x), which the published weights depend on. False gives the
            paper-exact y = F(relu x) + x.
        init_cfg (dict | list[dict], optional): Initialisation config.
            None (default) is the official init (Kaiming fan-out convs, norms
            1/0), i.e. training from scratch. ``dict(type='Pretrained',
            checkpoint=PATH, prefix=None)`` loads a converted ImageNet
            checkpoint and, unlike mmengine's own ``Pretrained``, refuses a
            missing file or any missing / misshapen key instead of silently
            keeping random weights (keys of stages not built are ignored).
    """

    arch_settings = {
        18: ('basic', (2, 2, 2, 2)),
        34: ('basic', (3, 4, 6, 3)),
        50: ('bottleneck', (3, 4, 6, 3)),
        101: ('bottleneck', (3, 4, 23, 3)),
        152: ('bottleneck', (3, 8, 36, 3)),
        200: ('bottleneck', (3, 24, 36, 3)),
        302: ('bottleneck', (4, 34, 58, 4)),
        404: ('bottleneck', (4, 46, 80, 4)),
        1001: ('bottleneck', (4, 155, 170, 4)),
    }
    # stem_pool: ResNet stem max-pool; style/shortcut: see blocks.py.
    variants = {
        'iresnet': dict(stem_pool=False, style='istage', shortcut='maxpool'),
        'resstage': dict(stem_pool=True, style='istage', shortcut='conv'),
        'resmax': dict(stem_pool=True, style='resnet', shortcut='maxpool'),
        'resnet': dict(stem_pool=True, style='resnet', shortcut='conv'),
    }
    default_variant = 'iresnet'
    # The official initialisation: Kaiming fan-out convs, norms to 1 / 0.
    default_init_cfg = [
        dict(type='Kaiming', layer=['Conv2d'], mode='fan_out',
             nonlinearity='relu'),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
    ]
    expansion = {'basic': 1, 'bottleneck': 4}
    stem_types = ('imagenet', 'cifar')

    def __init__(self,
                 depth=50,
                 variant=None,
                 stage_blocks=None,
                 block_type=None,
                 in_channels=3,
                 stem_type='imagenet',
                 stem_channels=None,
                 base_channels=64,
                 num_stages=None,
                 strides=None,
                 dilations=None,
                 out_indices=None,
                 frozen_stages=-1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', requires_grad=True),
                 norm_eval=False,
                 with_cp=False,
                 zero_init_residual=False,
                 official_relu_shortcut=True,
                 init_cfg=None):
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super().__init__(init_cfg=init_cfg)
        variant = self.default_variant if variant is None else variant
        _check_choice('variant', variant, self.variants)
        _check_choice('stem_type', stem_type, self.stem_types)
        self.variant = variant
        self.setting = self.variants[variant]
        self.depth = depth
        self.block_type, stage_blocks = self._resolve_arch(
            depth, stage_blocks, block_type)
        num_stages = len(stage_blocks) if num_stages is None else num_stages
        if not (isinstance(num_stages, int)
                and 1 <= num_stages <= len(stage_blocks)):
            raise ValueError(f'num_stages={num_stages!r}; allowed: 1 to '
                             f'{len(stage_blocks)}')
        self.num_stages = num_stages
        self.stage_blocks = tuple(stage_blocks[:num_stages])
        self.stem_type = stem_type
        self.stem_pool = stem_type == 'imagenet' and self.setting['stem_pool']
        first_stride = 2 if stem_type == 'imagenet' and not self.stem_pool \
            else 1
        self.strides = self._per_stage(
            'strides', strides, (first_stride, 2, 2, 2, 2, 2))
        self.dilations = self._per_stage('dilations', dilations, (1, ) * 6)
        self.out_indices = self._check_out_indices(out_indices)
        if not (isinstance(frozen_stages, int)
                and -1 <= frozen_stages <= num_stages):
            raise ValueError(f'frozen_stages={frozen_stages!r}; allowed: -1 '
                             f'(none) to {num_stages} (num_stages)')
        self.frozen_stages = frozen_stages
        self.norm_cfg = norm_cfg
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual
        self.base_channels = base_channels
        stem_channels = base_channels if stem_channels is None \
            else stem_channels

        self._make_stem(in_channels, stem_channels, conv_cfg, norm_cfg)
        self.res_layers = []
        self.out_channels = []
        cin = stem_channels
        for i, num_blocks in enumerate(self.stage_blocks):
            mid, cout, groups = self.stage_widths(i)
            stage = build_stage(
                num_blocks, cin, mid, cout,
                block_type=self.block_type,
                style=self.setting['style'],
                shortcut_type=self.setting['shortcut'],
                stride=self.strides[i],
                dilation=self.dilations[i],
                groups=groups,
                rgs=self.setting.get('rgs'),
                official_relu_shortcut=official_relu_shortcut,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp)
            name = f'layer{i + 1}'
            self.add_module(name, stage)
            self.res_layers.append(name)
            self.out_channels.append(cout)
            cin = cout
        self._freeze_stages()

    # -- construction -----------------------------------------------------
    def _resolve_arch(self, depth, stage_blocks, block_type):
        if stage_blocks is None:
            if depth not in self.arch_settings:
                raise ValueError(
                    f'depth={depth!r} is not supported by '
                    f'{type(self).__name__}; allowed: '
                    f'{sorted(self.arch_settings)} (or give stage_blocks)')
            arch_block, stage_blocks = self.arch_settings[depth]
        else:
            arch_block = self.arch_settings.get(depth, ('bottleneck', ))[0]
            if not (len(stage_blocks) >= 1 and all(
                    isinstance(n, int) and n >= 1 for n in stage_blocks)):
                raise ValueError(f'stage_blocks={stage_blocks!r} must be a '
                                 'non-empty sequence of positive ints')
        block_type = arch_block if block_type is None else block_type
        _check_choice('block_type', block_type, self.expansion)
        return block_type, tuple(stage_blocks)

    def _per_stage(self, name, value, default):
        if value is None:
            return tuple(default[:self.num_stages])
        value = tuple(value)
        if len(value) != self.num_stages or not all(
                isinstance(v, int) and v >= 1 for v in value):
            raise ValueError(f'{name}={value!r} must hold {self.num_stages} '
                             'positive ints, one per stage (num_stages='
                             f'{self.num_stages})')
        return value

    def _check_out_indices(self, out_indices):
        n = self.num_stages
        out_indices = tuple(range(n)) if out_indices is None \
            else tuple(out_indices)
        if not out_indices or any(
                not isinstance(i, int) or not -n <= i < n
                for i in out_indices):
            raise ValueError(f'out_indices={out_indices!r}: each index must '
                             f'be in [0, {n}) (num_stages={n}), or negative '
                             'from the end')
        return tuple(sorted({i % n for i in out_indices}))

    def stage_widths(self, i):
        """(width of the 3x3 conv, output channels, groups) of stage ``i``."""
        mid = self.base_channels * 2**i
        return mid, mid * self.expansion[self.block_type], 1

    def _make_stem(self, in_channels, stem_channels, conv_cfg, norm_cfg):
        if self.stem_type == 'imagenet':
            self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels,
                                          7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = build_conv_layer(conv_cfg, in_channels, stem_channels,
                                          3, stride=1, padding=1, bias=False)
        self.norm1_name, norm1 = build_norm(
            norm_cfg, stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if self.stem_pool else None

    @property
    def norm1(self):
        return getattr(self, self.norm1_name)

    def blocks(self):
        """All residual blocks, in order."""
        return [m for m in self.modules() if isinstance(m, ResidualBlock)]

    # -- OpenMMLab behaviour ----------------------------------------------
    def _freeze_stages(self):
        if self.frozen_stages < 0:
            return
        frozen = [self.conv1, self.norm1] + [
            getattr(self, f'layer{i}')
            for i in range(1, self.frozen_stages + 1)
        ]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_pretrained(self, cfg['checkpoint'], cfg.get('prefix'))
            self._is_init = True
            return
        super().init_weights()
        if self.zero_init_residual:
            for block in self.blocks():
                if block.norm_before_add:
                    nn.init.zeros_(block.last_norm.weight)

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x):
        x = self.relu(self.norm1(self.conv1(x)))
        if self.maxpool is not None:
            x = self.maxpool(x)
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


@register_model
class IResGroup(IResNet):
    """iResGroup (Duta et al. 2020, Sec. 3.3, Tables 1 and 6).

    The ResGroup block is a bottleneck whose 3x3 conv is 4x wider than a
    ResNet bottleneck's and grouped, and whose output is half that width
    (64/128/256/512 -> 256/512/1024/2048 wide, 128/256/512/1024 out).

    Args:
        groups (int): Groups of the last stage (official default 64).
            iResGroup uses ``groups // 8, // 4, // 2, groups`` (at least 1)
            in stages 1-4, i.e. 32 channels per group; iResGroupFix uses
            ``groups`` everywhere.
        **kwargs: As :class:`IResNet`.
    """
    arch_settings = {
        depth: IResNet.arch_settings[depth]
        for depth in (50, 101, 152)
    }
    variants = {'iresnet': IResNet.variants['iresnet']}
    fixed_groups = False

    def __init__(self, depth=50, groups=64, **kwargs):
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f'groups={groups!r} must be a positive int')
        self.groups = groups
        if kwargs.get('block_type', 'bottleneck') != 'bottleneck':
            raise ValueError('block_type: the ResGroup block is a bottleneck')
        super().__init__(depth=depth, **kwargs)

    def stage_widths(self, i):
        wide = 4 * self.base_channels * 2**i
        if self.fixed_groups:
            groups = self.groups
        else:
            groups = max(1, self.groups // 2**max(0, 3 - i))
        return wide, wide // 2, groups


@register_model
class IResGroupFix(IResGroup):
    """iResGroupFix (Duta et al. 2020, Sec. 3.3, Tables 1 and 6).

    As :class:`IResGroup` with ``groups`` (64) in every stage.
    """
    fixed_groups = True


@register_model
class ResGroup(IResGroup):
    """ResGroup baseline (Duta et al. 2020, Tables 1 and 6).

    The ResGroup block in a plain ResNet (stem max-pool, option-B shortcut).
    """
    variants = {'resnet': IResNet.variants['resnet']}
    default_variant = 'resnet'


@register_model
class ResGroupFix(IResGroupFix):
    """ResGroupFix baseline (Duta et al. 2020, Tables 1 and 6).

    The ResGroupFix block in a plain ResNet (stem max-pool, option-B
    shortcut).
    """
    variants = {'resnet': IResNet.variants['resnet']}
    default_variant = 'resnet'


@register_model
class IResNetCIFAR(IResNet):
    """iResNet / ResNet for CIFAR (Duta et al. 2020, Tables 5, 12, 13).

    A 3x3, 16-channel stride-1 stem and three bottleneck stages of widths
    16/32/64 (outputs 64/128/256) at strides 1/2/2. A depth ``d`` has
    ``(d - 2) / 3`` bottlenecks, split evenly with the remainder in the
    middle stage: 164 -> 18/18/18, 1001 -> 111x3, 2000 -> 222x3,
    3002 -> 333/334/333 (Table 13). ``variant='resnet'`` is the baseline.
    """
    variants = {k: IResNet.variants[k] for k in ('iresnet', 'resnet')}
    paper_depths = (164, 1001, 2000, 3002)

    def __init__(self, depth=164, stem_type='cifar', base_channels=16,
                 out_indices=(2, ), **kwargs):
        super().__init__(depth=depth, stem_type=stem_type,
                         base_channels=base_channels, out_indices=out_indices,
                         **kwargs)

    def _resolve_arch(self, depth, stage_blocks, block_type):
        if stage_blocks is None:
            if not (isinstance(depth, int) and depth >= 11
                    and (depth - 2) % 3 == 0 and (depth - 2) // 3 >= 6):
                raise ValueError(
                    f'depth={depth!r} is not a CIFAR bottleneck depth; '
                    'allowed: 3n + 2 with n >= 6 bottlenecks (and iResNet '
                    'needs at least 2 per stage), e.g. '
                    f'{self.paper_depths}')
            n = (depth - 2) // 3
            stage_blocks = (n // 3, n - 2 * (n // 3), n // 3)
        return super()._resolve_arch(None, stage_blocks, block_type)


@register_model
class RGSNet(IResNet):
    """b-, d- and Res-RGSNet (Zhang et al., BMVC 2019, Sec. 3, Table 10).

    ``variant``: ``'b'`` (b-RGSNet: ``x' = F(x) + GN(ReLU(x))``), ``'d'``
    (d-RGSNet: plus an inner RG shortcut around the 3x3 conv) or ``'res'``
    (Res-RGSNet: ``x' = F_d(x) + GN(ReLU(x)) + x``); ``'resnet'`` is the
    baseline with the same widths.

    Choices the paper leaves open (no official code exists), all switchable:

    * ``post_add_relu=False``: no ReLU after the addition. With one, x
      would be non-negative and the shortcut ReLU a no-op, so RGS would equal
      the GN-only shortcut that Table 1 reports as clearly worse.
    * ``inner_rg_position='after_relu'``: the inner RG shortcut takes the
      input ``a`` of the 3x3 conv and is added after that conv's BN+ReLU
      (``'before_relu'``: before the ReLU).
    * Projection blocks (first block of each stage) are plain ResNet blocks
      with the option-B ``conv1x1 + BN`` shortcut: the text does not
      describe them, and a stride-2 3x3 conv cannot take an inner shortcut.
    * ``rg_groups`` defaults to ``32 * widen_factor`` ("when the width is
      set to 0.25x, we proportionally scale G to 8"), i.e. 8/16/32/64 for
      0.25x/0.5x/1x/2x.

    Args:
        depth (int): One of Table 8's depths (26, 32, 38, 50, 62, 77, 101,
            152) or 200, all bottleneck.
        widen_factor (float): 0.25, 0.5, 1 or 2 times the ResNet widths
            (Tables 3 and 4); scales the stem and every stage.
        stem_type (str): ``'cifar'`` gives the CIFAR-100 networks of
            Tables 3, 4 and 8 (3x3 stride-1 stem, four stages).
    """
    arch_settings = {
        26: ('bottleneck', (2, 2, 2, 2)),
        32: ('bottleneck', (2, 3, 3, 2)),
        38: ('bottleneck', (3, 3, 3, 3)),
        50: ('bottleneck', (3, 4, 6, 3)),
        62: ('bottleneck', (3, 4, 10, 3)),
        77: ('bottleneck', (3, 4, 15, 3)),
        101: ('bottleneck', (3, 4, 23, 3)),
        152: ('bottleneck', (3, 8, 36, 3)),
        200: ('bottleneck', (3, 24, 36, 3)),
    }
    rgs_variants = {
        'b': dict(shortcut='rg', inner=False),
        'd': dict(shortcut='rg', inner=True),
        'res': dict(shortcut='rg+identity', inner=True),
    }
    variants = dict({
        k: dict(stem_pool=True, style='rgs', shortcut='conv')
        for k in rgs_variants
    }, resnet=IResNet.variants['resnet'])
    default_variant = 'b'
    widen_factors = (0.25, 0.5, 1, 2)

    def __init__(self,
                 depth=50,
                 variant=None,
                 widen_factor=1,
                 rg_groups=None,
                 post_add_relu=False,
                 inner_rg_position='after_relu',
                 **kwargs):
        _check_choice('widen_factor', widen_factor, self.widen_factors)
        _check_choice('inner_rg_position', inner_rg_position,
                      INNER_RG_POSITIONS)
        variant = self.default_variant if variant is None else variant
        _check_choice('variant', variant, self.variants)
        rg_groups = int(32 * widen_factor) if rg_groups is None else rg_groups
        if not isinstance(rg_groups, int) or rg_groups < 1:
            raise ValueError(f'rg_groups={rg_groups!r} must be a positive int')
        width = int(64 * widen_factor)
        kwargs.setdefault('base_channels', width)
        if variant in self.rgs_variants:
            rgs = self.rgs_variants[variant]
            # Per-instance copy of the variant row with the RG settings.
            self.variants = dict(self.variants)
            self.variants[variant] = dict(
                self.variants[variant],
                rgs=dict(shortcut=rgs['shortcut'],
                         inner=inner_rg_position if rgs['inner'] else None,
                         post_relu=post_add_relu, groups=rg_groups))
        self.widen_factor = widen_factor
        self.rg_groups = rg_groups
        super().__init__(depth=depth, variant=variant, **kwargs)


def count_params(model):
    """Number of parameters (works on the ``meta`` device)."""
    return sum(math.prod(p.shape) for p in model.parameters())
