"""Time, in one place, so tests and the demo can move it without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
