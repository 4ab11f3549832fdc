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
to ``--size`` pixels. ``--holdout N`` digits (stratified by class, fixed
``--split-seed``) are kept out of training; every network's accuracy and
loss on them are measured in eval mode at the end (and every
``--eval-interval`` iterations). Recipe as the paper's (He et al.'s) CIFAR
recipe: SGD, momentum 0.9, weight decay 1e-4, lr ``--lr`` divided by 10 at
50% and 75% of the iterations, no augmentation; optionally a warm-up over
the first ``--warmup-iters`` iterations, linear from ``--warmup-lr`` to
``--lr`` or constant at ``--warmup-lr`` (He et al.'s 0.01 phase); one
shuffled pass over the training digits per epoch, the same order for every
network.

Determinism: on the CPU with one thread (``OMP_NUM_THREADS=1``), the same
seed, arguments and torch version give bit-identical curves, also with
``--jobs`` > 1 (each network is trained in one process with one thread).

Example (CPU, a few minutes)::

    python tools/analysis/depth_study.py --depths 20 56 110 --iters 150 \\
        --warmup-iters 20 --out work_dirs/depth_study.png

The markdown table of docs/depth_study.md is printed from the curves by
``--table-from docs/depth_study.json``; the command that made them is in
docs/depth_study.md. 2000 and 3002 layers need a GPU (``--device cuda``).
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
WARMUPS = ('linear', 'constant')
NUM_DIGITS = 1797
NUM_CLASSES = 10
STYLE = {
    'resnet': ('tab:red', 'ResNet'),
    'iresnet': ('tab:blue', 'iResNet'),
    RGSNET_FAMILY: ('tab:green', 'Res-RGSNet'),
}


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


def holdout_split(labels, holdout, seed):
    """(train indices, held-out indices), both sorted: ``holdout`` samples
    stratified by class (each class's share rounded by largest remainder),
    chosen by a seeded shuffle within every class."""
    import torch
    labels = torch.as_tensor(labels)
    n = len(labels)
    if holdout == 0:
        return torch.arange(n), torch.arange(0)
    classes, counts = torch.unique(labels, return_counts=True)
    exact = [holdout * int(c) / n for c in counts]
    take = [int(math.floor(e)) for e in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: take[i] - exact[i])
    for i in by_remainder[:holdout - sum(take)]:
        take[i] += 1
    g = torch.Generator().manual_seed(seed)
    held = []
    for cls, k in zip(classes, take):
        members = torch.nonzero(labels == cls).flatten()
        held.append(members[torch.randperm(len(members), generator=g)[:k]])
    held = torch.sort(torch.cat(held)).values
    mask = torch.ones(n, dtype=torch.bool)
    mask[held] = False
    return torch.nonzero(mask).flatten(), held


def build_net(family, depth, num_classes=NUM_CLASSES):
    """Backbone + global average pool + fc, initialised as the paper."""
    import torch.nn as nn

    from mmiresnet.models import backbones

    class LastMapPool(nn.Module):

        def forward(self, outs):
            return outs[-1].mean((2, 3))

    if family == RGSNET_FAMILY:
        n = (depth - 2) // 3
        backbone = backbones.RGSNet(
            depth=None,
            variant='res',
            widen_factor=0.25,
            stem_type='cifar',
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
    """Positions (0 .. num_samples - 1) of every iteration's batch: shuffled
    epochs, last partial batch of an epoch dropped. The same for every
    network of a study."""
    import torch
    per_epoch = num_samples // batch
    g = torch.Generator().manual_seed(seed)
    order = []
    while len(order) < iters:
        perm = torch.randperm(num_samples, generator=g)
        order += list(perm[:per_epoch * batch].view(per_epoch, batch))
    return order[:iters]


def milestones(iters):
    """Iterations from which the lr is divided by 10 (once, then again):
    50% and 75% of the budget, as the paper's 81st and 122nd of 164
    epochs."""
    return int(iters * 0.5), int(iters * 0.75)


def lr_at(it, lr, iters, warmup_iters=0, warmup='linear', warmup_lr=0.01):
    """Learning rate of iteration ``it`` (0-based) of the recipe.

    The first ``warmup_iters`` iterations warm up: ``linear`` goes from
    ``warmup_lr`` at iteration 0 in equal steps to ``lr`` at iteration
    ``warmup_iters``; ``constant`` stays at ``warmup_lr``. From then on the
    lr is ``lr``, divided by 10 from each of :func:`milestones` on.
    """
    if it < warmup_iters:
        if warmup == 'constant':
            return warmup_lr
        return warmup_lr + (lr - warmup_lr) * it / warmup_iters
    return lr * 0.1**sum(it >= m for m in milestones(iters))


def evaluate(model, x, y, chunk=100):
    """(accuracy, mean cross-entropy) of ``model`` in eval mode."""
    import torch
    import torch.nn.functional as F
    was_training = model.training
    model.eval()
    correct, total_loss = 0, 0.
    with torch.no_grad():
        for i in range(0, len(y), chunk):
            logits = model(x[i:i + chunk])
            total_loss += F.cross_entropy(
                logits, y[i:i + chunk], reduction='sum').item()
            correct += int((logits.argmax(1) == y[i:i + chunk]).sum())
    model.train(was_training)
    return correct / len(y), total_loss / len(y)


def _print(msg):
    print(msg, flush=True)


def train_curve(family, depth, data, order, args, log=_print, heldout=None):
    """Train one network; its loss at every iteration, its held-out
    accuracy and loss (when ``heldout`` is given) and its timing."""
    import torch
    import torch.nn.functional as F
    torch.manual_seed(args.seed)
    model = build_net(family, depth).to(args.device).train()
    opt = torch.optim.SGD(
        model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    x, y = data
    if heldout is not None:
        hx, hy = heldout[0].to(args.device), heldout[1].to(args.device)
    losses, evals, lrs = [], [], []
    eval_seconds = 0.
    start, cpu_start = time.perf_counter(), time.process_time()
    for it, idx in enumerate(order):
        lr = lr_at(it, args.lr, args.iters, args.warmup_iters, args.warmup,
                   args.warmup_lr)
        for group in opt.param_groups:
            group['lr'] = lr
        lrs.append(lr)
        xb, yb = x[idx].to(args.device), y[idx].to(args.device)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        done = it + 1
        if heldout is not None and (done == len(order) or
                                    (args.eval_interval
                                     and done % args.eval_interval == 0)):
            t0 = time.perf_counter()
            acc, hloss = evaluate(model, hx, hy)
            eval_seconds += time.perf_counter() - t0
            evals.append(dict(iter=done, accuracy=acc, loss=hloss))
        if args.log_interval and done % args.log_interval == 0:
            dt = time.perf_counter() - start
            extra = (f", held-out acc {evals[-1]['accuracy']:.3f}"
                     if evals and evals[-1]['iter'] == done else '')
            log(f'  {family} {depth}: iter {done}/{len(order)} loss '
                f'{losses[-1]:.4f}{extra} ({dt / done:.2f} s/iter)')
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    tail = losses[-args.final_window:]
    finite = [v for v in losses if math.isfinite(v)]
    peak = max(finite) if finite else float('nan')
    r = dict(
        family=family,
        depth=depth,
        losses=losses,
        lrs=lrs,
        seconds=seconds,
        seconds_per_iter=(seconds - eval_seconds) / len(losses),
        eval_seconds=eval_seconds,
        cpu_seconds=cpu_seconds,
        final_loss=sum(tail) / len(tail),
        max_loss=peak,
        max_loss_iter=losses.index(peak) + 1 if finite else None,
        diverged=not all(math.isfinite(v) for v in losses),
        heldout=evals)
    if evals:
        r['heldout_accuracy'] = evals[-1]['accuracy']
        r['heldout_loss'] = evals[-1]['loss']
    return r


def _train_task(task):
    """One network of a study (a ``--jobs`` worker's unit of work)."""
    family, depth, data, order, args, heldout = task
    import torch
    torch.set_num_threads(1)
    _quiet()
    return train_curve(family, depth, data, order, args, heldout=heldout)


def _quiet():
    from mmengine.logging import MMLogger
    if not MMLogger.check_instance_created('depth_study'):  # once a process
        MMLogger.get_instance('depth_study', log_level='WARNING')


def smooth(values, k):
    """Trailing moving average over ``k`` values (fewer at the start)."""
    out, acc = [], 0.
    for i, v in enumerate(values):
        acc += v
        if i >= k:
            acc -= values[i - k]
        out.append(acc / min(i + 1, k))
    return out


def _fmt(v, digits=3):
    if v is None or not math.isfinite(v):
        return 'n/a' if v is None else str(v)
    return f'{v:.{digits}g}'


def plot(results,
         depths,
         path,
         window,
         final_window,
         title=None,
         dpi=100,
         summary=False):
    """One panel per depth (families overlaid; not with ``summary``),
    final loss vs depth and, when measured, held-out accuracy vs depth."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    families = list(dict.fromkeys(r['family'] for r in results))
    with_acc = all('heldout_accuracy' in r for r in results)
    curves = [] if summary else depths
    n = len(curves) + 1 + with_acc
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.4), squeeze=False)
    axes = axes[0]
    finite = [
        v for r in results for v in smooth(r['losses'], window)
        if math.isfinite(v) and v > 0
    ]
    lo, hi = (min(finite), max(finite)) if finite else (1e-3, 10)
    for ax, depth in zip(axes, curves):
        for r in results:
            if r['depth'] != depth:
                continue
            colour, name = STYLE[r['family']]
            label = f"{name} ({_fmt(r['final_loss'])}"
            if 'heldout_accuracy' in r:
                label += f", acc {r['heldout_accuracy']:.3f}"
            ax.plot(
                range(1,
                      len(r['losses']) + 1),
                smooth(r['losses'], window),
                color=colour,
                lw=1.2,
                label=label + ')')
        ax.set_title(f'{depth} layers', fontsize=10)
        ax.set_xlabel('iteration')
        ax.set_yscale('log')
        ax.set_ylim(lo / 1.5, hi * 1.5)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(fontsize=7, loc='upper right')
    if curves:
        axes[0].set_ylabel(f'training loss (mean of {window} iterations)')

    def by_depth(ax, key, ylabel, title, log_y):
        for family in families:
            colour, name = STYLE[family]
            rows = sorted(
                (r['depth'], r[key]) for r in results if r['family'] == family)
            ax.plot([d for d, _ in rows], [v for _, v in rows],
                    'o-',
                    color=colour,
                    label=name)
        ax.set_xscale('log')
        if log_y:
            ax.set_yscale('log')
        ax.set_xticks(depths)
        ax.set_xticklabels([str(d) for d in depths])
        ax.minorticks_off()
        ax.set_xlabel('depth (layers)')
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)

    by_depth(axes[len(curves)], 'final_loss',
             f'mean loss of the last {final_window} iterations',
             'final training loss vs depth', True)
    if with_acc:
        by_depth(axes[-1], 'heldout_accuracy', 'accuracy (eval mode)',
                 'held-out accuracy vs depth', False)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    tmp = f'{path}.tmp-{os.getpid()}{osp.splitext(path)[1]}'
    try:
        fig.savefig(tmp, dpi=dpi)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if osp.exists(tmp):
            os.remove(tmp)


def markdown_table(saved):
    """The markdown table of a study's JSON: per depth and family the mean
    training loss of the last iterations, the held-out accuracy, the
    highest training loss and the wall time per iteration."""
    results = saved['results']
    window = saved['args']['final_window']
    names = {
        f: STYLE.get(f, (None, f))[1]
        for f in dict.fromkeys(r['family'] for r in results)
    }
    rows = [
        f'| depth | network | training loss, mean of the last {window} '
        'iterations | held-out accuracy | highest training loss '
        '(iteration) | wall time per iteration |',
        '|---|---|---|---|---|---|',
    ]
    order = list(names)

    def key(r):
        return r['depth'], order.index(r['family'])

    for r in sorted(results, key=key):
        acc = r.get('heldout_accuracy')
        rows.append(f"| {r['depth']} | {names[r['family']]}-{r['depth']} | "
                    f"{_fmt(r['final_loss'])} | "
                    f"{'n/a' if acc is None else f'{acc:.3f}'} | "
                    f"{_fmt(r['max_loss'])} ({r['max_loss_iter']}) | "
                    f"{r['seconds_per_iter']:.2f} s |")
    return '\n'.join(rows)


RECIPE_KEYS = ('iters', 'batch', 'lr', 'warmup_iters', 'warmup', 'warmup_lr',
               'holdout', 'split_seed', 'size', 'final_window', 'device')


def spread_table(studies):
    """The markdown table of several studies of one recipe that differ in
    ``--seed``: per depth and family measured by at least two of them, the
    last-iterations training loss and the held-out accuracy of every seed,
    their mean and their range. Raises ValueError if the recipes differ."""
    first = studies[0]['args']
    for saved in studies[1:]:
        diff = [k for k in RECIPE_KEYS if saved['args'][k] != first[k]]
        if diff:
            raise ValueError(f'the studies differ in {", ".join(diff)}, '
                             'not only in the seed')
    groups = {}
    for saved in studies:
        for r in saved['results']:
            groups.setdefault((r['depth'], r['family']),
                              {}).setdefault(saved['args']['seed'], r)
    names = {f: STYLE.get(f, (None, f))[1] for _, f in groups}
    window = first['final_window']
    rows = [
        f'| depth | network | seeds | training loss, mean of the last '
        f'{window} iterations, per seed | mean (range) | held-out accuracy, '
        'per seed | mean (range) |',
        '|---|---|---|---|---|---|---|',
    ]

    def cell(values, fmt):
        mean = sum(values) / len(values)
        return (' / '.join(fmt(v) for v in values) + ' | ' + fmt(mean) +
                f' ({fmt(min(values))} - {fmt(max(values))})')

    for (depth, family), by_seed in sorted(groups.items()):
        if len(by_seed) < 2:
            continue
        seeds = sorted(by_seed)
        runs = [by_seed[k] for k in seeds]
        accs = [r.get('heldout_accuracy') for r in runs]
        acc = ('n/a | n/a'
               if None in accs else cell(accs, lambda v: f'{v:.3f}'))
        rows.append(f'| {depth} | {names[family]}-{depth} | '
                    f'{", ".join(map(str, seeds))} | '
                    f"{cell([r['final_loss'] for r in runs], _fmt)} | "
                    f'{acc} |')
    if len(rows) == 2:
        raise ValueError('no depth and family is measured with two seeds')
    return '\n'.join(rows)


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
    parser.add_argument(
        '--families',
        nargs='+',
        default=None,
        help='CIFAR rows of the architecture table (resnet, '
        f'iresnet; default: both) or {RGSNET_FAMILY}')
    parser.add_argument(
        '--iters',
        type=int,
        default=150,
        help='training iterations of every network')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument(
        '--lr',
        type=float,
        default=0.1,
        help='lr after the warm-up (divided by 10 at 50%% '
        'and 75%% of --iters)')
    parser.add_argument(
        '--warmup-iters',
        type=int,
        default=0,
        help='iterations of warm-up (0: none)')
    parser.add_argument(
        '--warmup',
        choices=WARMUPS,
        default='linear',
        help='linear: from --warmup-lr to --lr; constant: '
        '--warmup-lr throughout the warm-up')
    parser.add_argument(
        '--warmup-lr',
        type=float,
        default=0.01,
        help='lr of the first warm-up iteration')
    parser.add_argument(
        '--holdout',
        type=int,
        default=300,
        help='digits kept out of training, stratified by '
        'class, for the held-out accuracy (0: none)')
    parser.add_argument(
        '--split-seed', type=int, default=0, help='seed of the held-out split')
    parser.add_argument(
        '--eval-interval',
        type=int,
        default=0,
        help='also measure the held-out accuracy every N '
        'iterations (0: at the end only)')
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='side the 8x8 digits are resized to (pixels)')
    parser.add_argument(
        '--seed', type=int, default=0, help='initialisation and data order')
    parser.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='networks trained at once, each in its own '
        'one-thread process (CPU only); same curves as 1')
    parser.add_argument(
        '--smooth',
        type=int,
        default=10,
        help='moving-average window of the plotted curves')
    parser.add_argument(
        '--final-window',
        type=int,
        default=20,
        help='iterations averaged into the final loss')
    parser.add_argument(
        '--log-interval',
        type=int,
        default=0,
        help='print the loss every N iterations (0: never)')
    parser.add_argument('--title', default=None, help='figure title')
    parser.add_argument(
        '--dpi', type=int, default=100, help='resolution of a .png figure')
    parser.add_argument(
        '--out',
        default='work_dirs/depth_study.png',
        help=f'figure ({", ".join(PLOT_SUFFIXES)})')
    parser.add_argument(
        '--json',
        default=None,
        help='also write the curves (default: OUT.json)')
    parser.add_argument(
        '--table-from',
        default=None,
        nargs='+',
        metavar='JSON',
        help='print the markdown table of a study\'s JSON and exit '
        '(trains nothing); of several studies that differ only in the '
        'seed: the spread over the seeds')
    parser.add_argument(
        '--plot-from',
        default=None,
        metavar='JSON',
        help='draw the figure OUT of a study\'s JSON (with --smooth, '
        '--dpi, --title, --summary) and exit (trains nothing)')
    parser.add_argument(
        '--summary',
        action='store_true',
        help='figure without the per-depth curves: final loss and '
        'held-out accuracy vs depth (a thumbnail)')
    args = parser.parse_args(argv)
    if args.table_from is not None and args.plot_from is not None:
        parser.error('--table-from and --plot-from: one at a time')
    for name in ('table_from', 'plot_from'):
        paths = getattr(args, name)
        if paths is None:
            continue
        paths = [paths] if isinstance(paths, str) else paths
        studies = []
        for path in paths:
            flag = f'--{name.replace("_", "-")} {path}'
            try:
                with open(path) as f:
                    studies.append(json.load(f))
                markdown_table(studies[-1])
                [(r['losses'], r['depth']) for r in studies[-1]['results']]
            except (OSError, ValueError, KeyError, TypeError) as e:
                parser.error(f'{flag}: not a depth study JSON '
                             f'({type(e).__name__}: {e})')
        args.saved = studies[0]
        if name == 'table_from':
            args.table = markdown_table(studies[0])
            if len(studies) > 1:
                try:
                    args.table = spread_table(studies)
                except ValueError as e:
                    parser.error(f'--table-from: {e}')
            return args
    for name in ('smooth', 'dpi'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} {getattr(args, name)}: must be >= 1')
    if osp.splitext(args.out)[1].lower() not in PLOT_SUFFIXES:
        parser.error(f'--out {args.out}: the figure must end in one of '
                     f'{", ".join(PLOT_SUFFIXES)}')
    if args.plot_from is not None:
        return args
    for depth in args.depths:
        if (depth - 2) % 3 or (depth - 2) // 3 < 6:
            parser.error(f'depth {depth}: CIFAR depths are 3n + 2 with '
                         'n >= 6 bottlenecks, e.g. 20, 56, 110, 164, 1001')
    if len(set(args.depths)) != len(args.depths):
        parser.error(f'--depths {args.depths}: each depth once')
    for name in ('iters', 'batch', 'size', 'smooth', 'final_window', 'jobs',
                 'dpi'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} '
                         f'{getattr(args, name)}: must be >= 1')
    for name in ('log_interval', 'warmup_iters', 'holdout', 'eval_interval'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")} '
                         f'{getattr(args, name)}: must be >= 0')
    for name in ('lr', 'warmup_lr'):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            parser.error(f'--{name.replace("_", "-")} {value}: must be a '
                         'positive number')
    if args.warmup_iters and args.warmup_iters > milestones(args.iters)[0]:
        parser.error(f'--warmup-iters {args.warmup_iters}: the warm-up must '
                     f'end by the first lr step (iteration '
                     f'{milestones(args.iters)[0]} of --iters {args.iters})')
    if args.holdout > NUM_DIGITS - NUM_CLASSES * 2:
        parser.error(f'--holdout {args.holdout}: at most '
                     f'{NUM_DIGITS - NUM_CLASSES * 2} of the {NUM_DIGITS} '
                     'digits')
    if args.batch > NUM_DIGITS - args.holdout:
        parser.error(f'--batch {args.batch}: at most '
                     f'{NUM_DIGITS - args.holdout} (the digits less '
                     '--holdout)')
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
    if args.jobs > 1 and args.device != 'cpu':
        parser.error(f'--jobs {args.jobs}: only with --device cpu')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.table_from is not None:
        print(args.table)
        return args.saved['results']
    if args.plot_from is not None:
        saved = args.saved
        results = saved['results']
        depths = sorted({r['depth'] for r in results})
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        plot(results, depths, args.out, args.smooth,
             saved['args']['final_window'], args.title, args.dpi, args.summary)
        print(f'wrote {args.out}')
        return results
    import torch
    _quiet()
    wall_start = time.perf_counter()
    x, y = load_digits_tensors(args.size)
    train_idx, held_idx = holdout_split(y, args.holdout, args.split_seed)
    data = x[train_idx], y[train_idx]
    heldout = (x[held_idx], y[held_idx]) if args.holdout else None
    order = batch_order(len(train_idx), args.batch, args.iters, args.seed)
    warm = (f'{args.warmup} warm-up from lr {args.warmup_lr} over '
            f'{args.warmup_iters} iterations, then '
            if args.warmup_iters else 'no warm-up, ')
    print(
        f'digits {tuple(x.shape)}: {len(train_idx)} train, '
        f'{len(held_idx)} held out; {args.iters} iterations of batch '
        f'{args.batch}; {warm}lr {args.lr} (/10 at '
        f'{" and ".join(map(str, milestones(args.iters)))}); threads '
        f'{torch.get_num_threads()}, jobs {args.jobs}, device '
        f'{args.device}',
        flush=True)

    tasks = [(family, depth) for depth in args.depths
             for family in args.families]

    def report(r):
        acc = (f", held-out acc {r['heldout_accuracy']:.3f}"
               if 'heldout_accuracy' in r else '')
        _print(f"{r['family']:>10} depth {r['depth']:>5}: final loss "
               f"{r['final_loss']:.4f}{acc}  ({r['seconds']:.1f} s, "
               f"{r['seconds_per_iter']:.3f} s/iter, CPU time "
               f"{r['cpu_seconds']:.1f} s)")

    if args.jobs == 1:
        done = {}
        for family, depth in tasks:
            done[family, depth] = train_curve(
                family, depth, data, order, args, heldout=heldout)
            report(done[family, depth])
    else:
        import multiprocessing as mp

        # deepest first, so the long runs start at once and the short
        # ones fill the other workers
        todo = sorted(tasks, key=lambda t: -t[1])
        with mp.get_context('spawn').Pool(min(args.jobs, len(todo))) as pool:
            done = {}
            for r in pool.imap_unordered(_train_task,
                                         [(f, d, data, order, args, heldout)
                                          for f, d in todo]):
                done[r['family'], r['depth']] = r
                report(r)
    results = [done[t] for t in tasks]
    wall_seconds = time.perf_counter() - wall_start
    for path in (args.out, args.json):
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    plot(results, args.depths, args.out, args.smooth, args.final_window,
         args.title, args.dpi, args.summary)
    saved_args = {
        k: v
        for k, v in vars(args).items() if k not in ('saved', 'table')
    }
    saved_args['command'] = sys.argv[1:] if argv is None else list(argv)
    write_json(
        args.json,
        dict(
            args=saved_args,
            threads=torch.get_num_threads(),
            torch=torch.__version__,
            train_samples=len(train_idx),
            heldout_samples=len(held_idx),
            wall_seconds=wall_seconds,
            results=results))
    print(f'wrote {args.out} and {args.json} ({wall_seconds:.0f} s)')
    return results


if __name__ == '__main__':
    sys.exit(0 if main() is not None else 1)
