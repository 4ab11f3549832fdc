"""``iresnet://<arch>``: the official ImageNet weights as a checkpoint URI.

``import mmiresnet`` registers the scheme with mmengine's
``CheckpointLoader``, so ``iresnet://iresnet50`` works wherever a checkpoint
path does: ``init_cfg=dict(type='Pretrained', checkpoint=...)``,
``load_from``, ``load_checkpoint`` and MMPretrain's
``get_model(..., pretrained=True)``. ``<arch>`` is any name of
:func:`mmiresnet.archs.archs_with_weights`.

* First use: the official file is downloaded (Google Drive through
  ``gdown``, torchvision's URL, or the mirror named by
  ``$MMIRESNET_WEIGHTS_MIRROR``), checked and converted with
  :func:`mmiresnet.checkpoint.official_to_classifier` (Duta et al. 2020,
  official code: same parameter names as our backbones), and the classifier
  state dict (``backbone.*``, ``head.fc.*``) is written atomically to
  ``<torch hub dir>/checkpoints/mmiresnet/<arch>_in1k.pth``.
* Later uses read that file and touch no network.
* A failed download or a wrong file raises :class:`WeightsError` naming the
  arch and the source; nothing is cached, so the next call tries again.
"""
import hashlib
import os
import os.path as osp
import re
import tempfile

import torch

from .archs import ARCHS, archs_with_weights, get_arch

SCHEME = 'iresnet://'
MIRROR_ENV = 'MMIRESNET_WEIGHTS_MIRROR'
#: Classes of the official ImageNet-1k classifiers.
NUM_CLASSES = 1000

__all__ = [
    'SCHEME', 'MIRROR_ENV', 'WeightsError', 'parse_uri', 'cache_dir',
    'cached_file', 'weights_source', 'load_weights', 'register_scheme'
]


class WeightsError(RuntimeError):
    """Official weights could not be downloaded, checked or converted."""


def _one_line(error, limit=300):
    text = ' '.join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit - 3] + '...'


def parse_uri(uri):
    """The arch of ``iresnet://<arch>`` (or of a bare arch name).

    A ValueError lists the allowed names; nothing is downloaded.
    """
    text = str(uri)
    arch = text[len(SCHEME):] if text.startswith(SCHEME) else text
    allowed = archs_with_weights()
    if arch not in allowed:
        why = 'has no official ImageNet weights' if arch in ARCHS \
            else 'is not a known arch'
        raise ValueError(f'{SCHEME}{arch}: {arch!r} {why}; allowed: '
                         f'{", ".join(SCHEME + a for a in allowed)}')
    return arch


def cache_dir():
    """``<torch hub dir>/checkpoints/mmiresnet`` (follows ``TORCH_HOME``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', 'mmiresnet')


def cached_file(arch):
    """Where the converted classifier of ``arch`` is cached."""
    return osp.join(cache_dir(), f'{parse_uri(arch)}_in1k.pth')


def weights_source(arch):
    """Where the official file of ``arch`` comes from.

    ``$MMIRESNET_WEIGHTS_MIRROR`` (a local folder or an ``http(s)://`` base
    URL holding ``<arch>.pth``) wins over the published source
    (:data:`mmiresnet.archs.OFFICIAL_WEIGHTS`: ``gdrive://<file id>`` or an
    https URL).
    """
    arch = parse_uri(arch)
    mirror = os.environ.get(MIRROR_ENV, '').strip()
    if not mirror:
        return get_arch(arch).weights
    if re.match(r'^https?://', mirror, re.I):
        return f'{mirror.rstrip("/")}/{arch}.pth'
    if re.match(r'^[A-Za-z][A-Za-z0-9+.-]*://', mirror):
        raise ValueError(f'{MIRROR_ENV}={mirror!r}: allowed are a local '
                         'folder or an http(s):// base URL holding '
                         f'{arch}.pth')
    folder = osp.abspath(osp.expanduser(mirror))
    if not osp.isdir(folder):
        raise ValueError(f'{MIRROR_ENV}={mirror!r} is not a folder; allowed '
                         'are a local folder or an http(s):// base URL '
                         f'holding {arch}.pth')
    return osp.join(folder, f'{arch}.pth')


def download_drive(file_id, dst):
    """Download Google-Drive file ``file_id`` to ``dst`` with ``gdown``.

    ``gdown`` gets past Drive's "cannot scan for viruses" page for large
    files and shows a progress bar.
    """
    try:
        import gdown
    except ImportError:
        raise WeightsError(
            'the Python package gdown is needed to download from Google '
            f'Drive: pip install gdown (or set {MIRROR_ENV})') from None
    if gdown.download(id=file_id, output=dst, quiet=False) is None:
        raise WeightsError('gdown could not download the file')  # gdown < 5


def download_url(url, dst, hash_prefix=None):
    """Download ``url`` to ``dst`` with a progress bar (``torch.hub``).

    ``hash_prefix``: leading hex digits of the file's SHA-256, checked when
    given (torchvision's file names carry them).
    """
    torch.hub.download_url_to_file(url, dst, hash_prefix, progress=True)


def _fetch(arch, source, folder):
    """Download the official file of ``arch`` into ``folder``; its path."""
    if source.startswith('gdrive://'):
        dst = osp.join(folder, f'{arch}.pth')
        download_drive(source[len('gdrive://'):], dst)
    elif re.match(r'^https?://', source, re.I):
        dst = osp.join(folder, f'{arch}.pth')
        # torchvision names files <name>-<first 8 hex of sha256>.pth
        match = re.search(r'-([0-9a-f]{8,})\.pth$', source)
        official = source == get_arch(arch).weights
        download_url(source, dst,
                     match.group(1) if match and official else None)
    else:
        raise ValueError(f'unknown source {source!r}')
    if not osp.isfile(dst):
        raise FileNotFoundError(f'the download left no file {dst}')
    return dst


def _read_official(arch, path, source):
    """Load and check an official file; returns (state dict, sha256)."""
    size = osp.getsize(path)
    if size == 0:
        raise WeightsError(f'{SCHEME}{arch}: {source} is an empty file')
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        head = f.read(1024)
        digest.update(head)
        for chunk in iter(lambda: f.read(1 << 22), b''):
            digest.update(chunk)
    if head.lstrip()[:1] == b'<':
        raise WeightsError(
            f'{SCHEME}{arch}: {source} gave an HTML page, not a checkpoint '
            '(Google Drive refuses downloads when the quota is exceeded; '
            f'retry later or set {MIRROR_ENV})')
    try:
        state_dict = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        raise WeightsError(
            f'{SCHEME}{arch}: {source} is not a loadable checkpoint '
            f'({size} bytes; truncated or corrupt?): {_one_line(error)}'
        ) from error
    return state_dict, digest.hexdigest()


def _convert(arch, state_dict, source):
    from .checkpoint import official_to_classifier
    try:
        converted, num_classes = official_to_classifier(
            state_dict,
            get_arch(arch).backbone_cfg())
    except ValueError as error:
        raise WeightsError(
            f'{SCHEME}{arch}: {source} does not hold official {arch} '
            f'weights: {_one_line(error)}') from error
    if num_classes != NUM_CLASSES:
        raise WeightsError(
            f'{SCHEME}{arch}: {source} has a {num_classes}-class fc; the '
            f'official ImageNet classifiers have {NUM_CLASSES}')
    return converted


def _log(message):
    from mmengine.logging import print_log
    print_log(message, logger='current')


def load_weights(uri, map_location='cpu'):
    """The converted classifier checkpoint of ``iresnet://<arch>``.

    Returns ``{'state_dict': {backbone.*, head.fc.*}, 'meta': {...}}``
    (tensors and primitives only); downloads and converts on first use.

    Args:
        uri (str): ``iresnet://<arch>`` or the arch name.
        map_location: As for ``torch.load``.
    """
    arch = parse_uri(uri)
    path = cached_file(arch)
    if osp.isfile(path):
        try:
            return torch.load(
                path, map_location=map_location, weights_only=True)
        except Exception as error:
            raise WeightsError(
                f'{SCHEME}{arch}: cached file {path} is unreadable '
                f'({_one_line(error)}); delete it to download the weights '
                'again') from error
    source = weights_source(arch)
    folder = cache_dir()
    os.makedirs(folder, exist_ok=True)
    _log(f'{SCHEME}{arch}: fetching the official weights from {source}')
    with tempfile.TemporaryDirectory(prefix='.download_', dir=folder) as tmp:
        if osp.isabs(source):  # a mirror folder: read in place
            if not osp.isfile(source):
                raise WeightsError(f'{SCHEME}{arch}: mirror file {source} '
                                   'not found')
            raw = source
        else:
            try:
                raw = _fetch(arch, source, tmp)
            except Exception as error:
                raise WeightsError(f'{SCHEME}{arch}: download from {source} '
                                   f'failed: {_one_line(error)}') from error
        state_dict, sha256 = _read_official(arch, raw, source)
    converted = _convert(arch, state_dict, source)
    from .checkpoint import save_atomic
    from .version import __version__
    checkpoint = dict(
        state_dict=converted,
        meta=dict(
            arch=arch,
            source=source,
            source_sha256=sha256,
            num_classes=NUM_CLASSES,
            converted_by='mmiresnet ' + __version__))
    save_atomic(checkpoint, path, force=True)
    _log(f'{SCHEME}{arch}: converted and cached at {path}')
    if map_location not in (None, 'cpu'):
        return torch.load(path, map_location=map_location, weights_only=True)
    return checkpoint


def load_from_iresnet(filename, map_location=None):
    """mmengine ``CheckpointLoader`` backend of ``iresnet://``.

    In distributed runs rank 0 fetches and converts first and the other
    ranks wait at a barrier, then read its cache (as mmengine's own
    ``http(s)://`` loader does), so the file is downloaded once.
    """
    from mmengine.dist import get_dist_info
    map_location = 'cpu' if map_location is None else map_location
    parse_uri(filename)  # unknown arch: the same error on every rank
    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = load_weights(filename, map_location=map_location)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = load_weights(filename, map_location=map_location)
    return checkpoint


def register_scheme():
    """Register ``iresnet://`` with mmengine's ``CheckpointLoader``."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes=SCHEME, loader=load_from_iresnet, force=True)
