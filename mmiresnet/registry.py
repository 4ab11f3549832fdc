"""Registration of mmiresnet modules in the OpenMMLab registries.

Backbones are registered in mmengine's root ``MODELS`` so that an unscoped
``type='IResNet'`` builds in MMDetection and MMPretrain configs alike, and
also in each library's own ``MODELS`` (when the library is installed) so that
the explicit scopes ``mmdet.IResNet`` and ``mmpretrain.IResNet`` resolve.
Heads that subclass a library's head are registered only in that library.
"""
import importlib
import importlib.util

from mmengine.registry import MODELS as ROOT_MODELS

SCOPES = ('mmdet', 'mmpretrain')


def _scope_registry(scope):
    if importlib.util.find_spec(scope) is None:
        return None
    return importlib.import_module(f'{scope}.registry').MODELS


def register_model(cls):
    """Class decorator: register ``cls`` in the root and every scope."""
    ROOT_MODELS.register_module(module=cls)
    for scope in SCOPES:
        registry = _scope_registry(scope)
        if registry is not None:
            registry.register_module(module=cls)
    return cls


def register_in(scope):
    """Class decorator: register ``cls`` only in ``scope``'s ``MODELS``."""

    def wrap(cls):
        registry = _scope_registry(scope)
        if registry is None:
            raise ImportError(f'{cls.__name__} needs {scope}, which is not '
                              'installed')
        registry.register_module(module=cls)
        return cls

    return wrap
