"""Lint, as OpenMMLab's projects run it: flake8, isort and yapf with the
settings of setup.cfg, over every Python file of the repository; and the
commit-subject rule (at most 72 characters) for this project's history
from the commit that introduced it."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TARGETS = ('mmiresnet', 'tools', 'tests', 'configs', 'setup.py',
           '_mmiresnet_config.py')
#: The first commit whose subject had to follow the 72-character rule.
RULE_SINCE = 'eea987b'
MAX_SUBJECT = 72


def run(*cmd):
    return subprocess.run([sys.executable, '-m', *cmd],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.mark.parametrize('tool', [
    ('flake8', ),
    ('isort', '--check-only', '--diff'),
    ('yapf', '--diff', '--recursive', '--parallel'),
])
def test_lint(tool):
    proc = run(*tool, *TARGETS)
    assert proc.returncode == 0, (
        f'{tool[0]} found problems (fix them, or run the formatter: '
        f'isort {" ".join(TARGETS)}; yapf -i -r -p {" ".join(TARGETS)}):\n' +
        (proc.stdout + proc.stderr)[-6000:])


def test_commit_subjects():
    git = subprocess.run(['git', 'log', '--format=%h %s', f'{RULE_SINCE}^..'],
                         cwd=REPO,
                         capture_output=True,
                         text=True)
    if git.returncode:
        pytest.skip(f'no git history here ({git.stderr.strip()})')
    long = [
        line for line in git.stdout.splitlines()
        if len(line.split(' ', 1)[1]) > MAX_SUBJECT
    ]
    assert git.stdout.strip() and not long, long
