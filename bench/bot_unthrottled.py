"""``python -m bot`` with Telegram's send limit lifted: for benchmarks only, never for real use.

The bot sends through PTB's ``AIORateLimiter``, which keeps to Telegram's 30 messages/s across
chats. A benchmark that pays thousands of orders a second then measures that limit, not our
code; this launcher builds the same limiter with the overall and per-group limits switched off
(retries kept) and runs the unchanged CLI. Usage: as ``python -m bot``.
"""

from __future__ import annotations

import sys
from typing import Any

from telegram.ext import AIORateLimiter

import bot.app
from bot.__main__ import main


def _unlimited(max_retries: int = 0, **_: Any) -> AIORateLimiter:
    return AIORateLimiter(
        overall_max_rate=0,
        overall_time_period=0,
        group_max_rate=0,
        group_time_period=0,
        max_retries=max_retries,
    )


if __name__ == "__main__":
    bot.app.AIORateLimiter = _unlimited  # type: ignore[assignment,misc]
    sys.exit(main())
