"""mmiresnet: improved residual networks for MMDetection and MMPretrain.

``import mmiresnet``:

* registers every backbone and head (see :mod:`mmiresnet.registry`);
* registers the checked dataset types and ``CheckpointFitHook`` that our
  config bases use (:mod:`mmiresnet.checks`);
* installs the checkpoint-loading compatibility fix of :mod:`mmiresnet.compat`;
* registers the ``iresnet://<arch>`` checkpoint scheme (official ImageNet
  weights, :mod:`mmiresnet.weights`) with mmengine's ``CheckpointLoader``;
* names itself in mmengine's table of config packages, so that
  ``_base_ = 'mmiresnet::<family>/<config>.py'`` resolves (the wheel's
  ``mmiresnet-config.pth`` does it before any config is read; see
  docs/packaging.md);
* makes MMPretrain's ``ModelHub`` register every model (classifiers and
  detectors) of the model index (``model-index.yml``,
  :mod:`mmiresnet.model_zoo`) together with its own, at the first
  ``get_model`` / ``list_models``.
"""
from mmengine.config.utils import MODULE2PACKAGE

from . import checks  # noqa: F401  (checked datasets, CheckpointFitHook)
from . import compat  # noqa: F401  (must run before any checkpoint load)
from . import models  # noqa: F401
from . import model_zoo, weights
from .version import __version__

MODULE2PACKAGE.setdefault('mmiresnet', 'mmiresnet')
weights.register_scheme()
model_zoo.hook_into_mmpretrain()

__all__ = ['__version__']
