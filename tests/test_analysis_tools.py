"""Logic of the analysis tools (not speed: speed is measured by the tools)."""
import importlib.util
import json
import os.path as osp

import pytest

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                 'analysis')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_paper_tables_params_match_papers(capsys):
    tool = load_tool('paper_tables')
    rows = tool.main(['--tables', '1', '2', '3', '5', '6', '14', 'R10',
                      '--no-flops'])
    assert len(rows) == len([r for r in tool.CLS_ROWS])
    for table, name, params, paper, gflops, _ in rows:
        digits = tool.paper_digits(paper)
        assert round(params / 1e6, digits) == pytest.approx(paper), name
        assert gflops is None
    out = capsys.readouterr().out
    assert '| 2 | iResNet-50 | 25.557 | 25.56 | +0.00 |' in out


def test_paper_tables_counts_flops(tmp_path):
    tool = load_tool('paper_tables')
    out = tmp_path / 'rows.json'
    rows = tool.main(['--tables', '5', '--models', 'iResNet-164 CIFAR-10',
                      '--json', str(out)])
    assert [r[1] for r in rows] == ['iResNet-164 CIFAR-10',
                                    'iResNet-164 CIFAR-100']
    row = rows[0]
    # Table 5: 0.26 GFLOPs for 164 layers (conv + fc multiply-adds: 0.25).
    assert row[4] == pytest.approx(0.26, abs=0.015)
    saved = json.loads(out.read_text())
    assert saved[0]['model'] == 'iResNet-164 CIFAR-10'
    assert saved[0]['gflops'] == row[4]


def test_benchmark_backbone_ratio_and_json(tmp_path):
    pytest.importorskip('mmdet')
    tool = load_tool('benchmark')
    out = tmp_path / 'bench.json'
    rows = tool.main(['--model', 'iresnet18', '--batch', '2', '--size', '32',
                      '--warmup', '1', '--iters', '1', '--repeats', '1',
                      '--json', str(out)])
    labels = {r['model'] for r in rows}
    assert labels == {'iresnet18', 'mmdet-resnet18'}
    ours = [r for r in rows if r['model'] == 'iresnet18']
    assert {r['mode'] for r in ours} == {'train', 'infer'}
    for r in ours:
        assert r['throughput_ratio'] > 0 and r['images_per_s'] > 0
    assert json.loads(out.read_text()) == json.loads(json.dumps(rows))


def test_benchmark_memory_same_reference():
    tool = load_tool('benchmark')
    rows = tool.main(['--model', 'iresnet18', '--model-args', 'with_cp=True',
                      '--reference', 'same', '--mode', 'train', '--batch',
                      '2', '--size', '64', '--warmup', '1', '--iters', '1',
                      '--repeats', '1', '--memory'])
    ours, ref = rows
    assert ours['model'] == 'iresnet18 with_cp=True'
    assert ref['model'] == 'iresnet18'
    assert ours['peak_mem_mb'] > 0 and ref['peak_mem_mb'] > 0
    assert 'memory_ratio' in ours


def test_depth_study_writes_curves_and_plot(tmp_path):
    tool = load_tool('depth_study')
    png = tmp_path / 'study.png'
    results = tool.main(['--depths', '20', '--iters', '3', '--batch', '8',
                         '--families', 'resnet', 'iresnet', '--out',
                         str(png)])
    assert [r['family'] for r in results] == ['resnet', 'iresnet']
    assert all(len(r['losses']) == 3 for r in results)
    assert png.stat().st_size > 1000
    saved = json.loads((tmp_path / 'study.json').read_text())
    assert saved['results'][1]['losses'] == results[1]['losses']


def test_depth_study_rejects_bad_depth():
    tool = load_tool('depth_study')
    with pytest.raises(SystemExit):
        tool.main(['--depths', '21'])
