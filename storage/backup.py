"""Online backups of the database through SQLite's backup API (no ``sqlite3`` program needed).

The copy is taken in one step, inside one read transaction: a consistent snapshot of the moment
it started, while the bot goes on writing (WAL lets writers and a reader work side by side).
It is written beside its final name, checked (``PRAGMA integrity_check``), made a standalone
file (rollback journal, no -wal), synced, and only then renamed into place: a backup that exists
is a whole one. The oldest copies beyond ``keep`` are removed.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path


class BackupError(Exception):
    """A backup that could not be made; the message says why, in one line."""


def backup_database(source: Path, folder: Path, *, keep: int, now: datetime) -> Path:
    """Copy ``source`` into ``folder`` as ``<name>-YYYYMMDD-HHMMSS.ffffffZ.db``; its path."""
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if keep < 1:
        raise BackupError("keep at least one backup")
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, source.stem, now)
    partial = target.with_name(target.name + ".partial")
    try:
        _copy(source, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(folder)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    prune(folder, source.stem, keep)
    return target


def backups(folder: Path, stem: str) -> list[Path]:
    """The finished backups of database ``stem`` in ``folder``, oldest first."""
    return sorted(folder.glob(f"{stem}-[0-9]*Z.db"))


def prune(folder: Path, stem: str, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups; the removed paths."""
    old = backups(folder, stem)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)  # pages=-1: every page in one step, one consistent snapshot
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the copy of {source} failed its integrity check: {verdict}")
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def _free_name(folder: Path, stem: str, now: datetime) -> Path:
    """Names sort in time order: ``warung-20261130-081905.123456Z.db`` (UTC)."""
    moment = now.astimezone(UTC)
    while True:
        target = folder / f"{stem}-{moment.strftime('%Y%m%d-%H%M%S.%f')}Z.db"
        if not target.exists():
            return target
        moment += timedelta(microseconds=1)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
