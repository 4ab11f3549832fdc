"""Logic of the analysis tools (not speed: speed is measured by the tools).

Each tool runs as a command (``python tools/analysis/<tool>.py``) and is
checked through its printed table and its ``--json`` rows.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmiresnet.archs import ARCHS, FAMILIES

TOOLS = Path(__file__).resolve().parents[1] / 'tools' / 'analysis'


def run_tool(name, *args, check=True):
    """Run ``tools/analysis/<name>.py`` with ``args`` on one thread."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable,
         str(TOOLS / f'{name}.py'), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def paper_digits(value):
    text = repr(value)
    return len(text.split('.')[1]) if '.' in text else 0


def test_paper_tables_params_match_papers(tmp_path):
    out = tmp_path / 'rows.json'
    proc = run_tool('paper_tables', '--tables', '1', '2', '3', '5', '6', '14',
                    'R10', '--no-flops', '--json', out)
    rows = json.loads(out.read_text())
    # Tables 1 (3 rows), 2 (12), 3 (2), 5 (16), 6 (12), 14 (1), R10 (2).
    assert len(rows) == 48
    assert {r['table'] for r in rows} == {'1', '2', '3', '5', '6', '14', 'R10'}
    for r in rows:
        digits = paper_digits(r['paper_params_m'])
        assert round(r['params'] / 1e6, digits) == \
            pytest.approx(r['paper_params_m']), r['model']
        assert r['gflops'] is None
    # the paper's figures are the metafiles' (configs/metafiles/*.yml)
    (paper, ) = [
        r['paper_params_m'] for r in rows
        if (r['table'], r['model']) == ('2', 'iResNet-50')
    ]
    assert f'| 2 | iResNet-50 | 25.557 | {paper} | +0.00 |' in proc.stdout
    assert '| 5 | ResNet-3002 CIFAR-100 |' in proc.stdout
    assert '| R10 | Res-RGSNet-50 |' in proc.stdout
    # An existing --json is refused before anything is computed.
    again = run_tool(
        'paper_tables',
        '--tables',
        '14',
        '--no-flops',
        '--json',
        out,
        check=False)
    assert again.returncode == 2 and 'exists' in again.stderr
    assert json.loads(out.read_text()) == rows


def test_paper_tables_counts_flops(tmp_path):
    out = tmp_path / 'rows.json'
    proc = run_tool('paper_tables', '--tables', '5', '--models',
                    'iResNet-164 CIFAR-10', '--json', out)
    rows = json.loads(out.read_text())
    assert [r['model'] for r in rows
            ] == ['iResNet-164 CIFAR-10', 'iResNet-164 CIFAR-100']
    # Table 5's GFLOPs for 164 layers, from the metafile (conv + fc
    # multiply-adds: 0.25).
    paper = rows[0]['paper_gflops']
    assert rows[0]['gflops'] == pytest.approx(paper, abs=0.015)
    assert rows[0]['params'] == 1_704_154
    assert f"| {rows[0]['gflops']:.2f} | {paper:.2f} |" in proc.stdout


def test_paper_tables_rows_come_from_the_index(tmp_path):
    """Table 1 rows: the baselines' configs added for it are in the index."""
    from mmiresnet.model_zoo import paper_table_rows
    out = tmp_path / 'rows.json'
    run_tool('paper_tables', '--tables', '1', '--no-flops', '--json', out)
    rows = json.loads(out.read_text())
    expected = paper_table_rows(tables=['Duta et al. 2020, Table 1'])
    assert [(r['table'], r['model'], r['paper_params_m'], r['paper_gflops'])
            for r in rows] == [('1', e['label'], e['params_m'], e['gflops'])
                               for e in expected]
    assert [r['model']
            for r in rows] == ['ResNet-50', 'ResGroupFix-50', 'ResGroup-50']


def test_model_zoo_tables_are_the_docs_tables(repo_root, capsys):
    from mmiresnet.model_zoo import main
    proc = run_tool('model_zoo_tables')
    doc = (repo_root / 'docs' / 'model_zoo.md').read_text()
    assert proc.stdout.startswith('### Image Classification\n\n| name |')
    assert '### Object Detection\n\n| name |' in proc.stdout
    assert proc.stdout.rstrip('\n') + '\n' in doc
    main(['--task', 'Object Detection'])  # the tool's main, in-process
    only = capsys.readouterr().out
    assert only.startswith('### Object Detection') and only in proc.stdout
    with pytest.raises(SystemExit) as exit_info:
        main(['--task', 'Segmentation'])
    assert exit_info.value.code == 2
    assert "invalid choice: 'Segmentation'" in capsys.readouterr().err


def test_list_backbones_one_row_per_family(tmp_path):
    out = tmp_path / 'rows.json'
    proc = run_tool('list_backbones', '--json', out)
    rows = json.loads(out.read_text())
    assert [r['arch'] for r in rows] == list(ARCHS)
    table = [
        line for line in proc.stdout.splitlines() if line.startswith('| `')
    ]
    assert [line.split('`')[1] for line in table] == \
        [f.name for f in FAMILIES]
    params = {r['arch']: r['params'] for r in rows}
    # Official counts (1000-class fc) and Table 5 (10-class fc).
    assert params['iresnet50'] == 25_557_032
    assert params['iresgroupfix101'] == 43_786_024
    assert params['resnet1001-cifar'] == 10_328_602
    assert params['rgsnet50-resnet'] == 25_557_032
    assert '| `iresnet{depth}` | IResNet | iresnet |' in proc.stdout
    assert '50: 25.56' in table[0]
    # docs/backbones.md holds the tool's table as printed
    doc = (TOOLS.parents[1] / 'docs' / 'backbones.md').read_text()
    assert proc.stdout.strip() in doc


def test_benchmark_backbone_ratio_and_json(tmp_path):
    pytest.importorskip('mmdet')
    out = tmp_path / 'bench.json'
    run_tool('benchmark', '--model', 'iresnet18', '--batch', '2', '--size',
             '32', '--warmup', '1', '--iters', '1', '--repeats', '1', '--json',
             out)
    rows = json.loads(out.read_text())
    labels = {r['model'] for r in rows}
    assert labels == {'iresnet18', 'mmdet-resnet18'}
    ours = [r for r in rows if r['model'] == 'iresnet18']
    assert {r['mode'] for r in ours} == {'train', 'infer'}
    for r in ours:
        assert r['throughput_ratio'] > 0 and r['images_per_s'] > 0


def test_benchmark_memory_same_reference(tmp_path):
    out = tmp_path / 'bench.json'
    run_tool('benchmark', '--model', 'iresnet18', '--model-args',
             'with_cp=True', '--reference', 'same', '--mode', 'train',
             '--batch', '2', '--size', '64', '--warmup', '1', '--iters', '1',
             '--repeats', '1', '--memory', '--json', out)
    ours, ref = json.loads(out.read_text())
    assert ours['model'] == 'iresnet18 with_cp=True'
    assert ref['model'] == 'iresnet18'
    assert ours['peak_mem_mb'] > 0 and ref['peak_mem_mb'] > 0
    assert 'memory_ratio' in ours


def test_depth_study_writes_curves_and_plot(tmp_path):
    png = tmp_path / 'study.png'
    run_tool('depth_study', '--depths', '20', '--iters', '3', '--batch', '8',
             '--families', 'resnet', 'iresnet', '--out', png)
    saved = json.loads((tmp_path / 'study.json').read_text())
    results = saved['results']
    assert [r['family'] for r in results] == ['resnet', 'iresnet']
    assert all(len(r['losses']) == 3 for r in results)
    assert png.stat().st_size > 1000


def test_depth_study_rejects_bad_depth():
    proc = run_tool('depth_study', '--depths', '21', check=False)
    assert proc.returncode == 2
    assert 'depth 21' in proc.stderr


def test_anchor_coverage_counts_boxes_without_a_good_anchor(
        tmp_path, repo_root):
    """Four 16 px anchors on a 32 px input; one box (after scaling 64 ->
    32 px) is an anchor exactly, the other covers the whole image (IoU
    0.25 with every anchor)."""
    ann = tmp_path / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, width=64, height=64, file_name='a.jpg')],
                annotations=[
                    dict(id=1, image_id=1, bbox=[0, 0, 32, 32], iscrowd=0),
                    dict(id=2, image_id=1, bbox=[0, 0, 64, 64], iscrowd=0),
                    dict(id=3, image_id=1, bbox=[0, 0, 64, 64], iscrowd=1),
                ],
                categories=[dict(id=1, name='x')])))
    anchors = ("{'type': 'AnchorGenerator', 'strides': [16], "
               "'base_sizes': [16], 'scales': [1], 'ratios': [1.0], "
               "'center_offset': 0.5}")
    config = repo_root / 'configs' / 'ssd' / 'ssd192_iresnet18_synthetic.py'
    proc = run_tool('anchor_coverage', config, ann, '--size', 32, '--anchors',
                    anchors)
    lines = proc.stdout.splitlines()
    assert lines[0] == ('4 anchors at 32x32; boxes whose best anchor has '
                        'IoU < 0.5:')
    assert lines[1:] == [
        '  all: 50.0% of 2', '  small (area < 32^2): 0.0% of 1',
        '  medium: 100.0% of 1', '  large (area >= 96^2): - of 0'
    ]
    # the quickstart config's own anchors, at its Resize scale (192)
    proc = run_tool('anchor_coverage', config, ann)
    assert proc.stdout.startswith('9180 anchors at 192x192')


EMPTY_COCO = '{"images": [], "annotations": []}'


@pytest.mark.parametrize('ann_text,args,words', [
    (EMPTY_COCO, ['--iou', '0'], '--iou must be in (0, 1]'),
    (EMPTY_COCO, ['--anchors', '[1, 2]'], '--anchors must be a dict literal'),
    (EMPTY_COCO, ['--anchors', 'dict(type=1)'
                  ], '--anchors is not a dict literal'),
    (EMPTY_COCO, ['--anchors', "{'type': 'Nope'}"
                  ], 'cannot build the anchor generator'),
    (None, [], 'missing.json not found'),
    ('{"images": 1}', [], 'is not a COCO annotation file'),
])
def test_anchor_coverage_bad_inputs(ann_text, args, words, tmp_path,
                                    repo_root):
    """One error line and exit status 2, no traceback."""
    ann = tmp_path / 'missing.json'
    if ann_text is not None:
        ann = tmp_path / 'ann.json'
        ann.write_text(ann_text)
    config = repo_root / 'configs' / 'ssd' / 'ssd192_iresnet18_synthetic.py'
    proc = run_tool('anchor_coverage', config, ann, *args, check=False)
    assert proc.returncode == 2
    (line, ) = [
        ln for ln in proc.stderr.splitlines() if ln.startswith('error: ')
    ]
    assert words in line
    assert 'Traceback' not in proc.stderr


def doc_table(text, header):
    """The lines of the Markdown table of ``text`` that starts with the line
    ``header`` (header and separator included)."""
    lines = text.splitlines()
    assert header in lines, header
    table = []
    for line in lines[lines.index(header):]:
        if not line.startswith('|'):
            break
        table.append(line)
    return table


def table_cells(line):
    return [cell.strip() for cell in line.strip()[1:-1].split('|')]


def test_list_cls_configs_is_the_docs_table(repo_root):
    """docs/classification.md holds the table list_cls_configs.py prints:
    one row per classification config of the family folders."""
    from mmiresnet.model_zoo import CLASSIFICATION, load_model_index
    proc = run_tool('list_cls_configs')
    printed = [
        line for line in proc.stdout.splitlines() if line.startswith('|')
    ]
    doc = (repo_root / 'docs' / 'classification.md').read_text()
    assert doc_table(doc, printed[0]) == printed
    classifiers = [
        m for m in load_model_index().values() if m['Task'] == CLASSIFICATION
    ]
    assert len(printed) == 2 + len(classifiers) == 2 + 65
    assert '| `iresnet/iresnet50_8xb32_in1k` | IResNet depth=50 | 1000 | ' \
        '25,557,032 | 22.69 |' in printed


DET_HEADER = ('| config | input | params (M) | GFLOPs | paper params (M) | '
              'paper GFLOPs | paper result |')


def test_det_complexity_table_is_the_docs_table(repo_root):
    """docs/detection.md holds the table det_complexity.py prints: every
    detection config of the family folders in the tool's order, with the
    paper columns it takes from the model index. Counting all 35 takes
    minutes, so three configs (SSD300, the quickstart SSD, Faster R-CNN)
    are counted again here and their rows must be the document's."""
    import importlib.util

    from mmiresnet.model_zoo import paper_figures
    from mmiresnet.utils.config_index import family_config_paths
    spec = importlib.util.spec_from_file_location('det_complexity',
                                                  TOOLS / 'det_complexity.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    doc = (repo_root / 'docs' / 'detection.md').read_text()
    rows = doc_table(doc, DET_HEADER)[2:]
    cells = [table_cells(row) for row in rows]
    configs = sorted((Path(p)
                      for p in family_config_paths(str(repo_root / 'configs'))
                      if Path(p).name.startswith(('ssd', 'faster-rcnn_'))),
                     key=lambda p: p.name)
    assert [c[0]
            for c in cells] == [f'{p.parent.name}/{p.name}' for p in configs]
    assert len(cells) == 35
    figures = paper_figures()
    for c in cells:
        assert tuple(c[4:]) == tool.paper_columns(c[0].split('/')[1],
                                                  figures), c[0]
    proc = run_tool('det_complexity', '--configs',
                    'ssd192_iresnet18_synthetic.py',
                    'ssd300_iresnet50_coco.py',
                    'faster-rcnn_resnet50_fpn_5e_coco.py')
    printed = [
        line for line in proc.stdout.splitlines() if line.startswith('| ')
    ]
    assert printed[0] == DET_HEADER
    assert [table_cells(line)[0] for line in printed[1:]] == [
        'faster_rcnn/faster-rcnn_resnet50_fpn_5e_coco.py',
        'ssd/ssd192_iresnet18_synthetic.py', 'ssd/ssd300_iresnet50_coco.py'
    ]
    for line in printed[1:]:
        assert line in rows
