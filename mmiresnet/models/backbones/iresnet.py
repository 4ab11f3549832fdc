"""iResNet, iResGroup(Fix), RGSNet and their baselines: one backbone class.

Every network here is :class:`IResNet` with another row of settings; the
depth tables live in :mod:`mmiresnet.archs`. Papers: Duta et al., "Improved
Residual Networks for Image and Video Recognition" (ICPR 2020) and Zhang et
al., "Revisiting Residual Networks with Nonlinear Shortcuts" (BMVC 2019).
Layer order and checkpoint keys: docs/architecture.md.

The interface is MMDetection's ``ResNet`` in full (``style``, ``dcn`` /
``stage_with_dcn``, ``plugins``, ``deep_stem``, ``avg_down``, the deprecated
``pretrained``, ...) plus MMPretrain's ``expansion`` and ``drop_path_rate``,
so any of their configs takes ``type='IResNet'`` (docs/dropin.md). With
``variant='resnet'`` the network is theirs, key for key. ``mmdet.IResNet``
and ``mmpretrain.IResNet`` (what ``type='IResNet'`` builds in those
libraries' scopes) take that library's ResNet defaults; the class itself
(and the root registry's ``IResNet``) keeps mmiresnet's.
"""
import sys
import warnings

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_conv_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from ...archs import (CIFAR_DEPTHS, GROUP_DEPTHS, IRESNET_DEPTHS,
                      RGSNET_DEPTHS, cifar_stage_blocks)
from ...checkpoint import load_pretrained
from ...registry import register_model
from .blocks import (INNER_RG_POSITIONS, PLUGIN_POSITIONS, ResidualBlock,
                     build_norm, build_stage)

#: Libraries whose ResNet interface (and defaults) the backbones follow.
LIBRARIES = ('mmdet', 'mmpretrain')
STYLES = ('pytorch', 'caffe')


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f'{name}={value!r} is not supported; allowed: '
                         f'{sorted(allowed, key=str)}')


def _flag(name, value):
    if not isinstance(value, bool):
        raise ValueError(f'{name}={value!r} must be True or False')
    return value


@register_model
class IResNet(BaseModule):
    """iResNet and its ablations (Duta et al. 2020, Sec. 3.1-3.2).

    iResNet is ResStage (Sec. 3.1) plus the improved projection shortcut
    (Sec. 3.2); ``'resstage'`` (Table 2), ``'resmax'`` (Table 14) and
    ``'resnet'`` are the paper's ablations and baseline. ``'resnet'`` is
    mmdet's and MMPretrain's ResNet (and ResNetV1c / ResNetV1d with
    ``deep_stem`` / ``avg_down``): same parameter names, same function.

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
        out_indices (Sequence[int], optional): Stages to output (all; the
            last one for ``mmpretrain.IResNet``, as MMPretrain's ResNet).
        frozen_stages (int): -1 none, 0 the stem, k stem + stages 1..k.
        conv_cfg (dict, optional): Convolution config.
        norm_cfg (dict): Norm config.
        norm_eval (bool, optional): Keep BN layers in eval mode while
            training (default False; True for ``mmdet.IResNet``, as mmdet's
            ResNet).
        with_cp (bool): Gradient checkpointing of every block.
        zero_init_residual (bool): Zero the norms ending a branch pre-add.
        official_relu_shortcut (bool): Official in-place ReLU quirk.
        style (str): ``'pytorch'`` (stride on the 3x3 conv) or ``'caffe'``
            (on the first 1x1 conv of a bottleneck).
        deep_stem (bool): Three 3x3 convs instead of the 7x7 stem conv
            (ResNetV1c / V1d); keys ``stem.*`` as the library's ResNet.
        avg_down (bool): ResNet-D projection shortcut (average pool, then a
            1x1 conv at stride 1).
        dcn (dict, optional): Deformable conv config for the 3x3 conv of
            the bottlenecks of the stages in ``stage_with_dcn``.
        stage_with_dcn (Sequence[bool]): One flag per stage.
        plugins (list[dict], optional): mmdet's plugins: ``cfg``,
            ``position`` (after_conv1/2/3), optional ``stages`` flags.
        expansion (int, optional): Output / 3x3-conv width of a block
            (MMPretrain's; default 4 for bottlenecks, 1 for basic blocks).
        drop_path_rate (float): Stochastic depth, rising linearly over the
            blocks from 0 to this rate (MMPretrain's rule).
        pretrained (str, optional): Deprecated; as
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``.
        init_cfg (dict | list[dict], optional): None or ``Pretrained``.

    A setting the family cannot honour (e.g. caffe style with the improved
    projection shortcut) is a ValueError that names the argument, the
    family and the allowed values; docs/dropin.md lists them with reasons.

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
        dict(
            type='Kaiming',
            layer=['Conv2d'],
            mode='fan_out',
            nonlinearity='relu'),
        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
    ]
    #: Output / 3x3-conv width of a block of each type (``expansion``).
    block_expansion = {'basic': 1, 'bottleneck': 4}
    stem_types = ('imagenet', 'cifar')
    #: None here; 'mmdet' or 'mmpretrain' in the classes that
    #: :meth:`for_library` makes for those libraries' registries.
    library = None

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
                 norm_eval=None,
                 with_cp=False,
                 zero_init_residual=False,
                 official_relu_shortcut=True,
                 style='pytorch',
                 deep_stem=False,
                 avg_down=False,
                 dcn=None,
                 stage_with_dcn=None,
                 plugins=None,
                 expansion=None,
                 drop_path_rate=0.0,
                 pretrained=None,
                 init_cfg=None):
        init_cfg = self._pretrained_to_init_cfg(pretrained, init_cfg)
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
        all_blocks = sum(stage_blocks)  # drop path rule: the whole arch
        num_stages = len(stage_blocks) if num_stages is None else num_stages
        if not (isinstance(num_stages, int)
                and 1 <= num_stages <= len(stage_blocks)):
            raise ValueError(f'num_stages={num_stages!r}; allowed: 1 to '
                             f'{len(stage_blocks)}')
        self.num_stages = num_stages
        self.stage_blocks = tuple(stage_blocks[:num_stages])
        self.stem_type = stem_type
        self.stem_pool = stem_type == 'imagenet' and self.setting['stem_pool']
        self.style = style
        self.deep_stem = _flag('deep_stem', deep_stem)
        self.avg_down = _flag('avg_down', avg_down)
        self._check_resnet_options()
        first_stride = 2 if stem_type == 'imagenet' and not self.stem_pool \
            else 1
        self.strides = self._per_stage('strides', strides,
                                       (first_stride, 2, 2, 2, 2, 2))
        self._check_first_stride(strides)
        self.dilations = self._per_stage('dilations', dilations, (1, ) * 6)
        self.out_indices = self._check_out_indices(out_indices)
        if not (isinstance(frozen_stages, int)
                and -1 <= frozen_stages <= num_stages):
            raise ValueError(f'frozen_stages={frozen_stages!r}; allowed: -1 '
                             f'(none) to {num_stages} (num_stages)')
        self.frozen_stages = frozen_stages
        self.norm_cfg = norm_cfg
        self.norm_eval = (self.library == 'mmdet') if norm_eval is None \
            else norm_eval
        self.with_cp = with_cp
        self.zero_init_residual = zero_init_residual
        self.base_channels = base_channels
        self.expansion = self._check_expansion(expansion)
        self.dcn, self.stage_with_dcn = self._check_dcn(
            dcn, stage_with_dcn, conv_cfg)
        self.plugins = self._check_plugins(plugins)
        drop_rates = self._drop_path_rates(drop_path_rate, all_blocks)
        self.drop_path_rate = drop_path_rate
        stem_channels = base_channels if stem_channels is None \
            else stem_channels

        self._make_stem(in_channels, stem_channels, conv_cfg, norm_cfg)
        self.res_layers = []
        self.out_channels = []
        cin = stem_channels
        for i, num_blocks in enumerate(self.stage_blocks):
            mid, cout, groups = self.stage_widths(i)
            stage = build_stage(
                num_blocks,
                cin,
                mid,
                cout,
                block_type=self.block_type,
                stride=self.strides[i],
                dilation=self.dilations[i],
                groups=groups,
                official_relu_shortcut=official_relu_shortcut,
                **self.block_settings(i),
                caffe_style=self.style == 'caffe',
                dcn=self.dcn if self.stage_with_dcn[i] else None,
                plugins=self.stage_plugins(i),
                drop_path_rates=drop_rates[:num_blocks],
                pool_slot_at_stride1=self.library != 'mmpretrain',
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp)
            drop_rates = drop_rates[num_blocks:]
            name = f'layer{i + 1}'
            self.add_module(name, stage)
            self.res_layers.append(name)
            self.out_channels.append(cout)
            cin = cout
        self._freeze_stages()

    # -- per-library classes ------------------------------------------------
    @classmethod
    def for_library(cls, library):
        """``cls`` with ``library``'s ResNet defaults (``mmdet.IResNet``).

        The class registered under the same name in ``library``'s registry:
        MMDetection's ResNet keeps BN in eval mode while training
        (``norm_eval=True``) and returns every stage; MMPretrain's returns
        the last stage only (``out_indices=(3, )``) and lays out its deep
        stem (``stem.0.conv``) and stride-1 ResNet-D shortcut
        (``downsample.0``) as its own ResNet does.
        """
        _check_choice('library', library, LIBRARIES)
        qualname = f'{cls.__name__}_{library}'
        module = sys.modules[cls.__module__]
        made = getattr(module, qualname, None)
        if made is None or made.__bases__ != (cls, ):
            made = type(
                cls.__name__, (cls, ),
                dict(
                    library=library,
                    __module__=cls.__module__,
                    __qualname__=qualname,
                    __doc__=f'{cls.__name__} with {library}\'s ResNet '
                    'defaults (:meth:`IResNet.for_library`).'))
            setattr(module, qualname, made)  # picklable by its qualname
        return made

    # -- construction -----------------------------------------------------
    @property
    def family(self):
        """``IResNet variant 'iresnet'``: who refuses a setting."""
        return f'{type(self).__name__} variant {self.variant!r}'

    def _refuse(self, name, value, reason, allowed):
        raise ValueError(f'{name}={value!r} is not supported by '
                         f'{self.family}: {reason}; allowed: {allowed}')

    @staticmethod
    def _pretrained_to_init_cfg(pretrained, init_cfg):
        """mmdet's deprecated ``pretrained``: a warning and a Pretrained
        ``init_cfg``; with an ``init_cfg`` too it is an error."""
        if pretrained is None:
            return init_cfg
        if not isinstance(pretrained, str):
            raise ValueError(f'pretrained={pretrained!r} must be a str (a '
                             'checkpoint path or URL) or None')
        if init_cfg:
            raise ValueError('init_cfg and pretrained cannot be specified at '
                             'the same time (pretrained is deprecated: give '
                             "init_cfg=dict(type='Pretrained', checkpoint=...)"
                             ')')
        warnings.warn('DeprecationWarning: pretrained is deprecated, please '
                      'use "init_cfg" instead')
        return dict(type='Pretrained', checkpoint=pretrained)

    def _check_resnet_options(self):
        """``style``, ``deep_stem`` and ``avg_down`` against the family."""
        if self.style not in STYLES:
            self._refuse('style', self.style, 'unknown style', list(STYLES))
        improved_shortcut = self.setting['shortcut'] == 'maxpool'
        if (self.style == 'caffe' and self.block_type == 'bottleneck'
                and improved_shortcut):
            self._refuse(
                'style', self.style, 'caffe style moves the stride to the '
                "bottleneck's first 1x1 conv, but the improved projection "
                'shortcut (Sec. 3.2) max-pools the 3x3 window that the '
                'strided 3x3 conv of the branch reads (and its weights were '
                'trained so)', ['pytorch'])
        if self.deep_stem and self.stem_type != 'imagenet':
            self._refuse(
                'deep_stem', True, 'the deep stem replaces the '
                f'7x7/2 conv of the ImageNet stem, and stem_type='
                f'{self.stem_type!r} has a 3x3/1 one', [False])
        if self.avg_down and improved_shortcut:
            self._refuse(
                'avg_down', True, 'its improved projection shortcut already '
                'pools (3x3 max-pool) before a stride-1 1x1 conv; ResNet-D\'s '
                'average pool would replace it', [False])

    def _check_first_stride(self, strides):
        """mmdet's ``strides`` count the stem max-pool outside stage 1; a
        family without it (iResNet: the pool sits in stage 1's shortcut)
        needs stride 2 there for the same output strides."""
        if (strides is not None and self.stem_type == 'imagenet'
                and not self.stem_pool and self.strides[0] == 1):
            self._refuse(
                'strides', tuple(strides), 'it has no stem max-pool (the '
                "max-pool of stage 1's projection shortcut replaces it, "
                'Sec. 3.2), so stage 1 takes stride 2 for the output strides '
                "4/8/16/32 of ResNet's stages: mmdet's strides=(1, 2, 2, 1) "
                'is strides=(2, 2, 2, 1) here', 'a first stride of 2 or more')

    def _check_expansion(self, expansion):
        default = self.block_expansion[self.block_type]
        if expansion is None:
            return default
        if not isinstance(expansion, int) or isinstance(expansion, bool) \
                or expansion < 1:
            raise ValueError(f'expansion={expansion!r} must be a positive '
                             'int or None')
        if self.block_type == 'basic' and expansion != 1:
            self._refuse(
                'expansion', expansion, 'a basic block keeps its '
                'width (as MMPretrain\'s BasicBlock)', [None, 1])
        return expansion

    def _check_dcn(self, dcn, stage_with_dcn, conv_cfg):
        n = self.num_stages
        if stage_with_dcn is None:
            stage_with_dcn = (False, ) * n
        stage_with_dcn = tuple(stage_with_dcn)
        if dcn is None:
            return None, stage_with_dcn + (False, ) * (n - len(stage_with_dcn))
        if not isinstance(dcn, dict) or 'type' not in dcn:
            raise ValueError(f'dcn={dcn!r} must be a conv config dict with a '
                             "type (e.g. dict(type='DCN', deform_groups=1))")
        if len(stage_with_dcn) != n or not all(
                isinstance(f, bool) for f in stage_with_dcn):
            raise ValueError(f'stage_with_dcn={stage_with_dcn!r} must hold '
                             f'{n} bools, one per stage (num_stages={n})')
        if self.block_type != 'bottleneck' and any(stage_with_dcn):
            self._refuse(
                'dcn', dict(dcn), f'{self.block_type} blocks have no '
                "DCN, as mmdet's BasicBlock (depths 18 and 34)", [None])
        if conv_cfg is not None:
            raise ValueError(f'dcn={dict(dcn)!r} with conv_cfg={conv_cfg!r}: '
                             'conv_cfg must be None for DCN (as mmdet)')
        if dcn.get('fallback_on_stride', False):
            raise ValueError(
                'dcn fallback_on_stride=True is not supported: mmdet\'s '
                'ResNet pops it from the shared dcn dict, so only the first '
                'block it builds falls back to a plain conv; allowed: False '
                '(or plain convs in a stage via stage_with_dcn)')
        return dict(dcn), stage_with_dcn

    def _check_plugins(self, plugins):
        if plugins is None:
            return None
        if not isinstance(plugins, (list, tuple)):
            raise ValueError(f'plugins={plugins!r} must be a list of dicts')
        checked = []
        for plugin in plugins:
            if not (isinstance(plugin, dict) and isinstance(
                    plugin.get('cfg'), dict) and 'type' in plugin['cfg']):
                raise ValueError(f'plugin {plugin!r} must be a dict with a '
                                 "'cfg' dict (with a type) and a 'position'")
            if plugin.get('position') not in PLUGIN_POSITIONS:
                raise ValueError(f"plugin position={plugin.get('position')!r}"
                                 f'; allowed: {list(PLUGIN_POSITIONS)}')
            stages = plugin.get('stages')
            if stages is not None and len(stages) != self.num_stages:
                raise ValueError(
                    f'plugin stages={tuple(stages)!r} must hold '
                    f'{self.num_stages} flags (num_stages={self.num_stages})')
            checked.append(dict(plugin))
        if checked and self.block_type != 'bottleneck':
            self._refuse(
                'plugins', plugins, f'{self.block_type} blocks take '
                "no plugins, as mmdet's BasicBlock (depths 18, 34)", [None])
        return checked

    def stage_plugins(self, i):
        """The plugins of stage ``i`` (mmdet's ``make_stage_plugins``)."""
        return [
            dict(cfg=p['cfg'], position=p['position'])
            for p in self.plugins or ()
            if p.get('stages') is None or p['stages'][i]
        ]

    @staticmethod
    def _drop_path_rates(rate, num_blocks):
        """MMPretrain's rule: 0 to ``rate`` linearly over every block of the
        architecture (also those of stages not built)."""
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
                or not 0 <= rate < 1:
            raise ValueError(f'drop_path_rate={rate!r} must be a number in '
                             '[0, 1)')
        return [
            x.item()
            for x in torch.linspace(0, rate, num_blocks, device='cpu')
        ]

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
        _check_choice('block_type', block_type, self.block_expansion)
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
        if out_indices is None:
            out_indices = (n - 1, ) if self.library == 'mmpretrain' \
                else tuple(range(n))
        out_indices = tuple(out_indices)
        if not out_indices or any(not isinstance(i, int) or not -n <= i < n
                                  for i in out_indices):
            raise ValueError(f'out_indices={out_indices!r}: each index must '
                             f'be in [0, {n}) (num_stages={n}), or negative '
                             'from the end')
        return tuple(sorted({i % n for i in out_indices}))

    def stage_widths(self, i):
        """(width of the 3x3 conv, output channels, groups) of stage ``i``."""
        mid = self.base_channels * 2**i
        return mid, mid * self.expansion, 1

    def block_settings(self, i):
        """``build_stage`` arguments of stage ``i`` set by the variant."""
        shortcut = 'avgpool' if self.avg_down else self.setting['shortcut']
        return dict(
            style=self.setting['style'], shortcut_type=shortcut, rgs=None)

    def _make_stem(self, in_channels, stem_channels, conv_cfg, norm_cfg):
        if self.deep_stem:
            self.stem = self._deep_stem(in_channels, stem_channels, conv_cfg,
                                        norm_cfg)
        else:
            if self.stem_type == 'imagenet':
                self.conv1 = build_conv_layer(
                    conv_cfg,
                    in_channels,
                    stem_channels,
                    7,
                    stride=2,
                    padding=3,
                    bias=False)
            else:
                self.conv1 = build_conv_layer(
                    conv_cfg,
                    in_channels,
                    stem_channels,
                    3,
                    stride=1,
                    padding=1,
                    bias=False)
            self.norm1_name, norm1 = build_norm(
                norm_cfg, stem_channels, postfix=1)
            self.add_module(self.norm1_name, norm1)
            self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if self.stem_pool else None

    def _deep_stem(self, in_channels, stem_channels, conv_cfg, norm_cfg):
        """ResNetV1c's stem: 3x3/2, 3x3, 3x3 convs (widths half, half, full
        of ``stem_channels``), each with norm and ReLU; the keys are those of
        the library's ResNet (mmdet: ``stem.0``, ``stem.1``, ``stem.3``, ...;
        MMPretrain: ``stem.0.conv``, ``stem.0.bn``, ...)."""
        half = stem_channels // 2
        specs = ((in_channels, half, 2), (half, half, 1), (half, stem_channels,
                                                           1))
        if self.library == 'mmpretrain':
            return nn.Sequential(*[
                ConvModule(
                    cin,
                    cout,
                    3,
                    stride=s,
                    padding=1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    inplace=True) for cin, cout, s in specs
            ])
        layers = []
        for cin, cout, s in specs:
            layers += [
                build_conv_layer(
                    conv_cfg, cin, cout, 3, stride=s, padding=1, bias=False),
                build_norm(norm_cfg, cout)[1],
                nn.ReLU(inplace=True)
            ]
        return nn.Sequential(*layers)

    @property
    def norm1(self):
        return getattr(self, self.norm1_name)

    def blocks(self):
        """All residual blocks, in order."""
        return [m for m in self.modules() if isinstance(m, ResidualBlock)]

    def optional_pretrained_keys(self):
        """Key prefixes a pretrained file may lack: DCN offsets and plugins,
        which mmdet adds to ImageNet backbones (they keep their own init)."""
        prefixes = []
        for name, block in self.named_modules():
            if not isinstance(block, ResidualBlock):
                continue
            for idx in range(1, block.num_convs + 1):
                conv = getattr(block, f'conv{idx}')
                if hasattr(conv, 'conv_offset'):
                    prefixes.append(f'{name}.conv{idx}.conv_offset.')
            prefixes += [
                f'{name}.{p}.' for names in block.plugin_names.values()
                for p in names
            ]
        return tuple(prefixes)

    # -- OpenMMLab behaviour ----------------------------------------------
    def _freeze_stages(self):
        if self.frozen_stages < 0:
            return
        stem = [self.stem] if self.deep_stem else [self.conv1, self.norm1]
        frozen = stem + [
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
            load_pretrained(
                self,
                cfg['checkpoint'],
                cfg.get('prefix'),
                optional=self.optional_pretrained_keys())
            self._is_init = True
            return
        super().init_weights()
        # As mmdet's blocks: DCN convs and plugins that define their own
        # init (zero offsets, zero-init non-local output) apply it after the
        # backbone-wide Kaiming init.
        for block in self.blocks():
            for m in [
                    getattr(block, f'conv{i}')
                    for i in range(1, block.num_convs + 1)
            ] + block.plugins():
                if not isinstance(m, nn.Conv2d) and hasattr(m, 'init_weights'):
                    m.init_weights()
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
        if self.deep_stem:
            x = self.stem(x)
        else:
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
        if kwargs.get('expansion') is not None:
            raise ValueError(
                f"expansion={kwargs['expansion']!r} is not supported by "
                f'{type(self).__name__}: the ResGroup block sets its widths '
                '(a 3x3 conv 4x as wide as a ResNet bottleneck\'s, an output '
                'of half that, Sec. 3.3); allowed: [None]')
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

    def __init__(self,
                 depth=164,
                 stem_type='cifar',
                 base_channels=16,
                 out_indices=(2, ),
                 **kwargs):
        super().__init__(
            depth=depth,
            stem_type=stem_type,
            base_channels=base_channels,
            out_indices=out_indices,
            **kwargs)

    def _resolve_arch(self, depth, stage_blocks, block_type):
        if stage_blocks is None:
            if not (isinstance(depth, int) and depth >= 11 and
                    (depth - 2) % 3 == 0 and (depth - 2) // 3 >= 6):
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
    variants = dict(
        {
            k: dict(stem_pool=True, style='rgs', shortcut='conv')
            for k in rgs_variants
        },
        resnet=IResNet.variants['resnet'])
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
