"""The project's Midtrans sandbox in its own process, preloaded with the benchmark's transactions.

Run: ``python -m bench.midtrans_server --port P --transactions FILE`` where FILE is what
``bench.common.write_transactions`` wrote. Answers at once (no faults).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import KEY
from bench.serving import serve
from devtools.midtrans import MidtransSandbox


def load(path: Path | None) -> MidtransSandbox:
    sandbox = MidtransSandbox(KEY)
    if path is None:
        return sandbox
    now = datetime.now(UTC)
    for order_id, transaction_id, amount, code, status in json.loads(path.read_text()):
        sandbox.add_charge(
            order_id,
            transaction_id,
            int(amount),
            code,
            created=now,
            expires=now + timedelta(hours=24),
            status=status,
        )
    return sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--transactions", type=Path)
    args = parser.parse_args()
    serve(load(args.transactions).app, args.port)


if __name__ == "__main__":
    main()
