"""Dataset types that check their files before the library reads them.

Each is the library's own dataset with one addition: ``load_data_list``
first runs the check of :mod:`mmiresnet.checks.data` on the dataset's own
``data_root``, ``ann_file``, ``data_prefix``, classes and ``filter_cfg``,
so that a bad set stops with one :class:`~.data.PreflightError` line
instead of a failure deep inside the library (e.g. ``need at least one
array to concatenate``). They are registered in MMDetection's /
MMPretrain's ``DATASETS`` (when installed) and used by the dataset bases in
``configs/_base_/datasets/``; whatever builds the dataset (``mim train``,
the libraries' scripts, ``Runner.from_cfg``, ``tools/train.py``) runs the
check.
"""
import importlib.util
import os.path as osp

from .data import check_data


class CheckedMixin:
    """``load_data_list`` runs :meth:`data_check` first."""

    def data_check(self):
        """``(kind, inputs)`` for :func:`~.data.check_data`, or None."""
        raise NotImplementedError

    def load_data_list(self):
        backend = (getattr(self, 'backend_args', None) or {}).get('backend')
        check = self.data_check()
        if check is not None and backend in (None, 'local'):
            kind, inputs = check
            check_data(kind, **inputs)
        return super().load_data_list()

    def _classes(self):
        return tuple(self.metainfo.get('classes') or ())


__all__ = ['CheckedMixin']

if importlib.util.find_spec('mmdet') is not None:
    from mmdet.datasets import CocoDataset, VOCDataset
    from mmdet.registry import DATASETS as DET_DATASETS

    @DET_DATASETS.register_module()
    class CheckedCocoDataset(CheckedMixin, CocoDataset):
        """MMDetection's ``CocoDataset``, checked (see module doc)."""

        def data_check(self):
            return 'coco', dict(
                data_root=self.data_root,
                ann_file=self.ann_file,
                img_root=self.data_prefix.get('img', '') or self.data_root,
                classes=self._classes(),
                filter_cfg=self.filter_cfg,
                test_mode=self.test_mode)

    @DET_DATASETS.register_module()
    class CheckedVOCDataset(CheckedMixin, VOCDataset):
        """MMDetection's ``VOCDataset``, checked (see module doc)."""

        def data_check(self):
            return 'voc', dict(
                data_root=self.data_root,
                ann_file=self.ann_file,
                sub_root=self.sub_data_root,
                classes=self._classes(),
                ann_subdir=self.ann_subdir,
                img_subdir=self.img_subdir,
                filter_cfg=self.filter_cfg,
                test_mode=self.test_mode)

    __all__ += ['CheckedCocoDataset', 'CheckedVOCDataset']

if importlib.util.find_spec('mmpretrain') is not None:
    from mmpretrain.datasets import CIFAR10, CIFAR100, CustomDataset, ImageNet
    from mmpretrain.registry import DATASETS as CLS_DATASETS

    class CheckedCIFAR(CheckedMixin):
        """The CIFAR files are where MMPretrain reads them."""

        def data_check(self):  # both splits, as MMPretrain's integrity
            return 'cifar', dict(
                data_root=self.data_root,
                folder=osp.join(self.data_prefix['root'], self.base_folder),
                files=[name for name, _ in self.train_list + self.test_list],
                download=self.download,
                name=type(self).__name__.replace('Checked', ''))

    @CLS_DATASETS.register_module()
    class CheckedCIFAR10(CheckedCIFAR, CIFAR10):
        """MMPretrain's ``CIFAR10``, checked (see module doc)."""

    @CLS_DATASETS.register_module()
    class CheckedCIFAR100(CheckedCIFAR, CIFAR100):
        """MMPretrain's ``CIFAR100``, checked (see module doc)."""

    class CheckedFolder(CheckedMixin):
        """An image folder (or an annotation list) that holds images."""

        def data_check(self):
            return 'image_folder', dict(
                data_root=self.data_root,
                ann_file=self.ann_file,
                img_root=self.data_prefix.get('img_path', '')
                or self.data_root,
                extensions=tuple(sorted(self.extensions)))

    @CLS_DATASETS.register_module()
    class CheckedCustomDataset(CheckedFolder, CustomDataset):
        """MMPretrain's ``CustomDataset``, checked (see module doc)."""

    @CLS_DATASETS.register_module()
    class CheckedImageNet(CheckedFolder, ImageNet):
        """MMPretrain's ``ImageNet``, checked (see module doc)."""

    __all__ += [
        'CheckedCIFAR10', 'CheckedCIFAR100', 'CheckedCustomDataset',
        'CheckedImageNet'
    ]
