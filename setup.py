"""Install mmiresnet: ``pip install -e .[tests]`` (see tools/setup_env.sh)."""
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
version = {}
exec((ROOT / 'mmiresnet' / 'version.py').read_text(), version)

setup(
    name='mmiresnet',
    version=version['__version__'],
    description='Improved residual networks (iResNet, iResGroup, RGSNet) '
    'for MMDetection and MMPretrain',
    long_description=(ROOT / 'README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mmiresnet', 'mmiresnet.*']),
    python_requires='>=3.9',
    # torch/torchvision are not pinned: users bring their own CUDA build.
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'numpy',
        'mmengine==0.10.7',
        'mmcv==2.1.0',
        'mmdet==3.3.0',
        'mmpretrain==1.2.0',
        'setuptools<82',  # mmengine 0.10.7 and openmim import pkg_resources
        'gdown',  # official weights on Google Drive (iresnet:// scheme)
    ],
    extras_require={
        'tests': [
            'pytest', 'scikit-learn', 'matplotlib', 'onnx', 'onnxruntime',
            'onnxscript'
        ],
    },
    include_package_data=True,
    zip_safe=False,
)
