"""Find the configs of a library in a config folder, without loading them.

Used by the config listings and the config tests.
"""
import ast
import glob
import os.path as osp


def literal_scope(path, seen=()):
    """``default_scope`` a config sets itself or through its local bases.

    Reads the files with ``ast`` instead of ``Config.fromfile``, which would
    resolve every ``mmdet::`` base through pkg_resources (slow) and is not
    needed to tell the configs apart. None when no literal value is found.

    Args:
        path (str): config file.
        seen (tuple): files already visited (inheritance cycles).
    """
    path = osp.abspath(path)
    if path in seen or not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    if isinstance(values.get('default_scope'), str):
        return values['default_scope']
    bases = values.get('_base_', [])
    for base in [bases] if isinstance(bases, str) else bases:
        if isinstance(base, str) and '::' not in base:
            scope = literal_scope(
                osp.join(osp.dirname(path), base), seen + (path, ))
            if scope is not None:
                return scope
    return None


DATASET_ORDER = ('in1k', 'cifar10', 'cifar100', 'digits')


def _sort_key(path):
    """By dataset (the name's last ``_`` part), then by name."""
    name = osp.splitext(osp.basename(path))[0]
    dataset = name.rsplit('_', 1)[-1]
    rank = DATASET_ORDER.index(dataset) if dataset in DATASET_ORDER \
        else len(DATASET_ORDER)
    return rank, name


BASE_DIR = '_base_'


def family_config_paths(config_dir):
    """The leaf configs of ``config_dir``: ``<config_dir>/<family>/*.py``
    (OpenMMLab's layout: one folder per family, beside ``_base_/``), sorted.

    Files directly in ``config_dir`` (aliases kept at an old path) and the
    shared pieces in ``_base_/`` are not leaves of a family.

    Args:
        config_dir (str): folder holding the family folders.
    """
    return sorted(
        path for path in glob.glob(osp.join(config_dir, '*', '*.py'))
        if osp.basename(osp.dirname(path)) != BASE_DIR)


def cls_config_paths(config_dir):
    """Configs of the family folders of ``config_dir`` whose default_scope
    is mmpretrain, grouped by dataset (ImageNet, CIFAR-10, CIFAR-100,
    digits, others).

    Args:
        config_dir (str): folder holding the family folders
            (:func:`family_config_paths`).
    """
    return sorted((path for path in family_config_paths(config_dir)
                   if literal_scope(path) == 'mmpretrain'),
                  key=_sort_key)
