"""``python -m bench [notifications|checkout|memory|slip|platform|platform-throughput ...]``:
all, or the named ones.

Each prints a short table and one JSON line (``{"bench": name, ...}``). Extra arguments after a
single name go to that benchmark, e.g. ``python -m bench notifications --orders 2000``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bench import checkout, memory, notifications, platform, platform_throughput, slip

BENCHES: dict[str, Callable[[list[str] | None], Any]] = {
    "notifications": notifications.main,
    "checkout": checkout.main,
    "memory": memory.main,
    "slip": slip.main,
    "platform": platform.main,
    "platform-throughput": platform_throughput.main,
}


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")][:1] if argv else []
    if names and names[0] not in BENCHES:
        print(f"unknown bench {names[0]!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    if names:
        BENCHES[names[0]](argv[1:])
        return 0
    for name, run in BENCHES.items():
        print(f"== {name}", flush=True)
        run([])
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
