#!/usr/bin/env python
"""Depth study: training loss of ResNet vs iResNet (vs Res-RGSNet) by depth.

The papers' central claim (iResNet paper Sec. 4 and Fig. 9; RGSNet paper
Sec. 4.4): as depth grows, ResNet's training loss degrades while iResNet
keeps improving. This tool trains each family at each depth on the same
data, in the same order, for the same budget (iterations, lr schedule,
seed), and plots the training-loss curves side by side (one panel per
depth), like the iResNet paper's Fig. 9.

Networks are the CIFAR bottleneck nets of Table 12 (``IResNetCIFAR``, depth
``3n + 2``); Res-RGSNet uses the same 3-stage layout at 0.25x RGSNet width
(16/32/64, GN groups 8). Data: scikit-learn's 1,797 real handwritten digits
upsampled to 32x32 (shipped with scikit-learn, nothing downloaded); on a GPU
use larger ``--depths`` (1001 and beyond) and ``--iters``.

Example (CPU, a few minutes)::

    python tools/analysis/depth_study.py --depths 20 56 110 --iters 150 \\
        --out work_dirs/depth_study.png
"""
import argparse
import json
import os
import os.path as osp
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FAMILIES = ('resnet', 'iresnet', 'res-rgsnet')


def load_digits_tensors():
    """(images N x 3 x 32 x 32 in [-1, 1], labels N)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.
    x = F.interpolate(x, size=32, mode='bilinear', align_corners=False)
    x = (x * 2 - 1).expand(-1, 3, -1, -1).contiguous()
    return x, torch.tensor(digits.target)


def build_net(family, depth, num_classes=10):
    from mmiresnet.models.backbones import IResNetCIFAR, RGSNet
    if family == 'res-rgsnet':
        n = (depth - 2) // 3
        backbone = RGSNet(depth=None, variant='res', widen_factor=0.25,
                          stem_type='cifar', stage_blocks=(
                              n // 3, n - 2 * (n // 3), n // 3),
                          out_indices=(-1, ))
    else:
        backbone = IResNetCIFAR(depth=depth, variant=family,
                                out_indices=(-1, ))
    backbone.init_weights()
    head = nn.Linear(backbone.out_channels[-1], num_classes)
    return nn.Sequential(backbone, _LastMapPool(), head)


class _LastMapPool(nn.Module):

    def forward(self, outs):
        return outs[-1].mean((2, 3))


def train_curve(family, depth, data, args, device):
    torch.manual_seed(args.seed)
    model = build_net(family, depth).to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                          weight_decay=1e-4, nesterov=False)
    sched = torch.optim.lr_scheduler.MultiStepLR(
        opt, [int(args.iters * 0.5), int(args.iters * 0.75)], 0.1)
    x, y = data
    g = torch.Generator().manual_seed(args.seed)
    losses = []
    start = time.perf_counter()
    for _ in range(args.iters):
        idx = torch.randint(0, len(x), (args.batch, ), generator=g)
        xb, yb = x[idx].to(device), y[idx].to(device)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return dict(family=family, depth=depth, losses=losses,
                seconds=time.perf_counter() - start,
                final_loss=sum(losses[-10:]) / len(losses[-10:]))


def smooth(values, k):
    out, acc = [], 0.
    for i, v in enumerate(values):
        acc += v
        if i >= k:
            acc -= values[i - k]
        out.append(acc / min(i + 1, k))
    return out


def plot(results, depths, path, window):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(depths), figsize=(4.5 * len(depths), 3.6),
                             sharey=True, squeeze=False)
    colours = dict(zip(FAMILIES, ('tab:red', 'tab:blue', 'tab:green')))
    for ax, depth in zip(axes[0], depths):
        for r in results:
            if r['depth'] == depth:
                ax.plot(smooth(r['losses'], window),
                        label=f"{r['family']} ({r['final_loss']:.3f})",
                        color=colours[r['family']])
        ax.set_title(f'{depth} layers')
        ax.set_xlabel('iteration')
        ax.set_yscale('log')
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(f'training loss ({window}-iter mean)')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--depths', type=int, nargs='+', default=[20, 56, 110])
    parser.add_argument('--families', nargs='+', default=list(FAMILIES),
                        choices=FAMILIES)
    parser.add_argument('--iters', type=int, default=150)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--smooth', type=int, default=10)
    parser.add_argument('--out', default='work_dirs/depth_study.png')
    parser.add_argument('--json', default=None,
                        help='also write the curves (default: OUT.json)')
    args = parser.parse_args(argv)
    for depth in args.depths:
        if (depth - 2) % 3 or (depth - 2) // 3 < 6:
            parser.error(f'depth {depth}: CIFAR depths are 3n + 2 with '
                         'n >= 6 bottlenecks, e.g. 20, 56, 110, 164, 1001')
    from mmengine.logging import MMLogger
    MMLogger.get_instance('depth_study', log_level='WARNING')  # quiet init
    data = load_digits_tensors()
    results = []
    for depth in args.depths:
        for family in args.families:
            r = train_curve(family, depth, data, args, args.device)
            print(f"{family:>10} depth {depth:>5}: final loss "
                  f"{r['final_loss']:.4f}  ({r['seconds']:.1f} s)")
            results.append(r)
    plot(results, args.depths, args.out, args.smooth)
    json_path = args.json or osp.splitext(args.out)[0] + '.json'
    with open(json_path, 'w') as f:
        json.dump(dict(args=vars(args), results=results), f)
    print(f'wrote {args.out} and {json_path}')
    return results


if __name__ == '__main__':
    main()
