"""What differs between the two SQL backends, in one place: the SQL of ``Tx`` is written once.

``Tx`` writes ``?`` placeholders and portable SQL (``ON CONFLICT``, ``RETURNING``, ``COALESCE``);
the few spots where SQLite and PostgreSQL really differ ask the dialect for their fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

SINGLE_SHOP = 1
"""The shop id of the single-shop bot (SQLite): every row it writes belongs to shop 1."""


@dataclass(frozen=True)
class Dialect:
    name: str
    begin: str
    """How a write transaction starts: SQLite takes the write lock at once (no upgrade deadlock)."""
    numbered: bool = field(default=False)
    """Placeholders are ``%s`` (psycopg) rather than ``?`` (sqlite3)."""
    notifies: bool = field(default=False)
    """Writes of work NOTIFY the platform's workers (PostgreSQL's LISTEN/NOTIFY)."""

    def sql(self, text: str) -> str:
        return _to_format(text) if self.numbered else text

    def index_hint(self, index: str) -> str:
        """SQLite's planner needs telling to walk a partial index; PostgreSQL's does not."""
        return f" INDEXED BY {index}" if self.name == "sqlite" else ""

    def wake_workers(self) -> str:
        """Appended to an INSERT: PostgreSQL NOTIFYs channel and payload (two parameters) for
        each row it inserts; SQLite has no workers to tell."""
        return " RETURNING pg_notify(?, ?)" if self.notifies else ""

    def greatest(self, left: str, right: str) -> str:
        return f"MAX({left}, {right})" if self.name == "sqlite" else f"GREATEST({left}, {right})"


SQLITE = Dialect("sqlite", "BEGIN IMMEDIATE")
POSTGRES = Dialect("postgresql", "BEGIN", numbered=True, notifies=True)

_QUESTION_MARKS = re.compile(r"'(?:[^']|'')*'|\?|%")


@lru_cache(maxsize=1024)
def _to_format(text: str) -> str:
    """``?`` outside string literals becomes ``%s``; a literal ``%`` is doubled for psycopg."""

    def swap(match: re.Match[str]) -> str:
        found = match.group(0)
        if found == "?":
            return "%s"
        if found == "%":
            return "%%"
        return found.replace("%", "%%")

    return _QUESTION_MARKS.sub(swap, text)
