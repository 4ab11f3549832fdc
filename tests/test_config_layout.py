"""Layout of configs/: leaves are deltas on shared bases.

Read with ``ast`` only (no config is resolved here; test_det_configs.py and
test_cls_configs.py build every leaf):

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
from pathlib import Path

import pytest

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
BASE_DIR = CONFIG_DIR / '_base_'
LEAVES = sorted(CONFIG_DIR.glob('*.py'))
ALL_FILES = sorted(CONFIG_DIR.rglob('*.py'))
RUNTIMES = {BASE_DIR / 'default_runtime_cls.py',
            BASE_DIR / 'default_runtime_det.py'}
DET_PREFIXES = ('ssd', 'faster-rcnn')


def assignments(path):
    """Top-level ``name = value`` nodes of a config file."""
    tree = ast.parse(path.read_text(), str(path))
    return {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
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
    assert {p.name for p in BASE_DIR.iterdir() if p.is_dir()} == {
        'models', 'datasets', 'schedules'}
    top = {p.name for p in BASE_DIR.glob('*.py')}
    assert {r.name for r in RUNTIMES} <= top
    # The other top-level bases are detection recipes (data + schedule +
    # runtime, no model).
    for name in top - {r.name for r in RUNTIMES}:
        assert name.startswith(DET_PREFIXES), name
        assert 'model' not in assignments(BASE_DIR / name), name


@pytest.mark.parametrize('path', ALL_FILES, ids=lambda p: p.name)
def test_local_bases_exist(path):
    for base in local_bases(path):
        assert base.is_file(), f'{path.name}: missing base {base}'


def test_every_base_is_used():
    used = set().union(*(ancestors(leaf) for leaf in LEAVES))
    unused = sorted(str(p.relative_to(CONFIG_DIR))
                    for p in BASE_DIR.rglob('*.py') if p.resolve() not in used)
    assert not unused


@pytest.mark.parametrize('path', ALL_FILES, ids=lambda p: p.name)
def test_imports_and_scope_only_in_runtimes(path):
    names = assignments(path)
    if path in RUNTIMES:
        assert {'custom_imports', 'default_scope'} <= set(names)
    else:
        assert not {'custom_imports', 'default_scope'} & set(names)


@pytest.mark.parametrize('leaf', LEAVES, ids=lambda p: p.name)
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
    replacing = sorted(p.relative_to(CONFIG_DIR).as_posix()
                       for p in ALL_FILES if backbone_delete(p))
    # One block per detector (SSD trunk, Faster R-CNN trunk) plus the
    # RGSNet CIFAR classifier.
    assert replacing == [
        '_base_/models/faster-rcnn_iresnet50_fpn.py',
        '_base_/models/rgsnet26-b_cifar.py',
        '_base_/models/ssd300_iresnet50.py',
    ]


def code_lines(path):
    return [line for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


@pytest.mark.parametrize(
    'leaf', [p for p in LEAVES if p.name.startswith(DET_PREFIXES)
             and 'synthetic' not in p.name],
    ids=lambda p: p.name)
def test_detection_leaves_are_short(leaf):
    """A leaf names its model piece and recipe, or a depth and weights."""
    assert len(code_lines(leaf)) <= 8, leaf.name


@pytest.mark.parametrize('path', ALL_FILES, ids=lambda p: p.name)
def test_no_reference_outside_the_repository(path):
    text = path.read_text()
    for word in ('architecture_spec', 'targets.md', '../shared'):
        assert word not in text, f'{path.name} mentions {word}'
