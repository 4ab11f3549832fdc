"""The model index: every config in OpenMMLab's metafile format.

``configs/model-index.yml`` imports one metafile per family
(``configs/metafiles/*.yml``). Each model has its config, exact parameter
count, FLOPs, training data, the paper's top-1 / mAP figures (marked by a
``Results Source`` field) and, where official weights exist,
``Weights: iresnet://<arch>`` (:mod:`mmiresnet.weights`).

``import mmiresnet`` registers the classification metafiles with
MMPretrain's ``ModelHub``, so ``mmpretrain.list_models('*iresnet*')``,
``get_model(NAME, pretrained=True)`` and ``ImageClassificationInferencer``
know our models. Detection metafiles stay out of that hub (MMPretrain would
build them in its own scope and fail); use them through their configs.

Names: the config name when it contains ``iresnet``, otherwise
``mmiresnet_`` + the config name, so that none collides with MMPretrain's
names (``ModelHub`` refuses duplicates) and all match ``*iresnet*``.

Print the model-zoo tables of docs/model_zoo.md::

    python -m mmiresnet.model_zoo
"""
import argparse
import os.path as osp
import warnings

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
MODEL_INDEX = osp.join('configs', 'model-index.yml')
CLASSIFICATION = 'Image Classification'
DETECTION = 'Object Detection'
NAME_PREFIX = 'mmiresnet_'

__all__ = [
    'config_root', 'model_name', 'load_model_index', 'paper_figures',
    'register_with_mmpretrain', 'model_table'
]


def config_root():
    """The folder holding ``configs/model-index.yml``, or None.

    A source checkout (``pip install -e .``) has it next to the package;
    an installed copy only if ``configs`` were packaged as
    ``mmiresnet/.mim/configs`` (OpenMMLab's layout).
    """
    for root in (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR)):
        if osp.isfile(osp.join(root, MODEL_INDEX)):
            return root
    return None


def model_name(config):
    """Model-index name of a config file or name (see module docstring)."""
    stem = osp.splitext(osp.basename(config))[0]
    return stem if 'iresnet' in stem else NAME_PREFIX + stem


def _root_or_error(root):
    root = root or config_root()
    if root is None or not osp.isfile(osp.join(root, MODEL_INDEX)):
        raise FileNotFoundError(
            f'{MODEL_INDEX} not found next to {PACKAGE_DIR}: the model index '
            'needs a source checkout of mmiresnet (pip install -e .)')
    return root


def _read_yaml(path):
    import yaml
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def metafiles(root=None):
    """Absolute paths of the metafiles imported by ``model-index.yml``."""
    root = _root_or_error(root)
    index = _read_yaml(osp.join(root, MODEL_INDEX))
    folder = osp.dirname(osp.join(root, MODEL_INDEX))
    return [osp.normpath(osp.join(folder, p)) for p in index['Import']]


def _tasks(metafile):
    return {result['Task']
            for model in _read_yaml(metafile).get('Models') or ()
            for result in model.get('Results') or ()}


def load_model_index(root=None):
    """All models of the index as plain dicts, by name.

    Each dict holds the model's fields with its collection's ``Metadata``
    and ``Paper`` filled in (the model's own values win), ``Config`` as an
    absolute path and ``Metafile``.
    """
    root = _root_or_error(root)
    models = {}
    for metafile in metafiles(root):
        data = _read_yaml(metafile)
        collections = {c['Name']: c for c in data.get('Collections') or ()}
        for model in data.get('Models') or ():
            model = dict(model)
            collection = collections.get(model.get('In Collection'), {})
            model['Metadata'] = dict(collection.get('Metadata') or {},
                                     **(model.get('Metadata') or {}))
            model.setdefault('Paper', collection.get('Paper'))
            model['Config'] = osp.normpath(osp.join(root, model['Config']))
            model['Metafile'] = metafile
            if model['Name'] in models:
                raise ValueError(f'model name {model["Name"]!r} appears '
                                 f'twice ({models[model["Name"]]["Metafile"]}'
                                 f' and {metafile})')
            models[model['Name']] = model
    return models


def paper_figures(root=None):
    """The papers' figures of every model that has some, by config stem.

    Each value: ``task``, ``dataset``, ``metrics`` (e.g. ``Top 1 Accuracy``,
    ``box AP``), ``source`` (table of the paper), and the paper's
    ``params_m`` / ``gflops`` where it gives them (else None).
    """
    figures = {}
    for model in load_model_index(root).values():
        meta = model['Metadata']
        for result in model.get('Results') or ():
            stem = osp.splitext(osp.basename(model['Config']))[0]
            figures[stem] = dict(
                task=result['Task'], dataset=result['Dataset'],
                metrics=dict(result['Metrics']),
                source=model.get('Results Source'),
                params_m=meta.get('Paper Params (M)'),
                gflops=meta.get('Paper GFLOPs'))
    return figures


_REGISTERED = []


def register_with_mmpretrain():
    """Register the classification metafiles with MMPretrain's ModelHub.

    Idempotent; does nothing (returns []) without MMPretrain or without the
    configs folder. Returns the registered model names. MMPretrain's own
    index is left to register itself lazily, as it does.
    """
    if _REGISTERED:
        return list(_REGISTERED)
    root = config_root()
    if root is None:
        return []
    try:
        from mmpretrain.apis.model import ModelHub
    except ImportError:
        return []
    names = []
    for metafile in metafiles(root):
        if _tasks(metafile) != {CLASSIFICATION}:
            continue
        mine = [m['Name'] for m in _read_yaml(metafile)['Models']]
        if all(ModelHub.has(n.lower()) for n in mine):
            names += mine  # registered before (module reloaded)
            continue
        try:
            ModelHub.register_model_index(metafile, config_prefix=root)
        except ValueError as error:  # a name taken by someone else
            warnings.warn(f'mmiresnet: {metafile} not registered with '
                          f'MMPretrain: {error}')
            continue
        names += mine
    _REGISTERED.extend(names)
    return names


def _fmt_metrics(model):
    parts = []
    for result in model.get('Results') or ():
        parts += [f'{k} {v:.2f}' for k, v in result['Metrics'].items()]
    return ', '.join(parts)


def model_table(task, root=None):
    """Markdown table of the models whose results or config are ``task``.

    Columns: name, config, params (M), GFLOPs, the paper's result and the
    weights URI.
    """
    rows = ['| name | config | params (M) | GFLOPs | paper result '
            '(source) | weights |', '|---|---|---|---|---|---|']
    root = _root_or_error(root)
    for metafile in metafiles(root):
        tasks = _tasks(metafile)
        if tasks and tasks != {task}:
            continue
        for name, model in load_model_index(root).items():
            if model['Metafile'] != metafile:
                continue
            meta = model['Metadata']
            result = _fmt_metrics(model)
            if result:
                result += f' ({model.get("Results Source")})'
            rows.append('| {} | `{}` | {:.2f} | {:.2f} | {} | {} |'.format(
                name, osp.relpath(model['Config'], root),
                meta['Parameters'] / 1e6, meta['FLOPs'] / 1e9, result or '-',
                f'`{model["Weights"]}`' if model.get('Weights') else '-'))
    return '\n'.join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Print the model-zoo tables (Markdown) of the model '
        'index in configs/model-index.yml.')
    parser.add_argument('--task', choices=(CLASSIFICATION, DETECTION),
                        help='only this task')
    args = parser.parse_args(argv)
    for task in (CLASSIFICATION, DETECTION):
        if args.task in (None, task):
            print(f'### {task}\n\n{model_table(task)}\n')


if __name__ == '__main__':
    main()
