"""The model index: every config in OpenMMLab's metafile format.

``model-index.yml`` (at the repository root, or in ``mmiresnet/.mim`` of an
installed package) imports one metafile per family folder,
``configs/<family>/metafile.yml``, which sits beside the family's configs
and README.md. Each model has its config, exact parameter count, FLOPs,
training data and, where official weights exist,
``Weights: iresnet://<arch>`` (:mod:`mmiresnet.weights`).

``Results`` belong to the entry's ``Weights`` (``mim search`` and
MMPretrain show them as the model's own result): only entries with official
weights have them, the authors' reported top-1 of those weights. The
papers' figures for the setting of a config are ``Metadata`` fields:
``Paper <metric>`` (``Paper Top 1 Accuracy``, ``Paper box AP``, ...) with
``Paper Source`` (paper and table), and the papers' complexity figures
``Paper Params (M)``, ``Paper GFLOPs`` and ``Paper Tables`` (the tables
listing them). The metafiles are the only place where the papers' figures
are written: :func:`paper_figures` and :func:`paper_table_rows` read them
for the tools, tests and tables.

``import mmiresnet`` hooks every metafile into MMPretrain's ``ModelHub``
(registered lazily, with MMPretrain's own index), so
``mmpretrain.list_models('*iresnet*')`` lists all our models,
``get_model(NAME, pretrained=True)`` and ``ImageClassificationInferencer``
work for the classifiers, and ``get_model`` builds the detectors too (their
model configs carry ``_scope_='mmdet'``, so they build in MMDetection's
registry wherever they are built).

Names: the config name when it contains ``iresnet``, otherwise
``mmiresnet_`` + the config name, so that none collides with MMPretrain's
names (``ModelHub`` refuses duplicates) and all match ``*iresnet*``.

Print the model-zoo tables of docs/model_zoo.md::

    python tools/analysis/model_zoo_tables.py
"""
import argparse
import os.path as osp
import sys
import warnings

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
MODEL_INDEX = 'model-index.yml'
CONFIG_DIR = 'configs'
CLASSIFICATION = 'Image Classification'
DETECTION = 'Object Detection'
# The task of a model, by its config's default_scope.
SCOPE_TASKS = {'mmpretrain': CLASSIFICATION, 'mmdet': DETECTION}
NAME_PREFIX = 'mmiresnet_'
# Metadata fields of the papers' complexity figures.
PAPER_PARAMS = 'Paper Params (M)'
PAPER_GFLOPS = 'Paper GFLOPs'
PAPER_TABLES = 'Paper Tables'  # e.g. ['Duta et al. 2020, Table 2']
# Metadata fields of the papers' results: 'Paper ' + a metric, and the
# source ('Duta et al. 2020, Table 7 (COCO val2017)').
PAPER_METRICS = ('Top 1 Accuracy', 'box AP', 'box AP50', 'box AP75')
PAPER_SOURCE = 'Paper Source'
# Short names of the papers' tables ('2', 'R10'): prefix by paper.
TABLE_PREFIXES = {'Duta et al. 2020': '', 'Zhang et al. 2019': 'R'}
# Row order inside a table, by the network's title without its depth:
# the baseline, its ablations, the improved network; plain, Fix, grouped.
ROW_ORDER = ('ResNet', 'ResStage', 'ResMax', 'iResNet', 'ResGroupFix',
             'ResGroup', 'iResGroupFix', 'iResGroup', 'b-RGSNet', 'd-RGSNet',
             'Res-RGSNet')

__all__ = [
    'config_root', 'model_name', 'load_model_index', 'model_task',
    'paper_metrics', 'paper_figures', 'paper_table_rows', 'paper_tables',
    'split_table', 'config_arch', 'register_with_mmpretrain',
    'hook_into_mmpretrain', 'families', 'model_table'
]


def config_root():
    """The folder holding ``model-index.yml`` and ``configs/``, or None.

    First ``mmiresnet/.mim`` (an installed package: OpenMMLab's layout,
    where the wheel puts ``model-index.yml``, ``configs/`` and ``tools/``),
    then the folder above the package (a source checkout).
    """
    for root in (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR)):
        if osp.isfile(osp.join(root, MODEL_INDEX)) and \
                osp.isdir(osp.join(root, CONFIG_DIR)):
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
            f'{MODEL_INDEX} not found in {osp.join(PACKAGE_DIR, ".mim")} '
            f'or {osp.dirname(PACKAGE_DIR)}: the model index needs a source '
            'checkout of mmiresnet or a package built with its .mim folder')
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


def model_task(config):
    """Task of a config (:data:`CLASSIFICATION` or :data:`DETECTION`), from
    the ``default_scope`` it inherits (read with ``ast``, not resolved)."""
    from .utils.config_index import literal_scope
    scope = literal_scope(config)
    if scope not in SCOPE_TASKS:
        raise ValueError(f'{config}: default_scope {scope!r} is none of '
                         f'{", ".join(SCOPE_TASKS)}')
    return SCOPE_TASKS[scope]


def load_model_index(root=None):
    """All models of the index as plain dicts, by name.

    Each dict holds the model's fields with its collection's ``Metadata``
    and ``Paper`` filled in (the model's own values win), ``Config`` as an
    absolute path, ``Metafile`` and ``Task`` (from the config's scope).
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
            model['Task'] = model_task(model['Config'])
            if model['Name'] in models:
                raise ValueError(f'model name {model["Name"]!r} appears '
                                 f'twice ({models[model["Name"]]["Metafile"]}'
                                 f' and {metafile})')
            models[model['Name']] = model
    return models


def paper_metrics(model):
    """The paper's results of a model (its ``Paper <metric>`` Metadata), as
    ``{metric: value}``; ``{}`` where the paper gives none.

    A ``Paper`` field that is none of the known ones, metrics without
    ``Paper Source`` or a source without metrics is an error.
    """
    meta = model['Metadata']
    known = {PAPER_PARAMS, PAPER_GFLOPS, PAPER_TABLES, PAPER_SOURCE}
    metrics = {}
    for key, value in meta.items():
        if not key.startswith('Paper ') or key in known:
            continue
        metric = key[len('Paper '):]
        if metric not in PAPER_METRICS:
            raise ValueError(f'{model["Name"]}: unknown Metadata field '
                             f'{key!r} (paper metrics: '
                             f'{", ".join(PAPER_METRICS)})')
        metrics[metric] = value
    if bool(metrics) != (PAPER_SOURCE in meta):
        raise ValueError(f'{model["Name"]}: Paper <metric> fields and '
                         f'{PAPER_SOURCE} go together')
    return metrics


def paper_figures(root=None):
    """The papers' figures of every model that has some, by config stem.

    Each value: ``name``, ``config``, ``task``, ``metrics`` (the paper's
    results, e.g. ``Top 1 Accuracy``, ``box AP``; empty where the paper
    gives no result for the model), ``source`` (paper and table of the
    results, or None), the paper's ``params_m`` / ``gflops`` where it gives
    them (else None) and ``tables``, the complexity tables listing them.
    """
    figures = {}
    for model in load_model_index(root).values():
        meta = model['Metadata']
        metrics = paper_metrics(model)
        if not metrics and PAPER_PARAMS not in meta and \
                PAPER_GFLOPS not in meta:
            continue
        stem = osp.splitext(osp.basename(model['Config']))[0]
        figures[stem] = dict(
            name=model['Name'],
            config=model['Config'],
            task=model['Task'],
            metrics=metrics,
            source=meta.get(PAPER_SOURCE),
            params_m=meta.get(PAPER_PARAMS),
            gflops=meta.get(PAPER_GFLOPS),
            tables=list(meta.get(PAPER_TABLES) or ()))
    return figures


def split_table(table):
    """``'Duta et al. 2020, Table 2'`` -> ``('Duta et al. 2020', 2, '2')``.

    The last item is the short name (``'R10'``: the RGSNet paper's Table
    10), see ``TABLE_PREFIXES``.
    """
    paper, sep, number = table.rpartition(', Table ')
    if not sep or paper not in TABLE_PREFIXES or not number.isdigit():
        raise ValueError(f'{PAPER_TABLES}: {table!r} is not "<paper>, Table '
                         f'<n>" with <paper> one of '
                         f'{", ".join(TABLE_PREFIXES)}')
    return paper, int(number), TABLE_PREFIXES[paper] + number


def _table_order(table):
    paper, number, _ = split_table(table)
    return list(TABLE_PREFIXES).index(paper), number


def config_arch(backbone):
    """Name of the arch (:data:`mmiresnet.archs.ARCHS`) a backbone config
    builds, or None (e.g. RGSNet CIFAR widths, other libraries' types).

    OpenMMLab's own ``ResNet`` (torchvision style, as in the ResNet SSD
    baselines) is the papers' ResNet of its depth (same layers and keys).

    Args:
        backbone (dict): ``model.backbone`` of a config.
    """
    import inspect

    from mmengine.registry import MODELS

    from . import models  # noqa: F401  (registers the backbones)
    from .archs import ARCHS
    if backbone['type'] == 'ResNet':  # mmdet's / MMPretrain's ResNet
        name = f'resnet{backbone.get("depth")}'
        return name if name in ARCHS and backbone.get(
            'style', 'pytorch') == 'pytorch' else None
    cls = MODELS.get(backbone['type'])
    if cls is None or 'widen_factor' in backbone:
        return None
    depth = backbone.get('depth')
    if depth is None:
        depth = inspect.signature(cls).parameters['depth'].default
    want = dict(
        type=backbone['type'],
        depth=depth,
        variant=backbone.get('variant') or cls.default_variant)
    for name, arch in ARCHS.items():
        if arch.backbone_cfg() == want:
            return name
    return None


def paper_table_rows(tables=None, root=None):
    """Rows of the papers' complexity tables, from the metafiles.

    A model is a row of every table in its ``Paper Tables``. Rows come
    classification tables first, then detection ones, by paper and table
    number; inside a table by depth, ``ROW_ORDER`` and classes. Each row:
    ``table`` (``'Duta et al. 2020, Table 2'``), ``key`` (``'2'``),
    ``label`` (the paper's name of the model), ``arch``, ``num_classes``,
    ``task``, ``config``, ``params_m`` and ``gflops`` (the paper's; None
    where it gives none).

    Args:
        tables (Iterable[str], optional): Only these tables (full names).
        root (str, optional): Folder holding ``model-index.yml``.
    """
    from mmengine.config import Config

    from .archs import get_arch
    tables = None if tables is None else set(tables)
    rows = []
    for model in load_model_index(root).values():
        meta = model['Metadata']
        listed = meta.get(PAPER_TABLES) or ()
        if bool(listed) != (PAPER_PARAMS in meta or PAPER_GFLOPS in meta):
            raise ValueError(f'{model["Name"]} ({model["Metafile"]}): '
                             f'{PAPER_TABLES} and {PAPER_PARAMS} / '
                             f'{PAPER_GFLOPS} go together')
        selected = [t for t in listed if tables is None or t in tables]
        if not selected:
            continue
        cfg = Config.fromfile(model['Config'])
        name = config_arch(cfg.model.backbone)
        if name is None:
            raise ValueError(f'{model["Name"]}: the backbone of '
                             f'{model["Config"]} is no arch of '
                             'mmiresnet.archs')
        arch = get_arch(name)
        task = model['Task']
        if task == CLASSIFICATION:
            num_classes = cfg.model.head.num_classes
            label = arch.title
            if arch.family.dataset == 'cifar':
                label += f' CIFAR-{num_classes}'
        else:
            num_classes = cfg.model.bbox_head.num_classes
            # the detector (its collection's first architecture) and size
            size = str(meta['Input Size']).split('x')[0]
            label = f'{meta["Architecture"][0]}{size} {arch.title}'
        title = arch.family.title.replace('-{depth}', '')
        rank = ROW_ORDER.index(title) if title in ROW_ORDER else \
            len(ROW_ORDER)
        for table in selected:
            rows.append(((task != CLASSIFICATION, *_table_order(table),
                          arch.depth, rank, num_classes),
                         dict(
                             table=table,
                             key=split_table(table)[2],
                             label=label,
                             arch=name,
                             num_classes=num_classes,
                             task=task,
                             config=model['Config'],
                             params_m=meta.get(PAPER_PARAMS),
                             gflops=meta.get(PAPER_GFLOPS))))
    rows.sort(key=lambda row: row[0])
    return [row for _, row in rows]


def paper_tables(root=None):
    """Names of the tables in the metafiles' ``Paper Tables``, in order."""
    names = {
        table
        for model in load_model_index(root).values()
        for table in model['Metadata'].get(PAPER_TABLES) or ()
    }
    return sorted(names, key=_table_order)


_REGISTERED = []


def register_with_mmpretrain():
    """Register every metafile with MMPretrain's ModelHub now.

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


def _fmt_metrics(metrics):
    return ', '.join(f'{k} {v:.2f}' for k, v in metrics.items())


def _results_metrics(model):
    metrics = {}
    for result in model.get('Results') or ():
        metrics.update(result['Metrics'])
    return metrics


def families(root=None):
    """Names of the family folders (``configs/<family>/metafile.yml``), in
    the index's order."""
    return [osp.basename(osp.dirname(path)) for path in metafiles(root)]


def model_table(task=None, root=None, family=None):
    """Markdown table of the models of the metafiles whose task is ``task``
    (and of one family's metafile, ``configs/<family>/metafile.yml``, with
    ``family``; its task when ``task`` is None).

    Columns: name, config, params (M), GFLOPs, the paper's result (and
    source) and, for classification, the weights URI with their
    ``Results`` (the authors' reported figures for those weights).
    """
    root = _root_or_error(root)
    models = list(load_model_index(root).values())
    if family is not None:
        if family not in families(root):
            raise ValueError(f'no family {family!r} in {MODEL_INDEX} '
                             f'(families: {", ".join(families(root))})')
        models = [
            m for m in models
            if osp.basename(osp.dirname(m['Metafile'])) == family
        ]
    if task is None:
        tasks = {m['Task'] for m in models}
        if len(tasks) != 1:
            raise ValueError(f'give a task: the models hold {sorted(tasks)}')
        (task, ) = tasks
    with_weights = task == CLASSIFICATION
    header = [
        'name', 'config', 'params (M)', 'GFLOPs', 'paper result (source)'
    ] + ['weights (their result)'] * with_weights
    rows = ['| ' + ' | '.join(header) + ' |', '|---' * len(header) + '|']
    for model in models:
        if model['Task'] != task:
            continue
        meta = model['Metadata']
        result = _fmt_metrics(paper_metrics(model))
        if result:
            result += f' ({meta[PAPER_SOURCE]})'
        cells = [
            model['Name'],
            f'`{osp.relpath(model["Config"], root).replace(osp.sep, "/")}`',
            f'{meta["Parameters"] / 1e6:.2f}', f'{meta["FLOPs"] / 1e9:.2f}',
            result or '-'
        ]
        if with_weights:
            weights = '-'
            if model.get('Weights'):
                weights = f'`{model["Weights"]}`'
                own = _fmt_metrics(_results_metrics(model))
                if own:
                    weights += f' ({own})'
            cells.append(weights)
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def main(argv=None):
    """Command line of ``tools/analysis/model_zoo_tables.py``."""
    parser = argparse.ArgumentParser(
        description='Print the model-zoo tables (Markdown) of the model '
        'index, model-index.yml.')
    parser.add_argument(
        '--task', choices=(CLASSIFICATION, DETECTION), help='only this task')
    parser.add_argument(
        '--family',
        help='only the table of one family folder, '
        'configs/FAMILY/ (as its README.md holds it)')
    args = parser.parse_args(argv)
    try:
        if args.family is not None:
            print(model_table(args.task, family=args.family))
            return
        tables = [(task, model_table(task))
                  for task in (CLASSIFICATION, DETECTION)
                  if args.task in (None, task)]
    except (OSError, ValueError, KeyError) as error:
        parser.error(f'cannot read the model index: {error}')
    for task, table in tables:
        print(f'### {task}\n\n{table}\n')


if __name__ == '__main__':
    main()
