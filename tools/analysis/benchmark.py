#!/usr/bin/env python
"""Throughput and peak memory of a backbone or detector vs its reference.

Every run measures the model *and* a reference in the same process,
interleaved repeat by repeat, and prints the ratio, so the numbers compare
within one run whatever the machine is doing:

* a backbone ``--model ARCH`` (a name of ``mmiresnet.archs.ARCHS``:
  iresnet50, iresgroupfix50, rgsnet50-b ...) against mmdet's ``ResNet`` of
  the same depth (our ``IResNet(variant='resnet')`` beyond depth 152, where
  mmdet has none); ``--reference torchvision-resnet50`` compares against
  torchvision's ResNet-50 (its four stages, without pooling and fc);
  ``--reference same`` compares against the same architecture without
  ``--model-args`` (e.g. to measure what ``with_cp=True`` saves);
* a detector ``--config CFG`` against mmdet's stock SSD300-VGG16
  (``mmdet::ssd/ssd300_coco.py``) or Faster R-CNN R-50 for two-stage
  configs, on synthetic images and boxes.

Modes: ``train`` (forward + backward + SGD step) and/or ``infer`` (forward
under ``no_grad``). Options: ``--device cpu|cuda``, ``--amp bf16``,
``--channels-last``, ``--compile`` (``torch.compile``, inductor),
``--fuse-conv-bn`` (inference only: both models fused with mmcv's
``fuse_conv_bn``, as mmdet's benchmark does). Peak memory: on CUDA the
allocator's peak during the timed steps; on CPU (``--memory``) the peak
resident-set growth over the model's build, measured in a fresh subprocess
per model.

Examples::

    python tools/analysis/benchmark.py --model iresnet50 --batch 16
    python tools/analysis/benchmark.py --model iresnet50 --mode infer \
        --fuse-conv-bn --reference torchvision-resnet50
    python tools/analysis/benchmark.py --model iresnet152 --memory \\
        --model-args with_cp=True --reference same --mode train
    python tools/analysis/benchmark.py --config \\
        configs/ssd300_iresnet50_coco.py --device cuda --batch 64
"""
import argparse
import ast
import contextlib
import json
import os.path as osp
import statistics
import subprocess
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMDET_RESNET_DEPTHS = (18, 34, 50, 101, 152)
TORCHVISION_RESNET_DEPTHS = MMDET_RESNET_DEPTHS


class UserError(ValueError):
    """A bad command line (printed as ``error: ...``, exit status 2)."""


# -- building the models ----------------------------------------------------
def parse_model_args(items):
    args = {}
    for item in items or ():
        key, _, value = item.partition('=')
        try:
            args[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            args[key] = value
    return args


def _reference_depth(name, prefix, depths):
    """Depth of a reference name such as ``mmdet-resnet50``, checked."""
    depth = name[len(prefix):]
    if not (depth.isdigit() and int(depth) in depths):
        raise UserError(f'{name!r}: allowed depths after {prefix!r} are '
                        f'{", ".join(map(str, depths))}')
    return int(depth)


def backbone_spec(arch, model_args):
    """(label, config) of a backbone given by name."""
    from mmiresnet.archs import get_arch
    label = arch + ''.join(f' {k}={v}' for k, v in model_args.items())
    if arch.startswith('mmdet-resnet'):
        depth = _reference_depth(arch, 'mmdet-resnet', MMDET_RESNET_DEPTHS)
        return label, dict(
            type='mmdet.ResNet', depth=depth, norm_eval=False, **model_args)
    if arch.startswith('torchvision-resnet'):
        depth = _reference_depth(arch, 'torchvision-resnet',
                                 TORCHVISION_RESNET_DEPTHS)
        return label, dict(type='torchvision', depth=depth, **model_args)
    try:
        return label, get_arch(arch).backbone_cfg(**model_args)
    except ValueError as err:
        raise UserError(f'--model/--reference: {err}') from None


def default_reference(arch):
    from mmiresnet.archs import get_arch
    try:
        depth = get_arch(arch).depth
    except ValueError as err:
        raise UserError(f'--model: {err}') from None
    if depth in MMDET_RESNET_DEPTHS:
        return f'mmdet-resnet{depth}'
    return f'resnet{depth}'


def detector_reference(config):
    name = osp.basename(config)
    if 'ssd' in name:
        return 'mmdet::ssd/ssd300_coco.py'
    return 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'


class TorchvisionStages(torch.nn.Module):
    """torchvision's ResNet returning its four stage outputs (no pool/fc)."""

    def __init__(self, depth, **kwargs):
        import torchvision
        super().__init__()
        net = getattr(torchvision.models, f'resnet{depth}')(
            weights=None, **kwargs)
        for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2',
                     'layer3', 'layer4'):
            self.add_module(name, getattr(net, name))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
            outs.append(x)
        return tuple(outs)


def build_backbone(cfg):
    cfg = dict(cfg)
    if cfg['type'] == 'torchvision':
        cfg.pop('type')
        return TorchvisionStages(**cfg)
    import mmdet.models  # noqa: F401  (mmdet.ResNet)
    from mmengine.registry import MODELS

    import mmiresnet  # noqa: F401
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def randomize_norm_statistics(model, seed=0):
    """Non-trivial BN statistics and affine parameters, as a trained net has.

    Fusing then does real work (and a wrong fuse shows in the outputs).
    """
    from torch.nn.modules.batchnorm import _BatchNorm
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _BatchNorm) and m.track_running_stats:
                m.running_mean.copy_(
                    torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(
                    torch.rand(m.num_features, generator=g) + 0.5)
                if m.affine:
                    m.weight.copy_(
                        torch.rand(m.num_features, generator=g) + 0.5)
                    m.bias.copy_(
                        torch.randn(m.num_features, generator=g) * 0.1)


def build_detector(config):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmiresnet  # noqa: F401
    init_default_scope('mmdet')
    if config.startswith('mmdet::'):
        cfg = Config.fromfile(config)
    else:
        cfg = Config.fromfile(
            osp.join(REPO, config)
            if not osp.isabs(config) and not osp.exists(config) else config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def detector_batch(batch, size, num_classes, device):
    """Random images and 1-5 random boxes per image, as DetDataSamples."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(batch):
        n = int(torch.randint(1, 6, (1, ), generator=g))
        xy = torch.rand(n, 2, generator=g) * size * 0.7
        wh = torch.rand(n, 2, generator=g) * size * 0.3 + 8
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                pad_shape=(size, size),
                ori_shape=(size, size),
                scale_factor=(1., 1.),
                batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, (xy + wh).clamp(max=size)], 1).to(device),
            labels=torch.randint(0, num_classes, (n, ),
                                 generator=g).to(device))
        samples.append(sample)
    return samples


def flat_tensors(outputs):
    """The tensors of nested tuples / lists of outputs, in order."""
    if torch.is_tensor(outputs):
        return [outputs]
    return [t for o in outputs for t in flat_tensors(o)]


class Case:
    """One model with its inputs and a step function."""

    def __init__(self, label, model, kind, args):
        self.label, self.kind, self.args = label, kind, args
        device = torch.device(args.device)
        self.model = model.to(device)
        self.fuse_info = None
        if args.fuse_conv_bn:
            self.fuse_info = self.fuse(device)
        fmt = torch.channels_last if args.channels_last else \
            torch.contiguous_format
        self.model = self.model.to(memory_format=fmt)
        self.inputs = torch.randn(
            args.batch, 3, args.size, args.size,
            device=device).to(memory_format=fmt)
        self.samples = None
        if kind == 'detector':
            self.samples = detector_batch(
                args.batch, args.size, self.model.bbox_head.num_classes
                if hasattr(self.model, 'bbox_head') else
                self.model.roi_head.bbox_head.num_classes, device)
        self.forward = torch.compile(self._forward) if args.compile \
            else self._forward
        self.optimizer = torch.optim.SGD(
            [p for p in self.model.parameters() if p.requires_grad],
            lr=1e-4,
            momentum=0.9)

    def fuse(self, device):
        """Fuse BN into the convs; check the outputs stay the same."""
        from mmcv.cnn import fuse_conv_bn
        from torch.nn.modules.batchnorm import _BatchNorm

        def count():
            return sum(isinstance(m, _BatchNorm) for m in self.model.modules())

        randomize_norm_statistics(self.model)
        self.model.eval()
        x = torch.randn(1, 3, self.args.size, self.args.size, device=device)
        run = self.model._forward if self.kind == 'detector' \
            else self.model
        with torch.no_grad():
            before = flat_tensors(run(x))
            num_bn = count()
            self.model = fuse_conv_bn(self.model)
            run = self.model._forward if self.kind == 'detector' \
                else self.model
            after = flat_tensors(run(x))
        diff = max(
            float((a - b).abs().max() / b.abs().max())
            for a, b in zip(after, before))
        return dict(
            folded_bn=num_bn - count(),
            total_bn=num_bn,
            fused_max_rel_diff=diff)

    def _forward(self, train):
        if self.kind == 'detector':
            if train:
                losses = self.model.loss(self.inputs, self.samples)
                return sum(
                    v if torch.is_tensor(v) else sum(v)
                    for k, v in losses.items() if 'loss' in k)
            return self.model._forward(self.inputs)
        outs = self.model(self.inputs)
        return sum(o.float().mean() for o in outs)

    def autocast(self):
        if self.args.amp == 'bf16':
            return torch.autocast(self.args.device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def compile_check(self, train):
        """Relative difference of the compiled and eager step outputs (the
        loss, or the sum of the output means), on the same weights."""
        self.model.train(train)
        grad = torch.enable_grad() if train else torch.no_grad()
        outs = []
        for fn in (self._forward, self.forward):
            torch.manual_seed(0)
            with grad, self.autocast():
                outs.append(fn(train).detach().double())
        eager, compiled = outs
        return float((compiled - eager).abs() / eager.abs().clamp_min(1e-12))

    def step(self, train):
        self.model.train(train)
        if train:
            with self.autocast():
                loss = self.forward(True)
            loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        else:
            with torch.no_grad(), self.autocast():
                self.forward(False)

    def timed(self, train, iters):
        sync = torch.cuda.synchronize if self.args.device == 'cuda' \
            else (lambda: None)
        sync()
        start = time.perf_counter()
        for _ in range(iters):
            self.step(train)
        sync()
        return (time.perf_counter() - start) / iters


def build_cases(args):
    model_args = parse_model_args(args.model_args)
    if args.config:
        ref = args.reference or detector_reference(args.config)
        specs = [(args.config, 'detector', args.config),
                 (ref, 'detector', ref)]
        specs = [(label, kind, lambda c=cfg: build_detector(c))
                 for label, kind, cfg in specs]
    else:
        label, cfg = backbone_spec(args.model, model_args)
        ref = args.reference or default_reference(args.model)
        if ref == 'same':
            ref_label, ref_cfg = backbone_spec(args.model, {})
        else:
            ref_label, ref_cfg = backbone_spec(ref, {})
        specs = [(label, 'backbone', lambda c=cfg: build_backbone(c)),
                 (ref_label, 'backbone', lambda c=ref_cfg: build_backbone(c))]
    return specs


def measure_throughput(args, specs):
    if args.repeats == 0:  # memory only
        return {
            (label, mode):
            dict(
                model=label,
                mode=mode,
                ms_per_iter=None,
                images_per_s=None,
                peak_mem_mb=None)
            for label, _, _ in specs
            for mode in modes(args)
        }
    cases = [Case(label, build(), kind, args) for label, kind, build in specs]
    results = {}
    for mode in modes(args):
        train = mode == 'train'
        checks = {}
        for case in cases:  # warm-up (and compilation)
            if args.compile:
                checks[case.label] = dict(
                    compiled_vs_eager_rel_diff=case.compile_check(train))
            for _ in range(args.warmup):
                case.step(train)
        times = {case.label: [] for case in cases}
        peak = {}
        for _ in range(args.repeats):
            for case in cases:  # interleaved, so drift hits both
                if args.device == 'cuda':
                    torch.cuda.reset_peak_memory_stats()
                times[case.label].append(case.timed(train, args.iters))
                if args.device == 'cuda':
                    peak[case.label] = max(
                        peak.get(case.label, 0),
                        torch.cuda.max_memory_allocated())
        for case in cases:
            sec = statistics.median(times[case.label])
            results[(case.label, mode)] = dict(
                model=case.label,
                mode=mode,
                ms_per_iter=sec * 1e3,
                images_per_s=args.batch / sec,
                peak_mem_mb=peak[case.label] / 2**20 if peak else None,
                **(case.fuse_info or {}),
                **checks.get(case.label, {}))
    return results


def modes(args):
    return ('train', 'infer') if args.mode == 'both' else (args.mode, )


def _status_mb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f'{field} not in /proc/self/status')


def memory_worker(args, index):
    """Run in a subprocess: peak RSS growth of steps of spec ``index``.

    The high-water mark is reset (``/proc/self/clear_refs``) after the model
    is built, so it counts only what the steps allocate; ``ru_maxrss`` would
    not do, as it keeps the parent's RSS at fork across ``exec``.
    """
    label, kind, build = build_cases(args)[index]
    case = Case(label, build(), kind, args)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    before = _status_mb('VmRSS')
    for _ in range(max(args.iters, 2)):
        case.step(args.mode != 'infer')
    peak = _status_mb('VmHWM')
    print(json.dumps(dict(model=label, peak_growth_mb=peak - before)))


def measure_cpu_memory(args, argv):
    out = {}
    for index in range(2):
        proc = subprocess.run(
            [sys.executable, __file__, *argv, '--memory-worker',
             str(index)],
            capture_output=True,
            text=True,
            check=False)
        if proc.returncode:
            raise RuntimeError(f'memory worker failed:\n{proc.stderr}')
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        out[result['model']] = result['peak_growth_mb']
    return out


def fmt(value, digits):
    return '-' if value is None else f'{value:.{digits}f}'


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        '--model',
        help='backbone architecture, e.g. '
        'iresnet50, iresgroupfix50, mmdet-resnet50')
    what.add_argument('--config', help='detector config file')
    parser.add_argument(
        '--model-args',
        nargs='*',
        metavar='KEY=VALUE',
        help='extra backbone arguments, e.g. with_cp=True')
    parser.add_argument(
        '--reference',
        help="reference model ('same' = the "
        'model without --model-args); default: see above')
    parser.add_argument(
        '--mode', choices=('train', 'infer', 'both'), default='both')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument(
        '--size',
        type=int,
        default=None,
        help='input size (default 224; 300 for detectors)')
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    parser.add_argument('--amp', choices=('fp32', 'bf16'), default='fp32')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile both models (inductor)')
    parser.add_argument(
        '--fuse-conv-bn',
        action='store_true',
        help='fold BN into the preceding convs of both models '
        "(mmcv's fuse_conv_bn); needs --mode infer")
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument(
        '--repeats',
        type=int,
        default=3,
        help='timed repeats per model (0: memory only)')
    parser.add_argument(
        '--memory',
        action='store_true',
        help='CPU: also measure peak memory (subprocesses)')
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--json', help='write the results to this file')
    parser.add_argument(
        '--memory-worker', type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = 300 if args.config else 224
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('benchmark', log_level='WARNING')  # quiet init
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device is available')
    if args.fuse_conv_bn and args.mode != 'infer':
        parser.error('--fuse-conv-bn folds BN for inference only; add '
                     '--mode infer')
    for name in ('batch', 'size', 'iters'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.warmup < 0 or args.repeats < 0:
        parser.error('--warmup and --repeats must be >= 0')
    if args.memory_worker is not None:
        return memory_worker(args, args.memory_worker)

    try:
        specs = build_cases(args)
    except UserError as err:
        parser.error(str(err))
    results = measure_throughput(args, specs)
    if args.memory and args.device == 'cpu':
        worker_argv = [a for a in argv if a != '--memory']
        for label, mb in measure_cpu_memory(args, worker_argv).items():
            for mode in modes(args):
                results[(label, mode)]['peak_mem_mb'] = mb
    ours, ref = specs[0][0], specs[1][0]
    setting = (f'device={args.device} amp={args.amp} channels_last='
               f'{args.channels_last} compile={args.compile} '
               f'fuse_conv_bn={args.fuse_conv_bn} '
               f'batch={args.batch} size={args.size} threads='
               f'{torch.get_num_threads()}')
    print(f'# {setting}')
    for label in (ours, ref):
        info = results[(label, modes(args)[0])]
        if 'folded_bn' in info:
            print(f"# {label}: fuse_conv_bn folded {info['folded_bn']} of "
                  f"{info['total_bn']} BN layers; outputs changed by "
                  f"{info['fused_max_rel_diff']:.1e} (max relative)")
    for mode in modes(args):
        for label in (ours, ref):
            diff = results[(label, mode)].get('compiled_vs_eager_rel_diff')
            if diff is not None:
                print(f'# {label} {mode}: compiled vs eager output '
                      f'{diff:.1e} (relative)')
    print('| model | mode | ms/iter | images/s | peak mem (MB) | '
          'vs reference |')
    print('|---|---|---|---|---|---|')
    rows = []
    for mode in modes(args):
        a, b = results[(ours, mode)], results[(ref, mode)]
        ratios = []
        if a['images_per_s']:
            a['throughput_ratio'] = a['images_per_s'] / b['images_per_s']
            ratios.append(f"{a['throughput_ratio']:.3f}x speed")
        if a['peak_mem_mb'] and b['peak_mem_mb']:
            a['memory_ratio'] = a['peak_mem_mb'] / b['peak_mem_mb']
            ratios.append(f"{a['memory_ratio']:.2f}x memory")
        for r in (a, b):
            cells = [
                fmt(r['ms_per_iter'], 1),
                fmt(r['images_per_s'], 2),
                fmt(r['peak_mem_mb'], 0)
            ]
            vs = 'reference' if r is b else ', '.join(ratios)
            print(f"| {r['model']} | {mode} | {' | '.join(cells)} | {vs} |")
            rows.append(dict(r, setting=setting))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == '__main__':
    main()
