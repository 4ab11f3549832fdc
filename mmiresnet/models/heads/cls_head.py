"""Classification head of the official iResNet / iResGroup models.

The official classifier ends with ``AdaptiveAvgPool2d(1) -> flatten ->
Dropout(dropout_prob0) -> fc`` (Duta et al. 2020, Table 1 "ending"; keys in
docs/architecture.md). This head is that tail as an MMPretrain ``ClsHead``,
so converted official checkpoints (``head.fc.*``) load. Registered only in
``mmpretrain.registry.MODELS``.
"""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead

from ...registry import register_in


@register_in('mmpretrain')
class IResNetClsHead(ClsHead):
    """Global average pooling, optional dropout and a linear classifier.

    4-D inputs ``(N, C, H, W)`` are averaged over ``H, W``; 2-D inputs
    ``(N, C)`` (after a ``GlobalAveragePooling`` neck) pass through. Only the
    last element of an input tuple is used.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the backbone's last stage.
        dropout_ratio (float): Dropout before ``fc`` (official dropout_prob0).
        loss (dict): Loss config (default: cross-entropy).
        topk (int | tuple[int]): Top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): Compute training accuracy in ``loss``.
        init_cfg (dict, optional): Init of ``fc``; None: PyTorch's default.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 dropout_ratio: float = 0.0,
                 init_cfg=None,
                 **kwargs):
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(
                f'num_classes={num_classes!r} must be a positive int')
        if not isinstance(in_channels, int) or in_channels <= 0:
            raise ValueError(
                f'in_channels={in_channels!r} must be a positive int')
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(
                f'dropout_ratio={dropout_ratio!r} must be in [0, 1)')
        super().__init__(init_cfg=init_cfg, **kwargs)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.dropout_ratio = dropout_ratio
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 \
            else None
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(
            self, feats: Union[torch.Tensor,
                               Sequence[torch.Tensor]]) -> torch.Tensor:
        """Pooled features ``(N, in_channels)`` of the last input."""
        x = feats if isinstance(feats, torch.Tensor) else feats[-1]
        if x.dim() == 4:
            # As the official AdaptiveAvgPool2d(1) (bit-identical logits).
            x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        elif x.dim() != 2:
            raise ValueError(
                f'{type(self).__name__} expects (N, C, H, W) or (N, C) '
                f'features, got shape {tuple(x.shape)}')
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f'{type(self).__name__}: features have {x.shape[1]} '
                f'channels but in_channels={self.in_channels}; set '
                "model.head.in_channels to the backbone's last stage width")
        return x

    def forward(
            self, feats: Union[torch.Tensor,
                               Tuple[torch.Tensor]]) -> torch.Tensor:
        """Class scores ``(N, num_classes)``."""
        x = self.pre_logits(feats)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc(x)
