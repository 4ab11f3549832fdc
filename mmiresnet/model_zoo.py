"""The model index: every config in OpenMMLab's metafile format.

``configs/model-index.yml`` imports one metafile per family
(``configs/metafiles/*.yml``). Each model has its config, exact parameter
count, FLOPs, training data, the paper's top-1 / mAP figures (marked by a
``Results Source`` field) and, where official weights exist,
``Weights: iresnet://<arch>`` (:mod:`mmiresnet.weights`).

``import mmiresnet`` hooks the classification metafiles into MMPretrain's
``ModelHub`` (registered lazily, with MMPretrain's own index), so
``mmpretrain.list_models('*iresnet*')``, ``get_model(NAME,
pretrained=True)`` and ``ImageClassificationInferencer`` know our models.
Detection metafiles stay out of that hub (MMPretrain would build them in
its own scope and fail); use them through their configs.

Names: the config name when it contains ``iresnet``, otherwise
``mmiresnet_`` + the config name, so that none collides with MMPretrain's
names (``ModelHub`` refuses duplicates) and all match ``*iresnet*``.

Print the model-zoo tables of docs/model_zoo.md::

    python -c "from mmiresnet.model_zoo import main; main()"
"""
import argparse
import os.path as osp
import sys
import warnings

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
MODEL_INDEX = osp.join('configs', 'model-index.yml')
CLASSIFICATION = 'Image Classification'
DETECTION = 'Object Detection'
NAME_PREFIX = 'mmiresnet_'

__all__ = [
    'config_root', 'model_name', 'load_model_index', 'paper_figures',
    'register_with_mmpretrain', 'hook_into_mmpretrain', 'model_table'
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
    stem = osp.basename(config)
    stem = stem[:-3] if stem.endswith('.py') else stem  # keep '0.25x'

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
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    with open(path, encoding='utf-8') as f:
        return yaml.load(f, Loader=loader)


def metafiles(root=None):
    """Absolute paths of the metafiles imported by ``model-index.yml``."""
    root = _root_or_error(root)
    index = _read_yaml(osp.join(root, MODEL_INDEX))
    folder = osp.dirname(osp.join(root, MODEL_INDEX))
    return [osp.normpath(osp.join(folder, p)) for p in index['Import']]


def _tasks(metafile):
    data = _read_yaml(metafile) if isinstance(metafile, str) else metafile
    return {
        result['Task']
        for model in data.get('Models') or ()
        for result in model.get('Results') or ()
    }


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
            model['Metadata'] = dict(
                collection.get('Metadata') or {},
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
            figures[stem] = dict(task=result['Task'],
                                 dataset=result['Dataset'],
                                 metrics=dict(result['Metrics']),
                                 source=model.get('Results Source'),
                                 params_m=meta.get('Paper Params (M)'),
                                 gflops=meta.get('Paper GFLOPs'))
    return figures


_REGISTERED = []


def register_with_mmpretrain():
    """Register the classification metafiles with MMPretrain's ModelHub now.

    Idempotent; does nothing (returns []) without MMPretrain or without the
    configs folder. Returns the registered model names.
    """
    if _REGISTERED:
        return list(_REGISTERED[0])
    root = config_root()
    try:
        from mmpretrain.apis.model import ModelHub
    except ImportError:
        return []
    names = []
    for metafile in metafiles(root) if root else ():
        data = _read_yaml(metafile)
        if _tasks(data) != {CLASSIFICATION}:
            continue
        mine = [m['Name'] for m in data['Models']]
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
    _REGISTERED.append(names)
    return list(names)


def hook_into_mmpretrain():
    """Register our models when MMPretrain's ModelHub registers its own.

    MMPretrain fills its hub lazily, at the first ``get_model`` /
    ``list_models`` (``ModelHub._register_mmpretrain_models``); ours join
    then, after MMPretrain's, so that ``import mmiresnet`` stays cheap
    (parsing the metafiles takes about a second). Falls back to registering
    at once if that method is missing. Returns whether a hook was set.
    """
    if 'mmpretrain' not in sys.modules:  # not imported: do not pay for it
        try:
            import mmpretrain  # noqa: F401
        except ImportError:
            return False
    from mmpretrain.apis.model import ModelHub
    original = ModelHub.__dict__.get('_register_mmpretrain_models')
    if not isinstance(original, classmethod):
        register_with_mmpretrain()
        return False
    if getattr(original.__func__, 'mmiresnet_hook', False):
        return True

    def register_all(cls):
        original.__func__(cls)
        register_with_mmpretrain()

    register_all.mmiresnet_hook = True
    register_all.__doc__ = original.__func__.__doc__
    ModelHub._register_mmpretrain_models = classmethod(register_all)
    return True


def _fmt_metrics(model):
    parts = []
    for result in model.get('Results') or ():
        parts += [f'{k} {v:.2f}' for k, v in result['Metrics'].items()]
    return ', '.join(parts)


def model_table(task, root=None):
    """Markdown table of the models of the metafiles whose task is ``task``.

    Columns: name, config, params (M), GFLOPs, the paper's result (and
    source) and, for classification, the weights URI.
    """
    root = _root_or_error(root)
    models = load_model_index(root).values()
    with_weights = task == CLASSIFICATION
    header = [
        'name', 'config', 'params (M)', 'GFLOPs', 'paper result (source)'
    ] + ['weights'] * with_weights
    rows = ['| ' + ' | '.join(header) + ' |', '|---' * len(header) + '|']
    for metafile in metafiles(root):
        if _tasks(metafile) != {task}:
            continue
        for model in models:
            if model['Metafile'] != metafile:
                continue
            meta = model['Metadata']
            result = _fmt_metrics(model)
            if result:
                result += f' ({model.get("Results Source")})'
            cells = [
                model['Name'], f'`{osp.relpath(model["Config"], root)}`',
                f'{meta["Parameters"] / 1e6:.2f}',
                f'{meta["FLOPs"] / 1e9:.2f}', result or '-'
            ]
            if with_weights:
                cells.append(
                    f'`{model["Weights"]}`' if model.get('Weights') else '-')
            rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Print the model-zoo tables (Markdown) of the model '
        'index in configs/model-index.yml.')
    parser.add_argument('--task',
                        choices=(CLASSIFICATION, DETECTION),
                        help='only this task')
    args = parser.parse_args(argv)
    for task in (CLASSIFICATION, DETECTION):
        if args.task in (None, task):
            print(f'### {task}\n\n{model_table(task)}\n')


if __name__ == '__main__':
    main()
