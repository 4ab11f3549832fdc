"""tools/analysis/depth_study.py: curves, held-out accuracy, warm-up,
determinism, the committed study and its table, errors.

The tool is run as users run it (a subprocess), on tiny nets and inputs;
its pure functions (lr schedule, held-out split, table) are also imported.
"""
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'depth_study.py')
DOC = osp.join(ROOT, 'docs', 'depth_study.md')
DOC_JSON = osp.join(ROOT, 'docs', 'depth_study.json')
DOC_PNG = osp.join(ROOT, 'docs', 'depth_study.png')
DOC_SEEDS = [
    osp.join(ROOT, 'docs', 'depth_study_seeds', name)
    for name in ('seed1.json', 'seed2.json', 'seed1_164.json',
                 'seed2_164.json', 'seed1_1001.json')
]
TINY = ('--iters', '4', '--batch', '8', '--size', '8', '--smooth', '2',
        '--final-window', '2', '--warmup-iters', '2', '--holdout', '50',
        '--eval-interval', '2')


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))


def load_tool():
    spec = importlib.util.spec_from_file_location('depth_study', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_tool()


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp('study') / 'study.png'
    proc = run_tool('--depths', '20', '29', '--families', 'resnet', 'iresnet',
                    *TINY, '--out', str(out))
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(out.with_suffix('.json').read_text()), proc.stdout


def test_writes_figure_and_curves(study):
    png, saved, stdout = study
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert png.stat().st_size > 1000
    results = saved['results']
    assert [(r['family'], r['depth']) for r in results] == [('resnet', 20),
                                                            ('iresnet', 20),
                                                            ('resnet', 29),
                                                            ('iresnet', 29)]
    for r in results:
        assert len(r['losses']) == 4
        assert r['final_loss'] == pytest.approx(sum(r['losses'][-2:]) / 2)
        assert r['max_loss'] == max(r['losses'])
        assert r['losses'][r['max_loss_iter'] - 1] == r['max_loss']
        assert r['seconds_per_iter'] > 0 and not r['diverged']
        # linear warm-up 0.01 -> 0.1 over 2 iterations, then /10 at 2, 3
        assert r['lrs'] == pytest.approx([0.01, 0.055, 0.01, 0.001])
        # held out: measured after iterations 2 and 4, in eval mode
        assert [e['iter'] for e in r['heldout']] == [2, 4]
        for e in r['heldout']:
            assert e['accuracy'] * 50 == pytest.approx(
                round(e['accuracy'] * 50))
            assert 0 <= e['accuracy'] <= 1 and e['loss'] > 0
        assert r['heldout_accuracy'] == r['heldout'][-1]['accuracy']
    # the first loss of a fresh 10-class net is near ln(10)
    assert all(1.0 < r['losses'][0] < 5.0 for r in results)
    assert saved['args']['size'] == 8 and saved['args']['iters'] == 4
    assert saved['train_samples'] == 1747
    assert saved['heldout_samples'] == 50
    assert f"wrote {png}" in stdout
    assert '1747 train, 50 held out' in stdout


def test_same_seed_bit_identical_curves(study, tmp_path):
    """Determinism on the CPU with one thread: a second run of the tool,
    here with the networks trained in two worker processes, gives the
    same bits for every loss and held-out number."""
    _, saved, _ = study
    out = tmp_path / 'again.png'
    proc = run_tool('--depths', '20', '--families', 'resnet', 'iresnet', *TINY,
                    '--jobs', '2', '--out', str(out))
    assert proc.returncode == 0, proc.stderr
    again = json.loads(out.with_suffix('.json').read_text())['results']
    assert [(r['family'], r['depth']) for r in again] == [('resnet', 20),
                                                          ('iresnet', 20)]
    for first, second in zip(saved['results'][:2], again):
        assert second['losses'] == first['losses']
        assert second['heldout'] == first['heldout']
    # a different seed is a different run
    other = tmp_path / 'other.png'
    proc = run_tool('--depths', '20', '--families', 'iresnet', *TINY, '--seed',
                    '1', '--out', str(other))
    assert proc.returncode == 0, proc.stderr
    third = json.loads(other.with_suffix('.json').read_text())['results']
    assert third[0]['losses'] != saved['results'][1]['losses']


def test_warmup_schedule(tool):
    lr_at = tool.lr_at
    # linear: 0.01 at iteration 0, equal steps to 0.1 at iteration 10
    assert lr_at(0, 0.1, 100, 10, 'linear', 0.01) == pytest.approx(0.01)
    assert lr_at(5, 0.1, 100, 10, 'linear', 0.01) == pytest.approx(0.055)
    assert lr_at(9, 0.1, 100, 10, 'linear', 0.01) == pytest.approx(0.091)
    assert lr_at(10, 0.1, 100, 10, 'linear', 0.01) == pytest.approx(0.1)
    # He et al.'s constant phase
    assert [lr_at(i, 0.1, 100, 10, 'constant', 0.01)
            for i in (0, 9, 10)] == pytest.approx([0.01, 0.01, 0.1])
    # steps at 50% and 75% of the budget, with or without warm-up
    for warmup_iters in (0, 10):
        assert [
            lr_at(i, 0.1, 100, warmup_iters) for i in (49, 50, 74, 75, 99)
        ] == pytest.approx([0.1, 0.01, 0.01, 0.001, 0.001])
    assert lr_at(0, 0.1, 100) == 0.1
    assert tool.milestones(600) == (300, 450)


def test_holdout_split_is_stratified_and_fixed(tool):
    import torch
    labels = torch.arange(10).repeat_interleave(
        torch.tensor([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]))
    train, held = tool.holdout_split(labels, 300, 0)
    assert len(held) == 300 and len(train) == 1497
    assert sorted(train.tolist() + held.tolist()) == list(range(1797))
    counts = torch.bincount(labels[held], minlength=10)
    share = torch.bincount(labels, minlength=10) * 300 / 1797
    assert ((counts - share).abs() < 1).all()
    again, held_again = tool.holdout_split(labels, 300, 0)
    assert torch.equal(held, held_again) and torch.equal(train, again)
    assert not torch.equal(held, tool.holdout_split(labels, 300, 1)[1])
    train, held = tool.holdout_split(labels, 0, 0)
    assert len(held) == 0 and len(train) == 1797


def test_docs_table_is_the_committed_json():
    """The numbers of docs/depth_study.md are the tool's table of the
    committed curves, and the curves are one recipe for every network."""
    saved = json.loads(open(DOC_JSON).read())
    proc = run_tool('--table-from', DOC_JSON)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.strip()
    assert table.count('\n') >= 3
    assert table in open(DOC).read()
    args = saved['args']
    assert args['warmup_iters'] > 0 and args['holdout'] > 0
    assert {(r['family'], r['depth'])
            for r in saved['results']} >= {(f, d)
                                           for f in ('resnet', 'iresnet')
                                           for d in (56, 164, 1001)}
    for r in saved['results']:
        assert len(r['losses']) == len(r['lrs']) == args['iters']
        assert 'heldout_accuracy' in r
    # the figure is committed and small
    assert open(DOC_PNG, 'rb').read(8) == b'\x89PNG\r\n\x1a\n'
    assert os.path.getsize(DOC_PNG) < 150_000
    # the command in the docs is the one recorded in the JSON
    doc = open(DOC).read()
    for flag, key in (('--iters', 'iters'), ('--batch', 'batch'),
                      ('--warmup-iters', 'warmup_iters'),
                      ('--holdout', 'holdout'), ('--size', 'size')):
        assert re.search(rf'{flag} {args[key]}\b', doc), flag


def test_docs_spread_is_the_committed_seeds():
    """The spread over seeds in docs/depth_study.md is the tool's table of
    the committed study (seed 0) and its reruns with seeds 1 and 2."""
    proc = run_tool('--table-from', DOC_JSON, *DOC_SEEDS)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.strip()
    assert '| 56 | ResNet-56 | 0, 1, 2 |' in table
    assert '| 56 | iResNet-56 | 0, 1, 2 |' in table
    assert '| 1001 | ResNet-1001 | 0, 1 |' in table
    assert table in open(DOC).read()


def test_spread_table(study, tool):
    import copy
    _, saved, _ = study
    other = copy.deepcopy(saved)
    other['args']['seed'] = 7
    for r in other['results']:
        r['final_loss'] = 2 * r['final_loss']
    lines = tool.spread_table([saved, other]).splitlines()
    assert len(lines) == 2 + 4
    r = saved['results'][1]
    row = [line for line in lines if line.startswith('| 20 | iResNet-20 |')]
    assert row[0].startswith(
        f"| 20 | iResNet-20 | 0, 7 | {r['final_loss']:.3g} / "
        f"{2 * r['final_loss']:.3g} | {1.5 * r['final_loss']:.3g} (")
    other['args']['lr'] = 0.5
    with pytest.raises(ValueError, match='differ in lr'):
        tool.spread_table([saved, other])


def test_table_of_a_tiny_study(study, tool):
    _, saved, _ = study
    table = tool.markdown_table(saved).splitlines()
    assert len(table) == 2 + 4
    r = saved['results'][1]
    assert table[3].startswith('| 20 | iResNet-20 | '
                               f"{r['final_loss']:.3g} | "
                               f"{r['heldout_accuracy']:.3f} |")


def test_plot_from_json(study, tmp_path):
    """The figure and a summary thumbnail are redrawn from saved curves."""
    png, _, _ = study
    saved = str(png.with_suffix('.json'))
    for extra, name in (((), 'again.png'), (('--summary', '--dpi', '40'),
                                            'thumb.png')):
        out = tmp_path / name
        proc = run_tool('--plot-from', saved, '--out', str(out), *extra)
        assert proc.returncode == 0, proc.stderr
        assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert (tmp_path /
            'thumb.png').stat().st_size < (tmp_path /
                                           'again.png').stat().st_size
    assert not (tmp_path / 'again.json').exists()


@pytest.mark.parametrize('args, message', [
    (['--depths', '21'], 'depth 21: CIFAR depths are 3n + 2'),
    (['--depths', '20', '20'], 'each depth once'),
    (['--iters', '0'], '--iters 0: must be >= 1'),
    (['--lr', '-1'], '--lr -1.0: must be a positive number'),
    (['--warmup-lr', '0'], '--warmup-lr 0.0: must be a positive number'),
    (['--batch', '5000'], 'at most 1497'),
    (['--holdout', '1790'], '--holdout 1790: at most 1777'),
    (['--holdout', '-3'], '--holdout -3: must be >= 0'),
    (['--iters', '100', '--warmup-iters', '60'
      ], 'the warm-up must end by the first lr step (iteration 50'),
    (['--warmup', 'cosine'], "invalid choice: 'cosine'"),
    (['--jobs', '0'], '--jobs 0: must be >= 1'),
    (['--out', 'study.jpg'], 'the figure must end in one of .png'),
    (['--depths', '20', '--families', 'vgg'], '--families vgg: unknown'),
    (['--table-from', 'no/such/study.json'], 'not a depth study JSON'),
    (['--plot-from', 'setup.cfg'], '--plot-from setup.cfg: not a depth'),
    (['--plot-from', 'a.json', '--table-from', 'b.json'], 'one at a time'),
])
def test_bad_input_is_one_line_error(args, message, tmp_path):
    proc = run_tool(*args)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert 'error:' in last and message in last, proc.stderr
