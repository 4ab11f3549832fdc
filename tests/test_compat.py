"""mmiresnet.compat: mmengine checkpoints load with weights_only kept on."""
import os
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from torch.utils.data import Dataset

import mmiresnet  # noqa: F401  (installs the allow-list)
from mmiresnet import compat

TORCH_VERSION = compat._torch_version()
needs_weights_only_default = pytest.mark.skipif(
    TORCH_VERSION < (2, 6), reason='torch < 2.6 loads with weights_only=False')


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 1)

    def forward(self, x, y=None, mode='tensor'):
        out = self.fc(x).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((out - y)**2).mean())
        if mode == 'predict':
            return [dict(err=float((o - t).abs())) for o, t in zip(out, y)]
        return out


class TinyDataset(Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(x=torch.full((2, ), float(i)), y=torch.tensor(i / 8.))


class MeanErr(BaseMetric):
    default_prefix = 'tiny'

    def process(self, data_batch, data_samples):
        self.results.extend(d['err'] for d in data_samples)

    def compute_metrics(self, results):
        # numpy scalars end up in the checkpoint (best_score), as with
        # mmdet's/mmpretrain's metrics.
        return dict(err=np.float64(np.mean(results)))


class StartIter(Hook):
    """Records the iteration the train loop starts from."""

    def before_train(self, runner):
        self.start = runner.iter


class Foreign:
    """A pickled object that no allow-list covers."""

    def __init__(self):
        self.payload = 1


def _runner(work_dir, name, max_iters=2, **kwargs):
    loader = dict(
        dataset=TinyDataset(),
        batch_size=4,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))
    return Runner(
        model=TinyModel(),
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=loader,
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=2),
        val_dataloader=loader,
        val_evaluator=dict(type=MeanErr),
        val_cfg=dict(),
        test_dataloader=loader,
        test_evaluator=dict(type=MeanErr),
        test_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        param_scheduler=dict(
            type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=2),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook',
                interval=2,
                by_epoch=False,
                save_best='tiny/err',
                rule='less')),
        log_level='WARNING',
        **kwargs)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('runner')
    _runner(work_dir, 'compat_save').train()
    path = work_dir / 'iter_2.pth'
    assert path.is_file()
    return path


def test_weights_only_is_still_the_default():
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    # mmengine's own local loader is still in place (not a permissive one).
    from mmengine.runner.checkpoint import load_from_local
    assert CheckpointLoader._get_checkpoint_loader('x.pth') is load_from_local


def test_allow_list(checkpoint):
    if TORCH_VERSION < (2, 4):
        assert compat.MMENGINE_SAFE_GLOBALS == []
        pytest.skip('torch < 2.4 has no add_safe_globals')
    assert HistoryBuffer in compat.MMENGINE_SAFE_GLOBALS
    if hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'):
        # Everything the checkpoint needs is allow-listed.
        assert torch.serialization.get_unsafe_globals_in_checkpoint(
            str(checkpoint)) == []


def test_plain_torch_load(checkpoint):
    # torch.load(weights_only=True), or on torch < 2.4 the restricted load
    ckpt = compat.weights_only_load(checkpoint)
    assert set(ckpt) >= {
        'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'
    }
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and len(buf.data[0]) == 2
    assert isinstance(ckpt['message_hub']['runtime_info']['best_score'],
                      np.floating)
    assert torch.load(checkpoint, map_location='cpu').keys() == ckpt.keys()


def test_checkpoint_loader(checkpoint):
    ckpt = CheckpointLoader.load_checkpoint(
        str(checkpoint), map_location='cpu')
    assert 'fc.weight' in ckpt['state_dict']
    assert 'log_scalars' in ckpt['message_hub']


def test_runner_resume(checkpoint, tmp_path):
    hook = StartIter()
    runner = _runner(
        tmp_path,
        'compat_resume',
        max_iters=4,
        resume=True,
        load_from=str(checkpoint),
        custom_hooks=[hook])
    runner.train()
    assert hook.start == 2  # resumed, not restarted
    assert runner.iter == 4
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 4


def test_runner_load_from_and_test(checkpoint, tmp_path):
    saved = torch.load(checkpoint, map_location='cpu')['state_dict']
    runner = _runner(tmp_path, 'compat_test', load_from=str(checkpoint))
    metrics = runner.test()  # test() loads the checkpoint first
    assert 'tiny/err' in metrics
    for key, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, saved[key])


def _assert_refused(path, needle):
    with pytest.raises(pickle.UnpicklingError) as err:
        torch.load(path, map_location='cpu')
    msg = str(err.value)
    assert needle in msg and 'weights_only' in msg, msg
    with pytest.raises(pickle.UnpicklingError) as err:
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert needle in str(err.value)
    # The test wrote this file itself, so it may read it back in full to
    # show that the refused object is really in it.
    return torch.load(path, map_location='cpu', weights_only=False)


@needs_weights_only_default
def test_foreign_object_refused(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1)), meta=Foreign()), path)
    ckpt = _assert_refused(path, f'{__name__}.Foreign')
    assert isinstance(ckpt['meta'], Foreign)


@needs_weights_only_default
def test_object_array_refused(tmp_path):
    path = tmp_path / 'objarray.pth'
    torch.save(dict(meta=np.array([1, 'a'], dtype=object)), path)
    _assert_refused(path, 'ObjectDType')


class _Getattr:
    """Pickles as getattr(obj, name), like pickle does for methods."""

    def __init__(self, obj, name):
        self.args = (obj, name)

    def __reduce__(self):
        return getattr, self.args


@needs_weights_only_default
@pytest.mark.parametrize('obj,name', [(np.ndarray, 'tofile'),
                                      (HistoryBuffer, '__init__')])
def test_getattr_restricted(tmp_path, obj, name):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(f=_Getattr(obj, name)), path)
    _assert_refused(path, f'refused getattr({obj!r}, {name!r})')


@needs_weights_only_default
def test_history_buffer_methods_allowed(tmp_path):
    path = tmp_path / 'hb.pth'
    torch.save(dict(f=_Getattr(HistoryBuffer, 'mean')), path)
    assert torch.load(path)['f'] is HistoryBuffer.mean


# The restricted unpickler that mmiresnet's checked reads use on torch < 2.4
# (OpenMMLab's torch 2.1 stack); it is exercised here on any torch.
def test_restricted_load_reads_a_runner_checkpoint(tmp_path):
    path = tmp_path / 'runner.pth'
    buffer = HistoryBuffer()
    buffer.update(0.5)
    torch.save(
        dict(
            state_dict=dict(w=torch.arange(3.)),
            message_hub=dict(
                log_scalars=dict(loss=buffer),
                f=_Getattr(HistoryBuffer, 'mean'),
                arr=np.arange(3, dtype=np.float32),
                scalar=np.float64(1.5))), path)
    ckpt = compat._restricted_load(path, 'cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(3.))
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 0.5
    assert ckpt['message_hub']['f'] is HistoryBuffer.mean
    assert ckpt['message_hub']['arr'].tolist() == [0., 1., 2.]


@pytest.mark.parametrize('make,needle', [
    (lambda: Foreign(), f'{__name__}.Foreign'),
    (lambda: _Getattr(np.ndarray, 'tofile'), 'refused getattr'),
])
def test_restricted_load_refuses_other_globals(tmp_path, make, needle):
    path = tmp_path / 'bad.pth'
    torch.save(dict(meta=make()), path)
    with pytest.raises(pickle.UnpicklingError, match=needle):
        compat._restricted_load(path, 'cpu')
