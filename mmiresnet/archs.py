"""The architecture table: every named network of mmiresnet in one place.

A name such as ``iresnet50`` or ``rgsnet26-d`` maps to an :class:`Arch`:
the registered backbone class, its ``variant``, the depth and blocks per
stage, the official ImageNet weights (if published) and the paper. Backbone
classes read their depth tables from here; checkpoint-name parsing, the
listing and paper-table tools and the tests derive from :data:`ARCHS`.
A new depth is one row in a depth table, a new family one row in
:data:`FAMILIES` (see docs/adding_a_variant.md and docs/architecture.md).

Plain data: nothing from the models is imported.
"""
from dataclasses import dataclass, field
from types import MappingProxyType

# depth -> (block type, blocks per stage). ImageNet iResNet / ResNet
# (Duta et al. 2020, Table 9 and the official code; He et al. 2016 Table 1).
IRESNET_DEPTHS = MappingProxyType({
    18: ('basic', (2, 2, 2, 2)),
    34: ('basic', (3, 4, 6, 3)),
    50: ('bottleneck', (3, 4, 6, 3)),
    101: ('bottleneck', (3, 4, 23, 3)),
    152: ('bottleneck', (3, 8, 36, 3)),
    200: ('bottleneck', (3, 24, 36, 3)),
    302: ('bottleneck', (4, 34, 58, 4)),
    404: ('bottleneck', (4, 46, 80, 4)),
    1001: ('bottleneck', (4, 155, 170, 4)),
})

# The ResGroup families exist at these depths (Duta et al. 2020, Table 6).
GROUP_DEPTHS = MappingProxyType({d: IRESNET_DEPTHS[d] for d in (50, 101, 152)})

# RGSNet (Zhang et al. 2019, Table 8; 200 from Table 11, as ResNet-200).
RGSNET_DEPTHS = MappingProxyType({
    26: ('bottleneck', (2, 2, 2, 2)),
    32: ('bottleneck', (2, 3, 3, 2)),
    38: ('bottleneck', (3, 3, 3, 3)),
    50: ('bottleneck', (3, 4, 6, 3)),
    62: ('bottleneck', (3, 4, 10, 3)),
    77: ('bottleneck', (3, 4, 15, 3)),
    101: ('bottleneck', (3, 4, 23, 3)),
    152: ('bottleneck', (3, 8, 36, 3)),
    200: ('bottleneck', (3, 24, 36, 3)),
})


def cifar_stage_blocks(depth):
    """Blocks per stage of a CIFAR bottleneck net of ``depth`` layers.

    ``(depth - 2) / 3`` bottlenecks split evenly over three stages, the
    remainder in the middle one (Duta et al. 2020, Tables 12 and 13):
    164 -> 18/18/18, 3002 -> 333/334/333.
    """
    n = (depth - 2) // 3
    return (n // 3, n - 2 * (n // 3), n // 3)


# The CIFAR networks of Table 5 / 13; IResNetCIFAR takes any 3n + 2 depth.
CIFAR_DEPTHS = MappingProxyType({
    d: ('bottleneck', cifar_stage_blocks(d))
    for d in (164, 1001, 2000, 3002)
})

_DRIVE = 'gdrive://'
_TORCHVISION = 'https://download.pytorch.org/models/'

# Official ImageNet weights: arch name -> source. ``gdrive://ID`` is a file
# on Google Drive published with the official iResNet code; https URLs are
# torchvision's ResNets (the official code's ResNet baselines, same keys).
OFFICIAL_WEIGHTS = MappingProxyType({
    'iresnet50':
    _DRIVE + '1Waw3ob8KPXCY9iCLdAD6RUA0nvVguc6K',
    'iresnet101':
    _DRIVE + '1cZ4XhwZfUOm_o0WZvenknHIqgeqkY34y',
    'iresnet152':
    _DRIVE + '10heFLYX7VNlaSrDy4SZbdOOV9xwzwyli',
    'iresnet200':
    _DRIVE + '1Ao-f--jNU7MYPqSW8UMonXVrq3mkLRpW',
    'iresnet302':
    _DRIVE + '1UcyvLhLzORJZBUQDNJdsx3USCloXZT6V',
    'iresnet404':
    _DRIVE + '1hEOHErsD6AF1b3qQi56mgxvYDneTvMIq',
    'resstage50':
    _DRIVE + '1r2GvTm50xF6euU4Z6A_MYoMkiKbYRO3a',
    'resstage101':
    _DRIVE + '16qGLSElXet4ByQfG3a-zO9fNxGofRsLt',
    'resstage152':
    _DRIVE + '1m798qbvw8g-rW4aORIV9JY8c1JGzoVCI',
    'resstage200':
    _DRIVE + '16ZYVIkMfycnSjof4BzP312Gk3XNw1xwg',
    'iresgroup50':
    _DRIVE + '1mCcUKTLbJfjLr2ZiUZPT89wlNf6WxWr_',
    'iresgroup101':
    _DRIVE + '1i_btVQzQeXFgHFfDi5nTEb_fb7gCtqLG',
    'iresgroup152':
    _DRIVE + '1rXDMj-yWcKEiO3LILLZlarh69HEibXMc',
    'iresgroupfix50':
    _DRIVE + '12oeCmPhaID2s3Doay8ZXMehnaaWqa_ek',
    'iresgroupfix101':
    _DRIVE + '1A8MIGI1ZEIfaB1bn_NN4QkoHKGRGxW_i',
    'iresgroupfix152':
    _DRIVE + '1s-4zKwbwlAJruSm-OFYmw96_qew7F2nw',
    'resgroup50':
    _DRIVE + '1iKdFnKcQoGdqfCpRPkTzQcyzdZV8Ur-3',
    'resgroup101':
    _DRIVE + '1eYhQxYGydTgzS9d_Ks4bvviM-g6lzXdb',
    'resgroup152':
    _DRIVE + '18wlEo9igKvS73W76_5L2fzm1Gr7Rygpt',
    'resgroupfix50':
    _DRIVE + '1O9-pGasclSTY8jVB_ez1ANv-DTZ8Sgo9',
    'resgroupfix101':
    _DRIVE + '1oqTfG-zpiHr7hKYuxMbE2v10nF2zNSxO',
    'resgroupfix152':
    _DRIVE + '1-TveOWnOHdDZLrAsKZ2Xj6pFO25X1cIG',
    'resnet50':
    _TORCHVISION + 'resnet50-0676ba61.pth',
    'resnet101':
    _TORCHVISION + 'resnet101-63fe2227.pth',
    'resnet152':
    _TORCHVISION + 'resnet152-394f9c45.pth',
})

_DUTA = 'Duta et al. 2020'
_ZHANG = 'Zhang et al. 2019'


@dataclass(frozen=True)
class Family:
    """One row per family: how its arch names are formed and built.

    ``name`` is the arch name with ``{depth}`` in it, ``type`` the
    registered backbone, ``variant`` its ``variant`` argument, ``depths``
    one of the depth tables above, ``paper`` the reference, ``title`` the
    paper's name of the network (with ``{depth}``) and ``dataset`` the
    input it is built for: ``'imagenet'`` (224x224) or ``'cifar'`` (32x32).
    """
    name: str
    type: str
    variant: str
    depths: MappingProxyType
    paper: str
    title: str
    dataset: str = 'imagenet'


FAMILIES = (
    Family('iresnet{depth}', 'IResNet', 'iresnet', IRESNET_DEPTHS,
           f'iResNet ({_DUTA}, Sec. 3.1-3.2, Table 9)', 'iResNet-{depth}'),
    Family('resstage{depth}', 'IResNet', 'resstage', IRESNET_DEPTHS,
           f'ResStage ablation ({_DUTA}, Sec. 3.1, Table 2)',
           'ResStage-{depth}'),
    Family('resmax{depth}', 'IResNet', 'resmax', IRESNET_DEPTHS,
           f'ResMax ablation ({_DUTA}, Sec. 3.2, Table 14)', 'ResMax-{depth}'),
    Family('resnet{depth}', 'IResNet', 'resnet', IRESNET_DEPTHS,
           'ResNet baseline (He et al. 2016; '
           f'{_DUTA}, Table 2)', 'ResNet-{depth}'),
    Family('iresgroup{depth}', 'IResGroup', 'iresnet', GROUP_DEPTHS,
           f'iResGroup ({_DUTA}, Sec. 3.3, Tables 1 and 6)',
           'iResGroup-{depth}'),
    Family('iresgroupfix{depth}', 'IResGroupFix', 'iresnet', GROUP_DEPTHS,
           f'iResGroupFix ({_DUTA}, Sec. 3.3, Tables 1 and 6)',
           'iResGroupFix-{depth}'),
    Family('resgroup{depth}', 'ResGroup', 'resnet', GROUP_DEPTHS,
           f'ResGroup baseline ({_DUTA}, Tables 1 and 6)', 'ResGroup-{depth}'),
    Family('resgroupfix{depth}', 'ResGroupFix', 'resnet', GROUP_DEPTHS,
           f'ResGroupFix baseline ({_DUTA}, Tables 1 and 6)',
           'ResGroupFix-{depth}'),
    Family('iresnet{depth}-cifar', 'IResNetCIFAR', 'iresnet', CIFAR_DEPTHS,
           f'iResNet for CIFAR ({_DUTA}, Tables 5, 12, 13)', 'iResNet-{depth}',
           'cifar'),
    Family('resnet{depth}-cifar', 'IResNetCIFAR', 'resnet', CIFAR_DEPTHS,
           f'ResNet for CIFAR ({_DUTA}, Tables 5, 12, 13)', 'ResNet-{depth}',
           'cifar'),
    Family('rgsnet{depth}-b', 'RGSNet', 'b', RGSNET_DEPTHS,
           f'b-RGSNet ({_ZHANG}, Sec. 3, Fig. 3a, Tables 2, 10)',
           'b-RGSNet-{depth}'),
    Family('rgsnet{depth}-d', 'RGSNet', 'd', RGSNET_DEPTHS,
           f'd-RGSNet ({_ZHANG}, Sec. 3, Fig. 3b, Table 2)',
           'd-RGSNet-{depth}'),
    Family('rgsnet{depth}-res', 'RGSNet', 'res', RGSNET_DEPTHS,
           f'Res-RGSNet ({_ZHANG}, Sec. 3, Fig. 3c, Tables 2, 10)',
           'Res-RGSNet-{depth}'),
    Family('rgsnet{depth}-resnet', 'RGSNet', 'resnet', RGSNET_DEPTHS,
           f'ResNet baseline of RGSNet ({_ZHANG}, Tables 2, 8)',
           'ResNet-{depth}'),
)


@dataclass(frozen=True)
class Arch:
    """One named network of :data:`ARCHS`."""
    name: str
    type: str
    variant: str
    depth: int
    block_type: str
    stage_blocks: tuple
    paper: str
    weights: str = None  # official ImageNet weights (OFFICIAL_WEIGHTS)
    family: Family = field(default=None, repr=False, compare=False)
    title: str = None  # the paper's name, e.g. 'iResNet-50'

    def backbone_cfg(self, **overrides):
        """Backbone config that builds this arch, e.g. for ``MODELS``."""
        return dict(
            dict(type=self.type, depth=self.depth, variant=self.variant),
            **overrides)


ARCHS = MappingProxyType({
    fam.name.format(depth=depth):
    Arch(
        name=fam.name.format(depth=depth),
        type=fam.type,
        variant=fam.variant,
        depth=depth,
        block_type=block_type,
        stage_blocks=stage_blocks,
        paper=fam.paper,
        weights=OFFICIAL_WEIGHTS.get(fam.name.format(depth=depth)),
        family=fam,
        title=fam.title.format(depth=depth))
    for fam in FAMILIES
    for depth, (block_type, stage_blocks) in fam.depths.items()
})

assert set(OFFICIAL_WEIGHTS) <= set(ARCHS), 'weights of an unknown arch'


def get_arch(name):
    """The :class:`Arch` called ``name``; a ValueError lists the names."""
    try:
        return ARCHS[name]
    except (KeyError, TypeError):
        raise ValueError(f'unknown arch {name!r}; allowed: '
                         f'{", ".join(ARCHS)}') from None


def archs_with_weights():
    """Names of the archs whose official ImageNet weights are published."""
    return tuple(name for name, arch in ARCHS.items() if arch.weights)
