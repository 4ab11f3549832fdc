from .blocks import ResidualBlock, build_shortcut, build_stage
from .iresnet import (IResGroup, IResGroupFix, IResNet, IResNetCIFAR,
                      ResGroup, ResGroupFix, RGSNet, count_params)

__all__ = [
    'ResidualBlock', 'build_shortcut', 'build_stage', 'IResNet', 'IResGroup',
    'IResGroupFix', 'ResGroup', 'ResGroupFix', 'IResNetCIFAR', 'RGSNet',
    'count_params'
]
