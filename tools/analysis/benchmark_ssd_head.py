"""Time mmiresnet's batched IRSSDHead against mmdet's stock SSDHead.

Loss mode (default): both heads get the SSD300 head config (mmdet
``configs/_base_/models/ssd300.py``, 80 classes) and identical random head
outputs and COCO-like ground truths. One iteration is ``loss_by_feat`` plus
``backward`` to the head outputs, the part of a training step that the
batched head changes.

Full-step mode (``--full-step``): two SSD300-iResNet50 detectors built from
``configs/ssd300_iresnet50_coco.py`` (random init, same weights), one with
``IRSSDHead`` and one with ``SSDHead``. One iteration is model forward, loss
and backward on random 300x300 images.

The two variants are timed interleaved in one process (rounds of ``--iters``
iterations each, the order alternating from round to round). The script
prints ms/iter and the speed-up (stock time / batched time) as medians over
the rounds, for wall-clock time and for the process's CPU time, after
checking that losses and gradients agree. CPU time is less disturbed by other
jobs on a shared machine. The script exits with status 1 when losses or
gradients disagree.

Examples::

    python tools/analysis/benchmark_ssd_head.py --batch-size 8 64
    python tools/analysis/benchmark_ssd_head.py --full-step --batch-size 2
"""
import argparse
import os
import statistics
import time

import torch
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

import mmiresnet  # noqa: F401  (registers IRSSDHead)

NUM_CLASSES = 80
FEAT_SIZES = (38, 19, 10, 5, 3, 1)
IN_CHANNELS = (512, 1024, 512, 256, 256, 256)
FULL_STEP_CONFIG = 'configs/ssd300_iresnet50_coco.py'
SYNC_OPS = ('aten::nonzero', 'aten::_local_scalar_dense', 'aten::_unique2',
            'aten::unique_dim', 'aten::unique_consecutive')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--batch-size',
        type=int,
        nargs='+',
        default=None,
        help='one or more batch sizes (default: 8 64; with --full-step: 2)')
    parser.add_argument(
        '--full-step',
        action='store_true',
        help='time the whole SSD300-iResNet50 training step (forward, loss, '
        f'backward) built from {FULL_STEP_CONFIG}')
    parser.add_argument(
        '--config',
        default=FULL_STEP_CONFIG,
        help='detector config for --full-step (its bbox_head is swapped)')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--iters', type=int, default=3, help='iterations per round')
    parser.add_argument(
        '--repeats', type=int, default=5, help='interleaved rounds')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed iterations per head')
    parser.add_argument(
        '--min-gts', type=int, default=0, help='fewest gt boxes per image')
    parser.add_argument(
        '--max-gts', type=int, default=20, help='most gt boxes per image')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='run under bf16 autocast (head outputs in bf16)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--count-ops',
        action='store_true',
        help='loss mode: also count, with torch.profiler, the top-level ATen '
        'calls of one iteration and the calls that force a host-device sync '
        'on CUDA (nonzero, item, unique)')
    args = parser.parse_args()
    if args.batch_size is None:
        args.batch_size = [2] if args.full_step else [8, 64]
    if min(args.batch_size) < 1:
        parser.error(f'--batch-size {args.batch_size}: each must be >= 1')
    if args.iters < 1 or args.repeats < 1:
        parser.error('--iters and --repeats must be >= 1')
    if args.warmup < 0:
        parser.error('--warmup must be >= 0')
    if not 0 <= args.min_gts <= args.max_gts:
        parser.error(f'--min-gts {args.min_gts} --max-gts {args.max_gts}: '
                     'need 0 <= min-gts <= max-gts')
    try:
        device = torch.device(args.device)
    except RuntimeError:
        parser.error(f'--device {args.device}: not a torch device')
    if device.type == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: no CUDA device is available')
    if args.full_step and args.count_ops:
        parser.error('--count-ops counts the loss only; drop --full-step')
    if args.full_step and not os.path.isfile(args.config):
        parser.error(f'--config {args.config}: no such file (run from the '
                     'repository root or pass the path)')
    args.device = device
    return args


def head_cfg(head_type):
    """bbox_head of mmdet's configs/_base_/models/ssd300.py."""
    return dict(
        type=head_type,
        in_channels=IN_CHANNELS,
        num_classes=NUM_CLASSES,
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            input_size=300,
            basesize_ratio_range=(0.15, 0.9),
            strides=[8, 16, 32, 64, 100, 300],
            ratios=[[2], [2, 3], [2, 3], [2, 3], [2], [2]]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        train_cfg=ConfigDict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.,
                ignore_iof_thr=-1,
                gt_max_assign_all=False),
            sampler=dict(type='PseudoSampler'),
            smoothl1_beta=1.,
            allowed_border=-1,
            pos_weight=-1,
            neg_pos_ratio=3,
            debug=False),
        test_cfg=ConfigDict(
            nms_pre=1000,
            nms=dict(type='nms', iou_threshold=0.45),
            min_bbox_size=0,
            score_thr=0.02,
            max_per_img=200))


def random_gts(num_imgs,
               min_gts,
               max_gts,
               gen,
               device,
               num_classes=NUM_CLASSES):
    """COCO-like boxes: uniform centres, log-uniform sizes 4..300 px."""
    gts = []
    log4, log300 = torch.log(torch.tensor(4.)), torch.log(torch.tensor(300.))
    for _ in range(num_imgs):
        n = int(torch.randint(min_gts, max_gts + 1, (1, ), generator=gen))
        ctr = torch.rand(n, 2, generator=gen) * 300
        size = torch.exp(
            torch.rand(n, 2, generator=gen) * (log300 - log4) + log4)
        boxes = torch.cat([ctr - size / 2, ctr + size / 2], 1).clamp(0, 300)
        wh = boxes[:, 2:] - boxes[:, :2]
        boxes = boxes[(wh >= 1).all(1)]
        labels = torch.randint(
            0, num_classes, (boxes.size(0), ), generator=gen)
        gts.append(
            InstanceData(bboxes=boxes.to(device), labels=labels.to(device)))
    return gts


def random_outputs(head, num_imgs, gen, device):
    cls_scores, bbox_preds = [], []
    for size, k in zip(FEAT_SIZES, head.num_base_priors):
        cls_scores.append(
            torch.randn(
                num_imgs, k * (NUM_CLASSES + 1), size, size,
                generator=gen).to(device))
        bbox_preds.append(
            torch.randn(num_imgs, k * 4, size, size, generator=gen).to(device)
            * 0.5)
    return cls_scores, bbox_preds


def total_loss(losses):
    """Sum of the losses as mmengine's ``parse_losses`` forms it."""
    total = 0
    for value in losses.values():
        if isinstance(value, torch.Tensor):
            total = total + value.mean()
        else:
            total = total + sum(item.mean() for item in value)
    return total


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved(steps, args):
    """Time the steps in interleaved rounds.

    Returns per-round ms/iter of wall-clock time and of the process's CPU
    time (all threads), each as ``{name: [ms per round]}``.
    """
    for fn in steps.values():
        for _ in range(args.warmup):
            fn()
    names = list(steps)
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for r in range(args.repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            sync(args.device)
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(args.iters):
                steps[name]()
            sync(args.device)
            wall[name].append(
                (time.perf_counter() - start) / args.iters * 1000)
            cpu[name].append(
                (time.process_time() - start_cpu) / args.iters * 1000)
    return wall, cpu


def report(wall, cpu, label):
    """Print median ms/iter and the median per-round speed-up."""
    for clock, times in (('wall', wall), ('cpu', cpu)):
        ratios = [s / b for s, b in zip(times['stock'], times['batched'])]
        print(f'  {clock:4s} ms/iter: stock SSDHead '
              f'{statistics.median(times["stock"]):.2f}, IRSSDHead '
              f'{statistics.median(times["batched"]):.2f}')
        print(f'  speed-up {label}, {clock} time: '
              f'{statistics.median(ratios):.2f}x (median of {len(ratios)} '
              f'interleaved rounds: {", ".join(f"{r:.2f}" for r in ratios)})')


# ----------------------------------------------------------------------
# loss mode
# ----------------------------------------------------------------------
def loss_step(head, outs, gts, metas, amp, device):
    cls_scores = [t.detach().clone().requires_grad_() for t in outs[0]]
    bbox_preds = [t.detach().clone().requires_grad_() for t in outs[1]]
    with torch.autocast(
            device_type=device.type, dtype=torch.bfloat16, enabled=amp):
        inputs_c = [t.to(torch.bfloat16) for t in cls_scores] \
            if amp else cls_scores
        inputs_b = [t.to(torch.bfloat16) for t in bbox_preds] \
            if amp else bbox_preds
        losses = head.loss_by_feat(inputs_c, inputs_b, gts, metas)
        total = total_loss(losses)
    total.backward()
    return losses, total, cls_scores, bbox_preds


def count_ops(step):
    """Top-level ATen calls and sync-forcing calls of one iteration."""
    from torch.profiler import profile
    with profile() as prof:
        step()
    total = syncs = 0
    for evt in prof.events():
        if not evt.name.startswith('aten::'):
            continue
        parent = evt.cpu_parent
        while parent is not None and not parent.name.startswith('aten::'):
            parent = parent.cpu_parent
        if parent is None:  # not nested in another ATen op
            total += 1
        if evt.name in SYNC_OPS:
            syncs += 1
    return total, syncs


def run_loss(args, batch_size, heads):
    device = args.device
    stock, ours = heads
    gen = torch.Generator().manual_seed(args.seed)
    outs = random_outputs(stock, batch_size, gen, device)
    gts = random_gts(batch_size, args.min_gts, args.max_gts, gen, device)
    metas = [
        dict(
            img_shape=(300, 300),
            pad_shape=(300, 300),
            batch_input_shape=(300, 300)) for _ in range(batch_size)
    ]
    num_anchors = sum(s * s * k
                      for s, k in zip(FEAT_SIZES, stock.num_base_priors))
    print(f'loss + backward: device={device} batch={batch_size} '
          f'anchors/img={num_anchors} gts={sum(len(g) for g in gts)} '
          f'(per image {args.min_gts}..{args.max_gts}) amp={args.amp}')

    ref, ref_total, ref_c, ref_b = loss_step(stock, outs, gts, metas, args.amp,
                                             device)
    got, got_total, got_c, got_b = loss_step(ours, outs, gts, metas, args.amp,
                                             device)
    loss_diff = 0.
    for key in ('loss_cls', 'loss_bbox'):
        r = torch.stack([v.float().reshape(()) for v in ref[key]])
        g = torch.stack([v.float().reshape(()) for v in got[key]])
        loss_diff = max(loss_diff, (r - g).abs().max().item())
        print(f'  {key}: stock {r.sum().item():.6f} batched '
              f'{g.sum().item():.6f}, max |diff| per image '
              f'{(r - g).abs().max().item():.3g}')
    grad_diff = max((a.grad - b.grad).abs().max().item()
                    for a, b in zip(ref_c + ref_b, got_c + got_b))
    print(f'  max |grad diff| w.r.t. head outputs: {grad_diff:.3g}')
    tol = 1e-2 if args.amp else 1e-5
    ok = loss_diff <= tol and grad_diff <= tol
    print(f'  {"equal" if ok else "NOT EQUAL"} (tolerance {tol:g})')

    if args.count_ops:
        for name, head in (('stock SSDHead', stock), ('IRSSDHead', ours)):
            total, syncs = count_ops(
                lambda: loss_step(head, outs, gts, metas, args.amp, device))
            print(f'  {name:13s}: {total} top-level ATen calls, {syncs} '
                  'sync-forcing calls (nonzero/item/unique) per iteration')

    steps = {
        name: (lambda h=head: loss_step(h, outs, gts, metas, args.amp, device))
        for name, head in (('stock', stock), ('batched', ours))
    }
    report(*interleaved(steps, args), f'(loss, batch {batch_size})')
    return ok


# ----------------------------------------------------------------------
# full-step mode
# ----------------------------------------------------------------------
def build_detectors(args):
    """The config's detector with IRSSDHead and with SSDHead, same
    weights."""
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.init_cfg = None
    models = {}
    for name, head_type in (('batched', 'IRSSDHead'), ('stock', 'SSDHead')):
        model_cfg = cfg.model.copy()
        model_cfg.bbox_head = dict(model_cfg.bbox_head, type=head_type)
        model_cfg.bbox_head.pop('batched', None)
        torch.manual_seed(args.seed)
        models[name] = MODELS.build(model_cfg).to(args.device).train()
    models['stock'].load_state_dict(models['batched'].state_dict())
    return models


def full_step(model, inputs, samples, amp, device):
    model.zero_grad(set_to_none=True)
    with torch.autocast(
            device_type=device.type, dtype=torch.bfloat16, enabled=amp):
        losses = model.loss(inputs, samples)
        total = total_loss(losses)
    total.backward()
    return losses, total


def run_full_step(args, batch_size, models):
    from mmdet.structures import DetDataSample
    device = args.device
    gen = torch.Generator().manual_seed(args.seed)
    num_classes = models['stock'].bbox_head.num_classes
    gts = random_gts(batch_size, args.min_gts, args.max_gts, gen, device,
                     num_classes)
    data = dict(inputs=[], data_samples=[])
    for gt in gts:
        data['inputs'].append(
            torch.randint(
                0, 256, (3, 300, 300), generator=gen, dtype=torch.uint8))
        sample = DetDataSample()
        sample.set_metainfo(
            dict(
                img_shape=(300, 300),
                ori_shape=(300, 300),
                scale_factor=(1., 1.)))
        sample.gt_instances = gt
        data['data_samples'].append(sample)
    batch = models['stock'].data_preprocessor(data, training=True)
    inputs, samples = batch['inputs'], batch['data_samples']
    print(f'training step of {args.config} (random init): device={device} '
          f'batch={batch_size} at 300x300, gts={sum(len(g) for g in gts)} '
          f'amp={args.amp}')

    results = {}
    for name, model in models.items():
        losses, total = full_step(model, inputs, samples, args.amp, device)
        grads = {
            k: p.grad.detach().clone()
            for k, p in model.named_parameters() if p.grad is not None
        }
        results[name] = (total.item(), grads)
    (s_total, s_grads), (b_total,
                         b_grads) = results['stock'], results['batched']
    scale = max(g.abs().max().item() for g in s_grads.values())
    grad_diff = max((s_grads[k] - b_grads[k]).abs().max().item()
                    for k in s_grads) if set(s_grads) == set(b_grads) \
        else float('inf')
    print(f'  total loss: stock {s_total:.6f} batched {b_total:.6f}; max '
          f'|param grad diff| {grad_diff:.3g} (largest |grad| {scale:.3g})')
    tol = 1e-2 if args.amp else 1e-4
    ok = abs(s_total - b_total) <= tol * max(1., abs(s_total)) \
        and grad_diff <= tol * max(1., scale)
    print(f'  {"equal" if ok else "NOT EQUAL"} (relative tolerance {tol:g})')

    steps = {
        name: (lambda m=model: full_step(m, inputs, samples, args.amp, device))
        for name, model in models.items()
    }
    report(*interleaved(steps, args), f'(full step, batch {batch_size})')
    return ok


def main():
    args = parse_args()
    print(f'threads={torch.get_num_threads()} iters/round={args.iters} '
          f'rounds={args.repeats} warmup={args.warmup}')
    ok = True
    if args.full_step:
        models = build_detectors(args)
        for batch_size in args.batch_size:
            ok = run_full_step(args, batch_size, models) and ok
    else:
        heads = (MODELS.build(head_cfg('SSDHead')).to(args.device),
                 MODELS.build(head_cfg('IRSSDHead')).to(args.device))
        for batch_size in args.batch_size:
            ok = run_loss(args, batch_size, heads) and ok
    if not ok:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
