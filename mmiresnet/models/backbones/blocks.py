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

Parameter names follow the official iResNet code (``bn0``..``bn3``,
``conv1``..``conv3``, ``downsample``), which are also the names of mmdet's
and torchvision's ResNet, so published checkpoints map key for key.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import BaseModule

BLOCK_TYPES = ('basic', 'bottleneck')
BLOCK_STYLES = ('resnet', 'istage', 'rgs')
SHORTCUT_TYPES = ('conv', 'maxpool')
INNER_RG_POSITIONS = ('after_relu', 'before_relu')


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
        return (not torch.compiler.is_compiling()
                and not torch.jit.is_tracing()
                and not torch.is_grad_enabled() and type(x) is torch.Tensor
                and x.device.type == 'cpu' and x.dtype == torch.float32
                and x.dim() == 4 and x.numel() > 0 and x.is_contiguous()
                and not self.return_indices
                and self.dilation in (1, (1, 1))
                and torch.backends.mkldnn.is_available()
                and torch.backends.mkldnn.enabled)

    def forward(self, x):
        if self._use_onednn(x):
            return F.max_pool2d(x.to_mkldnn(), self.kernel_size, self.stride,
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
        stride (int): Stride of the 3x3 conv (conv2 for bottlenecks, conv1
            for basic blocks, PyTorch style as in the official code).
        dilation (int): Dilation of the 3x3 conv(s).
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
        self.block_type = block_type
        self.pre_act = pre_act
        self.relu_on_shortcut = relu_on_shortcut and pre_act == 'relu'
        self.norm_before_add = norm_before_add
        self.norm_after_add = norm_after_add
        self.relu_after_add = relu_after_add
        self.rg_shortcut = rg_shortcut
        self.inner_rg = inner_rg
        self.with_cp = with_cp
        self.downsample = downsample

        if block_type == 'bottleneck':
            convs = [(in_channels, mid_channels, 1, 1, 1, 1),
                     (mid_channels, mid_channels, 3, stride, dilation, groups),
                     (mid_channels, out_channels, 1, 1, 1, 1)]
        else:
            convs = [(in_channels, mid_channels, 3, stride, dilation, 1),
                     (mid_channels, out_channels, 3, 1, dilation, 1)]
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
            conv = build_conv_layer(
                conv_cfg, cin, cout, k, stride=s, padding=d * (k // 2),
                dilation=d, groups=g, bias=False)
            self.add_module(f'conv{idx}', conv)
            if idx < self.num_convs or norm_before_add:
                self._add_norm(norm_cfg, cout, idx)
        if rg_shortcut is not None:
            self.rg_norm = build_rg_norm(out_channels, rg_groups)
        if inner_rg is not None:
            self.inner_rg_norm = build_rg_norm(mid_channels, rg_groups)

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
        return self.norm(self.num_convs) if (
            self.norm_before_add or self.norm_after_add) else None

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
        out = self._branch(x)  # a new tensor (conv or norm output)

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


def build_shortcut(shortcut_type, in_channels, out_channels, stride,
                   conv_cfg, norm_cfg):
    """Projection shortcut of a stage's first block, or None for identity.

    * ``'conv'``: ResNet option B, ``conv1x1(stride) -> norm`` (keys
      ``downsample.0/.1``).
    * ``'maxpool'``: the improved projection shortcut of iResNet (Sec. 3.2):
      ``MaxPool(3, stride, 1) -> conv1x1 -> norm`` (keys ``downsample.1/.2``,
      as in the official checkpoints). With stride 1 the pool becomes an
      identity but keeps its slot, so the SSD variant (stage 3 at stride 1)
      loads ImageNet weights key for key. With equal channels and stride > 1
      the shortcut is the bare max-pool (official iResNet-18/34 layer1).
    """
    if shortcut_type not in SHORTCUT_TYPES:
        raise ValueError(f'shortcut_type={shortcut_type!r}; allowed: '
                         f'{SHORTCUT_TYPES}')
    if stride == 1 and in_channels == out_channels:
        return None
    if shortcut_type == 'conv':
        return nn.Sequential(
            build_conv_layer(conv_cfg, in_channels, out_channels, 1,
                             stride=stride, bias=False),
            build_norm(norm_cfg, out_channels)[1])
    pool = MaxPool2d(3, stride, 1) if stride > 1 else nn.Identity()
    if in_channels == out_channels:
        return pool
    return nn.Sequential(
        pool,
        build_conv_layer(conv_cfg, in_channels, out_channels, 1, bias=False),
        build_norm(norm_cfg, out_channels)[1])


def block_roles(style, index, num_blocks, projection, rgs=None,
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
        flags = dict(pre_act='relu' if index == 1 else 'norm_relu',
                     relu_on_shortcut=official_relu_shortcut,
                     norm_before_add=False)
        if index == num_blocks - 1:
            return dict(flags, norm_after_add=True)
        return dict(flags, relu_after_add=False)
    if style == 'rgs':
        if projection:
            return dict()
        return dict(rg_shortcut=rgs['shortcut'], inner_rg=rgs['inner'],
                    relu_after_add=rgs['post_relu'])
    raise ValueError(f'block style {style!r}; allowed: {BLOCK_STYLES}')


def build_stage(num_blocks, in_channels, mid_channels, out_channels,
                block_type, style, shortcut_type, stride=1, dilation=1,
                groups=1, rgs=None, official_relu_shortcut=True,
                conv_cfg=None, norm_cfg=dict(type='BN'), with_cp=False):
    """A stage: ``num_blocks`` blocks, the first one strided and projecting."""
    if style == 'istage' and num_blocks < 2:
        raise ValueError('an iResNet/ResStage stage needs at least 2 blocks '
                         f'(a start and an end block), got {num_blocks}')
    blocks = []
    for index in range(num_blocks):
        first = index == 0
        downsample = build_shortcut(
            shortcut_type, in_channels, out_channels, stride, conv_cfg,
            norm_cfg) if first else None
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
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                with_cp=with_cp,
                **roles))
    return nn.Sequential(*blocks)

