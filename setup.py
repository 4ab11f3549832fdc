"""Install mmiresnet: ``pip install .`` (users) or ``tools/setup_env.sh``.

As MMDetection and MMPretrain do, the package carries ``mmiresnet/.mim/``:
``configs/``, ``tools/`` and ``model-index.yml`` of the repository, copied
into wheels and linked in editable installs. ``mim train mmiresnet``,
``mim search mmiresnet``, mmengine's ``mmiresnet::<family>/<config>.py``
base configs and MMPretrain's model hub read them there.

Wheels also install ``mmiresnet-config.pth`` and its module
``_mmiresnet_config``: mmengine resolves ``_base_`` before a config's
``custom_imports`` run and knows a package's configs only by a table of
names, so the name is added when mmengine's config module loads
(docs/packaging.md).
"""
import os
import os.path as osp
import shutil
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')
PTH_FILE = 'mmiresnet-config.pth'
version = {}
with open(osp.join(ROOT, 'mmiresnet', 'version.py')) as f:
    exec(f.read(), version)


def _remove(path):
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


class BuildWithMim(build_py):
    """``build_py`` that adds ``mmiresnet/.mim`` (links when editable)."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            self._link_mim()
        else:
            self._copy_mim()

    def _link_mim(self):
        mim = osp.join(ROOT, 'mmiresnet', '.mim')
        os.makedirs(mim, exist_ok=True)
        for name in MIM_FILES:
            dst = osp.join(mim, name)
            _remove(dst)
            os.symlink(osp.join('..', '..', name), dst)

    def _copy_mim(self):
        mim = osp.join(self.build_lib, 'mmiresnet', '.mim')
        _remove(mim)
        os.makedirs(mim)
        for name in MIM_FILES:
            src = osp.join(ROOT, name)
            if not osp.exists(src):
                raise FileNotFoundError(
                    f'{src} is missing: the wheel must carry {name} in '
                    'mmiresnet/.mim (build from a checkout or the sdist)')
            if osp.isdir(src):
                shutil.copytree(
                    src,
                    osp.join(mim, name),
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            else:
                shutil.copy2(src, osp.join(mim, name))
        shutil.copy2(
            osp.join(ROOT, PTH_FILE), osp.join(self.build_lib, PTH_FILE))


setup(
    name='mmiresnet',
    version=version['__version__'],
    description='Improved residual networks (iResNet, iResGroup, RGSNet) '
    'for MMDetection and MMPretrain',
    long_description=open(osp.join(ROOT, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmiresnet', 'mmiresnet.*']),
    py_modules=['_mmiresnet_config'],
    python_requires='>=3.9',
    # Ranges the test suite covers: the newest stack and OpenMMLab's
    # reference stack (torch 2.1.2, NumPy 1.x); see docs/packaging.md.
    # torch/torchvision: users bring their own CUDA build.
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'numpy>=1.26',
        'mmengine>=0.10.7,<1.0',
        'mmcv>=2.1.0,<2.2.0',  # mmdet 3.3's own bound
        'mmdet>=3.3.0,<3.4.0',
        'mmpretrain>=1.2.0,<1.3.0',
        'setuptools<82',  # mmengine and openmim import pkg_resources
        'gdown>=6.5',  # official weights on Google Drive (iresnet://)
    ],
    extras_require={
        'tests': [
            'pytest', 'scikit-learn', 'matplotlib', 'onnx', 'onnxruntime',
            'onnxscript', 'flake8', 'isort', 'yapf'
        ],
        'mim': ['openmim>=0.3.9'],
    },
    cmdclass={'build_py': BuildWithMim},
    include_package_data=False,
    zip_safe=False,
)
