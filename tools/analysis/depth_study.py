#!/usr/bin/env python
"""Depth study: training loss of ResNet vs iResNet by depth.

The iResNet paper's central claim (Duta et al. 2020, Sec. 4 and Appendix
A.3, Fig. 9): as depth grows from 164 to 1001 layers ResNet's training loss
gets worse, and at 2000 / 3002 layers ResNet does not converge, while
iResNet's training loss keeps improving. This tool trains each family at
each depth on the same data, in the same order, for the same budget
(iterations, lr schedule, batch, seed) and plots the training-loss curves,
one panel per depth, plus the final loss against depth.

Networks: the CIFAR bottleneck nets of Tables 12 and 13 (``IResNetCIFAR``,
depth ``3n + 2``, the ``resnet`` and ``iresnet`` rows of the architecture
table); ``res-rgsnet`` (RGSNet paper Sec. 3.3) uses the same 3-stage layout
at 0.25x RGSNet width. Data: scikit-learn's 1,797 real 8x8 handwritten
digits (shipped with scikit-learn, nothing downloaded), bilinearly resized
to ``--size`` pixels; all of them are the training set. Recipe as the
paper's (He et al.'s) CIFAR recipe: SGD, momentum 0.9, weight decay 1e-4,
lr 0.1 divided by 10 at 50% and 75% of the iterations, batch 64, no
augmentation; one shuffled pass over the digits per epoch, the same order
for every network.

Example (CPU, a few minutes)::

    python tools/analysis/depth_study.py --depths 20 56 110 --iters 150 \\
        --out work_dirs/depth_study.png

The study in docs/depth_study.md was made with ``--depths 56 164 1001
--size 16``; 2000 and 3002 layers need a GPU (``--device cuda``).
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import time

RGSNET_FAMILY = 'res-rgsnet'
PLOT_SUFFIXES = ('.png', '.pdf', '.svg')


def cifar_families():
    """Variant -> row of the architecture table for the CIFAR nets."""
    from mmiresnet.archs import FAMILIES as ARCH_FAMILIES
    return {f.variant: f for f in ARCH_FAMILIES if f.type == 'IResNetCIFAR'}


def family_names():
    return tuple(cifar_families()) + (RGSNET_FAMILY, )


def load_digits_tensors(size):
    """(images N x 3 x size x size in [-1, 1], labels N) of the digits."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.
    if size != x.shape[-1]:
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=False)
    x = (x * 2 - 1).expand(-1, 3, -1, -1).contiguous()
    return x, torch.tensor(digits.target)


def build_net(family, depth, num_classes=10):
    """Backbone + global average pool + fc, initialised as the paper."""
    import torch.nn as nn

    from mmiresnet.models import backbones

    class LastMapPool(nn.Module):

        def forward(self, outs):
            return outs[-1].mean((2, 3))

    if family == RGSNET_FAMILY:
        n = (depth - 2) // 3
        backbone = backbones.RGSNet(
            depth=None, variant='res', widen_factor=0.25, stem_type='cifar',
            stage_blocks=(n // 3, n - 2 * (n // 3), n // 3),
            out_indices=(-1, ))
    else:
        row = cifar_families()[family]
        backbone = getattr(backbones, row.type)(
            depth=depth, variant=row.variant, out_indices=(-1, ))
    backbone.init_weights()
    head = nn.Linear(backbone.out_channels[-1], num_classes)
    return nn.Sequential(backbone, LastMapPool(), head)


def batch_order(num_samples, batch, iters, seed):
    """Indices of every iteration's batch: shuffled epochs, last partial
    batch of an epoch dropped. The same for every network of a study."""
    import torch
    per_epoch = num_samples // batch
    g = torch.Generator().manual_seed(seed)
    order = []
    while len(order) < iters:
        perm = torch.randperm(num_samples, generator=g)
        order += list(perm[:per_epoch * batch].view(per_epoch, batch))
    return order[:iters]


def train_curve(family, depth, data, order, args, log=print):
    """Train one network; its loss at every iteration and its timing."""
    import torch
    import torch.nn.functional as F
    torch.manual_seed(args.seed)
    model = build_net(family, depth).to(args.device).train()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                          weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(
        opt, [int(args.iters * 0.5), int(args.iters * 0.75)], 0.1)
    x, y = data
    losses = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for it, idx in enumerate(order):
        xb, yb = x[idx].to(args.device), y[idx].to(args.device)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if args.log_interval and (it + 1) % args.log_interval == 0:
            dt = time.perf_counter() - start
            log(f'  {family} {depth}: iter {it + 1}/{len(order)} loss '
                f'{losses[-1]:.4f} ({dt / (it + 1):.2f} s/iter)')
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    tail = losses[-args.final_window:]
    return dict(family=family, depth=depth, losses=losses, seconds=seconds,
                seconds_per_iter=seconds / len(losses),
                cpu_seconds=cpu_seconds,
                final_loss=sum(tail) / len(tail),
                diverged=not all(math.isfinite(v) for v in losses))


def smooth(values, k):
    """Trailing moving average over ``k`` values (fewer at the start)."""
    out, acc = [], 0.
    for i, v in enumerate(values):
        acc += v
        if i >= k:
            acc -= values[i - k]
        out.append(acc / min(i + 1, k))
    return out


def plot(results, depths, path, window, final_window, title=None):
    """One panel per depth (families overlaid) and final loss vs depth."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    families = list(dict.fromkeys(r['family'] for r in results))
    style = {
        'resnet': ('tab:red', 'ResNet'),
        'iresnet': ('tab:blue', 'iResNet'),
        RGSNET_FAMILY: ('tab:green', 'Res-RGSNet'),
    }
    n = len(depths) + 1
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.8), squeeze=False)
    axes = axes[0]
    finite = [v for r in results for v in smooth(r['losses'], window)
              if math.isfinite(v) and v > 0]
    lo, hi = (min(finite), max(finite)) if finite else (1e-3, 10)
    for ax, depth in zip(axes, depths):
        for r in results:
            if r['depth'] != depth:
                continue
            colour, name = style[r['family']]
            ax.plot(range(1, len(r['losses']) + 1),
                    smooth(r['losses'], window), color=colour, lw=1.3,
                    label=f"{name}-{depth} (last {final_window}: "
                    f"{r['final_loss']:.3g})")
        ax.set_title(f'{depth} layers')
        ax.set_xlabel('iteration')
        ax.set_yscale('log')
        ax.set_ylim(lo / 1.5, hi * 1.5)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(fontsize=8, loc='upper right')
    axes[0].set_ylabel(f'training loss (mean of {window} iterations)')
    ax = axes[-1]
    for family in families:
        colour, name = style[family]
        rows = sorted((r['depth'], r['final_loss']) for r in results
                      if r['family'] == family)
        ax.plot([d for d, _ in rows], [v for _, v in rows], 'o-',
                color=colour, label=name)
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xticks(depths)
    ax.set_xticklabels([str(d) for d in depths])
    ax.minorticks_off()
    ax.set_xlabel('depth (layers)')
    ax.set_ylabel(f'mean loss of the last {final_window} iterations')
    ax.set_title('final training loss vs depth')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = f'{path}.tmp-{os.getpid()}{osp.splitext(path)[1]}'
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if osp.exists(tmp):
            os.remove(tmp)


def write_json(path, payload):
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        with open(tmp, 'w') as f:
            json.dump(payload, f)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--depths', type=int, nargs='+', default=[20, 56, 110])
    parser.add_argument('--families', nargs='+', default=None,
                        help='CIFAR rows of the architecture table (resnet, '
                        f'iresnet; default: both) or {RGSNET_FAMILY}')
    parser.add_argument('--iters', type=int, default=150,
                        help='training iterations of every network')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--lr', type=float, default=0.1)
    parser.add_argument('--size', type=int, default=32,
                        help='side the 8x8 digits are resized to (pixels)')
    parser.add_argument('--seed', type=int, default=0,
                        help='initialisation and data order')
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--smooth', type=int, default=10,
                        help='moving-average window of the plotted curves')
    parser.add_argument('--final-window', type=int, default=20,
                        help='iterations averaged into the final loss')
    parser.add_argument('--log-interval', type=int, default=0,
                        help='print the loss every N iterations (0: never)')
    parser.add_argument('--title', default=None, help='figure title')
    parser.add_argument('--out', default='work_dirs/depth_study.png',
                        help=f'figure ({", ".join(PLOT_SUFFIXES)})')
    parser.add_argument('--json', default=None,
                        help='also write the curves (default: OUT.json)')
    args = parser.parse_args(argv)
    for depth in args.depths:
        if (depth - 2) % 3 or (depth - 2) // 3 < 6:
            parser.error(f'depth {depth}: CIFAR depths are 3n + 2 with '
                         'n >= 6 bottlenecks, e.g. 20, 56, 110, 164, 1001')
    if len(set(args.depths)) != len(args.depths):
        parser.error(f'--depths {args.depths}: each depth once')
    for name in ('iters', 'batch', 'size', 'smooth', 'final_window'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} '
                         f'{getattr(args, name)}: must be >= 1')
    if args.log_interval < 0:
        parser.error(f'--log-interval {args.log_interval}: must be >= 0')
    if not (math.isfinite(args.lr) and args.lr > 0):
        parser.error(f'--lr {args.lr}: must be a positive number')
    if args.batch > 1797:
        parser.error(f'--batch {args.batch}: at most 1797 (the digits)')
    if osp.splitext(args.out)[1].lower() not in PLOT_SUFFIXES:
        parser.error(f'--out {args.out}: the figure must end in one of '
                     f'{", ".join(PLOT_SUFFIXES)}')
    args.json = args.json or osp.splitext(args.out)[0] + '.json'
    for path in (args.out, args.json):
        folder = osp.dirname(osp.abspath(path))
        if osp.exists(folder) and not osp.isdir(folder):
            parser.error(f'{path}: {folder} is not a folder')
    # the checks above need no import; the ones below import the package
    families = family_names()
    if args.families is None:
        args.families = [f for f in families if f != RGSNET_FAMILY]
    for family in args.families:
        if family not in families:
            parser.error(f'--families {family}: unknown; allowed: '
                         f'{", ".join(families)}')
    if len(set(args.families)) != len(args.families):
        parser.error(f'--families {args.families}: each family once')
    import torch
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: no CUDA device here; '
                     'use --device cpu')
    return args


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmengine.logging import MMLogger
    MMLogger.get_instance('depth_study', log_level='WARNING')  # quiet init
    data = load_digits_tensors(args.size)
    order = batch_order(len(data[0]), args.batch, args.iters, args.seed)
    print(f'digits {tuple(data[0].shape)}, {args.iters} iterations of '
          f'batch {args.batch}, threads {torch.get_num_threads()}, '
          f'device {args.device}', flush=True)

    def log(msg):
        print(msg, flush=True)

    results = []
    for depth in args.depths:
        for family in args.families:
            r = train_curve(family, depth, data, order, args, log=log)
            log(f"{family:>10} depth {depth:>5}: final loss "
                f"{r['final_loss']:.4f}  ({r['seconds']:.1f} s, "
                f"{r['seconds_per_iter']:.3f} s/iter, CPU time "
                f"{r['cpu_seconds']:.1f} s)")
            results.append(r)
    for path in (args.out, args.json):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    plot(results, args.depths, args.out, args.smooth, args.final_window,
         args.title)
    write_json(args.json, dict(args=vars(args),
                               threads=torch.get_num_threads(),
                               torch=torch.__version__, results=results))
    print(f'wrote {args.out} and {args.json}')
    return results


if __name__ == '__main__':
    sys.exit(0 if main() is not None else 1)
