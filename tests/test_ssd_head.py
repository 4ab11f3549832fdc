"""IRSSDHead against mmdet 3.3.0's stock SSDHead.

The batched loss must equal the stock per-image loss (MaxIoUAssigner +
PseudoSampler + hard negative mining + smooth L1) to 1e-5, in value and in
gradient with respect to the head outputs, for the SSD300 config and for
variants of the assigner / train settings that the batched path claims to
reproduce. Prediction must work (the stock head raises AttributeError).
"""
import copy

import pytest
import torch

pytest.importorskip('mmdet')

from mmdet.models.dense_heads import SSDHead  # noqa: E402
from mmdet.models.dense_heads.anchor_head import AnchorHead  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.structures.bbox import bbox_overlaps  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.registry import MODELS as ROOT_MODELS  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import mmiresnet  # noqa: E402,F401  (registers IRSSDHead)
from mmiresnet.models.heads import ssd_head  # noqa: E402
from mmiresnet.models.heads.ssd_head import IRSSDHead, iou_matrix  # noqa: E402

IN_CHANNELS = (512, 1024, 512, 256, 256, 256)
FEAT_SIZES = (38, 19, 10, 5, 3, 1)
NUM_CLASSES = 80
TOL = dict(rtol=1e-5, atol=1e-5)


@pytest.fixture(autouse=True, scope='module')
def mmdet_scope():
    """mmdet's registry resolves the heads' parts (assigners, losses)."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def ssd300_head_cfg(head_type, assigner=None, train=None, **head_kwargs):
    """The bbox_head of mmdet's configs/_base_/models/ssd300.py."""
    assigner_cfg = dict(
        type='MaxIoUAssigner',
        pos_iou_thr=0.5,
        neg_iou_thr=0.5,
        min_pos_iou=0.,
        ignore_iof_thr=-1,
        gt_max_assign_all=False)
    assigner_cfg.update(assigner or {})
    train_cfg = dict(
        assigner=assigner_cfg,
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False)
    train_cfg.update(train or {})
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
        train_cfg=ConfigDict(train_cfg),
        test_cfg=ConfigDict(
            nms_pre=1000,
            nms=dict(type='nms', iou_threshold=0.45),
            min_bbox_size=0,
            score_thr=0.02,
            max_per_img=200),
        **head_kwargs)


def build_pair(batched=True, **kwargs):
    stock = MODELS.build(ssd300_head_cfg('SSDHead', **kwargs))
    ours = MODELS.build(
        ssd300_head_cfg('IRSSDHead', batched=batched, **kwargs))
    ours.load_state_dict(stock.state_dict())
    return stock, ours


def random_feats(num_imgs, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(num_imgs, c, s, s, generator=g)
        for c, s in zip(IN_CHANNELS, FEAT_SIZES)
    ]


def instances(boxes, labels):
    return InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long))


def make_gts():
    """Four images: crowded (tiny, overlapping, duplicate boxes, duplicates
    with different labels), empty, large boxes, border boxes."""
    g = torch.Generator().manual_seed(1)
    xy = torch.rand(8, 2, generator=g) * 250
    wh = torch.rand(8, 2, generator=g) * 120 + 4
    rand_boxes = torch.cat([xy, (xy + wh).clamp(max=300)], 1).tolist()
    img0 = rand_boxes + [
        [100.2, 50.7, 101.7, 52.7],  # tiny: below every threshold
        [100.2, 50.7, 101.7, 52.7],  # exact duplicate, other label
        [10., 10., 60., 60.],
        [12., 8., 58., 64.],  # overlaps the previous one
        [10., 10., 60., 60.],  # duplicate of [10, 10, 60, 60]
        [200., 200., 203., 201.],  # tiny, 3x1 px
    ]
    labels0 = torch.randint(
        0, NUM_CLASSES, (8, ), generator=g).tolist() + [5, 7, 11, 12, 13, 79]
    img2 = [[0., 0., 300., 300.], [20., 30., 280., 200.],
            [50., 50., 250., 290.]]
    img3 = [[0., 0., 20., 300.], [290., 10., 300., 40.],
            [0., 280., 300., 300.], [140., 140., 160., 160.]]
    return [
        instances(img0, labels0),
        instances([], []),
        instances(img2, [0, 1, 2]),
        instances(img3, [3, 4, 5, 6]),
    ]


def make_metas(num_imgs, shapes=None):
    metas = []
    for i in range(num_imgs):
        img_shape, pad_shape = (
            shapes[i] if shapes else ((300, 300), (300, 300)))
        metas.append(
            dict(
                img_shape=img_shape,
                pad_shape=pad_shape,
                ori_shape=img_shape,
                scale_factor=(1., 1.),
                batch_input_shape=(300, 300)))
    return metas


def loss_and_grads(head, outs, gts, metas, ignore=None):
    cls_scores = [t.detach().clone().requires_grad_() for t in outs[0]]
    bbox_preds = [t.detach().clone().requires_grad_() for t in outs[1]]
    losses = head.loss_by_feat(
        cls_scores,
        bbox_preds,
        copy.deepcopy(gts),
        metas,
        batch_gt_instances_ignore=copy.deepcopy(ignore))
    total = sum(sum(v) for v in losses.values())
    total.sum().backward()
    return (losses, [t.grad for t in cls_scores], [t.grad for t in bbox_preds])


_OUTPUTS = {}


def head_outputs(num_imgs, seed=0):
    """Head outputs for random SSD300 feature maps, computed once per
    (num_imgs, seed); :func:`test_forward_and_predict` checks that both
    heads produce the same outputs."""
    key = (num_imgs, seed)
    if key not in _OUTPUTS:
        torch.manual_seed(seed)
        head = MODELS.build(ssd300_head_cfg('SSDHead'))
        with torch.no_grad():
            _OUTPUTS[key] = head(random_feats(num_imgs, seed))
    return _OUTPUTS[key]


def assert_same(stock, ours, gts, metas, ignore=None, feat_seed=0):
    outs = head_outputs(len(gts), feat_seed)
    ref, ref_gc, ref_gb = loss_and_grads(stock, outs, gts, metas, ignore)
    got, got_gc, got_gb = loss_and_grads(ours, outs, gts, metas, ignore)
    assert set(ref) == set(got) == {'loss_cls', 'loss_bbox'}
    for key in ref:
        assert len(ref[key]) == len(got[key]) == len(gts)
        for r, o in zip(ref[key], got[key]):
            assert r.shape == o.shape, key
            torch.testing.assert_close(o, r, **TOL)
    for r, o in zip(ref_gc + ref_gb, got_gc + got_gb):
        torch.testing.assert_close(o, r, **TOL)
    # the comparison must not be vacuous (without any gt there is no
    # positive, hence no mined negative: both losses are 0)
    if any(len(g) for g in gts):
        assert sum(ref['loss_cls']).item() > 0
        assert sum(ref['loss_bbox']).item() > 0
    return ref, got


def test_registered_only_in_mmdet():
    assert MODELS.get('IRSSDHead') is IRSSDHead
    assert 'IRSSDHead' not in ROOT_MODELS.module_dict


def test_loss_equals_stock_ssd300():
    stock, ours = build_pair()
    assert ours.batched
    assert_same(stock, ours, make_gts(), make_metas(4))


def test_stock_fallback_is_stock():
    stock, ours = build_pair(batched=False)
    assert not ours.batched
    assert_same(stock, ours, make_gts(), make_metas(4))


@pytest.mark.parametrize(
    'assigner,train', [
        (dict(gt_max_assign_all=True), None),
        (dict(match_low_quality=False, neg_iou_thr=(0.1, 0.4)), None),
        (dict(min_pos_iou=0.3), dict(pos_weight=2., neg_pos_ratio=5)),
        (dict(pos_iou_thr=0.6, neg_iou_thr=0.3), dict(smoothl1_beta=0.5)),
    ],
    ids=[
        'gt_max_assign_all', 'no_low_quality_neg_range', 'min_pos_iou',
        'thresholds_beta'
    ])
def test_loss_equals_stock_assigner_variants(assigner, train):
    stock, ours = build_pair(assigner=assigner, train=train)
    assert_same(stock, ours, make_gts(), make_metas(4))


def test_loss_equals_stock_reg_decoded_bbox():
    stock, ours = build_pair(reg_decoded_bbox=True)
    assert_same(stock, ours, make_gts(), make_metas(4))


def test_loss_equals_stock_borders_and_pad_shapes():
    # allowed_border >= 0 uses img_shape; a smaller pad_shape invalidates
    # anchors through valid_flags.
    shapes = [((280, 290), (300, 300)), ((300, 300), (300, 300)),
              ((240, 300), (240, 300)), ((300, 260), (300, 260))]
    stock, ours = build_pair(train=dict(allowed_border=0))
    assert_same(stock, ours, make_gts(), make_metas(4, shapes))
    stock, ours = build_pair()
    assert_same(stock, ours, make_gts(), make_metas(4, shapes))


@pytest.mark.parametrize('block_rows', [None, 1], ids=['default', 'small'])
@pytest.mark.parametrize('wrt_candidates', [True, False])
def test_loss_equals_stock_with_ignored_boxes(wrt_candidates, block_rows,
                                              monkeypatch):
    if block_rows is not None:  # one image per IoU / IoF block
        monkeypatch.setattr(ssd_head, '_CPU_BLOCK_ELEMENTS', block_rows * 8732)
    ignore = [
        instances([[0., 0., 120., 120.], [150., 150., 170., 180.]], [0, 0]),
        instances([[10., 10., 200., 200.]], [0]),
        None,
        instances([], []),
    ]
    stock, ours = build_pair(
        assigner=dict(
            ignore_iof_thr=0.5, ignore_wrt_candidates=wrt_candidates))
    assert_same(stock, ours, make_gts(), make_metas(4), ignore=ignore)
    if wrt_candidates:
        # ignore_iof_thr=-1 (the SSD300 setting) ignores nothing even when
        # ignored instances are passed, as COCO's crowd boxes are
        stock, ours = build_pair()
        assert_same(stock, ours, make_gts(), make_metas(4), ignore=ignore)


def test_all_images_without_gt():
    stock, ours = build_pair()
    gts = [instances([], []) for _ in range(2)]
    assert_same(stock, ours, gts, make_metas(2))


def test_unsupported_config_raises():
    with pytest.raises(NotImplementedError, match='sampler'):
        MODELS.build(
            ssd300_head_cfg(
                'IRSSDHead',
                train=dict(
                    sampler=dict(
                        type='RandomSampler', num=256, pos_fraction=0.5))))
    with pytest.raises(NotImplementedError, match='perm_repeat_gt_cfg'):
        MODELS.build(
            ssd300_head_cfg(
                'IRSSDHead', assigner=dict(perm_repeat_gt_cfg=dict())))
    # the stock path accepts them
    MODELS.build(
        ssd300_head_cfg(
            'IRSSDHead',
            batched=False,
            train=dict(
                sampler=dict(type='RandomSampler', num=256,
                             pos_fraction=0.5))))


def crowded_gts():
    """Four images: 200 boxes (1-pixel, past the border, duplicates),
    none, one, and 37 boxes."""
    g = torch.Generator().manual_seed(3)

    def boxes(n):
        xy = torch.rand(n, 2, generator=g) * 400 - 50
        wh = torch.rand(n, 2, generator=g) * 150 + 1
        return torch.cat([xy, xy + wh], 1)

    img0 = boxes(170)
    img0[:10, 2:] = img0[:10, :2] + 1  # 1-pixel boxes
    img0 = torch.cat([img0, img0[:30]])  # 30 duplicates
    sets = [img0, boxes(0), boxes(1), boxes(37)]
    return [
        InstanceData(
            bboxes=b,
            labels=torch.randint(0, NUM_CLASSES, (b.size(0), ), generator=g))
        for b in sets
    ]


@pytest.mark.parametrize(
    'block_rows', [1, 40, None],
    ids=['image_blocks', 'padded_blocks', 'default'])
def test_loss_equals_stock_many_boxes(block_rows, monkeypatch):
    # block_rows gts per IoU block: one image per block, several images
    # padded to the largest, or the default budget
    if block_rows is not None:
        monkeypatch.setattr(ssd_head, '_CPU_BLOCK_ELEMENTS', block_rows * 8732)
    gts = crowded_gts()
    assert len(gts[0]) == 200
    stock, ours = build_pair()
    assert_same(stock, ours, gts, make_metas(4))
    stock, ours = build_pair(assigner=dict(gt_max_assign_all=True))
    assert_same(stock, ours, gts, make_metas(4))


def test_loss_equals_stock_per_image_anchors():
    """A subclass with its own get_anchors gets per-image anchors."""

    def shifted_anchors(self, featmap_sizes, batch_img_metas, device='cuda'):
        anchors, flags = AnchorHead.get_anchors(self, featmap_sizes,
                                                batch_img_metas, device)
        # shift image i's anchors by i pixels
        return [[a + i for a in img] for i, img in enumerate(anchors)], flags

    class ShiftedAnchorsHead(IRSSDHead):
        get_anchors = shifted_anchors

    class ShiftedStock(SSDHead):
        get_anchors = shifted_anchors

    stock = ShiftedStock(**{
        k: v
        for k, v in ssd300_head_cfg('SSDHead').items() if k != 'type'
    })
    ours = ShiftedAnchorsHead(**{
        k: v
        for k, v in ssd300_head_cfg('IRSSDHead').items() if k != 'type'
    })
    ours.load_state_dict(stock.state_dict())
    assert_same(stock, ours, make_gts(), make_metas(4))


def test_iou_matrix_equals_bbox_overlaps_bitwise():
    g = torch.Generator().manual_seed(4)
    xy = torch.rand(2, 30, 2, generator=g) * 300 - 20
    wh = torch.rand(2, 30, 2, generator=g) * 100
    gts = torch.cat([xy, xy + wh], -1)
    gts[:, :5, 2:] = gts[:, :5, :2]  # zero area
    gts[:, 5:8, 2:] = gts[:, 5:8, :2] - 3  # negative width and height
    gts[:, 8] = gts[:, 9]  # duplicate
    gts[:, 10] = torch.tensor([5., 5., 5.0001, 5.0001])  # union below eps
    anchors = torch.cat([xy[0], xy[0] + wh[1]], -1)[None]
    anchors = torch.cat([anchors, gts[:1, :11]], 1)
    for boxes2 in (anchors, anchors.expand(2, -1, -1), gts):
        got = iou_matrix(gts, boxes2)
        want = bbox_overlaps(gts, boxes2.expand(2, -1, -1))
        assert got.shape == want.shape
        assert torch.equal(got, want)


SYNC_OPS = ('aten::nonzero', 'aten::_local_scalar_dense', 'aten::item')


def host_reads(head, num_imgs):
    """Sync-forcing calls (on CUDA) of one loss_by_feat."""
    from torch.profiler import profile
    outs = head_outputs(num_imgs)
    gts = (make_gts() * 2)[:num_imgs]
    # the first call per image shape fills the anchor cache (reads once)
    head.loss_by_feat(outs[0], outs[1], gts, make_metas(num_imgs))
    with profile() as prof:
        head.loss_by_feat(outs[0], outs[1], gts, make_metas(num_imgs))
    return sum(evt.name in SYNC_OPS for evt in prof.events())


def test_host_reads_do_not_grow_with_batch():
    stock, ours = build_pair()
    assert host_reads(ours, 2) == host_reads(ours, 6) <= 3
    # the stock head reads per image, so the count above is a real check
    assert host_reads(stock, 6) > host_reads(stock, 2)


def data_samples(num_imgs):
    samples = []
    for meta in make_metas(num_imgs):
        sample = DetDataSample()
        sample.set_metainfo(meta)
        samples.append(sample)
    return samples


def test_forward_and_predict():
    stock, ours = build_pair()
    stock.eval()
    ours.eval()
    feats = random_feats(1, seed=5)
    samples = data_samples(1)
    with torch.no_grad():
        outs_stock = stock(feats)
        outs_ours = ours(feats)
    for a, b in zip(outs_stock[0] + outs_stock[1],
                    outs_ours[0] + outs_ours[1]):
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    with torch.no_grad():
        results = ours.predict(feats, samples, rescale=True)
    assert len(results) == 1
    for res in results:
        assert isinstance(res, InstanceData)
        n = len(res)
        assert 0 < n <= 200
        assert res.bboxes.shape == (n, 4)
        assert res.scores.shape == (n, ) and res.labels.shape == (n, )
        assert res.labels.min() >= 0 and res.labels.max() < NUM_CLASSES
        assert (res.scores >= 0.02).all() and (res.scores <= 1).all()
        assert (res.bboxes >= 0).all() and (res.bboxes <= 300).all()

    # Softmax over num_classes + 1 with background last: without NMS or
    # thresholds the best score is the best foreground softmax probability.
    with torch.no_grad():
        cls_scores, bbox_preds = ours(feats)
        raw = ours.predict_by_feat(
            cls_scores,
            bbox_preds,
            batch_img_metas=[s.metainfo for s in samples],
            cfg=ConfigDict(nms_pre=-1, score_thr=0., max_per_img=-1),
            with_nms=False)
    for i, res in enumerate(raw):
        probs = torch.cat([
            s[i].permute(1, 2, 0).reshape(-1, NUM_CLASSES + 1)
            for s in cls_scores
        ]).softmax(-1)
        torch.testing.assert_close(res.scores.max(), probs[:, :-1].max())

    # The stock mmdet 3.3.0 head cannot predict (mmdet #11063, #11305,
    # #11780). If a future mmdet fixes this, the assertion is skipped.
    try:
        with torch.no_grad():
            stock.predict(feats, samples, rescale=True)
    except AttributeError as err:
        assert 'loss_cls' in str(err)
    else:
        pytest.skip('stock SSDHead.predict works in this mmdet version; '
                    'the documented bug is fixed upstream')
