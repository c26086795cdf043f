"""Is the database file still there, and does it still take a write? For ``/healthz``.

The bot's own connection keeps answering reads after the file was deleted (it holds the old
inode) and a read says nothing of a full disk or a file made read-only. So the probe looks at the
file by its path (there, writable, space left), then opens it afresh and makes a tiny write in a
transaction that it rolls back (a lock held for ever, a damaged file).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

MIN_FREE_BYTES = 16 * 1024 * 1024
"""Below this much free space the bot soon cannot store orders: report it before it happens."""


def check_writable(path: Path, *, busy_timeout: float = 2.0) -> str | None:
    """None if ``path`` is a database that takes a write now; else a short reason."""
    if str(path) == ":memory:":
        return None
    if not path.is_file():
        return "database file is missing"
    # Asked of the kernel by path: this process's open connection would go on writing (and
    # SQLite may even reuse its descriptor for a new one), but nothing started anew could.
    if not os.access(path, os.W_OK):
        return "database file is read-only"
    if not os.access(path.parent, os.W_OK):
        return "database folder is read-only"
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError as exc:
        return f"database folder cannot be read ({exc.strerror})"
    if free < MIN_FREE_BYTES:
        return f"disk almost full ({free // (1024 * 1024)} MiB free)"
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=busy_timeout)
    except sqlite3.Error as exc:
        return f"database cannot be opened ({exc})"
    try:
        conn.isolation_level = None
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT OR REPLACE INTO alerts (shop_id, key, raised_at)"
                " VALUES (1, 'health-probe', 'probe')"
            )
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return f"database does not take writes ({exc})"
    finally:
        conn.close()
    return None
