import importlib.util

# The heads subclass mmdet heads; ``import mmiresnet`` must still work
# without mmdet (e.g. classification-only installs with mmpretrain).
if importlib.util.find_spec('mmdet') is not None:
    from . import ssd_head  # noqa: F401
# The classification head subclasses mmpretrain's ClsHead; same rule.
if importlib.util.find_spec('mmpretrain') is not None:
    from . import cls_head  # noqa: F401
