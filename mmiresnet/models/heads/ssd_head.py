"""SSD head whose training loss is batched over the images of a batch.

``IRSSDHead`` is mmdet's ``SSDHead`` (same layers, anchors, coder and
checkpoint keys) with two changes: it can predict in mmdet 3.3.0, and its
``loss_by_feat`` handles the whole batch with tensor operations. The design
and the step-by-step argument that the loss and its gradients equal the stock
head's are in ``docs/ssd_head.md``.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import SSDHead
from mmdet.models.dense_heads.anchor_head import AnchorHead
from mmdet.models.losses import smooth_l1_loss
from mmdet.models.task_modules.assigners import BboxOverlaps2D, MaxIoUAssigner
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.models.task_modules.samplers import PseudoSampler
from mmdet.structures.bbox import cat_boxes, get_box_tensor
from mmdet.utils import InstanceList, OptInstanceList
from torch import Tensor

from mmiresnet.registry import register_in

# Elements of one (images, gts, anchors) IoU block or one block of logits.
# On a CPU a block of this size stays in the cache; elsewhere the whole batch
# usually fits in one block.
_CPU_BLOCK_ELEMENTS = 1 << 19
_BLOCK_ELEMENTS = 1 << 26
_ANCHOR_CACHE_SIZE = 32
_NO_ANCHOR_MSG = (
    'There is no valid anchor inside the image boundary. Please check the '
    'image size and anchor sizes, or set ``allowed_border`` to -1 to skip '
    'the condition.')


def _block_elements(device: torch.device) -> int:
    return _CPU_BLOCK_ELEMENTS if device.type == 'cpu' else _BLOCK_ELEMENTS


def _to_device(values: List[int], device: torch.device) -> Tensor:
    """A host list as a long tensor on ``device`` without a blocking copy."""
    t = torch.tensor(values, dtype=torch.long)
    if device.type == 'cuda':
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def iou_matrix(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-6) -> Tensor:
    """IoU of ``(N, m, 4)`` and ``(N or 1, n, 4)`` boxes, shape ``(N, m, n)``.

    Element for element the floating-point operations of mmdet's
    ``bbox_overlaps(mode='iou')``, in the same order, with fewer temporaries.

    Args:
        boxes1 (Tensor): ``(N, m, 4)`` boxes ``x1, y1, x2, y2``.
        boxes2 (Tensor): ``(N, n, 4)`` or ``(1, n, 4)`` boxes.
        eps (float): Lower bound of the union, as in ``bbox_overlaps``.
    """
    # contiguous coordinate planes keep the broadcast ops vectorised
    x1, y1, x2, y2 = (
        c[..., :, None] for c in boxes1.movedim(-1, 0).contiguous())
    u1, v1, u2, v2 = (
        c[..., None, :] for c in boxes2.movedim(-1, 0).contiguous())
    area1 = (x2 - x1) * (y2 - y1)
    area2 = (u2 - u1) * (v2 - v1)
    overlap = torch.minimum(x2, u2)
    tmp = torch.maximum(x1, u1)
    overlap.sub_(tmp).clamp_(min=0)
    height = torch.minimum(y2, v2)
    torch.maximum(y1, v1, out=tmp)
    height.sub_(tmp).clamp_(min=0)
    overlap.mul_(height)
    union = torch.add(area1, area2, out=tmp)
    union.sub_(overlap).clamp_(min=eps)
    return overlap.div_(union)


def _pad_instances(boxes: List[Tensor], device: torch.device):
    """Pad per-image boxes to ``(B, G, 4)``; returns boxes and validity."""
    counts = [b.size(0) for b in boxes]
    padded = torch.nn.utils.rnn.pad_sequence(
        boxes, batch_first=True, padding_value=0.)
    valid = torch.arange(max(counts), device=device)[None, :] \
        < _to_device(counts, device)[:, None]
    return padded, valid


@register_in('mmdet')
class IRSSDHead(SSDHead):
    """mmdet's ``SSDHead`` that can predict and computes its loss batched.

    Takes every argument of ``SSDHead``, plus:

    Args:
        batched (bool): Batched loss (default) or, if False, mmdet's one.
    """

    # SSD has no classification loss module; ``None`` sends prediction down
    # the softmax branch, which drops the background column (the last one).
    loss_cls = None

    def __init__(self, *args, batched: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batched = batched
        self._anchor_cache: Dict[tuple, tuple] = {}
        if self.batched and self.train_cfg:
            self._check_batched_supported()

    def _check_batched_supported(self) -> None:
        """Raise ``NotImplementedError`` for train configs the batched loss
        does not reproduce."""
        hint = ('; set batched=False in the bbox_head config to use the '
                'stock per-image mmdet SSDHead loss')
        if type(self.assigner) is not MaxIoUAssigner:
            raise NotImplementedError(
                'IRSSDHead(batched=True) supports only '
                'train_cfg.assigner.type=MaxIoUAssigner, got '
                f'{type(self.assigner).__name__}{hint}')
        if self.assigner.perm_repeat_gt_cfg is not None:
            raise NotImplementedError(
                'IRSSDHead(batched=True) does not support '
                f'train_cfg.assigner.perm_repeat_gt_cfg{hint}')
        if type(self.assigner.iou_calculator) is not BboxOverlaps2D:
            raise NotImplementedError(
                'IRSSDHead(batched=True) supports only '
                'train_cfg.assigner.iou_calculator.type=BboxOverlaps2D, got '
                f'{type(self.assigner.iou_calculator).__name__}{hint}')
        if type(self.sampler) is not PseudoSampler:
            raise NotImplementedError(
                'IRSSDHead(batched=True) supports only '
                'train_cfg.sampler.type=PseudoSampler, got '
                f'{type(self.sampler).__name__}{hint}')

    # ------------------------------------------------------------------
    # anchors
    # ------------------------------------------------------------------
    def _batched_anchors(self, featmap_sizes: List[tuple],
                         batch_img_metas: List[dict],
                         device: torch.device) -> Tuple[Tensor, Tensor, bool]:
        """Anchors ``(1 or B, A, 4)``, inside flags ``(B, A)`` and whether
        every anchor of every image is inside.

        Args:
            featmap_sizes (list[tuple]): Feature map sizes, one per level.
            batch_img_metas (list[dict]): Metas with img_shape, pad_shape.
            device (torch.device): Device of the predictions.
        """
        allowed_border = self.train_cfg['allowed_border']
        if type(self).get_anchors is not AnchorHead.get_anchors:
            # a subclass provides its own (possibly per-image) anchors
            anchor_list, valid_flag_list = self.get_anchors(
                featmap_sizes, batch_img_metas, device=device)
            anchors, inside = [], []
            for img_anchors, img_flags, meta in zip(anchor_list,
                                                    valid_flag_list,
                                                    batch_img_metas):
                flat = get_box_tensor(cat_boxes(img_anchors))
                flags = anchor_inside_flags(flat, torch.cat(img_flags),
                                            meta['img_shape'][:2],
                                            allowed_border)
                if not flags.any():
                    raise ValueError(_NO_ANCHOR_MSG)
                anchors.append(flat)
                inside.append(flags)
            inside = torch.stack(inside)
            return torch.stack(anchors), inside, bool(inside.all())

        sizes = tuple(tuple(int(v) for v in s) for s in featmap_sizes)
        if len(self._anchor_cache) > _ANCHOR_CACHE_SIZE:
            self._anchor_cache.clear()
        anchor_key = ('anchors', sizes, device)
        if anchor_key not in self._anchor_cache:
            self._anchor_cache[anchor_key] = get_box_tensor(
                cat_boxes(
                    self.prior_generator.grid_priors(
                        featmap_sizes, device=device)))
        anchors = self._anchor_cache[anchor_key]

        inside, all_inside = [], True
        for meta in batch_img_metas:
            pad_shape = tuple(meta['pad_shape'][:2])
            img_shape = tuple(meta['img_shape'][:2]) \
                if allowed_border >= 0 else None
            key = ('inside', sizes, device, pad_shape, img_shape,
                   allowed_border)
            if key not in self._anchor_cache:
                flags = torch.cat(
                    self.prior_generator.valid_flags(featmap_sizes, pad_shape,
                                                     device))
                flags = anchor_inside_flags(anchors, flags,
                                            meta['img_shape'][:2],
                                            allowed_border)
                if not flags.any():  # checked once per distinct shape
                    raise ValueError(_NO_ANCHOR_MSG)
                self._anchor_cache[key] = (flags, bool(flags.all()))
            flags, flags_all = self._anchor_cache[key]
            inside.append(flags)
            all_inside = all_inside and flags_all
        return anchors[None], torch.stack(inside), all_inside

    # ------------------------------------------------------------------
    # assignment
    # ------------------------------------------------------------------
    def _ignored_anchors(self, anchors: Tensor,
                         batch_gt_instances_ignore: OptInstanceList,
                         num_imgs: int) -> Optional[Tensor]:
        """``(B, A)`` anchors that the assigner ignores, or None.

        Args:
            anchors (Tensor): ``(1 or B, A, 4)`` anchors.
            batch_gt_instances_ignore (list, optional): Ignored instances.
            num_imgs (int): Number of images.
        """
        assigner = self.assigner
        ignore = batch_gt_instances_ignore
        if not (assigner.ignore_iof_thr > 0 and ignore is not None
                and any(ig is not None and len(ig) > 0 for ig in ignore)):
            return None
        anchors = anchors.expand(num_imgs, -1, -1)
        boxes, valid = _pad_instances([
            get_box_tensor(ig.bboxes).to(anchors)
            if ig is not None else anchors.new_zeros((0, 4)) for ig in ignore
        ], anchors.device)
        calc = assigner.iou_calculator
        step = max(
            1,
            _block_elements(anchors.device) //
            (anchors.size(1) * boxes.size(1)))
        ign_max = []
        for i in range(0, num_imgs, step):  # blocks of images
            img_boxes, img_valid = boxes[i:i + step], valid[i:i + step]
            img_anchors = anchors[i:i + step]
            if assigner.ignore_wrt_candidates:
                iof = calc(img_anchors, img_boxes, mode='iof')  # (b, A, Gi)
                ign_max.append(
                    iof.masked_fill_(~img_valid[:, None, :], 0.).amax(2))
            else:
                iof = calc(img_boxes, img_anchors, mode='iof')  # (b, Gi, A)
                ign_max.append(
                    iof.masked_fill_(~img_valid[:, :, None], 0.).amax(1))
        ign_max = torch.cat(ign_max)
        return ign_max > assigner.ignore_iof_thr

    def _gt_blocks(self, counts: List[int], num_anchors: int,
                   device: torch.device) -> List[tuple]:
        """Group the images that have gts into blocks for the IoU.

        Images are taken in decreasing order of gt count, so that padding
        the gts of a block to its largest count wastes little, and a block
        holds at most ``_block_elements(device)`` IoU values.

        Returns:
            list[tuple]: Per block ``(images (b,), gt rows (b, g), gt
            offsets (b,), padded)``; rows index the concatenated gts, and
            padding points one past the last gt.
        """
        total = sum(counts)
        max_rows = max(1, _block_elements(device) // max(1, num_anchors))
        order = sorted((i for i in range(len(counts)) if counts[i] > 0),
                       key=lambda i: -counts[i])
        offsets = [0]
        for c in counts:
            offsets.append(offsets[-1] + c)
        groups: List[List[int]] = []
        for i in order:
            if groups and (len(groups[-1]) + 1) * counts[groups[-1][0]] \
                    <= max_rows:
                groups[-1].append(i)
            else:
                groups.append([i])
        flat: List[int] = []
        layout = []
        for group in groups:
            width = counts[group[0]]
            start = len(flat)
            flat += group
            flat += [offsets[i] for i in group]
            for i in group:
                flat += range(offsets[i], offsets[i + 1])
                flat += [total] * (width - counts[i])
            layout.append((start, len(group), width,
                           any(counts[i] < width for i in group)))
        flat_t = _to_device(flat, device)  # one host-to-device copy
        blocks = []
        for start, num, width, padded in layout:
            images = flat_t[start:start + num]
            img_offsets = flat_t[start + num:start + 2 * num]
            rows = flat_t[start + 2 * num:start + 2 * num + num * width]
            blocks.append((images, rows.view(num, width), img_offsets, padded))
        return blocks

    def _assign_block(self, overlaps: Tensor, gt_valid: Tensor) -> Tensor:
        """``MaxIoUAssigner.assign_wrt_overlaps`` for a block of images.

        Args:
            overlaps (Tensor): ``(b, g, A)`` IoUs, -1 ignored, -inf padding.
            gt_valid (Tensor): ``(b, g)`` bool, real (non-padding) gts.

        Returns:
            Tensor: ``(b, A)`` long, -1 ignore, 0 negative, k > 0 the image's
            (k-1)-th gt.
        """
        assigner = self.assigner
        num_imgs, num_gts = gt_valid.shape
        # for each anchor the best gt (first index on ties, as stock)
        max_overlaps, argmax_overlaps = overlaps.max(dim=1)
        assigned = torch.full_like(argmax_overlaps, -1)
        neg_thr = assigner.neg_iou_thr
        if isinstance(neg_thr, float):
            assigned.masked_fill_(
                (max_overlaps >= 0) & (max_overlaps < neg_thr), 0)
        elif isinstance(neg_thr, tuple):
            assert len(neg_thr) == 2
            assigned.masked_fill_((max_overlaps >= neg_thr[0])
                                  & (max_overlaps < neg_thr[1]), 0)
        assigned = torch.where(max_overlaps >= assigner.pos_iou_thr,
                               argmax_overlaps + 1, assigned)
        if assigner.match_low_quality:
            # each gt takes its best anchor(s); stock loops over the gts in
            # order, so on a shared anchor the later gt wins: amax of index+1
            gt_max, gt_argmax = overlaps.max(dim=2)
            gt_ok = gt_valid & (gt_max >= assigner.min_pos_iou)
            gt_ids = torch.arange(
                1, num_gts + 1, device=gt_valid.device).expand(num_imgs, -1)
            if assigner.gt_max_assign_all:
                hit = (overlaps == gt_max[:, :, None]) & gt_ok[:, :, None]
                forced = torch.where(hit, gt_ids[:, :, None].int(),
                                     0).amax(dim=1).long()
            else:
                forced = torch.zeros_like(assigned).scatter_reduce_(
                    1, gt_argmax, torch.where(gt_ok, gt_ids, 0), reduce='amax')
            assigned = torch.where(forced > 0, forced, assigned)
        return assigned

    def _batched_assign(self, anchors: Tensor, inside: Tensor,
                        all_inside: bool, gt_boxes: Tensor, counts: List[int],
                        batch_gt_instances_ignore: OptInstanceList) -> Tensor:
        """``MaxIoUAssigner.assign`` for the whole batch.

        Args:
            anchors (Tensor): ``(1 or B, A, 4)`` anchors.
            inside (Tensor): ``(B, A)`` bool, anchors that take part.
            all_inside (bool): Whether ``inside`` is all True.
            gt_boxes (Tensor): ``(G, 4)`` gts of all images, concatenated.
            counts (list[int]): Number of gts of each image.
            batch_gt_instances_ignore (list, optional): Ignored instances.

        Returns:
            Tensor: ``(B, A)`` long: -1 ignore, 0 negative, k > 0 the
            (k-1)-th row of ``gt_boxes``.
        """
        num_imgs, num_anchors = inside.shape
        device = inside.device
        assigned = torch.zeros_like(inside, dtype=torch.long)
        ignored = self._ignored_anchors(anchors, batch_gt_instances_ignore,
                                        num_imgs)
        calc = self.assigner.iou_calculator
        fast_iou = calc.dtype is None and anchors.dtype in (torch.float32,
                                                            torch.float64)
        padded_boxes = torch.cat([gt_boxes, gt_boxes.new_zeros(1, 4)])
        for images, rows, offsets, padded in self._gt_blocks(
                counts, num_anchors, device):
            boxes = padded_boxes[rows]  # (b, g, 4)
            img_anchors = anchors if anchors.size(0) == 1 else \
                anchors[images]
            if fast_iou:
                overlaps = iou_matrix(boxes, img_anchors)
            else:
                overlaps = calc(boxes,
                                img_anchors.expand(boxes.size(0), -1, -1))
            if ignored is not None:
                overlaps.masked_fill_(ignored[images][:, None, :], -1.)
            gt_valid = rows < gt_boxes.size(0)
            if padded:
                overlaps.masked_fill_(~gt_valid[:, :, None], float('-inf'))
            if not all_inside:
                overlaps.masked_fill_(~inside[images][:, None, :],
                                      float('-inf'))
            block = self._assign_block(overlaps, gt_valid)
            block = torch.where(block > 0, block + offsets[:, None], block)
            assigned.index_copy_(0, images, block)
        if not all_inside:
            assigned = torch.where(inside, assigned, -1)
        return assigned

    # ------------------------------------------------------------------
    # loss
    # ------------------------------------------------------------------
    def _anchor_ce(self, cls_scores: List[Tensor], labels: Tensor) -> Tensor:
        """Cross-entropy of every anchor, ``(B, A)``, without autograd.

        Each row goes through ``F.cross_entropy`` on the ``(anchors, C)``
        layout that the stock head uses, in blocks that fit the cache.

        Args:
            cls_scores (list[Tensor]): ``(B, k*C, H, W)`` per level.
            labels (Tensor): ``(B, A)`` long labels.
        """
        num_imgs = labels.size(0)
        channels = self.cls_out_channels
        block = _block_elements(labels.device)
        columns, start = [], 0
        with torch.no_grad():
            for score in cls_scores:
                per_img = score[0].numel()
                num = per_img // channels
                step = max(1, block // per_img)
                level_labels = labels[:, start:start + num]
                parts = [
                    F.cross_entropy(
                        score[i:i + step].permute(0, 2, 3,
                                                  1).reshape(-1, channels),
                        level_labels[i:i + step].reshape(-1),
                        reduction='none').view(-1, num)
                    for i in range(0, num_imgs, step)
                ]
                columns.append(parts[0] if len(parts) ==
                               1 else torch.cat(parts))
                start += num
        return torch.cat(columns, 1)

    def _gather_selected(self, preds: List[Tensor], anchor_idx: Tensor,
                         img_idx: Tensor, level_counts: List[int],
                         width: int) -> Tensor:
        """Rows ``(S, width)`` of the selected anchors, with autograd.

        Args:
            preds (list[Tensor]): ``(B, k*width, H, W)`` per level.
            anchor_idx (Tensor): ``(S,)`` anchor indices, sorted.
            img_idx (Tensor): ``(S,)`` image indices.
            level_counts (list[int]): Selected anchors in each level.
            width (int): Values per anchor (classes or box deltas).
        """
        rows, start, first = [], 0, 0
        for pred, count, num_base in zip(preds, level_counts,
                                         self.num_base_priors):
            # a level without selected anchors still gets a (zero) gradient
            local = anchor_idx[start:start + count] - first
            level = pred.reshape(pred.size(0), num_base, width, -1)
            rows.append(level[img_idx[start:start + count],
                              local % num_base, :, local // num_base])
            start += count
            first += pred[0].numel() // width
        return torch.cat(rows)

    def loss_by_feat(
        self,
        cls_scores: List[Tensor],
        bbox_preds: List[Tensor],
        batch_gt_instances: InstanceList,
        batch_img_metas: List[dict],
        batch_gt_instances_ignore: OptInstanceList = None
    ) -> Dict[str, List[Tensor]]:
        """SSD losses; same arguments and result as
        ``SSDHead.loss_by_feat``.

        Args:
            cls_scores (list[Tensor]): ``(B, k*(num_classes+1), H, W)``.
            bbox_preds (list[Tensor]): ``(B, k*4, H, W)`` per level.
            batch_gt_instances (list[InstanceData]): Gt bboxes and labels.
            batch_img_metas (list[dict]): Image metas.
            batch_gt_instances_ignore (list, optional): Ignored instances.
        """
        if not self.batched:
            return super().loss_by_feat(
                cls_scores,
                bbox_preds,
                batch_gt_instances,
                batch_img_metas,
                batch_gt_instances_ignore=batch_gt_instances_ignore)

        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        assert len(featmap_sizes) == self.prior_generator.num_levels
        device = cls_scores[0].device
        num_imgs = len(batch_img_metas)

        anchors, inside, all_inside = self._batched_anchors(
            featmap_sizes, batch_img_metas, device)

        # targets (AnchorHead._get_targets_single, unmap_outputs=True)
        gt_box_list = [get_box_tensor(g.bboxes) for g in batch_gt_instances]
        counts = [b.size(0) for b in gt_box_list]
        gt_boxes = torch.cat(gt_box_list).to(anchors)
        gt_labels = torch.cat([g.labels for g in batch_gt_instances])
        gt_inds = self._batched_assign(anchors, inside, all_inside, gt_boxes,
                                       counts, batch_gt_instances_ignore)
        pos = gt_inds > 0
        matched = (gt_inds - 1).clamp(min=0)
        labels = torch.full_like(gt_inds, self.num_classes)
        if gt_boxes.size(0):
            labels = torch.where(pos, gt_labels.to(device)[matched], labels)
        pos_weight = self.train_cfg['pos_weight']
        pos_weight = 1.0 if pos_weight <= 0 else pos_weight
        label_weights = torch.where(pos, pos_weight,
                                    (gt_inds == 0).float()).float()
        num_pos = pos.sum(dim=1)
        avg_factor = num_pos.clamp(min=1).sum().float()

        # hard negative mining (SSD paper, sec. 2.2): per image the
        # neg_pos_ratio * num_pos background anchors with the largest loss
        loss_all = self._anchor_ce(cls_scores, labels) * label_weights
        background = labels == self.num_classes
        num_neg = torch.minimum(self.train_cfg['neg_pos_ratio'] * num_pos,
                                background.sum(dim=1))
        selected = pos.clone()
        max_neg = int(num_neg.max())  # one host read per batch
        if max_neg > 0:
            # losses are >= 0, so -1 ranks every non-background anchor last
            top = loss_all.masked_fill(~background, -1.).topk(max_neg, dim=1)
            keep = torch.arange(max_neg, device=device)[None, :] \
                < num_neg[:, None]
            selected |= torch.zeros_like(selected).scatter_(
                1, top.indices, keep)

        # only the selected anchors enter the graph; nonzero on the
        # transpose sorts them by anchor, hence by level
        anchor_idx, img_idx = selected.t().nonzero().unbind(1)
        level_starts, start = [], 0
        for score in cls_scores[:-1]:
            start += score[0].numel() // self.cls_out_channels
            level_starts.append(start)
        bounds = torch.searchsorted(anchor_idx,
                                    _to_device(level_starts, device))
        bounds = [0] + bounds.cpu().tolist() + [anchor_idx.numel()]
        level_counts = [b - a for a, b in zip(bounds[:-1], bounds[1:])]

        sel_scores = self._gather_selected(cls_scores, anchor_idx, img_idx,
                                           level_counts, self.cls_out_channels)
        sel_labels = labels[img_idx, anchor_idx]
        sel_cls = F.cross_entropy(
            sel_scores, sel_labels,
            reduction='none') * label_weights[img_idx, anchor_idx]
        loss_cls = sel_cls.new_zeros(num_imgs).index_add(0, img_idx,
                                                         sel_cls) / avg_factor

        sel_preds = self._gather_selected(bbox_preds, anchor_idx, img_idx,
                                          level_counts, 4)
        sel_pos = pos[img_idx, anchor_idx]
        sel_anchors = anchors[0][anchor_idx] if anchors.size(0) == 1 else \
            anchors[img_idx, anchor_idx]
        sel_gts = torch.cat([gt_boxes, gt_boxes.new_zeros(1, 4)
                             ])[torch.where(sel_pos, matched[img_idx,
                                                             anchor_idx],
                                            gt_boxes.size(0))]
        if self.reg_decoded_bbox:
            sel_preds = self.bbox_coder.decode(sel_anchors, sel_preds)
            targets = sel_gts
        else:
            targets = self.bbox_coder.encode(sel_anchors, sel_gts)
        targets = torch.where(sel_pos[:, None], targets, 0.)
        loss_bbox = smooth_l1_loss(
            sel_preds,
            targets,
            sel_pos[:, None].expand_as(targets).to(targets.dtype),
            beta=self.train_cfg['smoothl1_beta'],
            reduction='none').sum(dim=1)
        loss_bbox = loss_bbox.new_zeros(num_imgs).index_add(
            0, img_idx, loss_bbox) / (
                avg_factor + torch.finfo(torch.float32).eps)

        return dict(
            loss_cls=list(loss_cls[:, None].unbind(0)),
            loss_bbox=list(loss_bbox.unbind(0)))
