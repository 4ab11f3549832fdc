"""Shared pytest fixtures (generic; keep test-specific helpers in tests)."""
import contextlib
from collections import OrderedDict
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def _default_scope_restored():
    from mmengine.registry import DefaultScope
    before = OrderedDict(DefaultScope._instance_dict)
    try:
        yield
    finally:
        DefaultScope._instance_dict = before


@pytest.fixture(autouse=True, scope='module')
def module_default_scope():
    """No DefaultScope made in a test module (its module fixtures too)
    leaks into the next module. mmengine keeps the latest DefaultScope
    process-wide (a Runner makes one), and every registry build without an
    explicit ``_scope_`` looks there, so a leaked scope would make builds
    depend on the order of the tests."""
    with _default_scope_restored():
        yield


@pytest.fixture(autouse=True)
def test_default_scope():
    """The same for each test: it leaves the scopes as it found them."""
    with _default_scope_restored():
        yield


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository root."""
    return REPO_ROOT


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: a real training run (minutes on 2 CPU cores); '
        'part of the default suite')
