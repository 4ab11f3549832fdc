from ...utils.model_stats import count_params
from .blocks import ResidualBlock, build_shortcut, build_stage
from .iresnet import (IResGroup, IResGroupFix, IResNet, IResNetCIFAR, ResGroup,
                      ResGroupFix, RGSNet)

__all__ = [
    'ResidualBlock', 'build_shortcut', 'build_stage', 'IResNet', 'IResGroup',
    'IResGroupFix', 'ResGroup', 'ResGroupFix', 'IResNetCIFAR', 'RGSNet',
    'count_params'
]
