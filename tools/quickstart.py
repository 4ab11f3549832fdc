#!/usr/bin/env python
"""Quickstart: train and evaluate an iResNet SSD on the synthetic shapes set.

Steps (each printed with its time):

1. make the synthetic detection set (2000 train / 200 val images) in
   ``data/synthetic_quickstart`` (:mod:`mmiresnet.datasets.synthetic`, as
   ``tools/data/make_synthetic_det.py``; nothing is done when it is already
   there);
2. train ``configs/ssd/ssd192_iresnet18_synthetic.py`` (SSD, truncated
   iResNet-18 trunk, from scratch) with ``mim train mmdet CONFIG --work-dir
   work_dirs/quickstart --resume``, i.e. MMDetection's own train script.
   ``--resume`` continues an interrupted run, and a finished run is not
   trained again (``--fresh`` starts over);
3. evaluate the last checkpoint on the held-out val split with
   ``CocoMetric`` (MMDetection's test loop, as ``tools/test.py``) and print
   the metrics (also written to ``work_dirs/quickstart/metrics.json``);
4. run ``mmdet.apis.init_detector`` / ``inference_detector`` on a few val
   images and draw the predictions (boxes, class names, scores; ground truth
   dashed in white) into ``work_dirs/quickstart/detections.png``.

Threads: PyTorch's OpenMP threads spin-wait by default, which slows them
down badly when other jobs share the CPU, so the quickstart sets
``OMP_WAIT_POLICY=PASSIVE`` (unless it is set already); docs/detection.md
("CPU threads") has the measurement. The training runs PyTorch on one
thread (``--threads N`` sets ``OMP_NUM_THREADS``) and loads data in one
worker process, which decodes images on the second core.

Usage::

    .venv/bin/python tools/quickstart.py [--work-dir DIR] [--fresh]
        [--threads N] [--num-images 8] [--score-thr 0.3]
        [-- extra mim/train.py options, e.g. --cfg-options ...]
"""
import argparse
import json
import math
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/ssd/ssd192_iresnet18_synthetic.py'
DATA_ROOT = 'data/synthetic_quickstart'
DATA_ARGS = ['--num-train', '2000', '--num-val', '200']
METRIC_KEYS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s',
               'bbox_mAP_m', 'bbox_mAP_l')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument(
        '--fresh',
        action='store_true',
        help='delete the work dir and train from scratch')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='OpenMP threads of the training (default 1)')
    parser.add_argument(
        '--num-images',
        type=int,
        default=8,
        help='val images drawn into detections.png')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='lowest score drawn')
    parser.add_argument(
        'extra',
        nargs=argparse.REMAINDER,
        help='after --: extra options for the train script')
    args = parser.parse_args(argv)
    if args.extra and args.extra[0] == '--':
        args.extra = args.extra[1:]
    return args


class Timer:

    def __init__(self):
        self.start = time.perf_counter()
        self.steps = []

    def step(self, name, t0):
        dt = time.perf_counter() - t0
        self.steps.append((name, dt))
        print(f'[quickstart] {name}: {dt:.1f} s', flush=True)

    @property
    def total(self):
        return time.perf_counter() - self.start


def make_data():
    # Imported here, after main() has set the OpenMP environment: importing
    # mmiresnet loads torch, which reads it once.
    from mmiresnet.datasets import synthetic
    code = synthetic.main(['--out', DATA_ROOT] + DATA_ARGS)
    if code:
        raise SystemExit(f'making {DATA_ROOT} failed (exit {code}); see the '
                         'message above')


def mim_executable():
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    if osp.isfile(mim):
        return [mim]
    found = shutil.which('mim')
    if found:
        return [found]
    raise SystemExit('mim (openmim) is not installed next to '
                     f'{sys.executable} nor on PATH; run the setup first')


def train(work_dir, extra, env):
    cmd = mim_executable() + [
        'train', 'mmdet', CONFIG, '--work-dir', work_dir, '--resume'
    ] + list(extra)
    print('[quickstart] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env)


def last_checkpoint(work_dir):
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise SystemExit(f'no checkpoint in {work_dir} (missing {marker})')
    with open(marker) as f:
        return f.read().strip()


def evaluate(work_dir, checkpoint, extra_cfg):
    """MMDetection's test loop (CocoMetric) on the val split."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(CONFIG)
    if extra_cfg:
        cfg.merge_from_dict(extra_cfg)
    cfg.work_dir = osp.join(work_dir, 'test')
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.visualizer.name = 'quickstart_test'
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    return {
        k.split('/')[-1]: float(v)
        for k, v in metrics.items() if k.startswith('coco/')
    }


def cfg_options(extra):
    """--cfg-options of the extra train options, to evaluate the same way."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    known, _ = parser.parse_known_args(extra)
    return known.cfg_options or {}


def draw_detections(checkpoint, out_file, num_images, score_thr, extra_cfg):
    """Predictions on the first val images, in a grid, with ground truth."""
    from mmdet.apis import inference_detector, init_detector
    from mmengine.config import Config
    from PIL import Image, ImageDraw, ImageFont

    cfg = Config.fromfile(CONFIG)
    if extra_cfg:
        cfg.merge_from_dict(extra_cfg)
    model = init_detector(cfg, checkpoint, device='cpu')
    classes = model.dataset_meta['classes']
    val = cfg.val_dataloader.dataset
    with open(osp.join(val.data_root, val.ann_file)) as f:
        coco = json.load(f)
    gts = {}
    for ann in coco['annotations']:
        gts.setdefault(ann['image_id'], []).append(ann['bbox'])
    # the first val images that hold at least one annotated shape
    images = [
        im for im in sorted(coco['images'], key=lambda im: im['id'])
        if im['id'] in gts
    ][:num_images]
    paths = [
        osp.join(val.data_root, val.data_prefix['img'], im['file_name'])
        for im in images
    ]
    results = inference_detector(model, paths)

    palette = [(255, 64, 64), (64, 200, 64), (64, 128, 255), (255, 200, 0),
               (220, 64, 255), (0, 220, 220)]
    scale = 2  # upscale the small images so that labels are readable
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    tiles = []
    for path, im, result in zip(paths, images, results):
        img = Image.open(path).convert('RGB')
        img = img.resize((img.width * scale, img.height * scale),
                         Image.NEAREST)
        draw = ImageDraw.Draw(img)
        for x, y, w, h in gts[im['id']]:
            box = [x * scale, y * scale, (x + w) * scale, (y + h) * scale]
            dashed_rectangle(draw, box, (255, 255, 255))
        pred = result.pred_instances
        keep = pred.scores >= score_thr
        # lowest score first, so that the best boxes and labels end on top
        drawn = sorted(
            zip(pred.bboxes[keep].tolist(), pred.labels[keep].tolist(),
                pred.scores[keep].tolist()),
            key=lambda d: d[2])
        for box, label, score in drawn:
            colour = palette[label % len(palette)]
            box = [v * scale for v in box]
            draw.rectangle(box, outline=colour, width=2)
            text = f'{classes[label]} {score:.2f}'
            tx, ty = box[0], max(0, box[1] - 16)
            bbox = draw.textbbox((tx, ty), text, font=font)
            draw.rectangle(bbox, fill=colour)
            draw.text((tx, ty), text, fill=(0, 0, 0), font=font)
        draw.text((4, img.height - 18),
                  osp.basename(path),
                  fill=(255, 255, 255),
                  font=font)
        tiles.append(img)

    cols = min(4, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    cell_w = max(t.width for t in tiles) + 6
    cell_h = max(t.height for t in tiles) + 6
    header = 24
    grid = Image.new('RGB', (cols * cell_w, rows * cell_h + header),
                     (32, 32, 32))
    ImageDraw.Draw(grid).text(
        (6, 4), f'{CONFIG}: predictions with score >= {score_thr} '
        '(colour per class), ground truth dashed white',
        fill=(255, 255, 255),
        font=font)
    for i, tile in enumerate(tiles):
        grid.paste(tile, ((i % cols) * cell_w + 3, header +
                          (i // cols) * cell_h + 3))
    grid.save(out_file)


def dashed_rectangle(draw, box, colour, dash=6):
    x0, y0, x1, y1 = box
    for a, b, fixed, horizontal in ((x0, x1, y0, True), (x0, x1, y1, True),
                                    (y0, y1, x0, False), (y0, y1, x1, False)):
        pos = a
        while pos < b:
            end = min(pos + dash, b)
            if horizontal:
                draw.line([(pos, fixed), (end, fixed)], fill=colour)
            else:
                draw.line([(fixed, pos), (fixed, end)], fill=colour)
            pos += 2 * dash


def main(argv=None):
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    timer = Timer()
    # before torch is imported here and in the training subprocess
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    if args.threads:
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
    env = dict(os.environ)
    work_dir = args.work_dir
    if args.fresh and osp.isdir(work_dir):
        shutil.rmtree(work_dir)

    t0 = time.perf_counter()
    make_data()
    timer.step('data', t0)

    t0 = time.perf_counter()
    train(work_dir, args.extra, env)
    timer.step('train (mim train mmdet)', t0)

    import torch

    import mmiresnet  # noqa: F401
    checkpoint = last_checkpoint(work_dir)
    extra_cfg = cfg_options(args.extra)

    t0 = time.perf_counter()
    metrics = evaluate(work_dir, checkpoint, extra_cfg)
    timer.step('evaluate (CocoMetric on val)', t0)

    t0 = time.perf_counter()
    png = osp.join(work_dir, 'detections.png')
    draw_detections(checkpoint, png, args.num_images, args.score_thr,
                    extra_cfg)
    timer.step('detections.png', t0)

    summary = dict(
        config=CONFIG,
        checkpoint=checkpoint,
        metrics=metrics,
        seconds=dict(timer.steps, total=timer.total),
        threads=torch.get_num_threads(),
        omp_wait_policy=os.environ.get('OMP_WAIT_POLICY'))
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n[quickstart] COCO bbox metrics on the held-out val split '
          f'({checkpoint}):')
    for key in METRIC_KEYS:
        if key in metrics:
            print(f'  {key:<12} {metrics[key]:.3f}')
    print(f'[quickstart] detections drawn into {png}')
    print(f'[quickstart] total time {timer.total / 60:.1f} min '
          f'({", ".join(f"{n} {s:.0f} s" for n, s in timer.steps)})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
