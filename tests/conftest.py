"""Shared pytest fixtures (generic; keep test-specific helpers in tests)."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository root."""
    return REPO_ROOT


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: a real training run (minutes on 2 CPU cores); '
        'part of the default suite')
