#!/usr/bin/env python
"""Export a model of a config to ONNX or a ``torch.export`` program.

The config's ``default_scope`` picks MMPretrain (a classifier: class scores)
or MMDetection (the raw outputs of the detector's heads, before box decoding
and NMS; single-stage detectors such as SSD). ``--part backbone`` exports
just the backbone (its feature maps) of any config. The exported model takes
images that are already normalised (the config's ``data_preprocessor``
mean/std is not part of it), ``(N, 3, H, W)`` float32, with a dynamic batch
size. See docs/deployment.md.

Examples::

    python tools/export.py configs/iresnet/iresnet50_8xb32_in1k.py \\
        --checkpoint iresnet://iresnet50 --fuse-conv-bn --out iresnet50.onnx \\
        --verify
    python tools/export.py configs/ssd300_iresnet50_coco.py \\
        --checkpoint work_dirs/ssd300_iresnet50_coco/epoch_120.pth \\
        --out ssd300_iresnet50.pt2
"""
import argparse
import os.path as osp
import sys

TOLERANCE = 1e-4  # max relative difference accepted by --verify
FORMATS = {'.onnx': 'onnx', '.pt2': 'pt2'}


def input_size(cfg):
    """(H, W) of the first fixed-size ``Resize`` of the test pipeline,
    else 224x224."""
    loader = cfg.get('test_dataloader') or {}
    dataset = loader.get('dataset') or {}
    for step in dataset.get('pipeline') or ():
        scale = step.get('scale')
        if step.get('type', '').endswith('Resize') and scale:
            if isinstance(scale, int):
                return scale, scale
            if not step.get('keep_ratio', False):
                return scale[1], scale[0]  # mmcv scales are (w, h)
    return 224, 224


def load_weights(model, checkpoint):
    """Load a local checkpoint (weights-only) or a scheme URI into model."""
    from mmiresnet.checkpoint import (load_file, strip_state_dict,
                                      without_num_batches_tracked)
    if '://' in checkpoint:
        from mmengine.runner import CheckpointLoader
        state = CheckpointLoader.load_checkpoint(
            checkpoint, map_location='cpu')
    else:
        state = load_file(checkpoint)
    state = strip_state_dict(state)
    expected = model.state_dict()
    if not any(k.endswith('num_batches_tracked') for k in state):
        expected = without_num_batches_tracked(expected)  # official files
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f'{checkpoint} does not fit the config\'s model: '
            f'{len(missing)} missing key(s) (e.g. {missing[:2]}), '
            f'{len(unexpected)} unexpected (e.g. {unexpected[:2]})')
    shapes = [k for k in expected if state[k].shape != expected[k].shape]
    if shapes:
        raise ValueError(f'{checkpoint} does not fit the config\'s model: '
                         f'{len(shapes)} shape mismatch(es), e.g. {shapes[0]}'
                         f' {tuple(state[shapes[0]].shape)} vs '
                         f'{tuple(expected[shapes[0]].shape)}')
    model.load_state_dict(state, strict=False)  # keys checked above


def build(cfg, scope, part):
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(scope)
    model = MODELS.build(cfg.model)
    if part == 'model' and scope == 'mmdet' and hasattr(model, 'roi_head'):
        raise ValueError('two-stage detectors (RPN + RoI head) export only '
                         'their backbone here; add --part backbone')
    return model


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='MMPretrain or MMDetection config')
    parser.add_argument(
        '--out',
        required=True,
        help='output file: .onnx or .pt2 (torch.export)')
    parser.add_argument(
        '--checkpoint',
        help='weights: a checkpoint file or '
        'a URI such as iresnet://iresnet50 (default: '
        "PyTorch's random initialisation, nothing is "
        'downloaded)')
    parser.add_argument(
        '--part',
        choices=('model', 'backbone'),
        default='model',
        help='what to export')
    parser.add_argument(
        '--input-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help="default: the config's test resize, else 224")
    parser.add_argument(
        '--batch',
        type=int,
        default=2,
        help='batch of the example input (the exported '
        'batch size is dynamic)')
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help="fold BN into the convs first (mmcv's "
        'fuse_conv_bn; outputs unchanged)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='run the export (onnxruntime for ONNX) on '
        f'another batch and check it within {TOLERANCE:g}')
    parser.add_argument(
        '--force', action='store_true', help='replace an existing output')
    return parser.parse_args(argv)


def fail_early(message):
    """``error: message`` and status 2, before the heavy imports."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fmt = FORMATS.get(osp.splitext(args.out)[1].lower())
    if fmt is None:
        fail_early(f'--out {args.out}: unknown format; allowed: '
                   f'{", ".join(FORMATS)}')
    if osp.exists(args.out) and not args.force:
        fail_early(f'{args.out} exists; pass --force to replace it')
    if not osp.isdir(osp.dirname(osp.abspath(args.out))):
        folder = osp.dirname(osp.abspath(args.out))
        fail_early(f'output folder {folder} does not exist')
    if args.batch < 2:
        fail_early(f'--batch {args.batch}: the example batch must be >= 2 '
                   '(torch.export fixes a batch of 1; the export takes any '
                   'batch)')
    if args.input_size and min(args.input_size) < 1:
        fail_early('--input-size must be >= 1')
    from mmiresnet.checks import fail
    from mmiresnet.utils.launch import UsageError, config_scope
    try:
        scope, cfg = config_scope(args.config)
    except UsageError as err:
        fail(err)

    import torch
    from mmengine.logging import MMLogger

    import mmiresnet  # noqa: F401  (registers models, weights scheme)
    from mmiresnet.checkpoint import CheckpointMismatch, CheckpointReadError
    from mmiresnet.utils import deploy
    from mmiresnet.weights import WeightsError
    MMLogger.get_instance('mmengine', log_level='WARNING')  # quiet init
    try:
        model = build(cfg, scope, args.part)
        if args.checkpoint:
            load_weights(model, args.checkpoint)
    except (ValueError, OSError, CheckpointMismatch, CheckpointReadError,
            WeightsError) as err:
        fail(err)
    model = model.backbone if args.part == 'backbone' else model
    model.eval()
    if args.fuse_conv_bn:
        from mmcv.cnn import fuse_conv_bn
        model = fuse_conv_bn(model)
    height, width = args.input_size or input_size(cfg)
    torch.manual_seed(0)
    inputs = torch.randn(args.batch, 3, height, width)
    if fmt == 'onnx':
        path = deploy.export_onnx(model, inputs, args.out, force=args.force)
    else:
        program = deploy.export_program(model, inputs)
        path = deploy.save_program(program, args.out, force=args.force)
    print(f'wrote {path} ({fmt}, input (N, 3, {height}, {width}), '
          f'{scope} {args.part})')
    if args.verify:
        check = torch.randn(args.batch + 1, 3, height, width)
        with torch.no_grad():
            ref = deploy.TensorForward(model)(check)
            if fmt == 'onnx':
                outs = [
                    torch.from_numpy(o)
                    for o in deploy.onnxruntime_outputs(path, check)
                ]
            else:
                outs = torch.export.load(path).module()(check)
        diff = deploy.max_relative_difference(outs, ref)
        print(f'verify: max relative difference {diff:.1e} on a batch of '
              f'{args.batch + 1} (tolerance {TOLERANCE:g})')
        if not diff <= TOLERANCE:
            print(
                f'error: the export differs from the PyTorch model by '
                f'{diff:.1e} > {TOLERANCE:g}',
                file=sys.stderr)
            sys.exit(1)


if __name__ == '__main__':
    main()
