"""Makes ``mmiresnet::<family>/<config>.py`` base configs resolvable.

Imported at interpreter start-up by ``mmiresnet-config.pth``, which the
mmiresnet wheel installs next to the package. mmengine resolves a config's
``_base_`` before its ``custom_imports`` run, and accepts ``pkg::path``
only for the packages named in ``mmengine.config.utils.MODULE2PACKAGE``.
This module adds ``mmiresnet`` to that table right after mmengine loads the
module, in every process (``mim train mmdet``, mmdet's scripts, a user's
``Config.fromfile``); it imports nothing else and costs nothing until then.
``import mmiresnet`` adds the same entry (see ``mmiresnet.registry``).
"""
import sys

TARGET = 'mmengine.config.utils'
PACKAGE = 'mmiresnet'


class _AddPackageOnImport:
    """A meta path finder that only wraps ``TARGET``'s loader, once."""

    def find_spec(self, name, path=None, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_add(module):
            exec_module(module)
            module.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)

        spec.loader.exec_module = exec_and_add
        return spec


def install():
    """Add the finder (no-op when ``TARGET`` is already imported)."""
    module = sys.modules.get(TARGET)
    if module is not None:
        module.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    elif not any(isinstance(f, _AddPackageOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AddPackageOnImport())


install()
