#!/usr/bin/env python
"""Generate a deterministic synthetic object-detection dataset of shapes.

The same images and boxes are written in the two layouts MMDetection reads::

    <out>/meta.json                      generation config + statistics
    <out>/coco/annotations/instances_train.json, instances_val.json
    <out>/coco/train/*.jpg, <out>/coco/val/*.jpg
    <out>/VOCdevkit/VOC2007/JPEGImages/*.jpg
    <out>/VOCdevkit/VOC2007/Annotations/*.xml
    <out>/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt   (= COCO train)
    <out>/VOCdevkit/VOC2007/ImageSets/Main/test.txt       (= COCO val)

Content (see ``render_image``): five shape classes (``SYNTHETIC_CLASSES`` in
``mmiresnet/datasets/synthetic.py``: circle, square, triangle, star, ring)
with random saturated colours, random rotation and a soft lighting gradient,
on textured backgrounds (colour gradients, smooth colour noise, stripes) plus
sensor noise. Shape sizes are log-uniform between ``--min-obj-size`` pixels
and ``--max-obj-frac`` of the long image side. Each image holds 1 to
``--max-objects`` shapes, except a ``--empty-frac`` share of images that hold
none. Shapes are drawn in random order, so later shapes occlude earlier ones;
about 10% of shapes are placed partly outside the image (VOC
``<truncated>1``). Image sides: the long side is ``--size``, the short side
is 70-100% of it, orientation random.

Boxes are the tight box of the *visible* pixels (alpha >= 0.5 after
occlusion), as in COCO and VOC annotation guidelines. A shape that is more
than 70% hidden by later shapes (visible alpha < 30% of its own alpha), or
whose visible box is under 2 px on a side, is drawn but **not annotated**.

Box conventions. A visible extent covering the 0-based pixel columns
``x0..x1`` (inclusive) is written as COCO ``bbox=[x0, y0, x1-x0+1, y1-y0+1]``
(``area`` = w*h, box area, since there are no masks) and as standard 1-based
inclusive VOC ``xmin=x0+1, ymin=y0+1, xmax=x1+1, ymax=y1+1``, so
``1 <= xmin <= xmax <= width``. MMDetection 3.3.0 reads COCO as
``[x, y, x+w, y+h]`` and VOC as ``[xmin-1, ymin-1, xmax-1, ymax-1]`` (its
``XMLDataset`` subtracts 1 from all four), so the VOC layout loads 1 px
smaller on the right/bottom edge, exactly as the real PASCAL VOC data does.

Everything derives from ``--seed``: image ``i`` of a split uses the random
stream ``(seed, split, i)``, so output bytes are reproducible (for a given
numpy/Pillow build) and adding images does not change the existing ones.

Output is written to a temporary sibling folder and renamed into place when
complete. An existing output folder is left alone when its ``meta.json``
config matches (the run reports "up to date" and exits 0), and is refused
(exit 2, nothing touched) when it differs or has no ``meta.json``, unless
``--force`` is given; even then the old folder is removed only after the new
one is complete.

Usage::

    python tools/data/make_synthetic_det.py                # data/synthetic
    python tools/data/make_synthetic_det.py --num-train 400 --num-val 80 \\
        --size 192 --seed 0 --out data/synthetic [--force]

Needs only numpy and Pillow.
"""
import argparse
import importlib.util
import io
import json
import math
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

GENERATOR = 'make_synthetic_det'
#: Bump whenever the rendered content or layout changes, so that existing
#: folders are recognised as stale instead of "up to date".
GENERATOR_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERSAMPLE = 4  # shapes are rasterised at 4x and box-filtered (antialiasing)
MIN_VISIBLE_FRAC = 0.3  # annotate only shapes at most 70% hidden
MIN_BOX_SIDE = 2  # px; smaller visible boxes are not annotated
TRUNCATE_PROB = 0.1  # share of shapes placed partly outside the image
SIZE_BUCKETS = ((0, 16), (16, 32), (32, 64), (64, 128), (128, None))


def load_constants():
    """Load ``mmiresnet/datasets/synthetic.py`` without importing mmiresnet
    (whose ``__init__`` pulls in torch and mmengine)."""
    path = REPO_ROOT / 'mmiresnet' / 'datasets' / 'synthetic.py'
    spec = importlib.util.spec_from_file_location(
        '_mmiresnet_dataset_constants', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLASSES = tuple(load_constants().SYNTHETIC_CLASSES)


# ---------------------------------------------------------------------------
# Output folder handling, shared with make_digits.py
# ---------------------------------------------------------------------------
class OutputRefused(Exception):
    """The output folder exists and may not be replaced."""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _clean_stale(out):
    """Remove temporary folders left by killed runs (dead pid only)."""
    for kind in ('tmp', 'old'):
        for path in out.parent.glob(f'.{out.name}.{kind}-*'):
            try:
                pid = int(path.name.rsplit('-', 1)[1])
            except ValueError:
                continue
            if not _pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def read_meta(out):
    meta_path = Path(out) / 'meta.json'
    if not meta_path.is_file():
        return None
    try:
        return json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None


def check_output(out, config, force):
    """Decide what to do with ``out``.

    Returns ``'build'`` or ``'up-to-date'``; raises :class:`OutputRefused`
    when ``out`` holds something else and ``force`` is false.
    """
    out = Path(out)
    config = json.loads(json.dumps(config))  # tuples -> lists, as stored
    if not out.exists():
        return 'build'
    if not out.is_dir():
        raise OutputRefused(f'{out} exists and is not a folder')
    meta = read_meta(out)
    if meta is not None and meta.get('config') == config:
        return 'up-to-date'
    if force:
        return 'build'
    if meta is None:
        if not any(out.iterdir()):
            return 'build'  # an empty folder holds nothing to lose
        raise OutputRefused(
            f'{out} exists but has no readable meta.json, so it was not made '
            'by this tool (or is damaged); refusing to overwrite it. Use '
            '--force to replace it, or choose another --out.')
    old = meta.get('config') or {}
    diffs = [
        f'{key}: {old.get(key)!r} -> {config.get(key)!r}'
        for key in sorted(set(old) | set(config))
        if old.get(key) != config.get(key)
    ]
    raise OutputRefused(
        f'{out} holds a dataset generated with a different config '
        f'({"; ".join(diffs)}); refusing to overwrite it. Use --force to '
        'replace it, or choose another --out.')


@contextmanager
def atomic_output(out):
    """Yield a temporary folder that replaces ``out`` on success.

    The temporary folder is a sibling of ``out`` (same file system, so the
    renames are atomic); on an exception it is deleted and ``out`` is left
    as it was. An existing ``out`` is renamed away first and deleted only
    after the new folder is in place.
    """
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out)
    tmp = out.parent / f'.{out.name}.tmp-{os.getpid()}'
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f'.{out.name}.old-{os.getpid()}'
        os.rename(out, old)
    os.rename(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_meta(folder, config, stats, **extra):
    meta = dict(config=config, stats=stats, **extra)
    (Path(folder) / 'meta.json').write_text(
        json.dumps(meta, indent=2, sort_keys=True) + '\n')


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------
def hsv_to_rgb(h, s, v):
    """Scalar HSV (all in [0, 1]) -> RGB float array in [0, 255]."""
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v),
           (v, p, q)][i]
    return np.array(rgb, dtype=np.float32) * 255.0


def muted_colour(rng):
    return hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.4),
                      rng.uniform(0.2, 0.9))


def shape_colour(rng):
    return hsv_to_rgb(rng.random(), rng.uniform(0.55, 1.0),
                      rng.uniform(0.5, 1.0))


def render_background(rng, height, width):
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    kind = int(rng.integers(3))
    if kind == 0:  # linear gradient between two muted colours
        angle = rng.uniform(0, 2 * math.pi)
        proj = xx * math.cos(angle) + yy * math.sin(angle)
        t = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
        c0, c1 = muted_colour(rng), muted_colour(rng)
        img = c0 + (c1 - c0) * t[..., None]
    elif kind == 1:  # smooth colour noise: coarse random grid, upsampled
        grid = int(rng.integers(3, 12))
        coarse = np.stack([muted_colour(rng) for _ in range(grid * grid)])
        coarse = coarse.reshape(grid, grid, 3).clip(0, 255).astype(np.uint8)
        img = np.asarray(
            Image.fromarray(coarse).resize((width, height), Image.BICUBIC),
            dtype=np.float32)
    else:  # stripes of random period and angle
        angle = rng.uniform(0, math.pi)
        period = rng.uniform(5, 40)
        proj = xx * math.cos(angle) + yy * math.sin(angle)
        t = 0.5 + 0.5 * np.sin(2 * math.pi * proj / period)
        c0, c1 = muted_colour(rng), muted_colour(rng)
        img = c0 + (c1 - c0) * t[..., None]
    return img.astype(np.float32)


def shape_outline(cls_name, radius, angle):
    """Polygon vertices (or ellipse radii) centred on (0, 0), in pixels."""
    if cls_name in ('circle', 'ring'):
        return None
    if cls_name == 'square':
        angles = [angle + math.pi / 4 + k * math.pi / 2 for k in range(4)]
        radii = [radius * math.sqrt(2)] * 4  # side = 2 * radius
    elif cls_name == 'triangle':
        angles = [angle + k * 2 * math.pi / 3 for k in range(3)]
        radii = [radius * 1.15] * 3  # circumradius; similar visual area
    elif cls_name == 'star':
        angles = [angle + k * math.pi / 5 for k in range(10)]
        radii = [radius * 1.15 if k % 2 == 0 else radius * 0.5
                 for k in range(10)]
    else:
        raise ValueError(cls_name)
    return [(r * math.cos(a), r * math.sin(a)) for r, a in zip(radii, angles)]


def shape_extent(cls_name, radius, angle):
    """``(outline, (xmin, xmax, ymin, ymax))`` of a shape centred on 0."""
    poly = shape_outline(cls_name, radius, angle)
    if poly is None:
        return poly, (-radius, radius, -radius, radius)
    xs, ys = zip(*poly)
    return poly, (min(xs), max(xs), min(ys), max(ys))


def rasterise(cls_name, cx, cy, radius, poly, ext, height, width):
    """Antialiased coverage (alpha in [0, 1]) of one shape, full image size.

    Returns ``(alpha, truncated)``; ``alpha`` is None if the shape misses
    the image entirely.
    """
    fx0, fx1, fy0, fy1 = cx + ext[0], cx + ext[1], cy + ext[2], cy + ext[3]
    truncated = fx0 < 0 or fy0 < 0 or fx1 > width or fy1 > height
    x0, y0 = max(int(math.floor(fx0)), 0), max(int(math.floor(fy0)), 0)
    x1 = min(int(math.ceil(fx1)), width)
    y1 = min(int(math.ceil(fy1)), height)
    if x1 <= x0 or y1 <= y0:
        return None, truncated
    ss = SUPERSAMPLE
    canvas = Image.new('L', ((x1 - x0) * ss, (y1 - y0) * ss), 0)
    draw = ImageDraw.Draw(canvas)
    ox, oy = (cx - x0) * ss, (cy - y0) * ss  # centre in canvas coordinates
    if poly is None:
        r = radius * ss
        draw.ellipse([ox - r, oy - r, ox + r, oy + r], fill=255)
        if cls_name == 'ring':
            r = radius * 0.55 * ss
            draw.ellipse([ox - r, oy - r, ox + r, oy + r], fill=0)
    else:
        draw.polygon([(ox + px * ss, oy + py * ss) for px, py in poly],
                     fill=255)
    local = np.asarray(canvas.reduce(ss), dtype=np.float32) / 255.0
    alpha = np.zeros((height, width), dtype=np.float32)
    alpha[y0:y1, x0:x1] = local
    return alpha, truncated


def render_image(rng, cfg):
    """Render one image; returns ``(uint8 HxWx3 array, annotations, n_drop)``.

    ``annotations`` is a list of dicts with ``label`` (0-based class index),
    ``box`` = (x0, y0, x1, y1) inclusive 0-based pixel extent of the visible
    part, and ``truncated`` (bool).
    """
    long_side = cfg['size']
    short_side = int(round(long_side * rng.uniform(0.7, 1.0)))
    if rng.random() < 0.5:
        width, height = long_side, short_side
    else:
        width, height = short_side, long_side
    img = render_background(rng, height, width)

    if rng.random() < cfg['empty_frac']:
        num = 0
    else:
        num = int(rng.integers(1, cfg['max_objects'] + 1))
    min_side = cfg['min_obj_size']
    max_side = max(cfg['max_obj_frac'] * long_side, min_side)
    shapes = []
    for _ in range(num):
        label = int(rng.integers(len(CLASSES)))
        side = math.exp(rng.uniform(math.log(min_side), math.log(max_side)))
        radius = side / 2.0
        angle = rng.uniform(0, 2 * math.pi)
        poly, ext = shape_extent(CLASSES[label], radius, angle)
        if rng.random() < TRUNCATE_PROB:
            # Centre may leave the image by a quarter of the shape size.
            margin = -0.25 * side
            lo_x, hi_x = margin, width - margin
            lo_y, hi_y = margin, height - margin
        else:  # the whole (rotated) shape inside the image
            lo_x, hi_x = -ext[0], width - ext[1]
            lo_y, hi_y = -ext[2], height - ext[3]
        cx = rng.uniform(lo_x, hi_x) if hi_x > lo_x else width / 2.0
        cy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else height / 2.0
        alpha, truncated = rasterise(CLASSES[label], cx, cy, radius, poly,
                                     ext, height, width)
        colour = shape_colour(rng)
        # Soft lighting gradient across the shape (+-20% brightness).
        light_angle = rng.uniform(0, 2 * math.pi)
        strength = rng.uniform(0.0, 0.2)
        if alpha is None:
            continue
        shapes.append((label, alpha, truncated, colour, light_angle,
                       strength, cx, cy, radius))

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for (label, alpha, truncated, colour, light_angle, strength, cx, cy,
         radius) in shapes:
        proj = ((xx - cx) * math.cos(light_angle) +
                (yy - cy) * math.sin(light_angle)) / max(radius, 1.0)
        shade = 1.0 + strength * np.clip(proj, -1, 1)
        fill = colour[None, None, :] * shade[..., None]
        img = img * (1 - alpha[..., None]) + fill * alpha[..., None]

    # Visible coverage: own alpha times what later shapes leave uncovered.
    annotations = [None] * len(shapes)
    remaining = np.ones((height, width), dtype=np.float32)
    dropped = 0
    for k in range(len(shapes) - 1, -1, -1):
        label, alpha, truncated = shapes[k][:3]
        visible = alpha * remaining
        remaining *= (1 - alpha)
        total = float(alpha.sum())
        frac = float(visible.sum()) / total if total > 0 else 0.0
        ys, xs = np.nonzero(visible >= 0.5)
        if frac < MIN_VISIBLE_FRAC or xs.size == 0:
            dropped += 1
            continue
        x0, x1, y0, y1 = int(xs.min()), int(xs.max()), int(ys.min()), int(
            ys.max())
        if x1 - x0 + 1 < MIN_BOX_SIDE or y1 - y0 + 1 < MIN_BOX_SIDE:
            dropped += 1
            continue
        annotations[k] = dict(
            label=label, box=(x0, y0, x1, y1), truncated=bool(truncated))
    annotations = [a for a in annotations if a is not None]

    img += rng.normal(0.0, rng.uniform(2.0, 8.0), size=img.shape)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return img, annotations, dropped


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------
def voc_xml(image_name, width, height, annotations):
    lines = [
        '<annotation>',
        '\t<folder>VOC2007</folder>',
        f'\t<filename>{image_name}</filename>',
        '\t<source>',
        '\t\t<database>mmiresnet synthetic shapes</database>',
        '\t</source>',
        '\t<size>',
        f'\t\t<width>{width}</width>',
        f'\t\t<height>{height}</height>',
        '\t\t<depth>3</depth>',
        '\t</size>',
        '\t<segmented>0</segmented>',
    ]
    for ann in annotations:
        x0, y0, x1, y1 = ann['box']
        lines += [
            '\t<object>',
            f'\t\t<name>{CLASSES[ann["label"]]}</name>',
            '\t\t<pose>Unspecified</pose>',
            f'\t\t<truncated>{int(ann["truncated"])}</truncated>',
            '\t\t<difficult>0</difficult>',
            '\t\t<bndbox>',
            # 1-based inclusive pixel indices (PASCAL VOC convention).
            f'\t\t\t<xmin>{x0 + 1}</xmin>',
            f'\t\t\t<ymin>{y0 + 1}</ymin>',
            f'\t\t\t<xmax>{x1 + 1}</xmax>',
            f'\t\t\t<ymax>{y1 + 1}</ymax>',
            '\t\t</bndbox>',
            '\t</object>',
        ]
    lines.append('</annotation>')
    return '\n'.join(lines) + '\n'


def new_split_stats():
    return dict(
        images=0,
        empty_images=0,
        objects=0,
        objects_per_class={name: 0
                           for name in CLASSES},
        truncated_objects=0,
        unannotated_occluded_or_tiny=0,
        coco_area_buckets={
            'small (<32^2)': 0,
            'medium (32^2-96^2)': 0,
            'large (>=96^2)': 0
        },
        box_side_histogram={_bucket_name(b): 0
                            for b in SIZE_BUCKETS},
        min_box_side=None,
        max_box_side=None,
    )


def _bucket_name(bucket):
    lo, hi = bucket
    return f'>={lo}px' if hi is None else f'{lo}-{hi}px'


def _add_box_stats(stats, w, h):
    area = w * h
    if area < 32**2:
        stats['coco_area_buckets']['small (<32^2)'] += 1
    elif area < 96**2:
        stats['coco_area_buckets']['medium (32^2-96^2)'] += 1
    else:
        stats['coco_area_buckets']['large (>=96^2)'] += 1
    side = math.sqrt(area)
    for bucket in SIZE_BUCKETS:
        if side >= bucket[0] and (bucket[1] is None or side < bucket[1]):
            stats['box_side_histogram'][_bucket_name(bucket)] += 1
    longest, shortest = max(w, h), min(w, h)
    if stats['min_box_side'] is None or shortest < stats['min_box_side']:
        stats['min_box_side'] = shortest
    if stats['max_box_side'] is None or longest > stats['max_box_side']:
        stats['max_box_side'] = longest


def generate(root, cfg):
    """Write both layouts under ``root``; return per-split statistics."""
    root = Path(root)
    coco_dir = root / 'coco'
    voc_dir = root / 'VOCdevkit' / 'VOC2007'
    for sub in ('coco/annotations', 'coco/train', 'coco/val',
                'VOCdevkit/VOC2007/JPEGImages',
                'VOCdevkit/VOC2007/Annotations',
                'VOCdevkit/VOC2007/ImageSets/Main'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    categories = [
        dict(id=i + 1, name=name, supercategory='shape')
        for i, name in enumerate(CLASSES)
    ]
    all_stats = {}
    splits = (('train', 0, cfg['num_train'], 'trainval'),
              ('val', 1, cfg['num_val'], 'test'))
    for split, split_id, count, voc_set in splits:
        stats = new_split_stats()
        images, annotations, ids = [], [], []
        for i in range(count):
            rng = np.random.default_rng([cfg['seed'], split_id, i])
            pixels, anns, dropped = render_image(rng, cfg)
            height, width = pixels.shape[:2]
            stem = f'{split}_{i:06d}'
            name = f'{stem}.jpg'
            buf = io.BytesIO()
            Image.fromarray(pixels).save(
                buf, format='JPEG', quality=cfg['jpeg_quality'])
            data = buf.getvalue()
            (coco_dir / split / name).write_bytes(data)
            (voc_dir / 'JPEGImages' / name).write_bytes(data)
            (voc_dir / 'Annotations' / f'{stem}.xml').write_text(
                voc_xml(name, width, height, anns))
            ids.append(stem)
            image_id = i + 1
            images.append(
                dict(id=image_id, file_name=name, height=height, width=width))
            for ann in anns:
                x0, y0, x1, y1 = ann['box']
                w, h = x1 - x0 + 1, y1 - y0 + 1
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image_id,
                        category_id=ann['label'] + 1,
                        bbox=[x0, y0, w, h],
                        area=w * h,
                        iscrowd=0))
                stats['objects_per_class'][CLASSES[ann['label']]] += 1
                stats['truncated_objects'] += int(ann['truncated'])
                _add_box_stats(stats, w, h)
            stats['images'] += 1
            stats['objects'] += len(anns)
            stats['empty_images'] += int(not anns)
            stats['unannotated_occluded_or_tiny'] += dropped
        coco = dict(
            info=dict(
                description='mmiresnet synthetic shapes '
                f'({split} split, seed {cfg["seed"]})',
                version=str(GENERATOR_VERSION)),
            licenses=[],
            images=images,
            annotations=annotations,
            categories=categories)
        (coco_dir / 'annotations' / f'instances_{split}.json').write_text(
            json.dumps(coco, separators=(',', ':')) + '\n')
        (voc_dir / 'ImageSets' / 'Main' / f'{voc_set}.txt').write_text(
            ''.join(f'{stem}\n' for stem in ids))
        all_stats[split] = stats
    return all_stats


def format_stats(stats):
    lines = []
    for split, s in stats.items():
        lines.append(
            f'  {split}: {s["images"]} images ({s["empty_images"]} with no '
            f'annotated object), {s["objects"]} objects, '
            f'{s["truncated_objects"]} truncated, '
            f'{s["unannotated_occluded_or_tiny"]} shapes left unannotated '
            '(>70% occluded or <2 px)')
        lines.append('    per class: ' + ', '.join(
            f'{k} {v}' for k, v in s['objects_per_class'].items()))
        lines.append('    COCO area buckets: ' + ', '.join(
            f'{k} {v}' for k, v in s['coco_area_buckets'].items()))
        lines.append('    sqrt(box area): ' + ', '.join(
            f'{k} {v}' for k, v in s['box_side_histogram'].items()) +
                     f' (box sides {s["min_box_side"]}..'
                     f'{s["max_box_side"]} px)')
    return '\n'.join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Generate the synthetic shapes detection dataset in COCO '
        'and VOC layouts (deterministic, numpy + Pillow only).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--out', default='data/synthetic',
                        help='output folder')
    parser.add_argument('--num-train', type=int, default=400,
                        help='training images (COCO train / VOC trainval)')
    parser.add_argument('--num-val', type=int, default=80,
                        help='validation images (COCO val / VOC test)')
    parser.add_argument('--size', type=int, default=192,
                        help='long image side in pixels (short side: '
                        '70-100%% of it)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--max-objects', type=int, default=6,
                        help='most shapes drawn per non-empty image')
    parser.add_argument('--empty-frac', type=float, default=0.05,
                        help='share of images drawn without shapes')
    parser.add_argument('--min-obj-size', type=float, default=8.0,
                        help='smallest nominal shape size in pixels')
    parser.add_argument('--max-obj-frac', type=float, default=0.55,
                        help='largest nominal shape size, as a share of '
                        '--size')
    parser.add_argument('--jpeg-quality', type=int, default=92)
    parser.add_argument('--force', action='store_true',
                        help='replace an existing output folder that was '
                        'generated with a different config')
    args = parser.parse_args(argv)
    if args.num_train < 0 or args.num_val < 0:
        parser.error('--num-train and --num-val must be >= 0')
    if args.size < 32:
        parser.error('--size must be at least 32')
    if args.max_objects < 1:
        parser.error('--max-objects must be >= 1')
    if not 0.0 <= args.empty_frac <= 1.0:
        parser.error('--empty-frac must be in [0, 1]')
    if args.min_obj_size < 2:
        parser.error('--min-obj-size must be >= 2')
    if not 0.0 < args.max_obj_frac <= 1.0:
        parser.error('--max-obj-frac must be in (0, 1]')
    if not 1 <= args.jpeg_quality <= 100:
        parser.error('--jpeg-quality must be in [1, 100]')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = dict(
        generator=GENERATOR,
        version=GENERATOR_VERSION,
        seed=args.seed,
        num_train=args.num_train,
        num_val=args.num_val,
        size=args.size,
        max_objects=args.max_objects,
        empty_frac=args.empty_frac,
        min_obj_size=args.min_obj_size,
        max_obj_frac=args.max_obj_frac,
        jpeg_quality=args.jpeg_quality,
        classes=list(CLASSES),
    )
    out = Path(args.out)
    try:
        action = check_output(out, cfg, args.force)
    except OutputRefused as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if action == 'up-to-date':
        meta = read_meta(out)
        print(f'{out} is up to date (same generation config); nothing to '
              'do.')
        if meta and meta.get('stats'):
            print(format_stats(meta['stats']))
        return 0
    start = time.perf_counter()
    with atomic_output(out) as tmp:
        stats = generate(tmp, cfg)
        write_meta(tmp, cfg, stats, classes=list(CLASSES))
    elapsed = time.perf_counter() - start
    print(f'wrote {out} ({args.num_train} train + {args.num_val} val images, '
          f'classes {", ".join(CLASSES)}) in {elapsed:.1f} s')
    print(format_stats(stats))
    return 0


if __name__ == '__main__':
    sys.exit(main())
