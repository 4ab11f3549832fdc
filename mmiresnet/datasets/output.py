"""Output folders of the dataset generators: atomic, never overwritten.

A generator writes into a temporary sibling folder that is renamed into place
when complete, and records its generation config in ``meta.json``. An
existing folder whose ``meta.json`` config matches is "up to date"; any other
existing content is refused unless ``force`` is given, and even then the old
folder is removed only after the new one is in place.
"""
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path


class OutputError(Exception):
    """The output folder cannot be written (a user error, one line)."""


class OutputRefused(OutputError):
    """The output folder exists and may not be replaced."""


class OutputUnwritable(OutputError):
    """The output folder (or a file in it) cannot be written."""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _clean_stale(out):
    """Remove temporary folders left by killed runs (dead pid only)."""
    for kind in ('tmp', 'old'):
        for path in out.parent.glob(f'.{out.name}.{kind}-*'):
            try:
                pid = int(path.name.rsplit('-', 1)[1])
            except ValueError:
                continue
            if not _pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def read_meta(out):
    meta_path = Path(out) / 'meta.json'
    if not meta_path.is_file():
        return None
    try:
        return json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None


def check_output(out, config, force):
    """Decide what to do with ``out``.

    Returns ``'build'`` or ``'up-to-date'``; raises :class:`OutputRefused`
    when ``out`` holds something else and ``force`` is false.
    """
    out = Path(out)
    config = json.loads(json.dumps(config))  # tuples -> lists, as stored
    if not out.exists():
        return 'build'
    if not out.is_dir():
        raise OutputRefused(f'{out} exists and is not a folder')
    meta = read_meta(out)
    if meta is not None and meta.get('config') == config:
        return 'up-to-date'
    if force:
        return 'build'
    if meta is None:
        if not any(out.iterdir()):
            return 'build'  # an empty folder holds nothing to lose
        raise OutputRefused(
            f'{out} exists but has no readable meta.json, so it was not made '
            'by this tool (or is damaged); refusing to overwrite it. Use '
            '--force to replace it, or choose another --out.')
    old = meta.get('config') or {}
    diffs = [
        f'{key}: {old.get(key)!r} -> {config.get(key)!r}'
        for key in sorted(set(old) | set(config))
        if old.get(key) != config.get(key)
    ]
    raise OutputRefused(
        f'{out} holds a dataset generated with a different config '
        f'({"; ".join(diffs)}); refusing to overwrite it. Use --force to '
        'replace it, or choose another --out.')


@contextmanager
def atomic_output(out):
    """Yield a temporary folder that replaces ``out`` on success.

    The temporary folder is a sibling of ``out`` (same file system, so the
    renames are atomic); on an exception (``KeyboardInterrupt`` included) it
    is deleted and ``out`` is left as it was. An existing ``out`` is renamed
    away first, put back if the final rename fails, and deleted only after
    the new folder is in place. ``OSError`` s become
    :class:`OutputUnwritable`.
    """
    out = Path(out).absolute()
    tmp = out.parent / f'.{out.name}.tmp-{os.getpid()}'
    existing = out.parent
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        raise OutputUnwritable(f'cannot write {out}: {existing} is not a '
                               'folder')
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(out)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as exc:
        raise OutputUnwritable(
            f'cannot write {out}: {exc.filename or out.parent}: '
            f'{exc.strerror or exc}') from None
    try:
        try:
            yield tmp
        except OSError as exc:  # e.g. disk full while writing
            raise OutputUnwritable(
                f'cannot write {out}: {exc.filename or tmp}: '
                f'{exc.strerror or exc}') from exc
        old = None
        if out.exists():
            old = out.parent / f'.{out.name}.old-{os.getpid()}'
            os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            if old is not None:  # put the previous folder back
                os.rename(old, out)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_meta(folder, config, stats, **extra):
    meta = dict(config=config, stats=stats, **extra)
    (Path(folder) / 'meta.json'
     ).write_text(json.dumps(meta, indent=2, sort_keys=True) + '\n')


def write_dataset(out, config, force, generate, **meta):
    """Generate a dataset folder unless it is up to date.

    Args:
        out (str | Path): output folder.
        config (dict): generation config, stored in ``meta.json``.
        force (bool): replace a folder made with another config (or by
            something else).
        generate (callable): ``generate(folder, config)`` writes the data into
            ``folder`` and returns its statistics.
        **meta: extra ``meta.json`` entries.

    Returns:
        tuple[bool, dict]: whether it was (re)built, and the statistics.

    Raises:
        OutputRefused: ``out`` holds something else and ``force`` is false.
        OutputUnwritable: ``out`` cannot be written.
    """
    if check_output(out, config, force) == 'up-to-date':
        return False, (read_meta(out) or {}).get('stats', {})
    with atomic_output(out) as tmp:
        stats = generate(tmp, config)
        write_meta(tmp, config, stats, **meta)
    return True, stats
