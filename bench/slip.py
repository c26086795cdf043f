"""Payment slip render time (PNG bytes ready), against the 10 ms p50 budget.

Run: ``.venv/bin/python -m bench.slip [--n 200]``. Prints a table, then one JSON line.
Inputs vary per slip (code, amount, shop, order, language) so no cache can serve a whole slip;
the first, cold render (fonts loaded, glyph cache empty) is reported on its own.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bot.messages.slip import render_slip

SHOPS = (
    "Warung Bu Siti — Kopi & Roti",
    "Toko Ani",
    "Dapur Mama Rina: Kue Basah, Nasi Kotak & Tumpeng",
    "Kafé Ñoño",
    "Kedai Kopi Pak Budi",
)


def _percentile(sorted_ms: list[float], q: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms)) - 1))
    return sorted_ms[index]


def _inputs(rng: random.Random, i: int) -> dict[str, object]:
    return {
        "shop_name": SHOPS[i % len(SHOPS)],
        "amount": rng.randrange(10_000, 5_000_001, 500),
        "payment_code": "".join(rng.choice("0123456789") for _ in range(rng.randint(12, 18))),
        "expires_at": datetime(2026, 11, 25, tzinfo=UTC) + timedelta(minutes=rng.randrange(10**5)),
        "order_id": f"WB-20261125-{i:06d}",
        "lang": "id" if i % 3 else "en",
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Render ``n`` slips one after another and report the latency distribution."""
    parser = argparse.ArgumentParser(prog="python -m bench.slip", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="slips to render (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    start = time.perf_counter()
    render_slip(**_inputs(rng, -1))  # type: ignore[arg-type]
    cold_ms = (time.perf_counter() - start) * 1000

    times: list[float] = []
    sizes: list[int] = []
    for i in range(args.n):
        values = _inputs(rng, i)
        start = time.perf_counter()
        png = render_slip(**values)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(len(png))
    times.sort()

    result: dict[str, object] = {
        "bench": "slip",
        "n": args.n,
        "p50_ms": round(_percentile(times, 50), 3),
        "p90_ms": round(_percentile(times, 90), 3),
        "p99_ms": round(_percentile(times, 99), 3),
        "max_ms": round(times[-1], 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "cold_ms": round(cold_ms, 3),
        "png_kb": round(statistics.fmean(sizes) / 1024, 1),
    }
    print(f"slip render, {args.n} slips (budget: p50 < 10 ms)")
    print(f"{'metric':<10}{'value':>10}")
    for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms", "cold_ms", "png_kb"):
        print(f"{key:<10}{result[key]:>10}")
    print(
        json.dumps(
            {"bench": "slip", "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"]},
            separators=(",", ":"),
        )
    )
    return result


if __name__ == "__main__":
    main()
