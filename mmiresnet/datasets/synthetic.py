"""The synthetic shapes detection set, in COCO and VOC layouts.

Deterministic and dependency-light (numpy + Pillow): image ``i`` of a split
draws from the random stream ``(seed, split, i)``, so adding images leaves
the existing ones unchanged. Five classes (``SYNTHETIC_CLASSES``) of
randomly coloured, rotated and lit shapes on textured backgrounds with
sensor noise; later shapes occlude earlier ones and about 10% are cut by
the image border. A box is the tight box of the *visible* pixels; a shape
more than 70% hidden, or whose visible box is under 2 px on a side, is drawn
but not annotated. The layouts and box conventions are in
``docs/detection.md`` ("The synthetic shapes set"). Configs use
``metainfo=dict(classes=SYNTHETIC_CLASSES)``.

CLI: ``tools/data/make_synthetic_det.py`` (``main`` below).
"""
import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .output import OutputError, write_dataset

#: Classes in category-id order (COCO ``category_id`` = index + 1; VOC
#: ``<name>`` = the string itself).
SYNTHETIC_CLASSES = ('circle', 'square', 'triangle', 'star', 'ring')
CLASSES = SYNTHETIC_CLASSES
#: Default output folder (relative to the repository root).
SYNTHETIC_DATA_ROOT = 'data/synthetic'

GENERATOR = 'make_synthetic_det'
#: Bump whenever the rendered content or layout changes, so that existing
#: folders are recognised as stale instead of "up to date".
GENERATOR_VERSION = 1
SUPERSAMPLE = 4  # shapes are rasterised at 4x and box-filtered (antialiasing)
MIN_VISIBLE_FRAC = 0.3  # annotate only shapes at most 70% hidden
MIN_BOX_SIDE = 2  # px; smaller visible boxes are not annotated
TRUNCATE_PROB = 0.1  # share of shapes placed partly outside the image
SIZE_BUCKETS = ((0, 16), (16, 32), (32, 64), (64, 128), (128, None))


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------
def hsv_to_rgb(h, s, v):
    """Scalar HSV (all in [0, 1]) -> RGB float array in [0, 255]."""
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
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
        radii = [
            radius * 1.15 if k % 2 == 0 else radius * 0.5 for k in range(10)
        ]
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
        alpha, truncated = rasterise(CLASSES[label], cx, cy, radius, poly, ext,
                                     height, width)
        colour = shape_colour(rng)
        # Soft lighting gradient across the shape (+-20% brightness).
        light_angle = rng.uniform(0, 2 * math.pi)
        strength = rng.uniform(0.0, 0.2)
        if alpha is None:
            continue
        shapes.append((label, alpha, truncated, colour, light_angle, strength,
                       cx, cy, radius))

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
        (coco_dir / 'annotations' / f'instances_{split}.json'
         ).write_text(json.dumps(coco, separators=(',', ':')) + '\n')
        (voc_dir / 'ImageSets' / 'Main' / f'{voc_set}.txt').write_text(''.join(
            f'{stem}\n' for stem in ids))
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
        lines.append('    per class: ' +
                     ', '.join(f'{k} {v}'
                               for k, v in s['objects_per_class'].items()))
        lines.append('    COCO area buckets: ' +
                     ', '.join(f'{k} {v}'
                               for k, v in s['coco_area_buckets'].items()))
        lines.append('    sqrt(box area): ' +
                     ', '.join(f'{k} {v}'
                               for k, v in s['box_side_histogram'].items()) +
                     f' (box sides {s["min_box_side"]}..'
                     f'{s["max_box_side"]} px)')
    return '\n'.join(lines)


#: Generation options and their defaults (the CLI's defaults too).
DEFAULTS = dict(
    num_train=400,
    num_val=80,
    size=192,
    seed=0,
    max_objects=6,
    empty_frac=0.05,
    min_obj_size=8.0,
    max_obj_frac=0.55,
    jpeg_quality=92)


def check_options(opts):
    """Raise ``ValueError`` naming the first invalid generation option."""
    rules = (
        ('num_train', opts['num_train'] >= 0, '>= 0'),
        ('num_val', opts['num_val'] >= 0, '>= 0'),
        ('size', opts['size'] >= 32, 'at least 32'),
        ('max_objects', opts['max_objects'] >= 1, '>= 1'),
        ('empty_frac', 0.0 <= opts['empty_frac'] <= 1.0, 'in [0, 1]'),
        ('min_obj_size', opts['min_obj_size'] >= 2, '>= 2'),
        ('max_obj_frac', 0.0 < opts['max_obj_frac'] <= 1.0, 'in (0, 1]'),
        ('jpeg_quality', 1 <= opts['jpeg_quality'] <= 100, 'in [1, 100]'),
    )
    for name, ok, allowed in rules:
        if not ok:
            raise ValueError(f'--{name.replace("_", "-")} must be {allowed} '
                             f'(got {opts[name]!r})')


def generation_config(**options):
    """The full generation config (stored in ``meta.json``).

    Args:
        **options: any of :data:`DEFAULTS`; the rest keep their defaults.
    """
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise ValueError(f'unknown option(s) {unknown}; allowed: '
                         f'{sorted(DEFAULTS)}')
    opts = dict(DEFAULTS, **options)
    check_options(opts)
    return dict(
        generator=GENERATOR,
        version=GENERATOR_VERSION,
        seed=opts['seed'],
        num_train=opts['num_train'],
        num_val=opts['num_val'],
        size=opts['size'],
        max_objects=opts['max_objects'],
        empty_frac=opts['empty_frac'],
        min_obj_size=opts['min_obj_size'],
        max_obj_frac=opts['max_obj_frac'],
        jpeg_quality=opts['jpeg_quality'],
        classes=list(CLASSES),
    )


def make_synthetic(out=SYNTHETIC_DATA_ROOT, force=False, **options):
    """Write the set to ``out`` unless it is already there.

    Args:
        out (str | Path): output folder.
        force (bool): replace a folder generated with another config.
        **options: generation options (see :data:`DEFAULTS`).

    Returns:
        tuple[bool, dict]: whether it was (re)built, and per-split statistics.

    Raises:
        OutputRefused: ``out`` holds something else and ``force`` is false.
        OutputUnwritable: ``out`` cannot be written (nothing is left).
        ValueError: an invalid option.
    """
    cfg = generation_config(**options)
    return write_dataset(out, cfg, force, generate, classes=list(CLASSES))


def parse_args(argv):
    d = DEFAULTS
    parser = argparse.ArgumentParser(
        description='Generate the synthetic shapes detection dataset in COCO '
        'and VOC layouts (deterministic, numpy + Pillow only).',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        '--out', default=SYNTHETIC_DATA_ROOT, help='output folder')
    parser.add_argument(
        '--num-train',
        type=int,
        default=d['num_train'],
        help='training images (COCO train / VOC trainval)')
    parser.add_argument(
        '--num-val',
        type=int,
        default=d['num_val'],
        help='validation images (COCO val / VOC test)')
    parser.add_argument(
        '--size',
        type=int,
        default=d['size'],
        help='long image side in pixels (short side: '
        '70-100%% of it)')
    parser.add_argument('--seed', type=int, default=d['seed'])
    parser.add_argument(
        '--max-objects',
        type=int,
        default=d['max_objects'],
        help='most shapes drawn per non-empty image')
    parser.add_argument(
        '--empty-frac',
        type=float,
        default=d['empty_frac'],
        help='share of images drawn without shapes')
    parser.add_argument(
        '--min-obj-size',
        type=float,
        default=d['min_obj_size'],
        help='smallest nominal shape size in pixels')
    parser.add_argument(
        '--max-obj-frac',
        type=float,
        default=d['max_obj_frac'],
        help='largest nominal shape size, as a share of '
        '--size')
    parser.add_argument('--jpeg-quality', type=int, default=d['jpeg_quality'])
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace an existing output folder that was '
        'generated with a different config')
    args = parser.parse_args(argv)
    try:
        check_options({k: getattr(args, k) for k in DEFAULTS})
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv=None):
    """``tools/data/make_synthetic_det.py``; returns the exit status."""
    args = parse_args(argv)
    out = Path(args.out)
    start = time.perf_counter()
    try:
        built, stats = make_synthetic(
            out, args.force, **{k: getattr(args, k)
                                for k in DEFAULTS})
    except OutputError as exc:  # refused or unwritable: nothing written
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if not built:
        print(f'{out} is up to date (same generation config); nothing to '
              'do.')
        if stats:
            print(format_stats(stats))
        return 0
    elapsed = time.perf_counter() - start
    print(f'wrote {out} ({args.num_train} train + {args.num_val} val images, '
          f'classes {", ".join(CLASSES)}) in {elapsed:.1f} s')
    print(format_stats(stats))
    return 0
