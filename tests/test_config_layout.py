"""Layout of configs/: OpenMMLab's family folders, leaves are deltas on
shared bases.

Read with ``ast`` and ``yaml`` only (no config is resolved here;
test_det_configs.py and test_cls_configs.py build every leaf):

* ``configs/<family>/`` holds the family's leaf configs with its
  ``README.md`` and ``metafile.yml`` (as mmdet's and MMPretrain's
  ``configs/<family>/``); every leaf is in exactly one metafile, its own
  folder's, and the root ``model-index.yml`` imports every metafile;
* ``configs/ssd300_iresnet50_coco.py``, the path of the users' command, is
  the only file directly in ``configs/``: a one-line child of
  ``configs/ssd/ssd300_iresnet50_coco.py`` (test_det_configs.py checks that
  both resolve to the same config);
* ``configs/_base_/`` holds ``models/``, ``datasets/``, ``schedules/``, the
  two runtimes and the detection recipes; every base is used and every
  local ``_base_`` path exists;
* ``custom_imports`` and ``default_scope`` are set only by the runtimes
  (a child setting ``custom_imports`` would replace the list), and every
  leaf reaches exactly one runtime: the detection one for ``ssd*`` /
  ``faster-rcnn*`` leaves (built by test_det_configs.py), the
  classification one for the others (built by test_cls_configs.py);
* a detection backbone is replaced wholesale (``_delete_``) only in
  ``_base_/models/``, once per detector, and detection leaves are short.
"""
import ast
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / 'configs'
BASE_DIR = CONFIG_DIR / '_base_'
FAMILIES = sorted(p for p in CONFIG_DIR.iterdir()
                  if p.is_dir() and p != BASE_DIR)
LEAVES = sorted(CONFIG_DIR.glob('*/*.py'))
LEAVES = [p for p in LEAVES if p.parent != BASE_DIR]
USERS_PATH = CONFIG_DIR / 'ssd300_iresnet50_coco.py'
ALL_FILES = sorted(CONFIG_DIR.rglob('*.py'))
RUNTIMES = {
    BASE_DIR / 'default_runtime_cls.py', BASE_DIR / 'default_runtime_det.py'
}
DET_PREFIXES = ('ssd', 'faster-rcnn')


def rel_id(path):
    return path.relative_to(CONFIG_DIR).as_posix()


def layout_problems(root):
    """What breaks OpenMMLab's layout under ``root`` (a repository or a
    package's ``.mim`` folder), one message per problem; [] when none.

    Each ``configs/<family>/`` needs ``README.md`` and ``metafile.yml``
    (whose collections' ``README`` is that README.md), each of its configs
    must be in that metafile exactly once and no other, every metafile's
    ``Config`` must exist, and ``model-index.yml`` must import every
    metafile once.
    """
    root = Path(root)
    configs = root / 'configs'
    problems = []
    listed = {}
    for family in sorted(p for p in configs.iterdir()
                         if p.is_dir() and p.name != '_base_'):
        for name in ('README.md', 'metafile.yml'):
            if not (family / name).is_file():
                problems.append(f'{family.name}/ has no {name}')
        others = sorted(
            p.name for p in family.iterdir()
            if p.suffix != '.py' and p.name not in ('README.md',
                                                    'metafile.yml'))
        if others:
            problems.append(f'{family.name}/ holds {others}')
        metafile = family / 'metafile.yml'
        if not metafile.is_file():
            continue
        data = yaml.safe_load(metafile.read_text())
        for collection in data.get('Collections') or ():
            if collection.get('README') != 'README.md':
                problems.append(f'{family.name}/metafile.yml: collection '
                                f'{collection["Name"]!r} has README '
                                f'{collection.get("README")!r}, not '
                                'README.md (its folder\'s)')
        for model in data.get('Models') or ():
            config = model['Config']
            listed.setdefault(config, []).append(family.name)
            if not (root / config).is_file():
                problems.append(f'{family.name}/metafile.yml: '
                                f'{model["Name"]}: no file {config}')
    for config in sorted(configs.glob('*/*.py')):
        if config.parent.name == '_base_':
            continue
        rel = config.relative_to(root).as_posix()
        where = listed.get(rel, [])
        if where != [config.parent.name]:
            problems.append(f'{rel} is listed in the metafiles of '
                            f'{where or "no family"}, not once in '
                            f'{config.parent.name}/metafile.yml')
    index = root / 'model-index.yml'
    imports = yaml.safe_load(index.read_text())['Import'] \
        if index.is_file() else []
    if not index.is_file():
        problems.append('no model-index.yml')
    want = sorted(
        p.relative_to(root).as_posix() for p in configs.glob('*/metafile.yml'))
    if sorted(imports) != want:
        problems.append(f'model-index.yml imports {sorted(imports)}, not '
                        f'the metafiles {want}')
    return problems


def test_family_folders_with_readme_and_metafile():
    assert {p.name
            for p in FAMILIES} == {
                'iresnet', 'iresnet_ablations', 'iresgroup', 'iresgroupfix',
                'iresnet_cifar', 'rgsnet', 'ssd', 'faster_rcnn'
            }
    assert len(LEAVES) == 100
    assert layout_problems(REPO) == []


def test_layout_problems_are_found(tmp_path):
    """A family without README.md or metafile.yml, a config in no metafile
    (or in another family's), and a metafile the index does not import are
    each reported."""
    shutil.copytree(CONFIG_DIR, tmp_path / 'configs')
    shutil.copy(REPO / 'model-index.yml', tmp_path)
    configs = tmp_path / 'configs'
    assert layout_problems(tmp_path) == []
    (configs / 'rgsnet' / 'README.md').unlink()
    (configs / 'ssd' / 'metafile.yml').unlink()
    (configs / 'iresnet' / 'iresnet77_8xb32_in1k.py'
     ).write_text("_base_ = './iresnet50_8xb32_in1k.py'\n")
    shutil.move(configs / 'iresgroup' / 'iresgroup101_8xb32_in1k.py',
                configs / 'iresgroupfix' / 'iresgroup101_8xb32_in1k.py')
    (configs / 'new').mkdir()
    (configs / 'new' / 'metafile.yml').write_text('Models: []\n')
    (configs / 'new' / 'README.md').write_text('# new\n')
    problems = layout_problems(tmp_path)
    assert 'rgsnet/ has no README.md' in problems
    assert 'ssd/ has no metafile.yml' in problems
    text = '\n'.join(problems)
    assert 'configs/iresnet/iresnet77_8xb32_in1k.py is listed in the ' \
        "metafiles of no family" in text
    assert 'configs/ssd/ssd300_iresnet50_coco.py is listed in the ' \
        'metafiles of no family' in text
    assert 'no file configs/iresgroup/iresgroup101_8xb32_in1k.py' in text
    assert 'configs/iresgroupfix/iresgroup101_8xb32_in1k.py is listed' in \
        text
    assert 'model-index.yml imports' in text and 'configs/new/metafile' \
        in text


def test_only_the_users_path_is_outside_the_families():
    assert sorted(CONFIG_DIR.glob('*.py')) == [USERS_PATH]
    code = [
        line for line in USERS_PATH.read_text().splitlines()
        if line.strip() and not line.startswith('#')
    ]
    assert code == ["_base_ = ['./ssd/ssd300_iresnet50_coco.py']"]
    assert {p.name
            for p in CONFIG_DIR.iterdir() if p.is_file()} == {USERS_PATH.name}
    assert not (CONFIG_DIR / 'model-index.yml').exists()
    assert (REPO / 'model-index.yml').is_file()


def assignments(path):
    """Top-level ``name = value`` nodes of a config file."""
    tree = ast.parse(path.read_text(), str(path))
    return {
        node.targets[0].id: node.value
        for node in tree.body if isinstance(node, ast.Assign)
        and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
    }


def local_bases(path):
    """The ``_base_`` files of path inside the repository (not pkg::)."""
    value = assignments(path).get('_base_')
    if value is None:
        return []
    bases = ast.literal_eval(value)
    bases = [bases] if isinstance(bases, str) else bases
    return [(path.parent / b).resolve() for b in bases if '::' not in b]


def ancestors(path):
    """Every local file path inherits from, directly or not."""
    seen, todo = set(), [path]
    while todo:
        for base in local_bases(todo.pop()):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


def test_base_dir_layout():
    assert {p.name
            for p in BASE_DIR.iterdir()
            if p.is_dir()} == {'models', 'datasets', 'schedules'}
    top = {p.name for p in BASE_DIR.glob('*.py')}
    assert {r.name for r in RUNTIMES} <= top
    # The other top-level bases are detection recipes (data + schedule +
    # runtime, no model).
    for name in top - {r.name for r in RUNTIMES}:
        assert name.startswith(DET_PREFIXES), name
        assert 'model' not in assignments(BASE_DIR / name), name


@pytest.mark.parametrize('path', ALL_FILES, ids=rel_id)
def test_local_bases_exist(path):
    for base in local_bases(path):
        assert base.is_file(), f'{path.name}: missing base {base}'


def test_every_base_is_used():
    used = set().union(*(ancestors(leaf) for leaf in LEAVES))
    unused = sorted(
        str(p.relative_to(CONFIG_DIR)) for p in BASE_DIR.rglob('*.py')
        if p.resolve() not in used)
    assert not unused


@pytest.mark.parametrize('path', ALL_FILES, ids=rel_id)
def test_imports_and_scope_only_in_runtimes(path):
    names = assignments(path)
    if path in RUNTIMES:
        assert {'custom_imports', 'default_scope'} <= set(names)
    else:
        assert not {'custom_imports', 'default_scope'} & set(names)


@pytest.mark.parametrize('leaf', LEAVES + [USERS_PATH], ids=rel_id)
def test_leaf_reaches_its_runtime(leaf):
    runtimes = ancestors(leaf) & RUNTIMES
    expected = 'det' if leaf.name.startswith(DET_PREFIXES) else 'cls'
    assert [r.stem for r in runtimes] == [f'default_runtime_{expected}']


def backbone_delete(path):
    """Whether path's ``model`` replaces its backbone with ``_delete_``."""
    model = assignments(path).get('model')
    if not isinstance(model, ast.Call):
        return False
    for kw in model.keywords:
        if kw.arg == 'backbone' and isinstance(kw.value, ast.Call):
            return any(k.arg == '_delete_' for k in kw.value.keywords)
    return False


def test_backbone_blocks_written_once():
    replacing = sorted(
        p.relative_to(CONFIG_DIR).as_posix() for p in ALL_FILES
        if backbone_delete(p))
    # One block per detector (SSD trunk, Faster R-CNN trunk) plus the
    # RGSNet CIFAR classifier.
    assert replacing == [
        '_base_/models/faster-rcnn_iresnet50_fpn.py',
        '_base_/models/rgsnet26-b_cifar.py',
        '_base_/models/ssd300_iresnet50.py',
    ]


def code_lines(path):
    return [
        line for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]


@pytest.mark.parametrize(
    'leaf', [
        p for p in LEAVES
        if p.name.startswith(DET_PREFIXES) and 'synthetic' not in p.name
    ],
    ids=rel_id)
def test_detection_leaves_are_short(leaf):
    """A leaf names its model piece and recipe, or a depth and weights."""
    assert len(code_lines(leaf)) <= 8, leaf.name


@pytest.mark.parametrize('path', ALL_FILES, ids=rel_id)
def test_no_reference_outside_the_repository(path):
    text = path.read_text()
    for word in ('architecture_spec', 'targets.md', '../shared'):
        assert word not in text, f'{path.name} mentions {word}'
