from . import backbones  # noqa: F401
from . import heads  # noqa: F401
