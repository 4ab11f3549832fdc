"""Checks of a run's inputs before the runner starts (one-line errors).

``tools/train.py`` and ``tools/test.py`` call :func:`check_run` after the
config is read: data roots, annotation files (COCO JSON, VOC id lists and
XML), listed images, classes that match the annotations, a dataset left
empty by its ``filter_cfg``, checkpoints (``load_from``, ``--resume``, the
test checkpoint, ``Pretrained`` backbones), the test's ``--out`` file and
the work dir. Each problem raises
:class:`PreflightError`, printed as ``error: ...`` with exit status 2. The
table of bad inputs and messages is docs/bad_inputs.md.
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
import tempfile

LOADERS = {'train': ('train_dataloader', 'val_dataloader'),
           'test': ('test_dataloader', )}
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
              '.tiff', '.webp')
#: ``--out`` suffixes the libraries' test scripts accept: results are
#: pickled (mmdet's ``DumpDetResults``, mmengine's ``DumpResults``);
#: MMPretrain's ``--out-item metrics`` goes through ``mmengine.dump``
#: (format by suffix).
PICKLE_SUFFIXES = ('.pkl', '.pickle')
DUMP_SUFFIXES = ('.json', '.yaml', '.yml') + PICKLE_SUFFIXES
VOC_BOX = ('xmin', 'ymin', 'xmax', 'ymax')


class PreflightError(ValueError):
    """A bad input found before the run starts."""


def fail(message):
    """Print ``error: message`` to stderr and exit with status 2.

    Args:
        message (str | Exception): The error; an ``OSError`` from writing
            is shown as ``cannot write FILE: reason``.
    """
    if isinstance(message, OSError) and message.filename:
        message = f'cannot write {message.filename}: {message.strerror}'
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def _short(names, limit=10):
    names = list(names)
    shown = ', '.join(repr(n) for n in names[:limit])
    return f'[{shown}, ... ({len(names)} in all)]' if len(names) > limit \
        else f'[{shown}]'


def _join(root, path):
    if not path or not root or osp.isabs(path):
        return path
    return osp.join(root, path)


def _dataset_class(type_name, scope):
    """The registered dataset class of ``type_name`` (None if unknown)."""
    import importlib
    scope, _, name = type_name.rpartition('.') if '.' in type_name \
        else (scope, '', type_name)
    try:
        registry = importlib.import_module(f'{scope}.registry').DATASETS
        return registry.get(name)
    except Exception:  # noqa: BLE001  the runner reports unknown types
        return None


def _leaf_datasets(dataset):
    """The datasets inside wrappers (RepeatDataset, ConcatDataset...)."""
    if not isinstance(dataset, dict):
        return []
    if isinstance(dataset.get('datasets'), (list, tuple)):
        return [d for sub in dataset['datasets'] for d in _leaf_datasets(sub)]
    if isinstance(dataset.get('dataset'), dict):
        return _leaf_datasets(dataset['dataset'])
    return [dataset]


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise PreflightError(f'{path} is not valid JSON (line {exc.lineno} '
                             f'column {exc.colno}: {exc.msg})') from None
    except UnicodeDecodeError:
        raise PreflightError(f'{path} is not valid JSON (not UTF-8 text)') \
            from None


def check_coco(ds, classes, ann_file, img_root):
    """Check a COCO-format dataset: JSON, classes, images, filtering.

    Args:
        ds (dict): The dataset config.
        classes (Sequence[str]): The config's classes.
        ann_file (str): Annotation JSON path.
        img_root (str): Folder the image ``file_name`` s are relative to.
    """
    data = _read_json(ann_file)
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k), list) for k in ('images', 'categories')):
        raise PreflightError(f"{ann_file} is not a COCO annotation file (it "
                             "needs 'images' and 'categories' lists)")
    names = [c.get('name') for c in data['categories']
             if isinstance(c, dict)]
    cat_ids = {c.get('id') for c in data['categories']
               if isinstance(c, dict) and c.get('name') in set(classes)}
    if not cat_ids:
        raise PreflightError(
            f"{ann_file}: no category matches the config's classes; found "
            f'{_short(names)}, expected {_short(classes)}')
    images = [im for im in data['images'] if isinstance(im, dict)]
    if not images:
        raise PreflightError(f'{ann_file} lists no images')
    missing = [im.get('file_name') for im in images
               if not osp.isfile(osp.join(img_root, str(im.get('file_name'))))]
    if missing:
        raise PreflightError(
            f'{ann_file} lists {len(missing)} image(s) missing under '
            f'{img_root}, e.g. {missing[0]}')
    annotated = {a.get('image_id') for a in data.get('annotations') or []
                 if isinstance(a, dict) and a.get('category_id') in cat_ids}
    check_filtering(ds, classes, ann_file, [
        (im.get('id') in annotated, (im.get('width'), im.get('height')))
        for im in images])


def check_filtering(ds, classes, ann_file, images):
    """Refuse a train set that mmdet's ``filter_data`` would leave empty.

    Args:
        ds (dict): The dataset config (``filter_cfg``, ``test_mode``).
        classes (Sequence[str]): The config's classes.
        ann_file (str): Annotation file, for messages.
        images (list[tuple]): ``(has an object of the classes, (width,
            height) or a callable returning it)`` per image.
    """
    filter_cfg = ds.get('filter_cfg') or {}
    if ds.get('test_mode', False):
        return
    empty_gt = bool(filter_cfg.get('filter_empty_gt', False))
    min_size = filter_cfg.get('min_size', 0) or 0
    if empty_gt:
        images = [im for im in images if im[0]]
        if not images:
            raise PreflightError(
                f'{ann_file}: the dataset is empty after filtering '
                '(filter_empty_gt=True): no image has an annotation of the '
                f"config's classes {_short(classes)}")
    if not min_size:
        return
    for _, size in images:
        size = size() if callable(size) else size
        if None in size or min(size) >= min_size:
            return
    kind = 'annotated image' if empty_gt else 'image'
    raise PreflightError(
        f'{ann_file}: the dataset is empty after filtering '
        f'(min_size={min_size}): no {kind} is at least {min_size} px on '
        'its short side')


def _voc_xml(path, classes):
    """``((width, height) or None, object names)`` of a VOC XML file,
    checked for what mmdet's ``XMLDataset`` reads."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise PreflightError(f'{path} is not valid XML ({exc})') from None
    size = root.find('size')
    wh = None
    if size is not None:
        try:
            wh = tuple(int(size.find(k).text) for k in ('width', 'height'))
        except (AttributeError, TypeError, ValueError):
            raise PreflightError(f'{path}: <size> needs integer <width> and '
                                 '<height>') from None
    names = []
    for k, obj in enumerate(root.findall('object'), 1):
        name = obj.find('name')
        if name is None:
            raise PreflightError(f'{path}: <object> {k} has no <name>')
        names.append(name.text)
        if name.text not in classes:
            continue  # mmdet skips it without reading further
        box, difficult = obj.find('bndbox'), obj.find('difficult')
        try:
            [float(box.find(c).text) for c in VOC_BOX]
            if difficult is not None:
                int(difficult.text)
        except (AttributeError, TypeError, ValueError):
            raise PreflightError(
                f"{path}: <object> {k} ({name.text!r}) needs a <bndbox> with "
                'numbers <xmin> <ymin> <xmax> <ymax> (and an integer '
                '<difficult> if given)') from None
    return wh, names


def _image_size(path):
    """``(width, height)`` from the image header (None, None if unread)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return im.size
    except OSError:
        return None, None


def check_voc(ds, classes, ann_file, sub_root, where):
    """Check a PASCAL VOC (``VOCDataset``) split: ids, files, XML, classes.

    Args:
        ds (dict): The dataset config.
        classes (Sequence[str]): The config's classes.
        ann_file (str): The split file (``ImageSets/Main/<split>.txt``).
        sub_root (str): The year folder (``VOCdevkit/VOC2007/``).
        where (str): E.g. ``'train_dataloader'``, for messages.
    """
    try:  # read as mmengine's list_from_file does
        with open(ann_file, encoding='utf-8') as f:
            ids = [line.rstrip('\n\r') for line in f]
    except UnicodeDecodeError:
        raise PreflightError(f'{ann_file} ({where}) is not a text file of '
                             'image ids (not UTF-8)') from None
    if not ids:
        raise PreflightError(f'{ann_file} ({where}) lists no images')
    if '' in ids:
        raise PreflightError(f"{ann_file} line {ids.index('') + 1} is empty; "
                             'a VOC split file holds one image id per line')
    ann_dir = osp.join(sub_root, ds.get('ann_subdir') or 'Annotations')
    img_dir = osp.join(sub_root, ds.get('img_subdir') or 'JPEGImages')
    for folder, ext in ((ann_dir, '.xml'), (img_dir, '.jpg')):
        missing = [i for i in ids
                   if not osp.isfile(osp.join(folder, i + ext))]
        if missing:
            raise PreflightError(
                f'{ann_file} lists {len(missing)} image(s) missing in '
                f'{folder}, e.g. {missing[0]}{ext}')
    found, images = {}, []
    for i in ids:
        size, names = _voc_xml(osp.join(ann_dir, i + '.xml'), classes)
        for name in names:
            found[name] = found.get(name, 0) + 1
        jpg = osp.join(img_dir, i + '.jpg')
        images.append((any(n in classes for n in names),
                       size or (lambda jpg=jpg: _image_size(jpg))))
    if found and not set(found) & set(classes):
        raise PreflightError(
            f"{ann_file}: no object in {ann_dir} matches the config's "
            f'classes; found {_short(found)}, expected {_short(classes)}')
    check_filtering(ds, classes, ann_file, images)


def check_dataset(ds, scope, where):
    """Check one (leaf) dataset config of a dataloader.

    Args:
        ds (dict): The dataset config.
        scope (str): The config's default_scope.
        where (str): E.g. ``'train_dataloader'``, for messages.
    """
    type_name = str(ds.get('type', ''))
    cls = _dataset_class(type_name, scope)
    root = ds.get('data_root') or ''
    if root and not osp.isdir(root):
        raise PreflightError(f'data root {root} ({where}) does not exist')
    names = [c.__name__ for c in getattr(cls, '__mro__', ())]
    voc = 'VOCDataset' in names
    prefix = ds.get('data_prefix') or ''
    if isinstance(prefix, dict):
        prefix = prefix.get('img') or prefix.get('img_path') or \
            prefix.get('sub_data_root') or ''
    img_root = _join(root, prefix) or root
    if voc and not osp.isdir(img_root or '.'):
        raise PreflightError(
            f'VOC folder {img_root} ({where}) does not exist (data_root + '
            "data_prefix.sub_data_root, e.g. 'VOCdevkit/VOC2007/')")
    ann_file = _join(root, ds.get('ann_file') or '')
    if ann_file and not osp.isfile(ann_file):
        what = 'VOC split file' if voc else 'annotation file'
        raise PreflightError(f'{what} {ann_file} ({where}) does not exist')
    metainfo = ds.get('metainfo') or {}
    classes = metainfo.get('classes') or \
        (getattr(cls, 'METAINFO', None) or {}).get('classes') or ()
    if 'CocoDataset' in names and ann_file:
        check_coco(ds, classes, ann_file, img_root)
    elif voc and ann_file:
        check_voc(ds, classes, ann_file, img_root, where)
    elif not ann_file and img_root:
        if not osp.isdir(img_root):
            raise PreflightError(
                f'image folder {img_root} ({where}) does not exist')
        if not any(f.lower().endswith(IMAGE_EXTS)
                   for _, _, files in os.walk(img_root) for f in files):
            raise PreflightError(
                f'image folder {img_root} ({where}) holds no images '
                f'({", ".join(IMAGE_EXTS)})')


def check_checkpoint(path, what):
    """Read a local checkpoint weights-only; URLs are left to mmengine."""
    from ..checkpoint import CheckpointReadError, load_file
    if not path or re.match(r'^[a-z]+://', str(path)):
        return
    try:
        load_file(str(path))
    except FileNotFoundError:
        raise PreflightError(f'{what} {path} does not exist') from None
    except CheckpointReadError as exc:
        raise PreflightError(f'{what} {exc}') from None


def _pretrained(node):
    """``checkpoint`` of every ``Pretrained`` init_cfg under ``node``."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield node['checkpoint']
        for value in node.values():
            yield from _pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _pretrained(value)


def check_writable(folder, what):
    """Create ``folder`` if needed and make sure a file can be written."""
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PreflightError(f'cannot write to {what} {folder}: '
                             f'{exc.strerror or exc}') from None


def check_out(path, scope, out_item=None):
    """Check the ``--out`` file of ``tools/test.py`` without writing it.

    Args:
        path (str): The ``--out`` value.
        scope (str): The config's default_scope ('mmdet' or 'mmpretrain').
        out_item (str | None): MMPretrain's ``--out-item``.
    """
    if osp.isdir(path):
        raise PreflightError(f'--out {path} is a folder; give a file name')
    metrics = scope == 'mmpretrain' and out_item == 'metrics'
    allowed = DUMP_SUFFIXES if metrics else PICKLE_SUFFIXES
    if not path.endswith(allowed):
        what = 'the metrics file' if metrics else 'the pickled results file'
        raise PreflightError(f'--out {path}: {what} must end with '
                             f'{", ".join(allowed)}')
    if osp.lexists(path):
        raise PreflightError(
            f'--out {path} exists; results are not written over an existing '
            'file: move it away or choose another --out')
    folder = osp.dirname(osp.abspath(path))
    while not osp.lexists(folder):  # the folder the run would create
        folder = osp.dirname(folder)
    if not osp.isdir(folder):
        raise PreflightError(
            f'cannot write --out {path}: {folder} is not a folder')
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise PreflightError(f'cannot write --out {path}: {folder}: '
                             f'{exc.strerror or exc}') from None


def check_run(task, cfg, argv):
    """Check the inputs of ``tools/<task>.py CONFIG ...`` before it runs.

    Args:
        task (str): 'train' or 'test'.
        cfg (mmengine.Config): The config as read (options not merged).
        argv (list[str]): The command line after the script name.
    """
    from .launch import cfg_options_of
    cfg = cfg.copy()
    try:
        cfg.merge_from_dict(cfg_options_of(argv))
    except Exception:  # noqa: BLE001  the library's script reports it
        pass
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--work-dir')
    parser.add_argument('--resume', nargs='?', const='auto')
    parser.add_argument('--out')
    parser.add_argument('--out-item')
    args, _ = parser.parse_known_args(argv[1:])
    scope = cfg.get('default_scope')
    if task == 'test' and args.out:
        check_out(args.out, scope, args.out_item)
    for name in LOADERS[task]:
        if name == 'val_dataloader' and not cfg.get('val_cfg'):
            continue
        loader = cfg.get(name)
        if isinstance(loader, dict):
            for ds in _leaf_datasets(loader.get('dataset')):
                check_dataset(ds, scope, name)
    if task == 'train':
        if args.resume not in (None, 'auto'):
            check_checkpoint(args.resume, '--resume checkpoint')
        elif args.resume is None:
            check_checkpoint(cfg.get('load_from'), 'load_from checkpoint')
        for path in _pretrained(cfg.get('model')):
            check_checkpoint(path, 'Pretrained checkpoint')
    else:
        if len(argv) > 1 and not argv[1].startswith('-'):
            check_checkpoint(argv[1], 'checkpoint')
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(argv[0]))[0])
    check_writable(work_dir, 'work dir')
