"""Tests of the dataset generators (mmiresnet.datasets.synthetic / .digits)
and their CLIs tools/data/make_synthetic_det.py and tools/data/make_digits.py.

The generators need only numpy + Pillow (+ scikit-learn for digits); the
checks that mmdet / mmpretrain read the output are skipped when those
libraries are not installed.
"""
import ast
import hashlib
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmiresnet.datasets import synthetic as det

ROOT = Path(__file__).resolve().parents[1]
CLASSES = det.CLASSES
# Small but varied: 52 images, long side 128 px, 10% empty.
SMALL = [
    '--num-train', '40', '--num-val', '12', '--size', '128', '--empty-frac',
    '0.1'
]
TINY = ['--num-train', '3', '--num-val', '2', '--size', '64']


def tree_digest(root):
    """{relative path: sha256} of every file under ``root``."""
    root = Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def leftovers(out):
    """Temporary folders of the atomic writer next to ``out``."""
    out = Path(out)
    return sorted(p.name for p in out.parent.glob(f'.{out.name}.*'))


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp('synth') / 'synthetic'
    assert det.main([*SMALL, '--out', str(out)]) == 0
    return out


def coco_json(root, split):
    path = root / 'coco' / 'annotations' / f'instances_{split}.json'
    return json.loads(path.read_text())


def anns_by_image(coco):
    out = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        out[ann['image_id']].append(ann)
    return out


# ---------------------------------------------------------------------------
# synthetic shapes (make_synthetic_det.py)
# ---------------------------------------------------------------------------
def test_class_constants():
    from mmiresnet.datasets import DIGITS_CLASSES, SYNTHETIC_CLASSES, digits
    assert CLASSES == SYNTHETIC_CLASSES == det.SYNTHETIC_CLASSES
    assert len(set(CLASSES)) == len(CLASSES) == 5
    assert DIGITS_CLASSES == digits.CLASSES == tuple('0123456789')


def test_generators_need_no_openmmlab_library():
    """The generator modules import only the standard library, numpy,
    Pillow and scikit-learn (besides each other)."""
    allowed = {
        'argparse', 'contextlib', 'io', 'json', 'math', 'os', 'pathlib',
        'shutil', 'sys', 'time', 'numpy', 'PIL', 'sklearn'
    }
    files = sorted((ROOT / 'mmiresnet' / 'datasets').glob('*.py'))
    assert {'synthetic.py', 'digits.py',
            'output.py'} <= {f.name
                             for f in files}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split('.')[0] in allowed, (path.name, name)


def run_tool(*args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *map(str, args)],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_command_lines(tmp_path):
    """The two tools are thin CLIs of the package's ``main``."""
    proc = run_tool(
        ROOT / 'tools' / 'data' / 'make_synthetic_det.py',
        *TINY,
        '--out',
        'shapes',
        cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert 'wrote shapes (3 train + 2 val images' in proc.stdout
    assert len(list((tmp_path / 'shapes' / 'coco' / 'train').iterdir())) == 3
    proc = run_tool(
        ROOT / 'tools' / 'data' / 'make_digits.py',
        '--val-frac',
        '1.5',
        '--out',
        'digits',
        cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(
        'error: --val-frac must be in (0, 1) (got 1.5)')
    assert not (tmp_path / 'digits').exists()


def test_synthetic_is_deterministic(synth, tmp_path):
    again = tmp_path / 'again'
    assert det.main([*SMALL, '--out', str(again)]) == 0
    ref = tree_digest(synth)
    assert tree_digest(again) == ref  # json, xml, images, meta: same bytes
    assert len([k for k in ref if k.endswith('.jpg')]) == 2 * (40 + 12)

    other = tmp_path / 'other'
    assert det.main([*SMALL, '--seed', '1', '--out', str(other)]) == 0
    new = tree_digest(other)
    assert set(new) == set(ref)  # same file names ...
    for key in ('coco/annotations/instances_train.json',
                'coco/train/train_000000.jpg',
                'VOCdevkit/VOC2007/Annotations/val_000000.xml'):
        assert new[key] != ref[key]  # ... different content


def test_coco_annotations_valid(synth):
    cfg = json.loads((synth / 'meta.json').read_text())['config']
    shapes = set()
    for split, count in (('train', 40), ('val', 12)):
        coco = coco_json(synth, split)
        assert coco['categories'] == [
            dict(id=i + 1, name=n, supercategory='shape')
            for i, n in enumerate(CLASSES)
        ]
        assert len(coco['images']) == count
        assert len({img['id'] for img in coco['images']}) == count
        assert len({a['id']
                    for a in coco['annotations']}) == len(coco['annotations'])
        images = {img['id']: img for img in coco['images']}
        for img in coco['images']:
            with Image.open(synth / 'coco' / split / img['file_name']) as im:
                assert im.size == (img['width'], img['height'])
                assert im.mode == 'RGB'
            assert max(img['width'], img['height']) == cfg['size']
            shapes.add(img['width'] == img['height'])
        for ann in coco['annotations']:
            img = images[ann['image_id']]
            x, y, w, h = ann['bbox']
            assert all(isinstance(v, int) for v in ann['bbox'])
            assert x >= 0 and y >= 0 and w >= 2 and h >= 2
            assert x + w <= img['width'] and y + h <= img['height']
            assert ann['area'] == w * h
            assert ann['iscrowd'] == 0
            assert 1 <= ann['category_id'] <= len(CLASSES)
    assert False in shapes  # non-square images exist (catches w/h swaps)


def test_voc_matches_coco(synth):
    voc = synth / 'VOCdevkit' / 'VOC2007'
    for split, voc_set in (('train', 'trainval'), ('val', 'test')):
        coco = coco_json(synth, split)
        ids = (voc / 'ImageSets' / 'Main' / f'{voc_set}.txt').read_text()
        assert ids.split() == [
            Path(img['file_name']).stem for img in coco['images']
        ]
        anns = anns_by_image(coco)
        for img in coco['images']:
            stem = Path(img['file_name']).stem
            # mmdet's XMLDataset hard-codes JPEGImages/<id>.jpg
            assert (voc / 'JPEGImages' / f'{stem}.jpg').read_bytes() == (
                synth / 'coco' / split / img['file_name']).read_bytes()
            root = ET.parse(voc / 'Annotations' / f'{stem}.xml').getroot()
            size = root.find('size')
            assert int(size.find('width').text) == img['width']
            assert int(size.find('height').text) == img['height']
            assert int(size.find('depth').text) == 3
            objs = []
            for obj in root.findall('object'):
                assert obj.find('difficult').text == '0'
                assert obj.find('truncated').text in ('0', '1')
                box = obj.find('bndbox')
                xmin, ymin, xmax, ymax = (
                    int(box.find(k).text)
                    for k in ('xmin', 'ymin', 'xmax', 'ymax'))
                # 1-based inclusive VOC pixel indices inside the image
                assert 1 <= xmin <= xmax <= img['width']
                assert 1 <= ymin <= ymax <= img['height']
                objs.append((obj.find('name').text, xmin, ymin, xmax, ymax))
            expected = [(CLASSES[a['category_id'] - 1], a['bbox'][0] + 1,
                         a['bbox'][1] + 1, a['bbox'][0] + a['bbox'][2],
                         a['bbox'][1] + a['bbox'][3]) for a in anns[img['id']]]
            assert objs == expected


def test_content_spread(synth):
    meta = json.loads((synth / 'meta.json').read_text())
    empty, sides, labels, per_image = 0, [], set(), []
    for split in ('train', 'val'):
        coco = coco_json(synth, split)
        for img_anns in anns_by_image(coco).values():
            empty += not img_anns
            per_image.append(len(img_anns))
            for a in img_anns:
                sides.append(math.sqrt(a['bbox'][2] * a['bbox'][3]))
                labels.add(a['category_id'])
        stats = meta['stats'][split]
        assert stats['objects'] == len(coco['annotations'])
        assert stats['images'] == len(coco['images'])
    assert empty >= 1
    assert max(per_image) >= 5
    assert labels == set(range(1, len(CLASSES) + 1))
    assert min(sides) < 16  # small objects
    assert max(sides) > 0.4 * 128  # large objects (long side 128)
    hist = meta['stats']['train']['box_side_histogram']
    assert sum(hist.values()) == meta['stats']['train']['objects']


def test_refuses_other_config_then_force_and_idempotent(tmp_path, capsys):
    out = tmp_path / 'data' / 'synthetic'
    assert det.main([*TINY, '--out', str(out)]) == 0
    before = tree_digest(out)
    mtime = (out / 'meta.json').stat().st_mtime_ns

    # Same config: up to date, nothing rewritten.
    capsys.readouterr()
    assert det.main([*TINY, '--out', str(out)]) == 0
    assert 'up to date' in capsys.readouterr().out
    assert (out / 'meta.json').stat().st_mtime_ns == mtime

    # Different config without --force: refused, nothing lost.
    assert det.main([*TINY, '--seed', '7', '--out', str(out)]) == 2
    assert 'seed: 0 -> 7' in capsys.readouterr().err
    assert tree_digest(out) == before
    assert leftovers(out) == []

    # With --force: replaced.
    assert det.main([*TINY, '--seed', '7', '--out', str(out), '--force']) == 0
    assert json.loads((out / 'meta.json').read_text())['config']['seed'] == 7
    assert tree_digest(out) != before
    assert leftovers(out) == []


def test_refuses_foreign_folder_accepts_empty(tmp_path):
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'precious.txt').write_text('keep me')
    assert det.main([*TINY, '--out', str(foreign)]) == 2
    assert [p.name for p in foreign.iterdir()] == ['precious.txt']
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert det.main([*TINY, '--out', str(empty)]) == 0
    assert (empty / 'meta.json').is_file()


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / 'synthetic'
    real_generate = det.generate

    def failing_generate(root, cfg):
        real_generate(root, cfg)  # write everything, then fail
        raise KeyboardInterrupt

    monkeypatch.setattr(det, 'generate', failing_generate)
    with pytest.raises(KeyboardInterrupt):
        det.main([*TINY, '--out', str(out)])
    assert not out.exists()
    assert leftovers(out) == []

    # An interrupted --force run keeps the previous dataset.
    monkeypatch.setattr(det, 'generate', real_generate)
    assert det.main([*TINY, '--out', str(out)]) == 0
    before = tree_digest(out)
    monkeypatch.setattr(det, 'generate', failing_generate)
    with pytest.raises(KeyboardInterrupt):
        det.main([*TINY, '--seed', '3', '--force', '--out', str(out)])
    assert tree_digest(out) == before
    assert leftovers(out) == []


def test_mmdet_reads_both_layouts(synth):
    pytest.importorskip('mmdet')
    from mmdet.datasets import CocoDataset, VOCDataset

    coco_ds = CocoDataset(
        data_root=str(synth / 'coco'),
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=CLASSES),
        pipeline=[])
    voc_ds = VOCDataset(
        data_root=str(synth / 'VOCdevkit'),
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        metainfo=dict(classes=CLASSES),
        pipeline=[])
    assert len(coco_ds) == len(voc_ds) == 40
    assert coco_ds.metainfo['classes'] == voc_ds.metainfo['classes'] == CLASSES
    n_objects = 0
    for i in range(len(coco_ds)):
        c, v = coco_ds.get_data_info(i), voc_ds.get_data_info(i)
        assert Path(c['img_path']).is_file() and Path(v['img_path']).is_file()
        assert Path(c['img_path']).name == Path(v['img_path']).name
        assert (c['height'], c['width']) == (v['height'], v['width'])
        assert [x['bbox_label'] for x in c['instances']
                ] == [x['bbox_label'] for x in v['instances']]
        for ci, vi in zip(c['instances'], v['instances']):
            assert ci['ignore_flag'] == vi['ignore_flag'] == 0
            # mmdet reads VOC as [xmin-1, ymin-1, xmax-1, ymax-1]: same
            # top-left, 1 px less on the right/bottom than COCO [x,y,x+w,y+h]
            # (as with the real PASCAL VOC data).
            assert vi['bbox'] == [
                ci['bbox'][0], ci['bbox'][1], ci['bbox'][2] - 1,
                ci['bbox'][3] - 1
            ]
        n_objects += len(c['instances'])
    assert n_objects == len(coco_json(synth, 'train')['annotations'])


# ---------------------------------------------------------------------------
# digits (make_digits.py)
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def digits_tool():
    pytest.importorskip('sklearn')
    from mmiresnet.datasets import digits
    return digits


@pytest.fixture(scope='module')
def digits(digits_tool, tmp_path_factory):
    out = tmp_path_factory.mktemp('digits') / 'digits'
    assert digits_tool.main(['--out', str(out)]) == 0
    return out


def test_digits_layout(digits):
    from sklearn.datasets import load_digits
    labels = load_digits().target
    seen = {}
    for split in ('train', 'val'):
        folders = sorted(p.name for p in (digits / split).iterdir())
        assert folders == [str(i) for i in range(10)]
        for folder in folders:
            for png in (digits / split / folder).iterdir():
                idx = int(png.stem)
                assert labels[idx] == int(folder)
                assert idx not in seen  # train and val are disjoint
                seen[idx] = split
    assert sorted(seen) == list(range(1797))
    for cls in range(10):
        n = int((labels == cls).sum())
        n_val = sum(1 for i, s in seen.items()
                    if s == 'val' and labels[i] == cls)
        assert n_val == round(0.2 * n)  # stratified 80/20
    meta = json.loads((digits / 'meta.json').read_text())
    assert meta['stats']['train']['images'] == 1438
    assert meta['stats']['val']['images'] == 359
    lines = (digits / 'val.txt').read_text().splitlines()
    assert len(lines) == 359
    rel, label = lines[0].rsplit(' ', 1)
    assert rel.split('/')[0] == label and (digits / 'val' / rel).is_file()
    with Image.open(sorted((digits / 'train' / label).iterdir())[0]) as im:
        arr = np.asarray(im)
    assert arr.shape == (32, 32, 3) and arr.dtype == np.uint8
    assert arr.max() > 200 and arr.min() < 30  # 0..16 scaled to 0..255
    assert (arr[..., 0] == arr[..., 1]).all()  # grey in 3 channels


def test_digits_idempotent_and_refusal(digits_tool, digits, capsys):
    before = tree_digest(digits)
    capsys.readouterr()
    assert digits_tool.main(['--out', str(digits)]) == 0
    assert 'up to date' in capsys.readouterr().out
    assert digits_tool.main(['--out', str(digits), '--seed', '1']) == 2
    assert 'different config' in capsys.readouterr().err
    assert tree_digest(digits) == before
    assert leftovers(digits) == []


def test_mmpretrain_reads_digits(digits):
    pytest.importorskip('mmpretrain')
    from mmpretrain.datasets import CustomDataset

    ds = CustomDataset(
        data_root=str(digits),
        data_prefix='train',
        with_label=True,
        pipeline=[])
    assert len(ds) == 1438
    assert ds.metainfo['classes'] == tuple(str(i) for i in range(10))
    for i in range(0, len(ds), 97):
        info = ds.get_data_info(i)
        assert int(Path(info['img_path']).parent.name) == info['gt_label']
    val = CustomDataset(
        data_root=str(digits),
        data_prefix='val',
        ann_file='val.txt',
        metainfo=dict(classes=tuple(str(i) for i in range(10))),
        pipeline=[])
    assert len(val) == 359
    info = val.get_data_info(0)
    assert int(Path(info['img_path']).parent.name) == info['gt_label']


# ---------------------------------------------------------------------------
# interrupted or failing writes (both generators): nothing half-written
# ---------------------------------------------------------------------------
def _generator(name):
    if name == 'digits':
        pytest.importorskip('sklearn')
        from mmiresnet.datasets import digits as module
        return module, []
    return det, TINY


def _interrupt_writer(monkeypatch, out, what, after=2):
    """Make the image encoder (``what='images'``) or the annotation writer
    (``'annotations'``: COCO JSON, digits list file; half of it is written)
    raise ``KeyboardInterrupt``; returns the files of the temporary folder
    seen at that moment."""
    seen = []
    tmp_glob = f'.{out.name}.tmp-*'

    def interrupt():
        seen.extend(
            p for tmp in out.parent.glob(tmp_glob) for p in tmp.rglob('*')
            if p.is_file())
        raise KeyboardInterrupt

    if what == 'images':
        real_save, calls = Image.Image.save, []

        def save(self, *args, **kwargs):
            if len(calls) == after:
                interrupt()
            calls.append(1)
            return real_save(self, *args, **kwargs)

        monkeypatch.setattr(Image.Image, 'save', save)
    else:
        real_write_text = Path.write_text

        def write_text(self, text, *args, **kwargs):
            if self.name.startswith('instances_') or self.name == 'train.txt':
                real_write_text(self, text[:len(text) // 2], *args, **kwargs)
                interrupt()
            return real_write_text(self, text, *args, **kwargs)

        monkeypatch.setattr(Path, 'write_text', write_text)
    return seen


@pytest.mark.parametrize('name', ['synthetic', 'digits'])
@pytest.mark.parametrize('what', ['images', 'annotations'])
def test_interrupted_write_leaves_nothing(name, what, tmp_path, monkeypatch):
    module, args = _generator(name)
    out = tmp_path / name
    with monkeypatch.context() as patch:
        seen = _interrupt_writer(patch, out, what)
        with pytest.raises(KeyboardInterrupt):
            module.main([*args, '--out', str(out)])
    # it was stopped in the middle: files were written, but elsewhere
    assert any(p.suffix in ('.jpg', '.png') for p in seen), seen
    assert not out.exists()
    assert leftovers(out) == []

    # An interrupted --force run leaves the previous folder as it was.
    assert module.main([*args, '--out', str(out)]) == 0
    before = tree_digest(out)
    with monkeypatch.context() as patch:
        _interrupt_writer(patch, out, what)
        with pytest.raises(KeyboardInterrupt):
            module.main([*args, '--seed', '5', '--force', '--out', str(out)])
    assert tree_digest(out) == before
    assert leftovers(out) == []


def test_failed_final_rename_restores_previous(tmp_path, monkeypatch):
    from mmiresnet.datasets import output
    out = tmp_path / 'synthetic'
    assert det.main([*TINY, '--out', str(out)]) == 0
    before = tree_digest(out)
    real_rename = os.rename

    def rename(src, dst):
        if Path(src).name.startswith(f'.{out.name}.tmp-'):
            raise KeyboardInterrupt  # between the two renames
        return real_rename(src, dst)

    monkeypatch.setattr(output.os, 'rename', rename)
    with pytest.raises(KeyboardInterrupt):
        det.main([*TINY, '--seed', '5', '--force', '--out', str(out)])
    assert tree_digest(out) == before
    assert leftovers(out) == []


@pytest.mark.parametrize('name', ['synthetic', 'digits'])
def test_unwritable_output(name, tmp_path, monkeypatch, capsys):
    module, args = _generator(name)
    blocker = tmp_path / 'file'
    blocker.write_text('keep me')
    out = blocker / 'sub' / name
    assert module.main([*args, '--out', str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f'error: cannot write {out}: {blocker} is not a folder'
    assert blocker.read_text() == 'keep me'

    # An OSError while writing (disk full) is one error line, nothing left.
    out = tmp_path / name
    real_write_bytes, calls = Path.write_bytes, []

    def write_bytes(self, data):
        if self.suffix == '.jpg' and len(calls) == 1:
            raise OSError(28, 'No space left on device', str(self))
        calls.append(1)
        return real_write_bytes(self, data)

    real_save = Image.Image.save

    def save(self, fp, *a, **kw):
        if isinstance(fp, (str, Path)) and len(calls) == 1:
            raise OSError(28, 'No space left on device', str(fp))
        calls.append(1)
        return real_save(self, fp, *a, **kw)

    monkeypatch.setattr(Path, 'write_bytes', write_bytes)
    monkeypatch.setattr(Image.Image, 'save', save)
    assert module.main([*args, '--out', str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f'error: cannot write {out}: ') and '\n' not in err
    assert err.endswith(': No space left on device')
    assert not out.exists() and leftovers(out) == []


def test_existing_output_refused_by_both_tools(tmp_path, capsys):
    """Without --force a folder not made by the tool (or made with another
    config) is refused with one error line and left as it was."""
    for name in ('synthetic', 'digits'):
        module, args = _generator(name)
        out = tmp_path / name
        out.mkdir()
        (out / 'precious.txt').write_text('keep me')
        assert module.main([*args, '--out', str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f'error: {out} exists but has no readable '
                              'meta.json') and '\n' not in err
        assert [p.name for p in out.iterdir()] == ['precious.txt']
        assert leftovers(out) == []


def test_stale_temporary_folder_removed(tmp_path):
    """A run killed outright leaves ``.OUT.tmp-PID``; the next run removes
    it once that process is gone (and leaves a live process's alone)."""
    out = tmp_path / 'synthetic'
    dead = subprocess.run(
        [sys.executable, '-c', 'import os; '
         'print(os.getpid())'],
        capture_output=True,
        text=True).stdout.strip()
    stale = tmp_path / f'.synthetic.tmp-{dead}'
    (stale / 'coco').mkdir(parents=True)
    (stale / 'coco' / 'half.jpg').write_bytes(b'\xff\xd8')
    live = tmp_path / f'.synthetic.tmp-{os.getppid()}'
    live.mkdir()
    assert det.main([*TINY, '--out', str(out)]) == 0
    assert not stale.exists() and live.is_dir()
