"""Former home of the preflight checks, now :mod:`mmiresnet.checks`; the
names the tools import from here are re-exported."""
from ..checks.data import PreflightError
from ..checks.run import check_run, fail

__all__ = ['PreflightError', 'check_run', 'fail']
