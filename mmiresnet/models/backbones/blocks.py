"""One residual block and one stage builder for every family in mmiresnet.

A block is a residual branch ``F`` (basic: 3x3-3x3, bottleneck: 1x1-3x3-1x1,
the grouped ResGroup block being a bottleneck whose 3x3 is wide and grouped)
plus a shortcut, and a handful of flags that say where the normalisations and
activations sit around the addition. The families differ only in those flags:

=============  ==============================================================
``resnet``     ``y = relu(F(x) + s(x))`` with ``F`` ending in a norm
               (He et al., original post-activation ResNet).
``istage``     iResNet ResStage (Duta et al. 2020, Sec. 3.1, Fig. 2): start,
               middle and end blocks of a stage; one ReLU on the main path
               per stage, at its end.
``rgs``        RGSNet (Zhang et al. 2019, Sec. 3): the identity shortcut of
               non-projection blocks becomes ``GN(ReLU(x))`` (b-RGSNet),
               optionally with an inner RG shortcut around the 3x3 conv
               (d-RGSNet), optionally plus the identity (Res-RGSNet).
=============  ==============================================================

Every family also takes MMDetection's and MMPretrain's ResNet options
(docs/dropin.md): caffe style (the stride on the first 1x1 conv of a
bottleneck), a deformable 3x3 conv (``dcn``), plugins after each conv of the
branch, stochastic depth of the branch (``drop_path_rate``) and the
average-pool projection shortcut of ResNet-D (``avg_down``).

Parameter names follow the official iResNet code (``bn0``..``bn3``,
``conv1``..``conv3``, ``downsample``), which are also the names of mmdet's
and torchvision's ResNet, so published checkpoints map key for key; DCN
offsets (``conv2.conv_offset``) and plugins (``context_block``, ...) are
named as in mmdet's Bottleneck.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn import build_conv_layer, build_norm_layer, build_plugin_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule

BLOCK_TYPES = ('basic', 'bottleneck')
BLOCK_STYLES = ('resnet', 'istage', 'rgs')
SHORTCUT_TYPES = ('conv', 'maxpool', 'avgpool')
INNER_RG_POSITIONS = ('after_relu', 'before_relu')
PLUGIN_POSITIONS = ('after_conv1', 'after_conv2', 'after_conv3')
#: Below this rate the branch keeps no DropPath (as MMPretrain's blocks).
DROP_PATH_EPS = 1e-5


def _resolve_is_compiling():
    """``torch.compiler.is_compiling`` (torch >= 2.3), else the dynamo
    function of the same name (torch 2.1 / 2.2), else never compiling."""
    compiler = getattr(torch, 'compiler', None)
    if hasattr(compiler, 'is_compiling'):
        return compiler.is_compiling
    try:
        from torch._dynamo import is_compiling
        return is_compiling
    except ImportError:  # pragma: no cover (torch < 2.1)
        return lambda: False


#: Resolved once at import, so the model code runs on torch >= 2.1.
is_compiling = _resolve_is_compiling()


def build_norm(norm_cfg, channels, postfix=''):
    """``build_norm_layer`` with a clear error for GN groups that don't fit."""
    groups = norm_cfg.get('num_groups')
    if norm_cfg.get('type') == 'GN' and groups and channels % groups:
        raise ValueError(f'norm_cfg num_groups={groups} must divide the '
                         f'{channels} channels of every norm layer')
    return build_norm_layer(norm_cfg, channels, postfix=postfix)


class MaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` with a oneDNN path for eager CPU inference.

    PyTorch's own CPU max-pool on NCHW tensors also writes argmax indices
    and is many times slower than oneDNN's (see docs/deployment.md); the
    maximum is exact either way, so outputs are identical. Training,
    tracing, compiling, exporting and other devices use ``nn.MaxPool2d``.
    """

    def _use_onednn(self, x):
        return (not is_compiling() and not torch.jit.is_tracing()
                and not torch.is_grad_enabled() and type(x) is torch.Tensor
                and x.device.type == 'cpu' and x.dtype == torch.float32
                and x.dim() == 4 and x.numel() > 0 and x.is_contiguous()
                and not self.return_indices and self.dilation in (1, (1, 1))
                and torch.backends.mkldnn.is_available()
                and torch.backends.mkldnn.enabled)

    def forward(self, x):
        if self._use_onednn(x):
            return F.max_pool2d(
                x.to_mkldnn(),
                self.kernel_size,
                self.stride,
                self.padding,
                ceil_mode=self.ceil_mode).to_dense()
        return super().forward(x)


def build_rg_norm(channels, rg_groups):
    """The GN of an RG shortcut ``GN(ReLU(x))`` (RGSNet Sec. 3.1)."""
    if channels % rg_groups:
        raise ValueError(f'rg_groups={rg_groups} must divide the {channels} '
                         'channels of every RG shortcut')
    return nn.GroupNorm(rg_groups, channels)


class ResidualBlock(BaseModule):
    """A configurable residual block (see the module docstring).

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Width of the inner (3x3) convolution.
        out_channels (int): Output channels.
        block_type (str): ``'basic'`` or ``'bottleneck'``.
        stride (int): Stride of the block: on the 3x3 conv (conv2 of a
            bottleneck, conv1 of a basic block; PyTorch style, as in the
            official code), or on conv1 with ``caffe_style``.
        dilation (int): Dilation of the 3x3 conv (of the first 3x3 conv of a
            basic block; its second one is not dilated, as in mmdet's and
            MMPretrain's BasicBlock).
        groups (int): Groups of the bottleneck 3x3 conv (ResGroup, Sec. 3.3).
        downsample (nn.Module, optional): Projection shortcut.
        pre_act (str, optional): ``'norm_relu'`` (``bn0`` then ReLU) or
            ``'relu'`` (ReLU only) applied to the input of ``F``: the
            pre-activation of iResNet's middle and end blocks.
        relu_on_shortcut (bool): With ``pre_act='relu'``, feed ReLU(x) rather
            than x to the shortcut. The official iResNet code does this by
            accident (an in-place ReLU, docs/architecture.md) and the
            published weights depend on it.
        norm_before_add (bool): ``F`` ends with a norm (``bn3``/``bn2``).
        norm_after_add (bool): A norm follows the addition (iResNet end block).
        relu_after_add (bool): A ReLU follows the addition (and the norm).
        rg_shortcut (str, optional): ``'rg'`` replaces the identity shortcut
            by ``GN(ReLU(x))``; ``'rg+identity'`` adds both (Res-RGSNet).
        inner_rg (str, optional): Inner RG shortcut around the 3x3 conv of a
            bottleneck (d-/Res-RGSNet), one of ``INNER_RG_POSITIONS``:
            ``'after_relu'`` gives ``relu(bn2(conv2(a))) + GN(a)``,
            ``'before_relu'`` gives ``relu(bn2(conv2(a)) + GN(a))``, where
            ``a`` is the (non-negative) input of the 3x3 conv.
        rg_groups (int): GN groups of the RG shortcuts.
        caffe_style (bool): Stride on the first 1x1 conv of a bottleneck
            (mmdet's ``style='caffe'``); a basic block's first conv is its
            strided 3x3 conv in either style.
        dcn (dict, optional): Conv config of the bottleneck's 3x3 conv
            (``dict(type='DCN' | 'DCNv2', deform_groups=...)``), built with
            ``build_conv_layer`` as in mmdet's Bottleneck.
        plugins (list[dict], optional): mmdet's block plugins, each
            ``dict(cfg=..., position='after_conv1' | 'after_conv2' |
            'after_conv3')``, applied after that conv's norm and ReLU (after
            the conv, or its norm, for the last one: before the addition),
            in order. Names as mmdet's (``context_block``, ...).
        drop_path_rate (float): Stochastic depth of ``F`` (MMPretrain's
            ``DropPath`` on the branch output, before the addition).
        conv_cfg, norm_cfg: As in mmcv's ``build_conv_layer`` /
            ``build_norm_layer``.
        with_cp (bool): Gradient checkpointing of the block.
    """

    def __init__(self,
                 in_channels,
                 mid_channels,
                 out_channels,
                 block_type='bottleneck',
                 stride=1,
                 dilation=1,
                 groups=1,
                 downsample=None,
                 pre_act=None,
                 relu_on_shortcut=False,
                 norm_before_add=True,
                 norm_after_add=False,
                 relu_after_add=True,
                 rg_shortcut=None,
                 inner_rg=None,
                 rg_groups=32,
                 caffe_style=False,
                 dcn=None,
                 plugins=None,
                 drop_path_rate=0.0,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 with_cp=False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if norm_before_add and norm_after_add:
            raise ValueError('a block has its last norm either before or '
                             'after the addition, not both')
        if inner_rg is not None and (block_type != 'bottleneck'
                                     or inner_rg not in INNER_RG_POSITIONS):
            raise ValueError(f'inner_rg={inner_rg!r} needs a bottleneck block '
                             f'and one of {INNER_RG_POSITIONS}')
        if block_type != 'bottleneck' and (dcn is not None or plugins):
            raise ValueError('dcn and plugins need a bottleneck block (as '
                             "mmdet's BasicBlock, a basic block has none)")
        self.block_type = block_type
        self.pre_act = pre_act
        self.relu_on_shortcut = relu_on_shortcut and pre_act == 'relu'
        self.norm_before_add = norm_before_add
        self.norm_after_add = norm_after_add
        self.relu_after_add = relu_after_add
        self.rg_shortcut = rg_shortcut
        self.inner_rg = inner_rg
        self.with_cp = with_cp
        self.with_dcn = dcn is not None
        # Registered before the convs (unlike mmdet's blocks, which give
        # the same keys in another order): seeded models keep their init.
        self.downsample = downsample

        if block_type == 'bottleneck':
            s1, s2 = (stride, 1) if caffe_style else (1, stride)
            convs = [(in_channels, mid_channels, 1, s1, 1, 1),
                     (mid_channels, mid_channels, 3, s2, dilation, groups),
                     (mid_channels, out_channels, 1, 1, 1, 1)]
        else:
            convs = [(in_channels, mid_channels, 3, stride, dilation, 1),
                     (mid_channels, out_channels, 3, 1, 1, 1)]
        self.num_convs = len(convs)
        # Registration order matters: mmcv's ``fuse_conv_bn`` folds every BN
        # into the conv registered just before it. The norms that do not
        # normalise a conv's output (pre-activation ``bn0``, the norm after
        # the addition) are therefore registered before any conv.
        self.norm_names = {}
        if pre_act == 'norm_relu':
            self._add_norm(norm_cfg, in_channels, 0)
        if norm_after_add:
            self._add_norm(norm_cfg, out_channels, self.num_convs)
        for idx, (cin, cout, k, s, d, g) in enumerate(convs, 1):
            if cin % g or cout % g:
                raise ValueError(f'groups={g} must divide the {cin} input and '
                                 f'{cout} output channels of conv{idx}')
            cfg = conv_cfg
            if dcn is not None and k == 3:
                cfg = {
                    k_: v
                    for k_, v in dcn.items() if k_ != 'fallback_on_stride'
                }
            extra = dict(groups=g) if g != 1 else {}
            conv = build_conv_layer(
                cfg,
                cin,
                cout,
                k,
                stride=s,
                padding=d * (k // 2),
                dilation=d,
                bias=False,
                **extra)
            self.add_module(f'conv{idx}', conv)
            if idx < self.num_convs or norm_before_add:
                self._add_norm(norm_cfg, cout, idx)
        if rg_shortcut is not None:
            self.rg_norm = build_rg_norm(out_channels, rg_groups)
        if inner_rg is not None:
            self.inner_rg_norm = build_rg_norm(mid_channels, rg_groups)
        self.drop_path = DropPath(drop_path_rate) \
            if drop_path_rate > DROP_PATH_EPS else None
        # Plugins last, as in mmdet's Bottleneck: same names, and no BN of
        # the block follows them (fuse_conv_bn, above).
        widths = [cout for _, cout, *_ in convs]
        self.plugin_names = {idx: [] for idx in range(1, self.num_convs + 1)}
        for plugin in plugins or ():
            idx = PLUGIN_POSITIONS.index(plugin['position']) + 1
            cfg = dict(plugin['cfg'])
            name, layer = build_plugin_layer(
                cfg,
                in_channels=widths[idx - 1],
                postfix=cfg.pop('postfix', ''))
            if hasattr(self, name):
                raise ValueError(f'plugin name {name!r} is used twice in a '
                                 "block (give each a 'postfix')")
            self.add_module(name, layer)
            self.plugin_names[idx].append(name)

    def _add_norm(self, norm_cfg, channels, idx):
        name, norm = build_norm(norm_cfg, channels, postfix=idx)
        self.add_module(name, norm)
        self.norm_names[idx] = name

    def norm(self, idx):
        """The norm layer ``idx`` (0 = pre-activation, last = end of F)."""
        return getattr(self, self.norm_names[idx])

    @property
    def last_norm(self):
        """The norm that ends the block (before or after the addition)."""
        return self.norm(self.num_convs) if (self.norm_before_add
                                             or self.norm_after_add) else None

    def plugins(self):
        """The plugin modules of the block, in order of application."""
        return [
            getattr(self, name) for idx in sorted(self.plugin_names)
            for name in self.plugin_names[idx]
        ]

    def _branch(self, x):
        out = x
        for idx in range(1, self.num_convs + 1):
            conv_in = out
            out = getattr(self, f'conv{idx}')(out)
            if idx < self.num_convs:
                out = self.norm(idx)(out)
                if self.inner_rg == 'before_relu' and idx == 2:
                    out = out + self.inner_rg_norm(conv_in)
                out = F.relu(out, inplace=True)
                if self.inner_rg == 'after_relu' and idx == 2:
                    out = out + self.inner_rg_norm(conv_in)
            elif self.norm_before_add:
                out = self.norm(idx)(out)
            for name in self.plugin_names[idx]:
                out = getattr(self, name)(out)
        return out

    def _forward(self, x):
        shortcut_in = x
        if self.pre_act == 'norm_relu':
            y = self.norm(0)(x)
            x = F.relu(y, inplace=y is not x)  # in place unless an Identity
        elif self.pre_act == 'relu':
            x = F.relu(x)
            if self.relu_on_shortcut:
                shortcut_in = x
        out = self._branch(x)  # a new tensor (conv, norm or plugin output)
        if self.drop_path is not None:
            out = self.drop_path(out)

        if self.downsample is not None:
            out += self.downsample(shortcut_in)
        elif self.rg_shortcut is None:
            out += shortcut_in
        else:
            out += self.rg_norm(F.relu(shortcut_in))
            if self.rg_shortcut == 'rg+identity':
                out += shortcut_in

        if self.norm_after_add:
            out = self.norm(self.num_convs)(out)
        if self.relu_after_add:
            out = F.relu(out, inplace=True)
        return out

    def forward(self, x):
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)


def build_shortcut(shortcut_type,
                   in_channels,
                   out_channels,
                   stride,
                   conv_cfg,
                   norm_cfg,
                   pool_slot_at_stride1=True):
    """Projection shortcut of a stage's first block, or None for identity.

    * ``'conv'``: ResNet option B, ``conv1x1(stride) -> norm`` (keys
      ``downsample.0/.1``).
    * ``'maxpool'``: the improved projection shortcut of iResNet (Sec. 3.2):
      ``MaxPool(3, stride, 1) -> conv1x1 -> norm`` (keys ``downsample.1/.2``,
      as in the official checkpoints). With stride 1 the pool becomes an
      identity but keeps its slot, so the SSD variant (stage 3 at stride 1)
      loads ImageNet weights key for key. With equal channels and stride > 1
      the shortcut is the bare max-pool (official iResNet-18/34 layer1).
    * ``'avgpool'``: ResNet-D (``avg_down``, mmdet's and MMPretrain's
      ResLayer): ``AvgPool(stride, stride, ceil_mode, count_include_pad=
      False) -> conv1x1 -> norm`` (keys ``downsample.1/.2``). At stride 1 the
      pool is an identity that keeps its slot when ``pool_slot_at_stride1``
      (mmdet) or has none, giving keys ``downsample.0/.1`` (MMPretrain).
    """
    if shortcut_type not in SHORTCUT_TYPES:
        raise ValueError(f'shortcut_type={shortcut_type!r}; allowed: '
                         f'{SHORTCUT_TYPES}')
    if stride == 1 and in_channels == out_channels:
        return None
    if shortcut_type == 'conv' or (shortcut_type == 'avgpool' and stride == 1
                                   and not pool_slot_at_stride1):
        return nn.Sequential(
            build_conv_layer(
                conv_cfg,
                in_channels,
                out_channels,
                1,
                stride=stride,
                bias=False),
            build_norm(norm_cfg, out_channels)[1])
    if stride == 1:
        pool = nn.Identity()
    elif shortcut_type == 'maxpool':
        pool = MaxPool2d(3, stride, 1)
    else:
        pool = nn.AvgPool2d(
            stride, stride, ceil_mode=True, count_include_pad=False)
    if in_channels == out_channels and shortcut_type == 'maxpool':
        return pool
    return nn.Sequential(
        pool,
        build_conv_layer(conv_cfg, in_channels, out_channels, 1, bias=False),
        build_norm(norm_cfg, out_channels)[1])


def block_roles(style,
                index,
                num_blocks,
                projection,
                rgs=None,
                official_relu_shortcut=True):
    """Flags of block ``index`` of a stage of ``num_blocks`` blocks.

    ``istage`` (iResNet Sec. 3.1 and the official code): block 0 is the
    start block (norm before the addition, no ReLU after it); middle blocks
    pre-activate their input (ReLU only for block 1, ``bn0`` + ReLU after)
    and have neither norm nor ReLU at the end; the last block pre-activates
    like a middle block and applies norm + ReLU after the addition.

    ``rgs``: projection blocks stay plain ResNet blocks (the paper does not
    describe them); other blocks use the RG shortcut given by ``rgs``.
    """
    if style == 'resnet':
        return dict()
    if style == 'istage':
        if index == 0:
            return dict(relu_after_add=False)
        flags = dict(
            pre_act='relu' if index == 1 else 'norm_relu',
            relu_on_shortcut=official_relu_shortcut,
            norm_before_add=False)
        if index == num_blocks - 1:
            return dict(flags, norm_after_add=True)
        return dict(flags, relu_after_add=False)
    if style == 'rgs':
        if projection:
            return dict()
        return dict(
            rg_shortcut=rgs['shortcut'],
            inner_rg=rgs['inner'],
            relu_after_add=rgs['post_relu'])
    raise ValueError(f'block style {style!r}; allowed: {BLOCK_STYLES}')


def build_stage(num_blocks,
                in_channels,
                mid_channels,
                out_channels,
                block_type,
                style,
                shortcut_type,
                stride=1,
                dilation=1,
                groups=1,
                rgs=None,
                official_relu_shortcut=True,
                conv_cfg=None,
                norm_cfg=dict(type='BN'),
                with_cp=False,
                caffe_style=False,
                dcn=None,
                plugins=None,
                drop_path_rates=None,
                pool_slot_at_stride1=True):
    """A stage: ``num_blocks`` blocks, the first one strided and projecting.

    ``caffe_style``, ``dcn`` and ``plugins`` (already selected for this
    stage) go to every block, ``drop_path_rates`` holds one rate per block
    and ``pool_slot_at_stride1`` goes to :func:`build_shortcut`.
    """
    if style == 'istage' and num_blocks < 2:
        raise ValueError('an iResNet/ResStage stage needs at least 2 blocks '
                         f'(a start and an end block), got {num_blocks}')
    if drop_path_rates is None:
        drop_path_rates = (0.0, ) * num_blocks
    if len(drop_path_rates) != num_blocks:
        raise ValueError(f'{len(drop_path_rates)} drop path rates for a stage '
                         f'of {num_blocks} blocks')
    blocks = []
    for index in range(num_blocks):
        first = index == 0
        downsample = build_shortcut(shortcut_type, in_channels, out_channels,
                                    stride, conv_cfg, norm_cfg,
                                    pool_slot_at_stride1) if first else None
        roles = block_roles(style, index, num_blocks, downsample is not None,
                            rgs, official_relu_shortcut)
        blocks.append(
            ResidualBlock(
                in_channels if first else out_channels,
                mid_channels,
                out_channels,
                block_type=block_type,
                stride=stride if first else 1,
                dilation=dilation,
                groups=groups,
                downsample=downsample,
                rg_groups=rgs['groups'] if rgs else 32,
                caffe_style=caffe_style,
                dcn=dcn,
                plugins=plugins,
                drop_path_rate=drop_path_rates[index],
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp,
                **roles))
    return nn.Sequential(*blocks)
