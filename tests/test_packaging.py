"""The package as users get it: the sdist, the wheel built from it, and
that wheel installed outside the source tree and used from another folder.

One module-scoped build and install (``installed``): ``setup.py sdist``,
``pip wheel`` of the sdist (so the sdist must carry what the wheel needs),
then ``pip install --no-deps`` of the wheel into a new venv whose only
link to this environment is a path entry for its site-packages (torch,
mmcv, mmdet, ... are reused; this checkout and its editable install are
not seen). Every check then runs in a fresh interpreter of that venv, in a
folder outside the checkout.
"""
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest
import torch
from official_iresnet import OfficialBottleneck, OfficialNet

REPO = Path(__file__).resolve().parents[1]
MIM_FILES = ('configs', 'tools', 'model-index.yml')
SKIP_PARTS = {'__pycache__'}


def shipped_source_files():
    """Repository files that must be in ``mmiresnet/.mim`` (relative)."""
    files = {'model-index.yml'}
    for top in ('configs', 'tools'):
        for path in (REPO / top).rglob('*'):
            if path.is_file() and not SKIP_PARTS & set(path.parts) \
                    and path.suffix != '.pyc':
                files.add(path.relative_to(REPO).as_posix())
    return files


def run(cmd, cwd, env=None, timeout=600, check=True):
    proc = subprocess.run([str(c) for c in cmd],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if check:
        assert proc.returncode == 0, (
            f'{" ".join(map(str, cmd))} failed ({proc.returncode}):\n'
            f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """(sdist path, wheel path), the wheel built from the sdist."""
    out = tmp_path_factory.mktemp('dist')
    env = dict(os.environ, PIP_NO_BUILD_ISOLATION='1')
    run([sys.executable, 'setup.py', '-q', 'sdist', '-d', out], REPO, env)
    (sdist, ) = out.glob('mmiresnet-*.tar.gz')
    run([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation', '-w', out, sdist
    ], out, env)
    (whl, ) = out.glob('mmiresnet-*.whl')
    return sdist, whl


@pytest.fixture(scope='module')
def installed(wheel, tmp_path_factory):
    """A venv holding only the wheel (plus a path to our site-packages)."""
    venv = tmp_path_factory.mktemp('venv')
    run([sys.executable, '-m', 'venv', '--without-pip', venv], REPO)
    python = venv / 'bin' / 'python'
    purelib = Path(
        run([
            python, '-c', 'import sysconfig; print('
            'sysconfig.get_paths()["purelib"])'
        ], venv).stdout.strip())
    run([
        sys.executable, '-m', 'pip', '--python', python, 'install', '-q',
        '--no-deps', wheel[1]
    ], venv)
    # torch, mmcv, mmdet, ...: this environment's packages, after the
    # venv's own (a plain path entry: its .pth files, among them the
    # editable install of this checkout, are not processed).
    (purelib /
     'zz-host-site.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    work = tmp_path_factory.mktemp('user_project')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1', TORCH_HOME=str(work / 'torch_home'))
    return python, work, env


def test_sdist_and_wheel_ship_every_config_tool_and_the_index(wheel):
    sdist, whl = wheel
    import tarfile
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split('/', 1)[1] for n in tar.getnames() if '/' in n}
    with zipfile.ZipFile(whl) as z:
        names = set(z.namelist())
    in_wheel = {
        n[len('mmiresnet/.mim/'):]
        for n in names if n.startswith('mmiresnet/.mim/')
    }
    expected = shipped_source_files()
    assert expected - in_sdist == set()
    assert expected - in_wheel == set()
    assert {'mmiresnet-config.pth', '_mmiresnet_config.py'} <= names
    # every family folder of configs/ has its README and metafile
    families = {p.parent for p in (REPO / 'configs').glob('*/metafile.yml')}
    assert families, 'no configs/<family>/metafile.yml'
    for folder in families:
        rel = folder.relative_to(REPO).as_posix()
        assert {f'{rel}/README.md', f'{rel}/metafile.yml'} <= in_wheel


def test_docs_range_table_is_the_wheels_requirements(wheel):
    """docs/packaging.md's ranges are the wheel's Requires-Dist."""
    from email.parser import Parser

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    with zipfile.ZipFile(wheel[1]) as z:
        (meta, ) = [n for n in z.namelist() if n.endswith('/METADATA')]
        fields = Parser().parsestr(z.read(meta).decode())
    required = {}
    for line in fields.get_all('Requires-Dist'):
        req = Requirement(line)
        if req.marker is None:  # not an extra
            required[req.name] = req.specifier
    doc = (REPO / 'docs' / 'packaging.md').read_text()
    rows = doc.split('| package | range (setup.py) |', 1)[1]
    rows = rows.split('\n\n', 1)[0].splitlines()[2:]
    documented = {
        cells[1].strip(): SpecifierSet(cells[2].split('`')[1])
        for cells in (row.split('|') for row in rows)
    }
    assert documented == required


def test_missing_file_fails_the_shipping_check(wheel, tmp_path):
    """The check above is not vacuous: drop one config, it fails."""
    _, whl = wheel
    with zipfile.ZipFile(whl) as z:
        names = {
            n[len('mmiresnet/.mim/'):]
            for n in z.namelist() if n.startswith('mmiresnet/.mim/')
        }
    config = sorted(
        n for n in names if n.startswith('configs/') and n.endswith('.py'))[0]
    assert shipped_source_files() - (names - {config}) == {config}


def python_in(installed, code, timeout=600):
    python, work, env = installed
    return run([python, '-c', textwrap.dedent(code)],
               work,
               env,
               timeout=timeout)


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    out = python_in(
        installed, """
        import mmiresnet, os
        from mmiresnet import model_zoo
        print(mmiresnet.__file__)
        print(model_zoo.config_root())
    """).stdout.split()
    python, work, _ = installed
    venv = Path(python).parents[1]
    assert all(Path(p).is_relative_to(venv) for p in out), out
    assert out[1].endswith(os.path.join('mmiresnet', '.mim'))


def test_model_hub_from_another_folder(installed, tmp_path):
    """list_models, get_model (classifier with pretrained weights from a
    local mirror, detector) by name, DetInferencer by config + weights."""
    mirror = tmp_path / 'mirror'
    mirror.mkdir()
    torch.manual_seed(0)
    net = OfficialNet(OfficialBottleneck, (3, 4, 6, 3))
    torch.save(net.state_dict(), mirror / 'iresnet50.pth')
    python, work, env = installed
    env = dict(env, MMIRESNET_WEIGHTS_MIRROR=str(mirror))
    code = textwrap.dedent("""
        import json
        import numpy as np
        import torch
        import mmiresnet  # noqa: F401
        from mmpretrain import get_model, list_models
        from mmdet.apis import DetInferencer
        from mmiresnet.model_zoo import config_root
        names = list_models('*iresnet*')
        cls = get_model('iresnet50_8xb32_in1k', pretrained=True)
        det = get_model('ssd300_iresnet50_coco')
        config = config_root() + '/configs/ssd/ssd192_iresnet18_synthetic.py'
        model = get_model(config)
        torch.save({'state_dict': model.state_dict()}, 'det.pth')
        infer = DetInferencer(model=config, weights='det.pth', device='cpu',
                              show_progress=False)
        image = np.random.default_rng(0).integers(0, 255, (96, 128, 3),
                                                  np.uint8)
        result = infer(image)['predictions'][0]
        print(json.dumps(dict(
            n=len(names), cls=type(cls).__name__,
            stem=float(cls.backbone.conv1.weight.double().sum()),
            det=type(det).__name__, boxes=len(result['bboxes']))))
    """)
    proc = run([python, '-c', code], work, env)
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got['n'] >= 100
    assert got['cls'] == 'ImageClassifier'
    assert got['stem'] == pytest.approx(
        float(net.conv1.weight.double().sum()), rel=1e-6)
    assert got['det'] == 'SingleStageDetector'
    assert got['boxes'] >= 0


def test_mim_search_lists_the_models(installed):
    python, work, env = installed
    proc = run([python, '-m', 'mim', 'search', 'mmiresnet'], work, env)
    assert 'iresnet50_8xb32_in1k' in proc.stdout
    assert 'ssd300_iresnet50_coco' in proc.stdout


def test_downstream_config_inherits_by_package_name(installed):
    """A user's config: ``_base_ = 'mmiresnet::<family>/<file>'``, read by
    a process that imports nothing of mmiresnet (as ``mim train mmdet``
    runs mmdet's script: the base is resolved before custom_imports)."""
    python, work, env = installed
    (work / 'my_ssd.py').write_text(
        textwrap.dedent("""
        _base_ = 'mmiresnet::ssd/ssd300_iresnet50_coco.py'
        model = dict(bbox_head=dict(num_classes=3))
    """))
    out = python_in(
        installed, """
        import sys
        from mmengine.config import Config
        cfg = Config.fromfile('my_ssd.py')
        assert 'mmiresnet' in sys.modules  # its custom_imports ran
        print(cfg.model.backbone.type, cfg.model.bbox_head.num_classes,
              cfg.default_scope)
    """).stdout.split()
    assert out == ['IResNet', '3', 'mmdet']


def test_mim_train_mmiresnet_runs_our_train_script(installed):
    """``mim train mmiresnet iresnet29_digits.py``: mim finds the config
    in the package, runs our tools/train.py, which runs MMPretrain's."""
    python, work, env = installed
    data = work / 'digits'
    python_in(
        installed, f"""
        from mmiresnet.datasets.digits import make_digits
        make_digits({str(data)!r})
    """)
    opts = [
        f'{loader}.dataset.data_root={data}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    opts += [
        'train_dataloader.dataset.indices=32',
        'val_dataloader.dataset.indices=16', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=16', 'val_dataloader.batch_size=16',
        'param_scheduler=None'
    ]
    proc = run([
        python, '-m', 'mim', 'train', 'mmiresnet', 'iresnet29_digits.py',
        '--work-dir', work / 'run', '--cfg-options', *opts
    ], work, env)
    assert 'tools/train.py' in proc.stdout
    assert (work / 'run' / 'epoch_1.pth').is_file()
