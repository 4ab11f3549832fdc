"""Test oracle: the official iResNet/iResGroup forward pass and key layout.

Written from the layer order in docs/architecture.md: separate start/middle/
end flags, ``bn0``/``bn3`` only where the official code creates them,
``downsample = Sequential(MaxPool, conv, BN)``, and the shared in-place ReLU
whose side effect on the shortcut the published weights depend on. It
mirrors the official structure (one class per block kind, flags checked in
``forward``) rather than mmiresnet's, so the tests compare two independent
implementations.
"""
import torch.nn as nn


def conv3x3(cin, cout, stride=1, groups=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, groups=groups, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride, bias=False)


class OfficialBottleneck(nn.Module):
    expansion = 4

    def __init__(self,
                 inplanes,
                 planes,
                 stride=1,
                 downsample=None,
                 start_block=False,
                 end_block=False,
                 exclude_bn0=False,
                 groups=1,
                 out_planes=None):
        super().__init__()
        out_planes = planes * self.expansion if out_planes is None \
            else out_planes
        if not start_block and not exclude_bn0:
            self.bn0 = nn.BatchNorm2d(inplanes)
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride, groups)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, out_planes)
        if start_block or end_block:
            self.bn3 = nn.BatchNorm2d(out_planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.start_block = start_block
        self.end_block = end_block
        self.exclude_bn0 = exclude_bn0

    def forward(self, x):
        identity = x
        if self.start_block:
            out = self.conv1(x)
        elif self.exclude_bn0:
            out = self.relu(x)  # in place: identity becomes relu(x)
            out = self.conv1(out)
        else:
            out = self.bn0(x)
            out = self.relu(out)
            out = self.conv1(out)
        out = self.relu(self.bn1(out))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.conv3(out)
        if self.start_block:
            out = self.bn3(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        if self.end_block:
            out = self.relu(self.bn3(out))
        return out


class OfficialBasicBlock(nn.Module):
    expansion = 1

    def __init__(self,
                 inplanes,
                 planes,
                 stride=1,
                 downsample=None,
                 start_block=False,
                 end_block=False,
                 exclude_bn0=False,
                 groups=1,
                 out_planes=None):
        super().__init__()
        if not start_block and not exclude_bn0:
            self.bn0 = nn.BatchNorm2d(inplanes)
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        if start_block or end_block:
            self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.start_block = start_block
        self.end_block = end_block
        self.exclude_bn0 = exclude_bn0

    def forward(self, x):
        identity = x
        if self.start_block:
            out = self.conv1(x)
        elif self.exclude_bn0:
            out = self.relu(x)
            out = self.conv1(out)
        else:
            out = self.conv1(self.relu(self.bn0(x)))
        out = self.conv2(self.relu(self.bn1(out)))
        if self.start_block:
            out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        if self.end_block:
            out = self.relu(self.bn2(out))
        return out


class OfficialNet(nn.Module):
    """``iResNet`` (group=False) and ``iResGroup(Fix)``, official code."""

    def __init__(self, block, layers, num_classes=1000, group=None, groups=64):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        if group is None:
            widths, gs = (64, 128, 256, 512), (1, 1, 1, 1)
            out_mult = block.expansion
        else:
            widths = (256, 512, 1024, 2048)
            gs = (max(1, groups // 8), max(1, groups // 4),
                  max(1, groups // 2), groups) if group == 'scaled' \
                else (groups, ) * 4
            out_mult = 0.5
        for i, (w, g, n) in enumerate(zip(widths, gs, layers), 1):
            self.add_module(
                f'layer{i}', self._make_layer(block, w, n, g,
                                              int(w * out_mult)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.inplanes, num_classes)

    def _make_layer(self, block, planes, blocks, groups, out_planes):
        stride = 2
        downsample = None
        if self.inplanes != out_planes:
            downsample = nn.Sequential(
                nn.MaxPool2d(3, stride, 1), conv1x1(self.inplanes, out_planes),
                nn.BatchNorm2d(out_planes))
        else:
            downsample = nn.MaxPool2d(3, stride, 1)
        kw = dict(groups=groups, out_planes=out_planes)
        layers = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                start_block=True,
                **kw)
        ]
        self.inplanes = out_planes
        exclude_bn0 = True
        for _ in range(1, blocks - 1):
            layers.append(
                block(self.inplanes, planes, exclude_bn0=exclude_bn0, **kw))
            exclude_bn0 = False
        layers.append(
            block(
                self.inplanes,
                planes,
                end_block=True,
                exclude_bn0=exclude_bn0,
                **kw))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
        return self.fc(self.avgpool(x).flatten(1))
