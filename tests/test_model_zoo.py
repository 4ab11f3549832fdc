"""The model index (configs/model-index.yml) and MMPretrain's ModelHub."""
import fnmatch
import glob
import os.path as osp

import pytest
import torch

import mmiresnet  # noqa: F401
from mmiresnet import model_zoo
from mmiresnet.archs import ARCHS, archs_with_weights
from mmiresnet.model_zoo import CLASSIFICATION, DETECTION

CLS_PATTERNS = ('*_in1k.py', '*_cifar10.py', '*_cifar100.py', '*_digits.py')
DET_PATTERNS = ('ssd*.py', 'faster-rcnn_*.py')
INDEX = model_zoo.load_model_index()


def configs(repo_root, patterns):
    return {
        p
        for p in glob.glob(str(repo_root / 'configs' / '*.py')) if any(
            fnmatch.fnmatch(osp.basename(p), pat) for pat in patterns)
    }


def task_of(model):
    return {r['Task'] for r in model.get('Results') or ()} or \
        model_zoo._tasks(model['Metafile'])


def test_index_covers_every_config_once(repo_root):
    assert model_zoo.config_root() == str(repo_root)
    cls = configs(repo_root, CLS_PATTERNS)
    det = configs(repo_root, DET_PATTERNS)
    assert len(cls) >= 50 and len(det) >= 35
    by_task = {CLASSIFICATION: set(), DETECTION: set()}
    for model in INDEX.values():
        (task, ) = task_of(model)
        by_task[task].add(model['Config'])
    assert by_task == {CLASSIFICATION: cls, DETECTION: det}
    assert len(INDEX) == len(cls) + len(det)  # one entry per config


def test_names_cannot_collide_with_mmpretrain():
    for name, model in INDEX.items():
        stem = osp.basename(model['Config'])[:-3]
        assert name == model_zoo.model_name(stem)
        assert name == (stem if 'iresnet' in stem else 'mmiresnet_' + stem)
        assert fnmatch.fnmatch(name, '*iresnet*')
    name = 'rgsnet26-b-0.25x_2xb64_cifar100'
    assert model_zoo.model_name(f'configs/{name}.py') == 'mmiresnet_' + name


def test_metafiles_parse_with_modelindex_without_errors(repo_root):
    from modelindex.load_model_index import load
    index = load(str(repo_root / 'configs' / 'model-index.yml'))
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
        assert len(model_zoo._tasks(metafile)) == 1, metafile


def test_results_are_marked_as_paper_figures():
    sources = set()
    for name, model in INDEX.items():
        if not model.get('Results'):
            assert 'Results Source' not in model, name
            continue
        source = model['Results Source']
        sources.add(source.split(',')[0])
        assert source.startswith('paper: ') or 'not a paper figure' in \
            source, name
        (result, ) = model['Results']
        assert result['Metrics'], name
    assert sources >= {'paper: Duta et al. 2020', 'paper: Zhang et al. 2019'}
    figures = model_zoo.paper_figures()
    assert figures['iresnet50_8xb32_in1k']['metrics'] == {
        'Top 1 Accuracy': 77.31
    }
    assert figures['iresnet50_8xb32_in1k']['params_m'] == 25.56
    assert figures['ssd300_iresgroup101_coco']['metrics']['box AP'] == 32.81
    assert figures['rgsnet26-res-2x_2xb64_cifar100']['metrics'][
        'Top 1 Accuracy'] == 80.24
    # every ImageNet / CIFAR config of the papers has its figure
    for model in INDEX.values():
        stem = osp.basename(model['Config'])[:-3]
        if stem.endswith(('_in1k', '_cifar10', '_cifar100')):
            assert stem in figures, stem


def backbone_arch(cfg):
    """The arch whose backbone config equals the config's backbone."""
    backbone = cfg.model.backbone
    for name, arch in ARCHS.items():
        want = arch.backbone_cfg()
        got = dict(type=backbone.type,
                   depth=backbone.get('depth'),
                   variant=backbone.get('variant', want['variant']))
        if got == want and 'widen_factor' not in backbone:
            return name
    return None


@pytest.mark.parametrize(
    'name',
    sorted(n for n, m in INDEX.items() if task_of(m) == {CLASSIFICATION}))
def test_classification_entry_builds_with_exact_params_and_weights(name):
    """get_model(NAME) without weights, on the meta device."""
    import mmpretrain
    model = INDEX[name]
    with torch.device('meta'):
        classifier = mmpretrain.get_model(name)
    params = sum(p.numel() for p in classifier.parameters())
    assert params == model['Metadata']['Parameters']
    arch = backbone_arch(classifier._config)
    official = model['Config'].endswith('_in1k.py') and \
        arch in archs_with_weights()
    assert model.get('Weights') == (f'iresnet://{arch}' if official else None)


@pytest.mark.parametrize(
    'name', sorted(n for n, m in INDEX.items() if task_of(m) == {DETECTION}))
def test_detection_entry_builds_with_exact_params(name):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmdet.registry import MODELS
    model = INDEX[name]
    assert 'Weights' not in model  # detectors have no published weights
    cfg = Config.fromfile(model['Config'])
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'), torch.device('meta'):
        detector = MODELS.build(cfg.model)
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
    ours = sorted(n for n, m in INDEX.items()
                  if task_of(m) == {CLASSIFICATION})
    assert mmpretrain.list_models('*iresnet*') == ours
    # MMPretrain's task filter reads Results: the digits have none
    assert mmpretrain.list_models('*iresnet*', task=CLASSIFICATION) == [
        n for n in ours if INDEX[n].get('Results')
    ]
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
    assert not mmpretrain.list_models('*ssd300*')  # detection: not here


def test_model_zoo_doc_holds_the_generated_tables(repo_root):
    doc = (repo_root / 'docs' / 'model_zoo.md').read_text()
    for task in (CLASSIFICATION, DETECTION):
        assert model_zoo.model_table(task) in doc, task
