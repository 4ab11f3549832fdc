"""Time the SSD300 head loss: mmdet's SSDHead against IRSSDHead.

Both heads get the SSD300 config (mmdet ``configs/_base_/models/ssd300.py``)
and identical random inputs: head outputs (``cls_scores``, ``bbox_preds``) as
leaf tensors for a batch of 300x300 images, and random COCO-like ground
truths. One iteration is ``loss_by_feat`` (target assignment, hard negative
mining, smooth L1) plus ``backward`` through the head outputs, which is the
part of a training step the batched head changes. The script prints
ms/iter for both heads and the speed-up, and checks that losses and
gradients agree.

Example::

    python tools/analysis/benchmark_ssd_head.py --batch-size 64 --device cuda
"""
import argparse
import time

import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmiresnet  # noqa: F401  (registers IRSSDHead)
from mmdet.registry import MODELS

NUM_CLASSES = 80
FEAT_SIZES = (38, 19, 10, 5, 3, 1)
IN_CHANNELS = (512, 1024, 512, 256, 256, 256)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
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
        help='also count, with torch.profiler, the ATen operator calls of '
        'one iteration (each top-level call is at least one kernel launch '
        'on a GPU) and the calls that force a host-device sync on CUDA '
        '(nonzero, item/bool, unique)')
    parser.add_argument(
        '--only',
        choices=['stock', 'batched'],
        help='time one head only (the agreement check still runs)')
    return parser.parse_args()


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


def random_gts(num_imgs, min_gts, max_gts, gen, device):
    """COCO-like boxes: uniform centres, log-uniform sizes 4..300 px."""
    gts = []
    for _ in range(num_imgs):
        n = int(torch.randint(min_gts, max_gts + 1, (1, ), generator=gen))
        ctr = torch.rand(n, 2, generator=gen) * 300
        size = torch.exp(
            torch.rand(n, 2, generator=gen) *
            (torch.log(torch.tensor(300.)) - torch.log(torch.tensor(4.))) +
            torch.log(torch.tensor(4.)))
        boxes = torch.cat([ctr - size / 2, ctr + size / 2], 1).clamp(0, 300)
        wh = boxes[:, 2:] - boxes[:, :2]
        boxes = boxes[(wh >= 1).all(1)]
        labels = torch.randint(
            0, NUM_CLASSES, (boxes.size(0), ), generator=gen)
        gts.append(
            InstanceData(bboxes=boxes.to(device), labels=labels.to(device)))
    return gts


def random_outputs(head, num_imgs, gen, device):
    cls_scores, bbox_preds = [], []
    for size, k in zip(FEAT_SIZES, head.num_base_priors):
        cls_scores.append(
            torch.randn(num_imgs, k * (NUM_CLASSES + 1), size, size,
                        generator=gen).to(device))
        bbox_preds.append(
            torch.randn(num_imgs, k * 4, size, size, generator=gen).to(device)
            * 0.5)
    return cls_scores, bbox_preds


def step(head, outs, gts, metas, amp, device):
    cls_scores = [t.detach().clone().requires_grad_() for t in outs[0]]
    bbox_preds = [t.detach().clone().requires_grad_() for t in outs[1]]
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                        enabled=amp):
        inputs_c = [t.to(torch.bfloat16) for t in cls_scores] \
            if amp else cls_scores
        inputs_b = [t.to(torch.bfloat16) for t in bbox_preds] \
            if amp else bbox_preds
        losses = head.loss_by_feat(inputs_c, inputs_b, gts, metas)
        # summed as mmengine's parse_losses does for lists of tensors
        total = sum(
            sum(item.mean() for item in value) for value in losses.values())
    total.backward()
    return losses, total, cls_scores, bbox_preds


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_head(head, outs, gts, metas, args, device):
    for _ in range(args.warmup):
        step(head, outs, gts, metas, args.amp, device)
    sync(device)
    start = time.perf_counter()
    for _ in range(args.iters):
        step(head, outs, gts, metas, args.amp, device)
    sync(device)
    return (time.perf_counter() - start) / args.iters * 1000


SYNC_OPS = ('aten::nonzero', 'aten::_local_scalar_dense', 'aten::_unique2',
            'aten::unique_dim', 'aten::unique_consecutive')


def count_ops(head, outs, gts, metas, args, device):
    """Top-level ATen calls and sync-forcing calls of one iteration."""
    from torch.profiler import profile
    with profile() as prof:
        step(head, outs, gts, metas, args.amp, device)
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


def main():
    args = parse_args()
    device = torch.device(args.device)
    stock = MODELS.build(head_cfg('SSDHead')).to(device)
    ours = MODELS.build(head_cfg('IRSSDHead')).to(device)

    gen = torch.Generator().manual_seed(args.seed)
    outs = random_outputs(stock, args.batch_size, gen, device)
    gts = random_gts(args.batch_size, args.min_gts, args.max_gts, gen, device)
    metas = [
        dict(img_shape=(300, 300), pad_shape=(300, 300),
             batch_input_shape=(300, 300)) for _ in range(args.batch_size)
    ]
    num_gts = sum(len(g) for g in gts)
    print(f'device={device} batch={args.batch_size} anchors/img=8732 '
          f'gts={num_gts} (per image {args.min_gts}..{args.max_gts}) '
          f'amp={args.amp} iters={args.iters} warmup={args.warmup}')

    # agreement check
    ref, ref_total, ref_c, ref_b = step(stock, outs, gts, metas, args.amp,
                                        device)
    got, got_total, got_c, got_b = step(ours, outs, gts, metas, args.amp,
                                        device)
    for key in ('loss_cls', 'loss_bbox'):
        r = torch.stack([v.float().reshape(()) for v in ref[key]])
        g = torch.stack([v.float().reshape(()) for v in got[key]])
        print(f'{key}: stock {r.sum().item():.6f} batched '
              f'{g.sum().item():.6f} max |diff| per image '
              f'{(r - g).abs().max().item():.3g}')
    grad_diff = max((a.grad - b.grad).abs().max().item()
                    for a, b in zip(ref_c + ref_b, got_c + got_b))
    print(f'max |grad diff| w.r.t. head outputs: {grad_diff:.3g}')
    tol = 1e-2 if args.amp else 1e-4
    ok = torch.allclose(ref_total.float(), got_total.float(), rtol=tol,
                        atol=tol) and grad_diff < tol
    print('losses agree' if ok else 'LOSSES DIFFER')

    if args.count_ops:
        for name, head in (('stock SSDHead', stock), ('IRSSDHead', ours)):
            total, syncs = count_ops(head, outs, gts, metas, args, device)
            print(f'{name:16s}: {total} top-level ATen calls, {syncs} '
                  'sync-forcing calls (nonzero/item/unique) per iteration')

    times = {}
    if args.only in (None, 'stock'):
        times['stock'] = time_head(stock, outs, gts, metas, args, device)
        print(f'stock SSDHead   : {times["stock"]:9.2f} ms/iter')
    if args.only in (None, 'batched'):
        times['batched'] = time_head(ours, outs, gts, metas, args, device)
        print(f'IRSSDHead       : {times["batched"]:9.2f} ms/iter')
    if len(times) == 2:
        print(f'speed-up        : {times["stock"] / times["batched"]:9.2f}x')
    if not ok:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
