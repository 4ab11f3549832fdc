"""Checks of a dataset's files before the library reads them.

Each check raises :class:`PreflightError` with one line naming what is
wrong (and what was expected). The checked dataset types
(:mod:`mmiresnet.checks.datasets`) run them when they load their data, and
``tools/train.py`` / ``tools/test.py`` run them from the config before the
``Runner`` starts (:mod:`mmiresnet.checks.run`); a set that passed is not
checked twice in one process. Table of messages: docs/bad_inputs.md.
"""
import json
import os
import os.path as osp
import re

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff',
              '.webp')
VOC_BOX = ('xmin', 'ymin', 'xmax', 'ymax')
REMOTE = re.compile(r'^[a-z][a-z0-9+.-]*://')


class PreflightError(ValueError):
    """A bad input (data, checkpoint, output) found before it is used."""


def _short(names, limit=10):
    names = list(names)
    shown = ', '.join(repr(n) for n in names[:limit])
    return f'[{shown}, ... ({len(names)} in all)]' if len(names) > limit \
        else f'[{shown}]'


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


def check_filtering(ann_file, classes, images, filter_cfg, test_mode):
    """Refuse a train set that mmdet's ``filter_data`` would leave empty.

    Args:
        ann_file (str): Annotation file, for messages.
        classes (Sequence[str]): The dataset's classes.
        images (list[tuple]): ``(has an object of the classes, (width,
            height) or a callable returning it)`` per image.
        filter_cfg (dict | None): The dataset's ``filter_cfg``.
        test_mode (bool): Test sets are not filtered.
    """
    filter_cfg = filter_cfg or {}
    if test_mode:
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


def check_coco(ann_file, img_root, classes, filter_cfg=None, test_mode=False):
    """Check a COCO-format set: JSON, classes, images, filtering.

    Args:
        ann_file (str): Annotation JSON path.
        img_root (str): Folder the image ``file_name`` s are relative to.
        classes (Sequence[str]): The dataset's classes.
        filter_cfg (dict | None): The dataset's ``filter_cfg``.
        test_mode (bool): The dataset's ``test_mode``.
    """
    if not osp.isfile(ann_file):
        raise PreflightError(f'annotation file {ann_file} does not exist')
    data = _read_json(ann_file)
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k), list) for k in ('images', 'categories')):
        raise PreflightError(f"{ann_file} is not a COCO annotation file (it "
                             "needs 'images' and 'categories' lists)")
    names = [c.get('name') for c in data['categories'] if isinstance(c, dict)]
    cat_ids = {
        c.get('id')
        for c in data['categories']
        if isinstance(c, dict) and c.get('name') in set(classes)
    }
    if not cat_ids:
        raise PreflightError(
            f"{ann_file}: no category matches the config's classes; found "
            f'{_short(names)}, expected {_short(classes)}')
    images = [im for im in data['images'] if isinstance(im, dict)]
    if not images:
        raise PreflightError(f'{ann_file} lists no images')
    missing = [
        im.get('file_name') for im in images
        if not osp.isfile(osp.join(img_root, str(im.get('file_name'))))
    ]
    if missing:
        raise PreflightError(
            f'{ann_file} lists {len(missing)} image(s) missing under '
            f'{img_root}, e.g. {missing[0]}')
    annotated = {
        a.get('image_id')
        for a in data.get('annotations') or []
        if isinstance(a, dict) and a.get('category_id') in cat_ids
    }
    check_filtering(ann_file, classes, [(im.get('id') in annotated,
                                         (im.get('width'), im.get('height')))
                                        for im in images], filter_cfg,
                    test_mode)


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


def check_voc(ann_file,
              sub_root,
              classes,
              ann_subdir='Annotations',
              img_subdir='JPEGImages',
              filter_cfg=None,
              test_mode=False):
    """Check a PASCAL VOC split (``VOCDataset``): ids, files, XML, classes.

    Args:
        ann_file (str): The split file (``ImageSets/Main/<split>.txt``).
        sub_root (str): The year folder (``VOCdevkit/VOC2007/``).
        classes (Sequence[str]): The dataset's classes.
        ann_subdir (str): XML folder under ``sub_root``.
        img_subdir (str): JPEG folder under ``sub_root``.
        filter_cfg (dict | None): The dataset's ``filter_cfg``.
        test_mode (bool): The dataset's ``test_mode``.
    """
    if not osp.isdir(sub_root or '.'):
        raise PreflightError(
            f'VOC folder {sub_root} does not exist (data_root + '
            "data_prefix.sub_data_root, e.g. 'VOCdevkit/VOC2007/')")
    if not osp.isfile(ann_file):
        raise PreflightError(f'VOC split file {ann_file} does not exist')
    try:  # read as mmengine's list_from_file does
        with open(ann_file, encoding='utf-8') as f:
            ids = [line.rstrip('\n\r') for line in f]
    except UnicodeDecodeError:
        raise PreflightError(f'{ann_file} is not a text file of image ids '
                             '(not UTF-8)') from None
    if not ids:
        raise PreflightError(f'{ann_file} lists no images')
    if '' in ids:
        raise PreflightError(f"{ann_file} line {ids.index('') + 1} is empty; "
                             'a VOC split file holds one image id per line')
    ann_dir = osp.join(sub_root, ann_subdir or 'Annotations')
    img_dir = osp.join(sub_root, img_subdir or 'JPEGImages')
    for folder, ext in ((ann_dir, '.xml'), (img_dir, '.jpg')):
        missing = [i for i in ids if not osp.isfile(osp.join(folder, i + ext))]
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
        images.append((any(n in classes for n in names), size
                       or (lambda jpg=jpg: _image_size(jpg))))
    if found and not set(found) & set(classes):
        raise PreflightError(
            f"{ann_file}: no object in {ann_dir} matches the config's "
            f'classes; found {_short(found)}, expected {_short(classes)}')
    check_filtering(ann_file, classes, images, filter_cfg, test_mode)


def check_image_folder(img_root, ann_file='', extensions=IMAGE_EXTS):
    """Check an MMPretrain ``CustomDataset`` / ``ImageNet`` split.

    Args:
        img_root (str): The image folder (``data_root`` + ``data_prefix``).
        ann_file (str): The annotation list, if any (then only its
            existence is checked).
        extensions (Sequence[str]): Image suffixes the dataset reads.
    """
    if ann_file:
        if not osp.isfile(ann_file):
            raise PreflightError(f'annotation file {ann_file} does not exist')
        return
    if not osp.isdir(img_root or '.'):
        raise PreflightError(f'image folder {img_root} does not exist')
    extensions = tuple(e.lower() for e in extensions) or IMAGE_EXTS
    if not any(f.lower().endswith(extensions)
               for _, _, files in os.walk(img_root) for f in files):
        raise PreflightError(f'image folder {img_root} holds no images '
                             f'({", ".join(sorted(extensions))})')


def check_cifar(folder, files, download, name='CIFAR10'):
    """Check MMPretrain's CIFAR files (``cifar-10-batches-py`` etc.).

    Args:
        folder (str): ``data_root`` + ``data_prefix`` + the base folder.
        files (Sequence[str]): The batch files MMPretrain reads.
        download (bool): The dataset's ``download``; when True, missing
            files are MMPretrain's to download.
        name (str): The dataset type, for messages.
    """
    missing = [f for f in files if not osp.isfile(osp.join(folder, f))]
    if missing and not download:
        raise PreflightError(
            f'{name} files missing in {folder}: {", ".join(missing)} '
            "(MMPretrain's python version of the set; or set download=True)")


CHECKS = {
    'coco': check_coco,
    'voc': check_voc,
    'image_folder': check_image_folder,
    'cifar': check_cifar,
}
_PASSED = set()


def _plain(value):
    """``value`` with mappings and sequences as sorted / plain tuples."""
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _stamp(path):
    try:
        stat = os.stat(path)
        return stat.st_mtime_ns, stat.st_size
    except (OSError, TypeError, ValueError):
        return None


def check_data(kind, data_root='', **inputs):
    """Run the ``kind`` check (a key of :data:`CHECKS`) on ``inputs``.

    Args:
        kind (str): 'coco', 'voc', 'image_folder' or 'cifar'.
        data_root (str): The dataset's ``data_root`` (must exist if set).
        **inputs: Arguments of the check function.
    """
    paths = [data_root] + [v for v in inputs.values() if isinstance(v, str)]
    if any(REMOTE.match(p) for p in paths if p):
        return  # a storage backend's path: the library reads it
    key = repr((kind, data_root, _plain(inputs), [(osp.abspath(p), _stamp(p))
                                                  for p in paths if p]))
    if key in _PASSED:
        return
    if data_root and not osp.isdir(data_root):
        raise PreflightError(f'data root {data_root} does not exist')
    CHECKS[kind](**inputs)
    _PASSED.add(key)
