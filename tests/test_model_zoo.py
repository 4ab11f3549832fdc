"""The model index (model-index.yml -> configs/<family>/metafile.yml) and
MMPretrain's ModelHub."""
import fnmatch
import os.path as osp

import pytest
import torch
import yaml

import mmiresnet  # noqa: F401
from mmiresnet import model_zoo
from mmiresnet.archs import ARCHS, archs_with_weights
from mmiresnet.model_zoo import CLASSIFICATION, DETECTION
from mmiresnet.utils.config_index import family_config_paths

CLS_PATTERNS = ('*_in1k.py', '*_cifar10.py', '*_cifar100.py', '*_digits.py')
DET_PATTERNS = ('ssd*.py', 'faster-rcnn_*.py')
INDEX = model_zoo.load_model_index()


def configs(repo_root, patterns):
    """The family folders' configs matching patterns (real paths)."""
    return {
        osp.realpath(p)
        for p in family_config_paths(str(repo_root / 'configs')) if any(
            fnmatch.fnmatch(osp.basename(p), pat) for pat in patterns)
    }


def test_index_covers_every_config_once(repo_root):
    # a source checkout: the repository root, or mmiresnet/.mim when the
    # editable install linked OpenMMLab's layout there
    root = model_zoo.config_root()
    assert root in (str(repo_root), str(repo_root / 'mmiresnet' / '.mim'))
    assert osp.realpath(osp.join(root,
                                 'configs')) == str(repo_root / 'configs')
    cls = configs(repo_root, CLS_PATTERNS)
    det = configs(repo_root, DET_PATTERNS)
    assert len(cls) >= 50 and len(det) >= 35
    by_task = {CLASSIFICATION: set(), DETECTION: set()}
    for model in INDEX.values():
        by_task[model['Task']].add(osp.realpath(model['Config']))
    assert by_task == {CLASSIFICATION: cls, DETECTION: det}
    assert len(INDEX) == len(cls) + len(det)  # one entry per config


def test_task_comes_from_the_config_scope(tmp_path):
    assert {m['Task'] for m in INDEX.values()} == {CLASSIFICATION, DETECTION}
    for model in INDEX.values():
        expected = DETECTION if osp.basename(model['Config']).startswith(
            ('ssd', 'faster-rcnn')) else CLASSIFICATION
        assert model['Task'] == expected, model['Name']
    other = tmp_path / 'other.py'
    other.write_text("default_scope = 'mmseg'\n")
    with pytest.raises(ValueError, match="default_scope 'mmseg' is none"):
        model_zoo.model_task(str(other))


def test_names_cannot_collide_with_mmpretrain():
    for name, model in INDEX.items():
        stem = osp.basename(model['Config'])[:-3]
        assert name == model_zoo.model_name(stem)
        assert name == (stem if 'iresnet' in stem else 'mmiresnet_' + stem)
        assert fnmatch.fnmatch(name, '*iresnet*')
    name = 'rgsnet26-b-0.25x_2xb64_cifar100'
    assert model_zoo.model_name(f'configs/rgsnet/{name}.py') == \
        'mmiresnet_' + name


def test_metafiles_parse_with_modelindex_without_errors(repo_root):
    from modelindex.load_model_index import load
    index = load(str(repo_root / 'model-index.yml'))
    index.build_models_with_collections()
    assert index.check(silent=True) == []  # incl. the README paths
    assert sorted(m.name for m in index.models) == sorted(INDEX)
    for model in index.models:
        assert model.metadata.parameters == INDEX[
            model.name]['Metadata']['Parameters']
        assert model.in_collection
        paper = INDEX[model.name]['Paper']  # from the collection
        assert paper['Title'] and paper['URL'].startswith('https://')
    # one task per metafile
    for metafile in model_zoo.metafiles():
        assert len(
            {m['Task']
             for m in INDEX.values()
             if m['Metafile'] == metafile}) == 1, metafile


def raw_models():
    """The metafiles' models as yaml gives them, by config stem."""
    raw = {}
    for metafile in model_zoo.metafiles():
        with open(metafile) as f:
            for model in yaml.safe_load(f)['Models']:
                raw[osp.basename(model['Config'])[:-3]] = model
    return raw


def test_results_belong_to_the_weights():
    """``Results`` only for entries with ``Weights`` (mim search and
    MMPretrain show them as the model's own result): the top-1 the authors
    report for the official weights, which is the paper's figure."""
    with_results = []
    for stem, model in raw_models().items():
        assert 'Results Source' not in model, stem
        if not model.get('Results'):
            continue
        with_results.append(stem)
        assert model.get('Weights', '').startswith('iresnet://'), stem
        (result, ) = model['Results']
        assert result['Task'] == CLASSIFICATION
        metrics = result['Metrics']
        assert metrics == {
            'Top 1 Accuracy': model['Metadata']['Paper Top 1 Accuracy']
        }, stem
    # the official ImageNet weights with a reported top-1; no detector
    assert len(with_results) == 16
    assert not [s for s in with_results if s.startswith(('ssd', 'faster'))]
    assert not [
        n for n, m in INDEX.items()
        if m['Task'] == DETECTION and m.get('Results')
    ]


def test_paper_figures_are_the_metafiles_paper_fields():
    figures = model_zoo.paper_figures()
    sources = set()
    for stem, model in raw_models().items():
        meta = model['Metadata']
        metrics = {
            key[len('Paper '):]: value
            for key, value in meta.items() if key.startswith('Paper ')
            and key[len('Paper '):] in model_zoo.PAPER_METRICS
        }
        assert bool(metrics) == ('Paper Source' in meta), stem
        if not metrics and 'Paper Params (M)' not in meta:
            assert stem not in figures, stem
            continue
        got = figures[stem]
        assert got['metrics'] == metrics, stem
        assert got['source'] == meta.get('Paper Source'), stem
        if metrics:
            sources.add(got['source'].split(',')[0])
        assert (got['params_m'], got['gflops'],
                got['tables']) == (meta.get('Paper Params (M)'),
                                   meta.get('Paper GFLOPs'),
                                   meta.get('Paper Tables', [])), stem
        assert got['name'] == model['Name'], stem
    assert sources == {'Duta et al. 2020', 'Zhang et al. 2019'}
    assert figures['iresnet50_8xb32_in1k']['metrics'] == {
        'Top 1 Accuracy': 77.31
    }
    assert figures['ssd300_iresgroup101_coco']['metrics'].keys() == {
        'box AP', 'box AP50', 'box AP75'
    }
    assert figures['ssd300_iresgroup101_coco']['source'] == \
        'Duta et al. 2020, Table 7 (COCO val2017)'
    # every ImageNet / CIFAR config of the papers has its figure
    for model in INDEX.values():
        stem = osp.basename(model['Config'])[:-3]
        if stem.endswith(('_in1k', '_cifar10', '_cifar100')):
            assert stem in figures, stem


@pytest.mark.parametrize('meta, error', [
    ({
        'Paper mAP': 1.0,
        'Paper Source': 'x'
    }, "unknown Metadata field "
     "'Paper mAP'"),
    ({
        'Paper box AP': 1.0
    }, 'Paper <metric> fields and Paper Source go'),
    ({
        'Paper Source': 'x'
    }, 'Paper <metric> fields and Paper Source go'),
])
def test_paper_metrics_errors(meta, error):
    with pytest.raises(ValueError, match=error):
        model_zoo.paper_metrics(dict(Name='m', Metadata=meta))


@pytest.fixture(scope='module')
def paper_rows():
    """The rows of the papers' complexity tables (reads ~60 configs)."""
    return model_zoo.paper_table_rows()


def test_paper_tables_fields_and_rows(paper_rows):
    """Each model with the papers' complexity figures names its tables, and
    is a row of each (the rows tools/analysis/paper_tables.py prints)."""
    listed = {}
    for name, model in INDEX.items():
        meta = model['Metadata']
        tables = meta.get(model_zoo.PAPER_TABLES) or []
        has_figures = model_zoo.PAPER_PARAMS in meta or \
            model_zoo.PAPER_GFLOPS in meta
        assert bool(tables) == has_figures, name
        assert len(set(tables)) == len(tables), name
        for table in tables:
            paper, number, key = model_zoo.split_table(table)
            source = model['Metadata'].get('Paper Source')
            if source:  # the paper of the results
                assert source.startswith(f'{paper}, '), name
            listed[(table, model['Config'])] = meta
    rows = paper_rows
    assert {(r['table'], r['config']) for r in rows} == set(listed)
    assert len(rows) == len(listed)
    keys = [r['key'] for r in rows]
    # classification tables, by paper and number, then the SSD300 table
    assert list(
        dict.fromkeys(keys)) == ['1', '2', '3', '5', '6', '14', 'R10', '7']
    assert keys == sorted(keys, key=keys.index)  # each table in one block
    for row in rows:
        meta = listed[(row['table'], row['config'])]
        assert row['params_m'] == meta[model_zoo.PAPER_PARAMS]
        assert row['gflops'] == meta.get(model_zoo.PAPER_GFLOPS)
        arch = ARCHS[row['arch']]
        assert row['label'].endswith(arch.title) or \
            row['label'].startswith(arch.title + ' CIFAR-'), row
    labels = [r['label'] for r in rows if r['key'] == '2'][:3]
    assert labels == ['ResNet-50', 'ResStage-50', 'iResNet-50']
    assert [r['label'] for r in rows if r['key'] == '7'
            ][:2] == ['SSD300 ResNet-50', 'SSD300 iResNet-50']
    assert model_zoo.paper_tables() == list(
        dict.fromkeys(
            sorted((r['table'] for r in rows), key=model_zoo._table_order)))


def test_docs_complexity_table_has_the_index_figures(repo_root, paper_rows):
    """docs/backbones.md's copy of paper_tables.py's output: same rows, and
    the paper's columns are the metafiles' figures."""
    text = (repo_root / 'docs' / 'backbones.md').read_text()
    section = text.split("## The papers' complexity tables", 1)[1]
    section = section.split('\n## ', 1)[0]
    lines = [line for line in section.splitlines() if line.startswith('| ')]
    assert lines[0].startswith('| table | model | params (M) | paper |')
    cells = [[c.strip() for c in line.strip('|').split('|')]
             for line in lines[1:]]
    assert [(c[0], c[1], c[3], c[6]) for c in cells
            ] == [(r['key'], r['label'], str(r['params_m']),
                   '-' if r['gflops'] is None else f'{r["gflops"]:.2f}')
                  for r in paper_rows]


def test_our_counts_match_the_papers_figures():
    """Exact counts (rebuilt by the tests below) rounded as the paper."""
    for name, model in INDEX.items():
        meta = model['Metadata']
        paper = meta.get(model_zoo.PAPER_PARAMS)
        if paper is None:
            continue
        digits = len(repr(paper).split('.')[1]) if '.' in repr(paper) else 0
        assert round(meta['Parameters'] / 1e6, digits) == \
            pytest.approx(paper), name


def test_paper_tables_errors(tmp_path):
    with pytest.raises(ValueError, match='is not "<paper>, Table <n>"'):
        model_zoo.split_table('Duta 2020, Tab. 2')
    with pytest.raises(ValueError, match='Duta et al. 2020, Zhang'):
        model_zoo.split_table('Smith et al. 2021, Table 1')
    # figures without their tables (or tables without figures): an error
    (tmp_path / 'configs' / 'a').mkdir(parents=True)
    (tmp_path /
     'model-index.yml').write_text('Import:\n  - configs/a/metafile.yml\n')
    (tmp_path / 'configs' / 'a' / 'metafile.yml').write_text(
        'Models:\n  - Name: a\n    Metadata:\n      Paper GFLOPs: 4.1\n'
        '    Config: configs/a/a.py\n')
    (tmp_path / 'configs' / 'a' /
     'a.py').write_text("default_scope = 'mmpretrain'\n")
    with pytest.raises(
            ValueError, match='a .*Paper Tables and Paper '
            'Params'):
        model_zoo.paper_table_rows(root=str(tmp_path))
    assert list(model_zoo.paper_figures(root=str(tmp_path))) == ['a']


def test_config_arch():
    """The arch of a backbone config, defaults of its class included."""
    assert model_zoo.config_arch(dict(type='IResNet', depth=50)) == \
        'iresnet50'
    assert model_zoo.config_arch(
        dict(type='IResNet', depth=50, variant='resstage')) == 'resstage50'
    assert model_zoo.config_arch(dict(type='ResGroup', depth=101)) == \
        'resgroup101'
    assert model_zoo.config_arch(dict(type='IResNetCIFAR', depth=1001,
                                      variant='resnet')) == \
        'resnet1001-cifar'
    assert model_zoo.config_arch(dict(type='RGSNet', depth=50)) == \
        'rgsnet50-b'
    assert model_zoo.config_arch(dict(type='ResNet', depth=101)) == \
        'resnet101'  # OpenMMLab's ResNet (torchvision style)
    assert model_zoo.config_arch(dict(type='ResNet', depth=50,
                                      style='caffe')) is None
    assert model_zoo.config_arch(
        dict(type='RGSNet', depth=26, widen_factor=0.5)) is None
    assert model_zoo.config_arch(dict(type='IResNet', depth=77)) is None


@pytest.mark.parametrize(
    'name', sorted(n for n, m in INDEX.items() if m['Task'] == CLASSIFICATION))
def test_classification_entry_builds_with_exact_params_and_weights(name):
    """get_model(NAME) without weights, on the meta device."""
    import mmpretrain
    model = INDEX[name]
    with torch.device('meta'):
        classifier = mmpretrain.get_model(name)
    params = sum(p.numel() for p in classifier.parameters())
    assert params == model['Metadata']['Parameters']
    arch = model_zoo.config_arch(classifier._config.model.backbone)
    official = model['Config'].endswith('_in1k.py') and \
        arch in archs_with_weights()
    assert model.get('Weights') == (f'iresnet://{arch}' if official else None)


@pytest.mark.parametrize(
    'name', sorted(n for n, m in INDEX.items() if m['Task'] == DETECTION))
def test_detection_entry_builds_with_exact_params(name):
    """get_model(NAME) builds MMDetection's detector (the model configs carry
    ``_scope_='mmdet'``; MMPretrain builds in its own scope), on the meta
    device."""
    import mmpretrain
    from mmdet.models.detectors import BaseDetector
    model = INDEX[name]
    assert 'Weights' not in model  # detectors have no published weights
    with torch.device('meta'):
        detector = mmpretrain.get_model(name)
    assert isinstance(detector, BaseDetector)
    params = sum(p.numel() for p in detector.parameters())
    assert params == model['Metadata']['Parameters']


@pytest.mark.parametrize(
    'name', ['iresnet29_digits', 'mmiresnet_resnet164_1xb64_cifar10'])
def test_flops_of_small_models(name):
    """FlopAnalyzer on the whole classifier, as the index was made."""
    import mmpretrain
    from mmengine.analysis import FlopAnalyzer
    model = INDEX[name]
    classifier = mmpretrain.get_model(name).eval()
    size = int(model['Metadata']['Input Size'].split('x')[0])

    class Tensor(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.classifier = classifier

        def forward(self, x):
            return self.classifier(x, mode='tensor')

    analyzer = FlopAnalyzer(Tensor(), (torch.zeros(1, 3, size, size), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    assert analyzer.total() == model['Metadata']['FLOPs']


def _fresh_hub(monkeypatch):
    from mmpretrain.apis.model import ModelHub
    monkeypatch.setattr(ModelHub, '_models_dict', {})
    monkeypatch.setattr(ModelHub, '_ModelHub__mmpretrain_registered', False)
    monkeypatch.setattr(model_zoo, '_REGISTERED', [])
    return ModelHub


@pytest.mark.parametrize('ours_first', [False, True])
def test_list_models_and_mmpretrain_own_names(ours_first, monkeypatch):
    import mmpretrain
    hub = _fresh_hub(monkeypatch)
    if ours_first:
        model_zoo.register_with_mmpretrain()
        assert len(hub._models_dict) > 0
    ours = sorted(INDEX)  # classification and detection
    assert mmpretrain.list_models('*iresnet*') == ours
    # MMPretrain's task filter reads Results, which only the entries with
    # official weights have (no detector)
    for task in (CLASSIFICATION, DETECTION):
        assert mmpretrain.list_models(
            '*iresnet*', task=task) == [
                n for n in ours
                if INDEX[n]['Task'] == task and INDEX[n].get('Results')
            ]
    assert mmpretrain.list_models('*iresnet*', task=DETECTION) == []
    # MMPretrain's own ResNet-50 is MMPretrain's config, ours is ours
    theirs = hub.get('resnet50_8xb32_in1k')
    assert '/mmpretrain/.mim/configs/resnet/' in theirs.config.filename
    mine = hub.get('mmiresnet_resnet50_8xb32_in1k')
    assert mine.config.filename == INDEX['mmiresnet_resnet50_8xb32_in1k'][
        'Config']
    assert mine.weights == 'iresnet://resnet50'
    assert len(mmpretrain.list_models('resnet50_8xb32_in1k')) == 1
    # registering again changes nothing
    assert sorted(model_zoo.register_with_mmpretrain()) == ours
    assert mmpretrain.list_models('*ssd300*') == [
        n for n in ours if 'ssd300' in n
    ]


def test_model_zoo_doc_holds_the_generated_tables(repo_root):
    doc = (repo_root / 'docs' / 'model_zoo.md').read_text()
    for task in (CLASSIFICATION, DETECTION):
        assert model_zoo.model_table(task) in doc, task


@pytest.mark.parametrize('family', model_zoo.families())
def test_family_readme_holds_its_table(family, repo_root):
    """configs/<family>/README.md holds what ``model_zoo_tables.py
    --family <family>`` prints: one row per entry of its metafile."""
    readme = (repo_root / 'configs' / family / 'README.md').read_text()
    table = model_zoo.model_table(family=family)
    assert table in readme
    names = [
        m['Name'] for m in INDEX.values()
        if osp.basename(osp.dirname(m['Metafile'])) == family
    ]
    assert len(table.splitlines()) == len(names) + 2
    assert f'model_zoo_tables.py --family {family}`' in readme
    assert '## Train and test' in readme and '```bibtex' in readme


def test_model_table_errors():
    with pytest.raises(ValueError, match="no family 'nope'"):
        model_zoo.model_table(family='nope')
    with pytest.raises(ValueError, match='give a task'):
        model_zoo.model_table()
