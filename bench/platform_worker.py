"""``python -m bot`` with the platform worker's ``idle_after`` taken from ``BENCH_IDLE_AFTER``
(seconds): for benchmarks only, to evict idle shops within a run (``bench.platform``).

The worker's eviction delay is not a setting (600 s); this launcher builds its
``WorkerOptions`` with the given one and runs the unchanged CLI. Usage: as ``python -m bot``.
"""

from __future__ import annotations

import functools
import os
import sys

import bot.platform.serve
from bot.__main__ import main

if __name__ == "__main__":
    idle_after = float(os.environ.get("BENCH_IDLE_AFTER", "600"))
    bot.platform.serve.WorkerOptions = functools.partial(  # type: ignore[misc]
        bot.platform.serve.WorkerOptions, idle_after=idle_after
    )
    sys.exit(main())
