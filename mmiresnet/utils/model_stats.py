"""Model size and cost: exact parameter counts and FLOPs.

Parameters are counted from shapes, so models built on the ``meta`` device
(no memory, no forward) work. FLOPs use mmengine's ``FlopAnalyzer`` (one
multiply-add = one FLOP, as the iResNet paper's GFLOPs).
"""
import math

import torch
import torch.nn as nn


def count_params(model):
    """Number of parameters of ``model`` (works on the ``meta`` device)."""
    return sum(math.prod(p.shape) for p in model.parameters())


def fc_params(in_channels, num_classes):
    """Parameters of a ``Linear(in_channels, num_classes)`` with bias."""
    return (in_channels + 1) * num_classes


def params_with_fc(backbone, num_classes):
    """Parameters of ``backbone`` plus a classifier on its last stage."""
    return count_params(backbone) + fc_params(backbone.out_channels[-1],
                                              num_classes)


class PooledClassifier(nn.Module):
    """Backbone, global average pooling of its last output, fc.

    The official classifiers' tail (Duta et al. 2020, Table 1 "ending").

    Args:
        backbone (nn.Module): Backbone with tuple outputs and
            ``out_channels``.
        num_classes (int): Classes of the fc.
    """

    def __init__(self, backbone, num_classes):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.out_channels[-1], num_classes)

    def forward(self, x):
        return self.fc(self.backbone(x)[-1].mean((2, 3)))


def count_flops(model, input_shape):
    """FLOPs of one forward of ``model`` on a zero input of ``input_shape``.

    Args:
        model (nn.Module): Model in the state to measure (e.g. eval).
        input_shape (tuple[int]): ``(C, H, W)``; the batch is 1.
    """
    from mmengine.analysis import FlopAnalyzer
    inputs = (torch.zeros(1, *input_shape), )
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total()
