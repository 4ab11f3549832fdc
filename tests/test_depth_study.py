"""tools/analysis/depth_study.py: curves, figure, JSON, errors.

The tool is run as users run it (a subprocess), on tiny nets and inputs.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(ROOT, 'tools', 'analysis', 'depth_study.py')


def run_tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))


@pytest.fixture(scope='module')
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp('study') / 'study.png'
    proc = run_tool('--depths', '20', '29', '--iters', '4', '--batch', '8',
                    '--size', '8', '--families', 'resnet', 'iresnet',
                    '--smooth', '2', '--final-window', '2', '--out', str(out))
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(out.with_suffix('.json').read_text()), proc.stdout


def test_writes_figure_and_curves(study):
    png, saved, stdout = study
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert png.stat().st_size > 1000
    results = saved['results']
    assert [(r['family'], r['depth']) for r in results] == [
        ('resnet', 20), ('iresnet', 20), ('resnet', 29), ('iresnet', 29)]
    for r in results:
        assert len(r['losses']) == 4
        assert r['final_loss'] == pytest.approx(sum(r['losses'][-2:]) / 2)
        assert r['seconds_per_iter'] > 0 and not r['diverged']
    # the first loss of a fresh 10-class net is near ln(10)
    assert all(1.0 < r['losses'][0] < 5.0 for r in results)
    assert saved['args']['size'] == 8 and saved['args']['iters'] == 4
    assert f"wrote {png}" in stdout


def test_same_seed_same_curves(study, tmp_path):
    _, saved, _ = study
    out = tmp_path / 'again.png'
    proc = run_tool('--depths', '20', '--iters', '4', '--batch', '8',
                    '--size', '8', '--families', 'iresnet', '--out', str(out),
                    '--json', str(tmp_path / 'again.json'))
    assert proc.returncode == 0, proc.stderr
    again = json.loads((tmp_path / 'again.json').read_text())['results']
    assert again[0]['losses'] == saved['results'][1]['losses']


@pytest.mark.parametrize('args, message', [
    (['--depths', '21'], 'depth 21: CIFAR depths are 3n + 2'),
    (['--depths', '20', '20'], 'each depth once'),
    (['--iters', '0'], '--iters 0: must be >= 1'),
    (['--lr', '-1'], '--lr -1.0: must be a positive number'),
    (['--batch', '5000'], 'at most 1797'),
    (['--out', 'study.jpg'], 'the figure must end in one of .png'),
    (['--depths', '20', '--families', 'vgg'], '--families vgg: unknown'),
])
def test_bad_input_is_one_line_error(args, message, tmp_path):
    proc = run_tool(*args)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert 'error:' in last and message in last, proc.stderr

