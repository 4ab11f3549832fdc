"""Registration of mmiresnet modules in the OpenMMLab registries.

Backbones are registered in mmengine's root ``MODELS`` so that an unscoped
``type='IResNet'`` builds in MMDetection and MMPretrain configs alike, and
also in each library's own ``MODELS`` (when the library is installed) so that
the explicit scopes ``mmdet.IResNet`` and ``mmpretrain.IResNet`` resolve. A
class with a ``for_library(scope)`` classmethod registers, in a library's
registry, the subclass it returns: the backbones there take that library's
ResNet defaults (``IResNet.for_library``, docs/dropin.md), while the root
registry keeps the class itself. Heads that subclass a library's head are
registered only in that library.
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
    """Class decorator: register ``cls`` in the root and every scope (there
    ``cls.for_library(scope)`` where ``cls`` has it, under ``cls``'s name).
    """
    ROOT_MODELS.register_module(module=cls)
    for scope in SCOPES:
        registry = _scope_registry(scope)
        if registry is not None:
            for_library = getattr(cls, 'for_library', None)
            module = for_library(scope) if for_library else cls
            registry.register_module(name=cls.__name__, module=module)
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
