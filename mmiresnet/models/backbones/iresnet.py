"""iResNet, iResGroup(Fix), RGSNet and their baselines: one backbone class.

Every network here is :class:`IResNet` with another row of settings; the
depth tables live in :mod:`mmiresnet.archs`. Papers: Duta et al., "Improved
Residual Networks for Image and Video Recognition" (ICPR 2020) and Zhang et
al., "Revisiting Residual Networks with Nonlinear Shortcuts" (BMVC 2019).
Layer order and checkpoint keys: docs/architecture.md. The interface follows
mmdet's ``ResNet`` (``num_stages``, ``strides``, ``out_indices``,
``frozen_stages``, ``norm_eval``, ``with_cp``, tuple outputs).
"""
import torch.nn as nn
from mmcv.cnn import build_conv_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from ...archs import (CIFAR_DEPTHS, GROUP_DEPTHS, IRESNET_DEPTHS,
                      RGSNET_DEPTHS, cifar_stage_blocks)
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
    """iResNet and its ablations (Duta et al. 2020, Sec. 3.1-3.2).

    iResNet is ResStage (Sec. 3.1) plus the improved projection shortcut
    (Sec. 3.2); ``'resstage'`` (Table 2), ``'resmax'`` (Table 14) and
    ``'resnet'`` are the paper's ablations and baseline.

    Args:
        depth (int, optional): Key of ``arch_settings`` (Table 9).
        variant (str): iresnet, resstage, resmax or resnet.
        stage_blocks (Sequence[int], optional): Blocks per stage.
        block_type (str, optional): basic or bottleneck.
        in_channels (int): Input channels.
        stem_type (str): imagenet (7x7/2 conv) or cifar (3x3/1, Table 12).
        stem_channels (int, optional): Stem width (``base_channels``).
        base_channels (int): Width of the first stage's 3x3 conv.
        num_stages (int, optional): Stages to build (3: SSD300 trunk).
        strides (Sequence[int], optional): Stride of each stage.
        dilations (Sequence[int], optional): Dilation of each stage.
        out_indices (Sequence[int], optional): Stages to output.
        frozen_stages (int): -1 none, 0 the stem, k stem + stages 1..k.
        conv_cfg (dict, optional): Convolution config.
        norm_cfg (dict): Norm config.
        norm_eval (bool): Keep BN layers in eval mode while training.
        with_cp (bool): Gradient checkpointing of every block.
        zero_init_residual (bool): Zero the norms ending a branch pre-add.
        official_relu_shortcut (bool): Official in-place ReLU quirk.
        init_cfg (dict | list[dict], optional): None or ``Pretrained``.

    Example:
        >>> import torch
        >>> model = IResNet(depth=18).eval()
        >>> [o.shape[1] for o in model(torch.rand(1, 3, 64, 64))]
        [64, 128, 256, 512]
    """

    arch_settings = IRESNET_DEPTHS
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
                stride=self.strides[i],
                dilation=self.dilations[i],
                groups=groups,
                official_relu_shortcut=official_relu_shortcut,
                **self.block_settings(i),
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

    def block_settings(self, i):
        """``build_stage`` arguments of stage ``i`` set by the variant."""
        return dict(style=self.setting['style'],
                    shortcut_type=self.setting['shortcut'], rgs=None)

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

    The ResGroup block: a bottleneck whose 3x3 conv is 4x wider than a
    ResNet bottleneck's and grouped; the block outputs half that width.

    Args:
        groups (int): Groups of stage 4; stages 1-3 use 1/8, 1/4, 1/2 of it.
        **kwargs: As :class:`IResNet`.
    """
    arch_settings = GROUP_DEPTHS
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

    3x3/1 stem of 16 channels, three bottleneck stages at strides 1/2/2;
    depth ``3n + 2`` has ``n`` blocks (``cifar_stage_blocks``, Table 13).

    Args:
        depth (int): ``3n + 2`` with ``n >= 6`` (Table 13).
        **kwargs: As :class:`IResNet`.
    """
    arch_settings = CIFAR_DEPTHS
    variants = {k: IResNet.variants[k] for k in ('iresnet', 'resnet')}
    paper_depths = tuple(CIFAR_DEPTHS)

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
            stage_blocks = cifar_stage_blocks(depth)
        return super()._resolve_arch(None, stage_blocks, block_type)


@register_model
class RGSNet(IResNet):
    """b-, d- and Res-RGSNet (Zhang et al., BMVC 2019, Sec. 3, Fig. 3).

    ``'b'``: ``x' = F(x) + GN(ReLU(x))``; ``'d'``: plus an inner RG shortcut
    around the 3x3 conv; ``'res'``: ``x' = F_d(x) + GN(ReLU(x)) + x``;
    ``'resnet'``: the baseline. The choices the paper leaves open are
    listed in docs/architecture.md.

    Args:
        depth (int): Key of ``arch_settings`` (Table 8, and 200).
        variant (str): b, d, res or resnet.
        widen_factor (float): 0.25, 0.5, 1 or 2 times ResNet's widths.
        rg_groups (int, optional): GN groups of the RG shortcuts.
        post_add_relu (bool): ReLU after the addition (default: none).
        inner_rg_position (str): after_relu or before_relu of the 3x3.
        **kwargs: As :class:`IResNet`.
    """
    arch_settings = RGSNET_DEPTHS
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
        # "when the width is set to 0.25x, we proportionally scale G to 8"
        rg_groups = int(32 * widen_factor) if rg_groups is None else rg_groups
        if not isinstance(rg_groups, int) or rg_groups < 1:
            raise ValueError(f'rg_groups={rg_groups!r} must be a positive int')
        kwargs.setdefault('base_channels', int(64 * widen_factor))
        self.widen_factor = widen_factor
        self.rg_groups = rg_groups
        self.post_add_relu = post_add_relu
        self.inner_rg_position = inner_rg_position
        super().__init__(depth=depth, variant=variant, **kwargs)

    def block_settings(self, i):
        """As :meth:`IResNet.block_settings`, with the RG shortcut settings."""
        settings = super().block_settings(i)
        rgs = self.rgs_variants.get(self.variant)
        if rgs is not None:
            settings['rgs'] = dict(
                shortcut=rgs['shortcut'],
                inner=self.inner_rg_position if rgs['inner'] else None,
                post_relu=self.post_add_relu,
                groups=self.rg_groups)
        return settings
