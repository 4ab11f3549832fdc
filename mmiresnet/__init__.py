"""mmiresnet: improved residual networks for MMDetection and MMPretrain.

``import mmiresnet`` registers every backbone and head (see
:mod:`mmiresnet.registry`) and installs the checkpoint-loading compatibility
fix of :mod:`mmiresnet.compat`.
"""
from . import compat  # noqa: F401  (must run before any checkpoint load)
from . import models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
