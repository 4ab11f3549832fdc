"""Checks of a run's inputs, on every path that runs our configs.

* :mod:`.data`: checks of a dataset's files (COCO, VOC, CIFAR, image
  folders), one-line :class:`PreflightError` messages;
* :mod:`.datasets`: the libraries' dataset types that run them when they
  load (``CheckedCocoDataset``, ``CheckedVOCDataset``, ``CheckedCIFAR10``,
  ``CheckedCIFAR100``, ``CheckedImageNet``, ``CheckedCustomDataset``),
  registered in MMDetection's / MMPretrain's ``DATASETS``;
* :mod:`.hooks`: ``CheckpointFitHook``, which refuses a checkpoint that
  does not fit the model;
* :mod:`.run`: what ``tools/train.py`` / ``tools/test.py`` check before
  the ``Runner`` starts.

Importing this package registers the dataset types and the hook. Table of
bad inputs and messages: docs/bad_inputs.md.
"""
from . import datasets, hooks  # noqa: F401  (registration)
from .data import PreflightError, check_data
from .hooks import CheckpointFitError, CheckpointFitHook
from .run import check_run, fail

__all__ = [
    'PreflightError', 'CheckpointFitError', 'CheckpointFitHook', 'check_data',
    'check_run', 'fail'
]
