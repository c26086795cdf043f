"""``python -m bot backup [DEST]``: a consistent copy of the database while the bot runs.

The copy itself is ``storage.backup``; this is the command around it: where copies go
(``DEST``, else ``BACKUP_DIR``, else ``backups/`` beside the database) and how many are kept
(``--keep``, else ``BACKUP_KEEP``). Restoring is described in README.md ("Backups").
"""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.rules.clock import Clock, utc_now
from storage.backup import backup_database


def backup_folder(settings: Settings, dest: Path | None = None) -> Path:
    if dest is not None:
        return dest
    if settings.backup_dir is not None:
        return settings.backup_dir
    return settings.database_path.parent / "backups"


def run_backup(
    settings: Settings,
    dest: Path | None = None,
    *,
    keep: int | None = None,
    clock: Clock = utc_now,
) -> Path:
    """Make one backup; its path. Raises storage.backup.BackupError with a one-line reason."""
    return backup_database(
        settings.database_path,
        backup_folder(settings, dest),
        keep=keep if keep is not None else settings.backup_keep,
        now=clock(),
    )
