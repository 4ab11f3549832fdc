"""Small data sets in the libraries' own layouts, good and broken, for the
tests of the checks (test_bad_inputs.py, test_checked_paths.py,
test_good_sets.py), and the rows of docs/bad_inputs.md as data."""
import json
import pickle
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
#: A few COCO category names (the COCO configs' classes include them).
COCO_NAMES = ('person', 'bicycle', 'car')
COCO_EXPECTED = ("['person', 'bicycle', 'car', 'motorcycle', 'airplane', "
                 "'bus', 'train', 'truck', 'boat', 'traffic light', ... "
                 '(80 in all)]')
VOC_EXPECTED = ("['aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', "
                "'car', 'cat', 'chair', 'cow', ... (20 in all)]")


def config(name):
    """Path of ``configs/**/<name>.py`` (the leaf configs live in family
    folders; ``configs/ssd300_iresnet50_coco.py`` stays at the top)."""
    if name == 'ssd300_iresnet50_coco':
        return str(REPO / 'configs' / f'{name}.py')
    found = sorted((REPO / 'configs').glob(f'**/{name}.py'))
    found = [p for p in found if '_base_' not in p.parts]
    assert found, f'no config {name}.py under configs/'
    return str(found[0])


def write_image(path, size, color=(90, 120, 30)):
    """A real JPEG/PNG of ``size`` x ``size`` pixels with a lighter square
    in the middle."""
    from PIL import Image, ImageDraw
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new('RGB', (size, size), color)
    q = size // 4
    ImageDraw.Draw(im).rectangle([q, q, size - q, size - q],
                                 fill=(230, 220, 200))
    im.save(path)


def make_coco(root,
              names=('circle', 'square'),
              images=2,
              missing=0,
              annotations=True,
              year='',
              size=8,
              real=False):
    """A tiny COCO set under ``root``: ``annotations/instances_<split>
    <year>.json`` and ``<split><year>/`` for train and val; images are
    empty files unless ``real``; returns the train JSON path."""
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    data = dict(
        images=[],
        annotations=[],
        categories=[dict(id=i + 1, name=n) for i, n in enumerate(names)])
    q = size // 4
    for i in range(images):
        data['images'].append(
            dict(id=i, file_name=f'{i:03d}.jpg', width=size, height=size))
        if annotations:
            data['annotations'].append(
                dict(
                    id=i,
                    image_id=i,
                    category_id=1,
                    bbox=[q, q, size - 2 * q, size - 2 * q],
                    area=(size - 2 * q)**2,
                    iscrowd=0))
    for split in ('train', 'val'):
        folder = root / f'{split}{year}'
        folder.mkdir(exist_ok=True)
        for im in data['images'][missing:]:
            if real:
                write_image(folder / im['file_name'], size)
            else:
                (folder / im['file_name']).write_bytes(b'')
        (root / 'annotations' / f'instances_{split}{year}.json').write_text(
            json.dumps(data))
    return root / 'annotations' / f'instances_train{year}.json'


def voc_xml(stem, size, names):
    objects = ''.join(
        f'<object><name>{n}</name><difficult>0</difficult><bndbox>'
        f'<xmin>2</xmin><ymin>3</ymin><xmax>{size - 1}</xmax>'
        f'<ymax>{size - 2}</ymax></bndbox></object>' for n in names)
    return (f'<annotation><filename>{stem}.jpg</filename><size><width>{size}'
            f'</width><height>{size}</height><depth>3</depth></size>'
            f'{objects}</annotation>\n')


def make_voc(devkit,
             year='2007',
             splits=('trainval', 'test'),
             images=2,
             names=('dog', 'cat'),
             size=32):
    """A tiny VOC year folder: ``images`` JPEGs of ``size`` px per split,
    each with one object per name; returns the year folder."""
    root = devkit / f'VOC{year}'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for k, split in enumerate(splits):
        ids = [f'{year}_{k}{i:05d}' for i in range(images)]
        for stem in ids:
            write_image(root / 'JPEGImages' / f'{stem}.jpg', size)
            (root / 'Annotations' / f'{stem}.xml').write_text(
                voc_xml(stem, size, names))
        (root / 'ImageSets' / 'Main' / f'{split}.txt').write_text(''.join(
            f'{stem}\n' for stem in ids))
    return root


CIFAR = {  # folder, train files, test files, label key, meta file and key
    'cifar10': ('cifar-10-batches-py',
                [f'data_batch_{i}' for i in range(1, 6)], ['test_batch'],
                'labels', 'batches.meta', 'label_names', 10),
    'cifar100': ('cifar-100-python', ['train'], ['test'], 'fine_labels',
                 'meta', 'fine_label_names', 100),
}


def make_cifar(root, kind='cifar10', per_file=2):
    """MMPretrain's CIFAR files (the python version's pickles: ``data``
    uint8 [N, 3072] rows of R, G, B planes, ``labels`` / ``fine_labels``)
    with ``per_file`` random images each; returns the folder."""
    folder_name, train, test, key, meta, meta_key, classes = CIFAR[kind]
    folder = root / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in train + test:
        entry = {
            'data': rng.integers(0, 256, (per_file, 3072), dtype=np.uint8),
            key: [int(i % classes) for i in range(per_file)]
        }
        with open(folder / name, 'wb') as f:
            pickle.dump(entry, f)
    with open(folder / meta, 'wb') as f:
        pickle.dump({meta_key: [f'class{i}' for i in range(classes)]}, f)
    return folder


def make_image_folder(root, classes=('0', '1'), per_class=2, size=16):
    """``root/<class>/<i>.png`` images (MMPretrain's CustomDataset)."""
    for cls in classes:
        for i in range(per_class):
            write_image(root / cls / f'{i}.png', size)


def make_imagenet(root, splits=('train', 'val'), per_split=2, size=32):
    """ImageNet as MMPretrain documents it: ``<split>/<wnid>/<name>.JPEG``
    and ``meta/<split>.txt`` lines ``<wnid>/<name>.JPEG <label>``."""
    (root / 'meta').mkdir(parents=True, exist_ok=True)
    for split in splits:
        lines = []
        for i in range(per_split):
            name = f'n0144076{i}/{split}_{i}.JPEG'
            write_image(root / split / name, size)
            lines.append(f'{name} {i}\n')
        (root / 'meta' / f'{split}.txt').write_text(''.join(lines))


# -- the data rows of docs/bad_inputs.md ---------------------------------
# Each row: (config name, library, builder). The builder writes into the
# folder a user runs from (the configs' own data/... paths) and returns the
# expected one-line message; the same on every path.

COCO_ANN = 'data/coco/annotations/instances_train2017.json'
VOC_MAIN = 'data/VOCdevkit/VOC2007/ImageSets/Main'


def _coco(cwd, **kwargs):
    kwargs = dict(dict(names=COCO_NAMES, year='2017', size=64), **kwargs)
    return make_coco(cwd / 'data' / 'coco', **kwargs)


def row_data_root(cwd):
    (cwd / 'data').mkdir()
    return 'data root data/coco/ does not exist'


def row_coco_json_missing(cwd):
    _coco(cwd).unlink()
    return f'annotation file {COCO_ANN} does not exist'


def row_coco_json_malformed(cwd):
    _coco(cwd).write_text('{"images": [')
    return (f'{COCO_ANN} is not valid JSON (line 1 column 13: Expecting '
            'value)')


def row_coco_images_missing(cwd):
    _coco(cwd, images=3, missing=2)
    return (f'{COCO_ANN} lists 2 image(s) missing under '
            'data/coco/train2017/, e.g. 000.jpg')


def row_coco_classes_none(cwd):
    _coco(cwd, names=('circle', 'square'))
    return (f"{COCO_ANN}: no category matches the config's classes; found "
            f"['circle', 'square'], expected {COCO_EXPECTED}")


def row_coco_empty_after_filtering(cwd):
    _coco(cwd, annotations=False)
    return (f'{COCO_ANN}: the dataset is empty after filtering '
            "(filter_empty_gt=True): no image has an annotation of the "
            f"config's classes {COCO_EXPECTED}")


def _voc(cwd, **kwargs):
    return make_voc(cwd / 'data' / 'VOCdevkit', **kwargs)


def row_voc_year_missing(cwd):
    _voc(cwd)
    return ('VOC folder data/VOCdevkit/VOC2012/ does not exist (data_root + '
            "data_prefix.sub_data_root, e.g. 'VOCdevkit/VOC2007/')")


def row_voc_split_missing(cwd):
    (_voc(cwd) / 'ImageSets' / 'Main' / 'test.txt').unlink()
    return f'VOC split file {VOC_MAIN}/test.txt does not exist'


def row_voc_split_empty(cwd):
    (_voc(cwd) / 'ImageSets' / 'Main' / 'trainval.txt').write_text('')
    return f'{VOC_MAIN}/trainval.txt lists no images'


def row_voc_files_missing(cwd):
    year = _voc(cwd, images=3)
    ids = (year / 'ImageSets' / 'Main' / 'trainval.txt').read_text().split()
    for stem in ids[1:]:
        (year / 'Annotations' / f'{stem}.xml').unlink()
    return (f'{VOC_MAIN}/trainval.txt lists 2 image(s) missing in '
            f'data/VOCdevkit/VOC2007/Annotations, e.g. {ids[1]}.xml')


def row_voc_bad_xml(cwd):
    year = _voc(cwd)
    xml = sorted((year / 'Annotations').glob('*.xml'))[1]
    xml.write_text(xml.read_text().replace('</annotation>', ''))
    return (f'data/VOCdevkit/VOC2007/Annotations/{xml.name} is not valid XML '
            '(no element found: line 2, column 0)')


def row_voc_classes_none(cwd):
    _voc(cwd, names=('circle', 'square'))
    return (f"{VOC_MAIN}/trainval.txt: no object in "
            "data/VOCdevkit/VOC2007/Annotations matches the config's "
            f"classes; found ['circle', 'square'], expected {VOC_EXPECTED}")


def row_voc_empty_after_filtering(cwd):
    _voc(cwd, size=16)
    return (f'{VOC_MAIN}/trainval.txt: the dataset is empty after filtering '
            '(min_size=32): no annotated image is at least 32 px on its '
            'short side')


def row_image_folder_empty(cwd):
    folder = cwd / 'data' / 'digits' / 'train' / '0'
    folder.mkdir(parents=True)
    (folder / 'notes.txt').write_text('no image here')
    return ('image folder data/digits/train holds no images (.bmp, .jpeg, '
            '.jpg, .pgm, .png, .ppm, .tif)')


def row_cifar_files_missing(cwd):
    make_cifar(cwd / 'data' / 'cifar10')
    (cwd / 'data' / 'cifar10' / 'cifar-10-batches-py' /
     'data_batch_3').unlink()
    return ('CIFAR10 files missing in data/cifar10/cifar-10-batches-py: '
            "data_batch_3 (MMPretrain's python version of the set; or set "
            'download=True)')


CIFAR_NO_DOWNLOAD = [
    f'{loader}.dataset.download=False'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
]

#: row id -> (config name, library, builder, extra --cfg-options)
ROWS = {
    'data_root': ('ssd300_iresnet50_coco', 'mmdet', row_data_root, []),
    'coco_json_missing':
    ('ssd300_iresnet50_coco', 'mmdet', row_coco_json_missing, []),
    'coco_json_malformed':
    ('ssd300_iresnet50_coco', 'mmdet', row_coco_json_malformed, []),
    'coco_images_missing':
    ('ssd300_iresnet50_coco', 'mmdet', row_coco_images_missing, []),
    'coco_classes_none':
    ('ssd300_iresnet50_coco', 'mmdet', row_coco_classes_none, []),
    'coco_empty_after_filtering': ('ssd300_iresnet50_coco', 'mmdet',
                                   row_coco_empty_after_filtering, []),
    'voc_year_missing': ('ssd300_iresnet50_voc0712', 'mmdet',
                         row_voc_year_missing, []),
    'voc_split_missing': ('faster-rcnn_resnet50_fpn_10e_voc07', 'mmdet',
                          row_voc_split_missing, []),
    'voc_split_empty': ('faster-rcnn_resnet50_fpn_10e_voc07', 'mmdet',
                        row_voc_split_empty, []),
    'voc_files_missing': ('faster-rcnn_resnet50_fpn_10e_voc07', 'mmdet',
                          row_voc_files_missing, []),
    'voc_bad_xml': ('faster-rcnn_resnet50_fpn_10e_voc07', 'mmdet',
                    row_voc_bad_xml, []),
    'voc_classes_none': ('faster-rcnn_resnet50_fpn_10e_voc07', 'mmdet',
                         row_voc_classes_none, []),
    'voc_empty_after_filtering': ('faster-rcnn_resnet50_fpn_10e_voc07',
                                  'mmdet', row_voc_empty_after_filtering, []),
    'image_folder_empty': ('iresnet29_digits', 'mmpretrain',
                           row_image_folder_empty, []),
    'cifar_files_missing': ('iresnet164_1xb64_cifar10', 'mmpretrain',
                            row_cifar_files_missing, CIFAR_NO_DOWNLOAD),
}
