"""The ``iresnet://<arch>`` checkpoint scheme (mmiresnet/weights.py).

No network: a mirror served by a loopback HTTP server (127.0.0.1), a mirror
folder, and Google Drive / torchvision downloads replaced by fakes. The
official-layout files hold random weights (tests/official_iresnet.py).
"""
import http.server
import os
import os.path as osp
import sys
import threading
import types
from functools import partial
from pathlib import Path

import pytest
import torch
from official_iresnet import OfficialBottleneck, OfficialNet

import mmiresnet  # noqa: F401
from mmiresnet import weights
from mmiresnet.archs import OFFICIAL_WEIGHTS, archs_with_weights, get_arch
from mmiresnet.checkpoint import official_to_classifier
from mmiresnet.compat import weights_only_load

CONFIG = 'iresnet50_8xb32_in1k'


def randomize(model, seed=0):
    """Random weights and BN statistics, so that layouts must really match."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.randn(tensor.shape, generator=gen) * 0.1
                if name.endswith('running_var'):
                    values = values.abs() + 0.5
                tensor.copy_(values)
    return model.eval()


@pytest.fixture(scope='session')
def official(tmp_path_factory):
    """The official iResNet-50 net with random weights and its file.

    The folder also holds broken files under other names: ``truncated/``,
    ``empty/``, ``html/``, ``notdict/``, ``wrongarch/`` (each with
    ``iresnet50.pth``).
    """
    root = tmp_path_factory.mktemp('mirror')
    net = randomize(OfficialNet(OfficialBottleneck, (3, 4, 6, 3)))
    os.makedirs(root / 'good')
    path = root / 'good' / 'iresnet50.pth'
    # DataParallel keys, as some official files have them
    torch.save({f'module.{k}': v for k, v in net.state_dict().items()}, path)
    data = path.read_bytes()
    bad = {
        'truncated':
        data[:len(data) // 2],
        'empty':
        b'',
        'html':
        b'<!DOCTYPE html><html><head><title>Google Drive - Virus '
        b'scan warning</title></head></html>',
    }
    for name, content in bad.items():
        os.makedirs(root / name)
        (root / name / 'iresnet50.pth').write_bytes(content)
    os.makedirs(root / 'notdict')
    torch.save([1, 2, 3], root / 'notdict' / 'iresnet50.pth')
    os.makedirs(root / 'wrongarch')  # a ResNet-50 layout under iResNet's name
    sd = {k: v for k, v in net.state_dict().items() if 'bn0' not in k}
    torch.save(sd, root / 'wrongarch' / 'iresnet50.pth')
    return net, root


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope='session')
def server(official):
    """``http://127.0.0.1:PORT`` serving the mirror folder; ``.requests``."""
    _, root = official
    handler = type('Handler', (_Handler, ), {'requests': []})
    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield types.SimpleNamespace(
        url=f'http://127.0.0.1:{httpd.server_address[1]}',
        requests=handler.requests)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """Classifiers build in MMPretrain's scope, whatever scope an earlier
    test's Runner left current (mmengine keeps the latest DefaultScope)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """A fresh, empty torch hub folder and no mirror for every test."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.delenv(weights.MIRROR_ENV, raising=False)
    return tmp_path / 'torch_home'


@pytest.fixture
def no_network(monkeypatch):
    """Downloads fail the test if attempted."""

    def fail(*args, **kwargs):
        raise AssertionError(f'unexpected download {args}')

    monkeypatch.setattr(weights, 'download_url', fail)
    monkeypatch.setattr(weights, 'download_drive', fail)
    monkeypatch.setitem(sys.modules, 'gdown', None)  # import fails


def cache_contents():
    folder = weights.cache_dir()
    return sorted(os.listdir(folder)) if osp.isdir(folder) else []


def reference_logits(official_net, x):
    with torch.no_grad():
        return official_net(x.clone())


def build_classifier(repo_root):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(
        str(repo_root / 'configs' / 'iresnet' / f'{CONFIG}.py'))
    return MODELS.build(cfg.model).eval()


def test_http_mirror_converts_once_then_uses_the_cache(official, server,
                                                       monkeypatch, torch_home,
                                                       repo_root):
    from mmengine.runner import load_checkpoint
    net, root = official
    monkeypatch.setenv(weights.MIRROR_ENV, server.url + '/good/')
    before = len(server.requests)
    ckpt = weights.load_weights('iresnet://iresnet50')
    assert server.requests[before:] == ['/good/iresnet50.pth']
    # cached in the torch hub folder of TORCH_HOME, nothing else left there
    assert weights.cached_file('iresnet50') == str(
        torch_home / 'hub' / 'checkpoints' / 'mmiresnet' /
        'iresnet50_in1k.pth')
    assert cache_contents() == ['iresnet50_in1k.pth']
    # the classifier layout, loadable weights-only
    cached = torch.load(weights.cached_file('iresnet50'), weights_only=True)
    assert set(cached) == {'state_dict', 'meta'}
    assert cached['meta']['arch'] == 'iresnet50'
    assert cached['meta']['source'] == server.url + '/good/iresnet50.pth'
    assert all(
        k.startswith(('backbone.', 'head.fc.')) for k in ckpt['state_dict'])
    # same tensors as the converter route
    expected, num_classes = official_to_classifier(
        torch.load(root / 'good' / 'iresnet50.pth', weights_only=True),
        get_arch('iresnet50').backbone_cfg())
    assert num_classes == 1000 and set(expected) == set(ckpt['state_dict'])
    for key, value in expected.items():
        assert torch.equal(ckpt['state_dict'][key], value), key
    # mmengine's load_checkpoint through the scheme: the official logits
    classifier = build_classifier(repo_root)
    load_checkpoint(classifier, 'iresnet://iresnet50', strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        got = classifier(x, mode='tensor')
    assert torch.equal(got, reference_logits(net, x))
    assert len(server.requests) == before + 1  # the second load: the cache


def test_backbone_init_from_the_scheme_ignores_unbuilt_stages(
        official, server, monkeypatch):
    """The SSD trunk (stages 1-3) initialises from ``backbone.*``."""
    from mmengine.registry import MODELS
    net, _ = official
    monkeypatch.setenv(weights.MIRROR_ENV, server.url + '/good')
    trunk = MODELS.build(
        dict(
            type='IResNet',
            depth=50,
            num_stages=3,
            strides=(2, 2, 1),
            out_indices=(2, ),
            init_cfg=dict(
                type='Pretrained',
                checkpoint='iresnet://iresnet50',
                prefix='backbone.')))
    trunk.init_weights()
    official_sd = net.state_dict()
    for key, value in trunk.state_dict().items():
        assert torch.equal(value, official_sd[key]), key


def test_local_mirror_folder(official, monkeypatch):
    net, root = official
    monkeypatch.setenv(weights.MIRROR_ENV, str(root / 'good'))
    assert weights.weights_source('iresnet50') == str(root / 'good' /
                                                      'iresnet50.pth')
    ckpt = weights.load_weights('iresnet50')
    assert ckpt['meta']['source'] == str(root / 'good' / 'iresnet50.pth')
    assert torch.equal(ckpt['state_dict']['head.fc.weight'],
                       net.fc.weight.detach())
    assert cache_contents() == ['iresnet50_in1k.pth']
    # the mirror file itself is left alone
    assert osp.isfile(root / 'good' / 'iresnet50.pth')


def test_google_drive_route_uses_gdown(official, monkeypatch):
    """No mirror: the official Drive file via ``gdown`` (faked here)."""
    net, root = official
    calls = []

    def fake_download(id=None, output=None, quiet=False, **kwargs):
        calls.append(id)
        with open(output, 'wb') as f:
            f.write((root / 'good' / 'iresnet50.pth').read_bytes())
        return output

    monkeypatch.setitem(sys.modules, 'gdown',
                        types.SimpleNamespace(download=fake_download))
    monkeypatch.setattr(weights, 'download_url', None)  # not this route
    ckpt = weights.load_weights('iresnet://iresnet50')
    assert calls == [OFFICIAL_WEIGHTS['iresnet50'][len('gdrive://'):]]
    assert ckpt['meta']['source'] == OFFICIAL_WEIGHTS['iresnet50']
    assert torch.equal(ckpt['state_dict']['head.fc.bias'],
                       net.fc.bias.detach())
    weights.load_weights('iresnet://iresnet50')
    assert len(calls) == 1  # cached


@pytest.mark.parametrize('page', [b'<!DOCTYPE html><html>quota</html>', None])
def test_google_drive_failures(page, monkeypatch):
    """Drive's HTML page or a network error: arch + source, nothing cached."""

    def fake_download(id=None, output=None, quiet=False, **kwargs):
        if page is None:
            raise ConnectionError('Failed to connect to drive.google.com')
        with open(output, 'wb') as f:
            f.write(page)
        return output

    monkeypatch.setitem(sys.modules, 'gdown',
                        types.SimpleNamespace(download=fake_download))
    with pytest.raises(weights.WeightsError) as info:
        weights.load_weights('iresnet://iresgroup50')
    message = str(info.value)
    assert '\n' not in message
    assert 'iresnet://iresgroup50' in message
    assert OFFICIAL_WEIGHTS['iresgroup50'] in message
    assert ('HTML' if page else 'Failed to connect') in message
    assert cache_contents() == []


def test_gdown_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'gdown', None)
    with pytest.raises(weights.WeightsError, match='pip install gdown'):
        weights.load_weights('iresnet://iresnet101')
    assert cache_contents() == []


def test_torchvision_route_checks_the_hash_prefix(monkeypatch, tmp_path):
    """resnet50: torchvision's URL and file layout convert for IResNet."""
    import torchvision
    calls = []
    src = tmp_path / 'resnet50.pth'
    torch.save(torchvision.models.resnet50().state_dict(), src)

    def fake_download(url, dst, hash_prefix=None):
        calls.append((url, hash_prefix))
        with open(dst, 'wb') as f:
            f.write(src.read_bytes())

    monkeypatch.setattr(weights, 'download_url', fake_download)
    ckpt = weights.load_weights('iresnet://resnet50')
    assert calls == [(OFFICIAL_WEIGHTS['resnet50'], '0676ba61')]
    assert 'backbone.layer4.2.conv3.weight' in ckpt['state_dict']


@pytest.mark.parametrize('case,words', [
    ('truncated', 'not a loadable checkpoint'),
    ('empty', 'empty file'),
    ('html', 'HTML page'),
    ('notdict', 'not a state dict'),
    ('wrongarch', 'does not hold official iresnet50 weights'),
    ('missing', 'HTTP Error 404'),
])
def test_bad_mirror_file_caches_nothing_and_the_next_call_retries(
        case, words, official, server, monkeypatch):
    net, _ = official
    monkeypatch.setenv(weights.MIRROR_ENV, f'{server.url}/{case}')
    with pytest.raises(weights.WeightsError) as info:
        weights.load_weights('iresnet://iresnet50')
    message = str(info.value)
    assert '\n' not in message, message
    assert message.startswith('iresnet://iresnet50: ')
    assert f'{server.url}/{case}/iresnet50.pth' in message
    assert words in message
    assert cache_contents() == []  # no partial or temp file either
    monkeypatch.setenv(weights.MIRROR_ENV, f'{server.url}/good')
    ckpt = weights.load_weights('iresnet://iresnet50')
    assert torch.equal(ckpt['state_dict']['head.fc.bias'],
                       net.fc.bias.detach())


def test_bad_local_mirror(official, monkeypatch, tmp_path, no_network):
    _, root = official
    monkeypatch.setenv(weights.MIRROR_ENV, str(root / 'truncated'))
    with pytest.raises(
            weights.WeightsError,
            match=r'^iresnet://iresnet50: .*truncated.*'
            'not a loadable checkpoint'):
        weights.load_weights('iresnet://iresnet50')
    monkeypatch.setenv(weights.MIRROR_ENV, str(tmp_path))  # no such file
    with pytest.raises(weights.WeightsError, match='iresnet50.pth'):
        weights.load_weights('iresnet://iresnet50')
    for value in (str(tmp_path / 'nowhere'), 'ftp://example.org/w'):
        monkeypatch.setenv(weights.MIRROR_ENV, value)
        with pytest.raises(ValueError, match='local folder or an http'):
            weights.load_weights('iresnet://iresnet50')
    assert cache_contents() == []


@pytest.mark.parametrize('uri', [
    'iresnet://nope', 'iresnet://iresnet18', 'iresnet://',
    'iresnet://IResNet50'
])
def test_unknown_arch_is_refused_before_any_download(uri, no_network):
    from mmengine.runner.checkpoint import CheckpointLoader
    with pytest.raises(ValueError) as info:
        CheckpointLoader.load_checkpoint(uri)
    message = str(info.value)
    assert '\n' not in message
    assert message.startswith(uri + ':')
    assert 'allowed: ' + ', '.join('iresnet://' + a
                                   for a in archs_with_weights()) in message
    assert cache_contents() == []


def test_unreadable_cache_file_names_it(no_network):
    os.makedirs(weights.cache_dir())
    with open(weights.cached_file('iresnet50'), 'wb') as f:
        f.write(b'garbage')
    with pytest.raises(weights.WeightsError, match='delete it'):
        weights.load_weights('iresnet://iresnet50')


def test_get_model_pretrained_from_the_mirror(official, server, monkeypatch,
                                              repo_root):
    """MMPretrain's get_model / inferencer by name: the official logits.

    The first call downloads from the loopback mirror and converts; the
    second and the inferencer read the cache and send no request.
    """
    import numpy as np
    from mmpretrain import ImageClassificationInferencer, get_model
    net, root = official
    monkeypatch.setenv(weights.MIRROR_ENV, server.url + '/good')
    before = len(server.requests)
    model = get_model(CONFIG, pretrained=True)
    assert server.requests[before:] == ['/good/iresnet50.pth']
    # the converter route: convert the same file, load it into the config
    converted, _ = official_to_classifier(
        torch.load(root / 'good' / 'iresnet50.pth', weights_only=True),
        get_arch('iresnet50').backbone_cfg())
    reference = build_classifier(repo_root)
    reference.load_state_dict(converted, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        got = model(x, mode='tensor')
        assert torch.equal(got, reference(x, mode='tensor'))
    assert torch.equal(got, reference_logits(net, x))
    again = get_model(CONFIG, pretrained=True)
    assert torch.equal(again.head.fc.weight, model.head.fc.weight)
    inferencer = ImageClassificationInferencer(CONFIG, pretrained=True)
    image = np.random.default_rng(0).integers(0, 255, (80, 96, 3), np.uint8)
    (result, ) = inferencer(image)
    assert 0 <= result['pred_label'] < 1000
    assert len(server.requests) == before + 1


@pytest.mark.parametrize('arch', archs_with_weights())
def test_every_published_arch_has_a_source_and_converts(arch):
    """Each arch's official layout (its backbone's keys + fc) converts."""
    from mmengine.registry import MODELS
    source = weights.weights_source(f'iresnet://{arch}')
    assert source == OFFICIAL_WEIGHTS[arch]
    assert source.startswith(('gdrive://', 'https://download.pytorch.org/'))
    assert weights.cached_file(arch).endswith(f'mmiresnet/{arch}_in1k.pth')
    with torch.device('meta'):
        backbone = MODELS.build(get_arch(arch).backbone_cfg())
        channels = backbone.out_channels[-1]
        layout = dict(
            backbone.state_dict(), **{
                'fc.weight': torch.empty(1000, channels),
                'fc.bias': torch.empty(1000)
            })
    converted = weights._convert(arch, layout, source)
    assert len(converted) == len(layout)


@pytest.mark.parametrize('rank', [0, 1])
def test_distributed_ranks_download_once(rank, official, server, monkeypatch):
    """Rank 0 downloads before the barrier, the others after it."""
    import mmengine.dist
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setenv(weights.MIRROR_ENV, server.url + '/good')
    monkeypatch.setattr(mmengine.dist, 'get_dist_info', lambda: (rank, 2))
    before = len(server.requests)
    at_barrier = []
    monkeypatch.setattr(torch.distributed, 'barrier',
                        lambda: at_barrier.append(len(server.requests)))
    ckpt = CheckpointLoader.load_checkpoint('iresnet://iresnet50')
    assert at_barrier == [before + (1 if rank == 0 else 0)]
    assert len(server.requests) == before + 1  # (here: no rank-0 cache)
    assert 'head.fc.weight' in ckpt['state_dict']


# --- Detection configs: the backbone's official weights through the scheme

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
DET_CONFIGS = sorted(  # configs/<family>/<name>.py as '<family>/<name>.py'
    p.relative_to(CONFIG_DIR).as_posix() for p in CONFIG_DIR.glob('*/*.py')
    if p.name.startswith(('ssd',
                          'faster-rcnn_')) and p.parent.name != '_base_')
# Official-code net of an arch type: OfficialNet's ``group`` argument.
OFFICIAL_GROUP = {
    'IResNet': None,
    'IResGroup': 'scaled',
    'IResGroupFix': 'fixed'
}


@pytest.fixture(scope='session')
def official_files(official):
    """``get(arch)``: path of the mirror file ``det/<arch>.pth`` (random
    weights in the official code's layout, written on first use)."""
    _, root = official
    folder = root / 'det'
    os.makedirs(folder, exist_ok=True)

    def get(name):
        path = folder / f'{name}.pth'
        if not path.is_file():
            arch = get_arch(name)
            if arch.type not in OFFICIAL_GROUP or arch.variant != 'iresnet':
                pytest.fail(f'no official-code net for {name} in '
                            'tests/official_iresnet.py')
            seed = sorted(archs_with_weights()).index(name)
            net = randomize(
                OfficialNet(
                    OfficialBottleneck,
                    arch.stage_blocks,
                    group=OFFICIAL_GROUP[arch.type]),
                seed=seed)
            torch.save(net.state_dict(), path)
        return path

    return get


@pytest.fixture(scope='session')
def det_torch_home(tmp_path_factory):
    """One torch hub folder for the detection configs: an arch's file is
    downloaded and converted once, by the first config that uses it."""
    return tmp_path_factory.mktemp('det_torch_home')


@pytest.fixture(scope='module')
def cached_mmdet_index():
    """mmengine parses all of mmdet's metafiles for every ``mmdet::`` base
    of a config (about 2 s a config here); read them once in this module."""
    import functools

    import mmengine.config.utils as config_utils
    with pytest.MonkeyPatch.context() as patch:
        # only _get_cfg_metainfo reads files with this module's ``load``
        patch.setattr(config_utils, 'load',
                      functools.lru_cache()(config_utils.load))
        yield


@pytest.mark.parametrize('name', DET_CONFIGS)
def test_detection_config_backbone_loads_its_official_weights(
        name, official_files, server, det_torch_home, cached_mmdet_index,
        monkeypatch, repo_root):
    """A backbone with official weights says ``iresnet://<arch>`` with
    ``prefix='backbone.'`` and, built from the config with that init_cfg,
    gets the converted mirror file's ``backbone.*`` tensors (stages it does
    not build ignored). OpenMMLab's ResNet keeps ``torchvision://``;
    backbones without official weights (RGSNet, iResNet-18) have none."""
    from mmengine.config import Config
    from mmengine.registry import MODELS

    from mmiresnet.model_zoo import config_arch
    cfg = Config.fromfile(str(repo_root / 'configs' / name))
    backbone_cfg = cfg.model.backbone
    init_cfg = backbone_cfg.get('init_cfg')
    arch = config_arch(backbone_cfg)
    if backbone_cfg.type == 'ResNet':  # mmdet's ResNet: torchvision's file
        assert dict(
            init_cfg, prefix=init_cfg.get('prefix')) == dict(
                type='Pretrained',
                checkpoint=f'torchvision://{arch}',
                prefix=None), name
        return
    if arch not in archs_with_weights():
        checkpoint = (init_cfg or {}).get('checkpoint', '')
        assert '://' not in checkpoint, name  # a local file or nothing
        return
    assert init_cfg == dict(
        type='Pretrained', checkpoint=f'iresnet://{arch}',
        prefix='backbone.'), name
    path = official_files(arch)
    monkeypatch.setenv('TORCH_HOME', str(det_torch_home))
    monkeypatch.setenv(weights.MIRROR_ENV, server.url + '/det')
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    meta = torch.load(weights.cached_file(arch), weights_only=True)['meta']
    assert meta['source'] == f'{server.url}/det/{arch}.pth'  # the mirror
    expected, _ = official_to_classifier(
        torch.load(path, weights_only=True),
        get_arch(arch).backbone_cfg())
    built = backbone.state_dict()
    assert len(built) > 100
    for key, value in built.items():
        if key.endswith('num_batches_tracked'):
            continue
        assert torch.equal(value, expected['backbone.' + key]), (name, key)
    # what the file has beyond the built net: only stages it does not build
    unused = {
        k.split('.')[1]
        for k in expected
        if k.startswith('backbone.') and k[len('backbone.'):] not in built
    }
    num_stages = backbone_cfg.get('num_stages', 4)
    assert unused == {f'layer{i}' for i in range(num_stages + 1, 5)}, name


COCO_NAMES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane')


def small_coco_set(root):
    """A small COCO-format set in ``root`` (COCO 2017's layout and file
    names): the synthetic shapes, 4 train / 2 val images, with COCO category
    names so that the COCO config's classes match them."""
    import json
    import shutil

    from mmiresnet.datasets.synthetic import make_synthetic
    src = root.parent / 'synthetic'
    make_synthetic(src, num_train=4, num_val=2, size=96, seed=5)
    (root / 'annotations').mkdir(parents=True)
    for split in ('train', 'val'):
        shutil.copytree(src / 'coco' / split, root / f'{split}2017')
        ann = json.loads((src / 'coco' / 'annotations' /
                          f'instances_{split}.json').read_text())
        for cat, name in zip(ann['categories'], COCO_NAMES):
            cat['name'] = name
        (root / 'annotations' / f'instances_{split}2017.json').write_text(
            json.dumps(ann))


@pytest.mark.slow
def test_mim_train_ssd300_with_only_the_mirror_set(official, tmp_path,
                                                   repo_root):
    """The users' command,
    ``mim train mmdet configs/ssd300_iresnet50_coco.py``,
    run where ``data/coco`` holds a small COCO-format set, with nothing set but
    the mirror and a short schedule: it fetches, converts and caches the
    official iResNet-50 file, then trains from it. At lr 0 the backbone's
    convolutions in the saved checkpoint are the converted file's."""
    mim = Path(sys.executable).parent / 'mim'
    if not mim.exists():
        pytest.skip('openmim is not installed next to this python')
    import subprocess
    _, root = official
    cwd = tmp_path / 'project'
    small_coco_set(cwd / 'data' / 'coco')
    torch_home = tmp_path / 'torch_home'
    env = dict(os.environ, OMP_NUM_THREADS='1', TORCH_HOME=str(torch_home))
    env[weights.MIRROR_ENV] = str(root / 'good')
    opts = [
        'train_cfg.max_epochs=1', 'optim_wrapper.optimizer.lr=0',
        'default_hooks.logger.interval=1'
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.batch_size=2', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    proc = subprocess.run([
        str(mim), 'train', 'mmdet',
        str(repo_root / 'configs' / 'ssd300_iresnet50_coco.py'), '--work-dir',
        'work', '--cfg-options', *opts
    ],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert f'iresnet://iresnet50: fetching the official weights from ' \
        f'{root / "good" / "iresnet50.pth"}' in out
    assert 'Epoch(train) [1][2/2]' in out and 'coco/bbox_mAP' in out
    cached = torch.load(
        torch_home / 'hub' / 'checkpoints' / 'mmiresnet' /
        'iresnet50_in1k.pth',
        weights_only=True)
    trained = weights_only_load(cwd / 'work' / 'epoch_1.pth')['state_dict']
    convs = [
        k for k in trained if k.startswith('backbone.') and 'conv' in k
        and k.endswith('.weight') and trained[k].dim() == 4
    ]
    assert len(convs) > 30
    for key in convs:
        assert torch.equal(trained[key], cached['state_dict'][key]), key
