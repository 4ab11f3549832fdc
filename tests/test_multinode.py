"""Two "nodes" on one machine: tools/dist_train.sh and tools/dist_test.sh
launched twice with NNODES=2 and NODE_RANK=0/1 (one CPU process each, gloo),
as a user would start them on two machines."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mmengine
import pytest
import torch

from mmiresnet.datasets.digits import make_digits

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / 'tools'
DIGITS_CONFIG = REPO / 'configs' / 'iresnet_cifar' / 'iresnet29_digits.py'
EPOCHS = 2

# A hook that saves each rank's parameters after training, so the test can
# check that both nodes end with identical weights. (BN running statistics
# are per process, as in every mmengine DDP run with broadcast_buffers=False;
# use SyncBN to share them.)
DUMP_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DumpRankWeightsHook(Hook):

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train(self, runner):
        model = runner.model
        model = getattr(model, 'module', model)
        torch.save({k: v.detach().cpu() for k, v in
                    model.named_parameters()},
                   f'{self.out_dir}/rank{get_rank()}.pth')
'''


def launch_two_nodes(script, args, port, tmp_path, name):
    """Start ``script`` as node 0 and node 1; both must exit 0."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHON=sys.executable,
        NNODES='2',
        MASTER_ADDR='127.0.0.1',
        PORT=str(port),
        PYTHONPATH=f'{tmp_path}{os.pathsep}'
        f'{os.environ.get("PYTHONPATH", "")}')
    procs = []
    for rank in (0, 1):
        log = open(tmp_path / f'{name}_node{rank}.log', 'w')
        procs.append((subprocess.Popen(
            ['bash', str(TOOLS / script), *map(str, args(rank))],
            cwd=REPO,
            env=dict(env, NODE_RANK=str(rank)),
            stdout=log,
            stderr=subprocess.STDOUT), log))
    for proc, log in procs:
        try:
            proc.wait(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
    for rank, (proc, _) in enumerate(procs):
        text = (tmp_path / f'{name}_node{rank}.log').read_text()
        assert proc.returncode == 0, f'node {rank} failed:\n{text[-4000:]}'


@pytest.fixture(scope='module')
def two_node_run(tmp_path_factory):
    if torch.cuda.is_available():
        pytest.skip('checks the CPU (gloo) path')
    tmp = tmp_path_factory.mktemp('two_nodes')
    data = tmp / 'digits'
    make_digits(data)
    (tmp / 'dump_rank_weights.py').write_text(DUMP_HOOK)
    config = tmp / 'digits_two_nodes.py'
    config.write_text(
        textwrap.dedent(f'''\
        _base_ = '{DIGITS_CONFIG}'
        custom_imports = dict(
            imports=['mmiresnet', 'dump_rank_weights'],
            allow_failed_imports=False)
        custom_hooks = [dict(type='DumpRankWeightsHook', out_dir='{tmp}')]
        '''))
    options = [
        f'{loader}.num_workers=0'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        f'{loader}.dataset.data_root={data}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        'train_dataloader.dataset.indices=256',
        'val_dataloader.dataset.indices=64',
        'test_dataloader.dataset.indices=64',
        f'train_cfg.max_epochs={EPOCHS}',
        f'param_scheduler.1.end={EPOCHS}',
        f'param_scheduler.1.T_max={EPOCHS - 1}',
    ]
    launch_two_nodes(
        'dist_train.sh', lambda rank: [
            config, '1', '--work-dir', tmp / f'work{rank}', '--cfg-options',
            *options
        ], 29561, tmp, 'train')
    return tmp, config, options


def test_two_nodes_train_to_identical_weights(two_node_run):
    tmp, _, _ = two_node_run
    log = next((tmp / 'work0').glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    rank0 = torch.load(tmp / 'rank0.pth', weights_only=True)
    rank1 = torch.load(tmp / 'rank1.pth', weights_only=True)
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    # the checkpoint that node 0 saved holds the same weights
    saved = torch.load(
        tmp / 'work0' / f'epoch_{EPOCHS}.pth', weights_only=True)['state_dict']
    assert all(torch.equal(saved[k], rank0[k]) for k in rank0)


def test_two_nodes_test(two_node_run):
    tmp, config, options = two_node_run
    out = tmp / 'metrics.pkl'
    launch_two_nodes(
        'dist_test.sh', lambda rank: [
            config, tmp / 'work0' / f'epoch_{EPOCHS}.pth', '1', '--work-dir',
            tmp / f'test{rank}', *(['--out', out, '--out-item', 'metrics']
                                   if rank == 0 else []
                                   ), '--cfg-options', *options
        ], 29562, tmp, 'test')
    metrics = mmengine.load(out)
    scalars = next((tmp / 'work0').glob('*/vis_data/scalars.json'))
    last = [
        line for line in scalars.read_text().splitlines()
        if 'accuracy/top1' in line
    ][-1]
    assert metrics['accuracy/top1'] == pytest.approx(
        json.loads(last)['accuracy/top1'])
