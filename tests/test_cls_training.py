"""Classification end to end: a real-data training run through
tools/train.py, distributed training and testing through
tools/dist_train.sh / tools/dist_test.sh (2 CPU processes, gloo), resuming,
and the checkpoint paths official weights -> classifier -> detection
backbone (tools/convert_official_checkpoint.py, tools/cls_to_det_checkpoint.py,
run as commands)."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import mmengine
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from official_iresnet import (OfficialBasicBlock, OfficialBottleneck,
                              OfficialNet)

from mmiresnet.datasets.digits import make_digits
from mmiresnet.models.backbones import IResNet
from mmiresnet.utils.launch import cfg_options_of

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / 'tools'
DIGITS_CONFIG = str(REPO / 'configs' / 'iresnet_cifar' / 'iresnet29_digits.py')
# Short digits schedule: 1 warm-up epoch + cosine; ~10 s an epoch on one
# busy CPU core. The full config (15 epochs) reaches ~98%.
EPOCHS = 6
MIN_ACCURACY = 90.0


def run(cmd, env=None, timeout=900):
    """Run a command from the repository root with one OpenMP thread."""
    env = dict(os.environ, OMP_NUM_THREADS='1', **(env or {}))
    proc = subprocess.run([str(c) for c in cmd],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (
        f'{" ".join(map(str, cmd))} failed ({proc.returncode}):\n'
        f'{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}')
    return proc


def run_tool(name, *args):
    """``python tools/<name> ARGS``; the finished process (any exit)."""
    return subprocess.run(
        [sys.executable, str(TOOLS / name), *map(str, args)],
        cwd=REPO,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True,
        timeout=300)


def val_accuracies(work_dir):
    """{epoch: val top-1} from the run's scalars (mmengine's json log)."""
    logs = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    assert logs, f'no scalars.json under {work_dir}'
    result = {}
    for line in logs[-1].read_text().splitlines():
        record = json.loads(line)
        if 'accuracy/top1' in record:
            result[record['step']] = record['accuracy/top1']
    return result


def last_log(work_dir):
    return sorted(Path(work_dir).glob('*/*.log'))[-1].read_text()


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """One intra-op thread: on a shared 2-core machine, two OpenMP threads
    wait on each other and small convolutions run 5-20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- digits: real data, the library's own scripts -----------------------------
@pytest.fixture(scope='module')
def digits_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('data') / 'digits'
    built, stats = make_digits(root)
    assert built and stats['train']['images'] == 1438
    return root


def digits_options(root, epochs=EPOCHS):
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.1.end={epochs}',
        f'param_scheduler.1.T_max={epochs - 1}',
        'default_hooks.checkpoint.max_keep_ckpts=3',
    ]


@pytest.fixture(scope='module')
def digits_run(digits_root, tmp_path_factory):
    """Train iResNet-29 on the digits through tools/train.py."""
    work_dir = tmp_path_factory.mktemp('digits_work')
    run([
        sys.executable, TOOLS / 'train.py', DIGITS_CONFIG, '--work-dir',
        work_dir, '--cfg-options', *digits_options(digits_root)
    ])
    return work_dir


@pytest.mark.slow
def test_digits_training_reaches_90_percent(digits_run, digits_root):
    work_dir = digits_run
    log = last_log(work_dir)
    # MMPretrain's train script ran (its dataloader defaults), not mmdet's
    assert "collate_fn=dict(type='default_collate')" in log
    accuracies = val_accuracies(work_dir)
    assert sorted(accuracies) == list(range(1, EPOCHS + 1))
    val = accuracies[EPOCHS]
    print(f'digits: iResNet-29 val top-1 {val:.2f}% after {EPOCHS} epochs')
    assert val >= MIN_ACCURACY, f'val top-1 {val:.2f}% after {EPOCHS} epochs'
    # The written checkpoint gives the same accuracy through tools/test.py.
    out = work_dir / 'test' / 'metrics.pkl'
    run([
        sys.executable, TOOLS / 'test.py', DIGITS_CONFIG,
        work_dir / f'epoch_{EPOCHS}.pth', '--work-dir', work_dir / 'test',
        '--out', out, '--out-item', 'metrics', '--cfg-options',
        f'test_dataloader.dataset.data_root={digits_root}'
    ])
    metrics = mmengine.load(out)
    assert metrics['accuracy/top1'] == pytest.approx(val)


class RecordResumedState(Hook):
    """Captures what the Runner restored, before the first resumed step."""

    def before_train(self, runner):
        self.epoch, self.iter = runner.epoch, runner.iter
        # Deep copy: the live momentum buffers change in place later on.
        self.optimizer = copy.deepcopy(runner.optim_wrapper.state_dict())
        self.weights = {
            k: v.clone()
            for k, v in runner.model.state_dict().items()
        }
        self.lr = runner.optim_wrapper.get_lr()['lr'][0]


@pytest.mark.slow
def test_runner_checkpoint_resumes_weights_only(digits_run, digits_root,
                                                tmp_path):
    work_dir = digits_run
    ckpt_path = work_dir / f'epoch_{EPOCHS - 1}.pth'
    # torch >= 2.6 loads weights-only by default; the file holds
    # mmengine/numpy globals that only mmiresnet.compat's allow-list admits.
    serialization = torch.serialization
    if hasattr(serialization, 'get_unsafe_globals_in_checkpoint'):
        allowed = serialization.get_safe_globals()
        serialization.clear_safe_globals()
        try:
            unsafe = serialization.get_unsafe_globals_in_checkpoint(
                str(ckpt_path))
        finally:
            serialization.add_safe_globals(allowed)
        assert any('HistoryBuffer' in g for g in unsafe), unsafe
    ckpt = torch.load(ckpt_path, map_location='cpu')  # default weights_only
    assert ckpt['meta']['epoch'] == EPOCHS - 1

    # What MMPretrain's train.py does for ``--resume CKPT``.
    cfg = Config.fromfile(DIGITS_CONFIG)
    cfg.merge_from_dict(
        cfg_options_of(['--cfg-options', *digits_options(digits_root)]))
    cfg.work_dir = str(tmp_path)
    cfg.resume = True
    cfg.load_from = str(ckpt_path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
    resumed = Runner.from_cfg(cfg)
    probe = RecordResumedState()
    resumed.register_hook(probe, priority='LOWEST')
    resumed.train()

    iters_per_epoch = len(resumed.train_dataloader)
    assert (probe.epoch, probe.iter) == (EPOCHS - 1, ckpt['meta']['iter'])
    assert probe.iter == (EPOCHS - 1) * iters_per_epoch
    saved_state = ckpt['optimizer']['state']
    assert saved_state, 'checkpoint holds no SGD momentum'
    for key, value in saved_state.items():
        torch.testing.assert_close(
            probe.optimizer['state'][key]['momentum_buffer'],
            value['momentum_buffer'],
            rtol=0,
            atol=0)
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(probe.weights[key], value), key
    assert probe.lr == pytest.approx(
        ckpt['optimizer']['param_groups'][0]['lr'])
    assert resumed.epoch == EPOCHS  # then trained the last epoch


# -- distributed: tools/dist_train.sh / tools/dist_test.sh on 2 CPU processes -
DIST_EPOCHS = 2
DIST_TRAIN_IMAGES = 256  # 2 steps an epoch: 2 processes x batch 64
DIST_VAL_IMAGES = 64


@pytest.fixture(scope='module')
def dist_run(digits_root, tmp_path_factory):
    """``tools/dist_train.sh configs/iresnet_cifar/iresnet29_digits.py 2``
    on a subset."""
    if torch.cuda.is_available():
        pytest.skip('checks the CPU (gloo) path')
    work_dir = tmp_path_factory.mktemp('digits_dist')
    options = digits_options(digits_root, DIST_EPOCHS) + [
        f'train_dataloader.dataset.indices={DIST_TRAIN_IMAGES}',
        f'val_dataloader.dataset.indices={DIST_VAL_IMAGES}',
        f'test_dataloader.dataset.indices={DIST_VAL_IMAGES}',
        'default_hooks.logger.interval=1',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.append(f'{loader}.num_workers=0')
    run([
        'bash', TOOLS / 'dist_train.sh', DIGITS_CONFIG, '2', '--work-dir',
        work_dir, '--cfg-options', *options
    ],
        env=dict(PYTHON=sys.executable, PORT='29541'))
    return work_dir, options


DIST_LINES = ('Distributed launcher: pytorch', 'Distributed training: True',
              'GPU number: 2', "dist_cfg: {'backend': 'gloo'}")


def test_dist_train_two_cpu_processes(dist_run):
    work_dir, _ = dist_run
    assert (work_dir / f'epoch_{DIST_EPOCHS}.pth').is_file()
    log = last_log(work_dir)
    for line in DIST_LINES:
        assert line in log, line
    assert f'Epoch(train) [{DIST_EPOCHS}][2/2]' in log
    assert sorted(val_accuracies(work_dir)) == [1, 2]


def test_dist_test_two_cpu_processes(dist_run, tmp_path):
    """``tools/dist_test.sh CONFIG CHECKPOINT 2`` gives the validation's
    accuracy of the same checkpoint on the same images."""
    train_dir, options = dist_run
    out = tmp_path / 'metrics.pkl'
    run([
        'bash', TOOLS / 'dist_test.sh', DIGITS_CONFIG,
        train_dir / f'epoch_{DIST_EPOCHS}.pth', '2', '--work-dir', tmp_path,
        '--out', out, '--out-item', 'metrics', '--cfg-options', *options
    ],
        env=dict(PYTHON=sys.executable, PORT='29542'))
    log = last_log(tmp_path)
    for line in DIST_LINES:
        assert line in log, line
    # 64 images, 2 processes x batch 128: one step each
    assert 'Epoch(test) [1/1]' in log
    metrics = mmengine.load(out)
    assert metrics['accuracy/top1'] == pytest.approx(
        val_accuracies(train_dir)[DIST_EPOCHS])


# -- official -> classifier -> detection backbone -----------------------------
def randomize(model, seed=0):
    """Random weights and BN statistics, so that layouts must really match."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.randn(tensor.shape, generator=gen) * 0.1
                if name.endswith('running_var'):
                    values = values.abs() + 0.5
                tensor.copy_(values)
    return model.eval()


OFFICIAL = {
    'iresnet50':
    (lambda: OfficialNet(OfficialBottleneck,
                         (3, 4, 6, 3)), 'iresnet/iresnet50_8xb32_in1k'),
    'iresgroup50':
    (lambda: OfficialNet(OfficialBottleneck, (3, 4, 6, 3), group='scaled'),
     'iresgroup/iresgroup50_8xb32_in1k'),
}


@pytest.fixture(scope='module')
def official_files(tmp_path_factory):
    """Official-layout checkpoints (plain state dicts, DataParallel keys)."""
    root = tmp_path_factory.mktemp('official')
    files = {}
    for arch, (make, _) in OFFICIAL.items():
        torch.manual_seed(0)
        model = randomize(make())
        path = root / f'{arch}.pth'
        torch.save({
            f'module.{k}': v
            for k, v in model.state_dict().items()
        }, path)
        files[arch] = (path, model)
    return files


def tool(name, *args):
    """Run ``tools/<name>``; its failure re-raised here as ``SystemExit``
    with the tool's error output as the code."""
    proc = run_tool(name, *args)
    if proc.returncode:
        raise SystemExit(proc.stderr.strip() or proc.returncode)
    return proc.stdout


def convert(src, arch, *extra):
    return tool('convert_official_checkpoint.py', src, '--arch', arch, *extra)


def cls_to_det(*args):
    return tool('cls_to_det_checkpoint.py', *args)


@pytest.mark.parametrize('arch', sorted(OFFICIAL))
def test_official_checkpoint_gives_identical_logits(arch, official_files,
                                                    tmp_path):
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    src, official = official_files[arch]
    out = tmp_path / f'{arch}_in1k.pth'
    convert(src, arch, '--out-cls', out)
    # The converted file holds only tensors and primitives.
    torch.load(out, map_location='cpu', weights_only=True)
    cfg = Config.fromfile(str(REPO / 'configs' / f'{OFFICIAL[arch][1]}.py'))
    classifier = MODELS.build(cfg.model)
    load_checkpoint(classifier, str(out), map_location='cpu', strict=True)
    classifier.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = official(x.clone())
        got = classifier(x, mode='tensor')
    assert got.shape == (2, 1000)
    assert torch.equal(got, expected)


def runner_style_checkpoint(state_dict, path):
    """What MMPretrain's Runner writes: meta, message hub, optimizer."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('mmiresnet_cls2det_test')
    hub.update_scalar('train/loss', 0.5)
    torch.save(
        dict(
            meta=dict(epoch=90, iter=450360, seed=0),
            state_dict=state_dict,
            message_hub=hub.state_dict(),
            optimizer=dict(state={}, param_groups=[dict(lr=1e-4)])), path)


def test_classifier_to_ssd_trunk_loads_completely(official_files, tmp_path):
    src, _ = official_files['iresnet50']
    cls_path = tmp_path / 'cls.pth'
    convert(src, 'iresnet50', '--out-cls', cls_path)
    classifier = torch.load(cls_path, weights_only=True)['state_dict']
    full = tmp_path / 'epoch_90.pth'
    runner_style_checkpoint(classifier, full)
    out = tmp_path / 'trunk.pth'
    cls_to_det(full, '--arch', 'iresnet50', '--num-stages', '3', '--out', out)
    trunk = IResNet(
        depth=50,
        num_stages=3,
        strides=(2, 2, 1),
        out_indices=(2, ),
        init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    trunk.init_weights()  # refuses any missing or misshapen key
    state = trunk.state_dict()
    assert not any(k.startswith('layer4.') for k in state)
    for key, value in state.items():
        assert torch.equal(value, classifier[f'backbone.{key}']), key
    saved = torch.load(out, weights_only=True)['state_dict']
    assert set(saved) == set(state)
    assert trunk(torch.randn(1, 3, 64, 64))[0].shape == (1, 1024, 8, 8)


@pytest.fixture(scope='module')
def official18(tmp_path_factory):
    torch.manual_seed(0)
    model = randomize(OfficialNet(OfficialBasicBlock, (2, 2, 2, 2)))
    return dict(model.state_dict())


def test_official_converter_names_bad_keys(official18, tmp_path):
    state = dict(official18)
    state.pop('layer2.0.conv1.weight')
    state['layer9.extra.weight'] = torch.zeros(3)
    state['layer3.1.conv2.weight'] = torch.zeros(256, 256, 1, 1)
    src = tmp_path / 'broken.pth'
    torch.save(state, src)
    with pytest.raises(SystemExit) as err:
        convert(src, 'iresnet18', '--out-cls', tmp_path / 'out.pth')
    message = str(err.value.code)
    assert '1 missing keys' in message and 'layer2.0.conv1.weight' in message
    assert '1 unused keys' in message and 'layer9.extra.weight' in message
    assert 'layer3.1.conv2.weight: (256, 256, 1, 1) != expected ' \
        '(256, 256, 3, 3)' in message
    assert not (tmp_path / 'out.pth').exists()
    # The right file for another architecture is refused as well.
    good = tmp_path / 'iresnet18.pth'
    torch.save(official18, good)
    with pytest.raises(SystemExit, match='missing keys'):
        convert(good, 'iresnet34', '--out-cls', tmp_path / 'out.pth')


def test_cls_to_det_names_bad_keys(official18, tmp_path):
    classifier = {
        f'backbone.{k}': v
        for k, v in official18.items() if not k.startswith('fc.')
    }
    classifier.pop('backbone.layer1.0.bn1.weight')
    classifier['backbone.layer2.0.bn1.bias'] = torch.zeros(7)
    classifier['backbone.stem.extra'] = torch.zeros(1)
    src = tmp_path / 'cls.pth'
    torch.save({'state_dict': classifier}, src)
    with pytest.raises(SystemExit) as err:
        cls_to_det(src, '--arch', 'iresnet18', '--num-stages', '3', '--out',
                   tmp_path / 'out.pth')
    message = str(err.value.code)
    assert 'layer1.0.bn1.weight' in message
    assert 'layer2.0.bn1.bias: (7,) != expected (128,)' in message
    assert 'stem.extra' in message
    assert not (tmp_path / 'out.pth').exists()


def test_det_trunk_refused_by_the_wrong_backbone(official18, tmp_path):
    src = tmp_path / 'cls.pth'
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in official18.items() if not k.startswith('fc.')
            }
        }, src)
    out = tmp_path / 'trunk18.pth'
    cls_to_det(src, '--arch', 'iresnet18', '--num-stages', '3', '--out', out)
    wrong = IResNet(
        depth=34,
        num_stages=3,
        strides=(2, 2, 1),
        init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    with pytest.raises(ValueError, match=r'missing keys[\s\S]*layer1\.2\.'):
        wrong.init_weights()


def test_outputs_never_overwritten_without_force(official18, tmp_path):
    src = tmp_path / 'iresnet18.pth'
    torch.save(official18, src)
    out_cls = tmp_path / 'cls.pth'
    out_trunk = tmp_path / 'trunk.pth'
    original = b'not a checkpoint, must survive'
    for path in (out_cls, out_trunk):
        path.write_bytes(original)
    with pytest.raises(SystemExit, match='exists; pass --force'):
        convert(src, 'iresnet18', '--out-cls', out_cls)
    with pytest.raises(SystemExit, match='exists; pass --force'):
        cls_to_det(src, '--arch', 'iresnet18', '--out', out_trunk)
    assert out_cls.read_bytes() == original
    assert out_trunk.read_bytes() == original
    # With --force both are replaced by loadable files.
    convert(src, 'iresnet18', '--out-cls', out_cls, '--force')
    cls_to_det(out_cls, '--arch', 'iresnet18', '--out', out_trunk, '--force')
    for path in (out_cls, out_trunk):
        assert isinstance(
            torch.load(path, weights_only=True)['state_dict'], dict)
