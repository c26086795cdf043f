"""Shared helpers of the benchmarks: percentiles, ports, child processes, seeded orders.

Everything runs on 127.0.0.1. Child processes are started with ``start_process`` and always
stopped by their own pid (``Child.stop``), never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from devtools.midtrans import MidtransSandbox
from storage import Store, Tx
from tests.support.seeded import Seeded, write_charged_orders

KEY = "SB-Mid-server-BENCHKEY0123456789"
TOKEN = "123456:BENCHtokenBENCHtokenBENCH1"
ADMIN_ID = 9000
FIRST_CHAT = 1_000_000
PRICE = 15_000
ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_RUNTIME_PYTHON = ROOT / ".venv-run" / "bin" / "python"
BOT_PYTHON = os.environ.get("BENCH_BOT_PYTHON") or (
    str(_RUNTIME_PYTHON) if _RUNTIME_PYTHON.exists() else PYTHON
)
"""The interpreter of ``python -m bot``: the runtime venv (``make install``), as a seller runs
it, when there is one. The dev venv also holds the platform extra, and python-telegram-bot
imports ``cryptography`` whenever it is installed (Telegram Passport): about 8 MB of RSS a
single-shop install does not have. The code is this tree's either way (PYTHONPATH)."""


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (any order); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float | int]:
    """n, p50, p99, max and mean of samples given in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    if not ms:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "mean_ms": 0.0}
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def free_port() -> int:
    """A port that was free a moment ago (the child binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain fixed-width table."""
    cells = [[str(c) for c in header], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(title)
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def emit(name: str, figures: dict[str, Any]) -> None:
    """The one JSON line of a benchmark."""
    print(json.dumps({"bench": name, **figures}, separators=(",", ":")), flush=True)


# --- child processes -------------------------------------------------------------------------


@dataclass
class Child:
    """A child process with its log file; stopped by its own pid only."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_process(
    name: str, args: Sequence[str], directory: Path, env: dict[str, str] | None = None
) -> Child:
    """Start ``args`` with stdout and stderr going to ``directory/name.log``."""
    log_path = directory / f"{name}.log"
    log = log_path.open("wb")
    # BENCH_CODE_PATH (a directory holding other bot/ and storage/ trees, e.g. a checkout of an
    # older commit) runs the children on that code: before/after figures on one machine.
    first = os.environ.get("BENCH_CODE_PATH")
    path = f"{first}{os.pathsep}{ROOT}" if first else str(ROOT)
    full_env = {**os.environ, "PYTHONPATH": path, **(env or {})}
    process = subprocess.Popen(
        list(args), stdout=log, stderr=subprocess.STDOUT, cwd=directory, env=full_env
    )
    return Child(name, process, log_path, log)


def start_telegram(directory: Path) -> tuple[Child, int]:
    """The lean Telegram stand-in (``bench.telegram_server``), answering; with its port."""
    port = free_port()
    child = start_process(
        "telegram", [PYTHON, "-m", "bench.telegram_server", "--port", str(port)], directory
    )
    wait_http(child, f"http://127.0.0.1:{port}/_bench/health")
    return child, port


def start_midtrans(
    directory: Path, transactions: Path | None = None, name: str = "midtrans"
) -> tuple[Child, int]:
    """The Midtrans sandbox (``bench.midtrans_server``) knowing ``transactions``; with its port."""
    port = free_port()
    args = [PYTHON, "-m", "bench.midtrans_server", "--port", str(port)]
    if transactions is not None:
        args += ["--transactions", str(transactions)]
    child = start_process(name, args, directory)
    wait_http(child, f"http://127.0.0.1:{port}/", any_status=True)
    return child, port


def wait_http(child: Child, url: str, timeout: float = 30.0, *, any_status: bool = False) -> None:
    """Until ``url`` answers 200 (any HTTP answer with ``any_status``), or fail with the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            status = httpx.get(url, timeout=1.0).status_code
            if status == 200 or any_status:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} did not answer {url} in {timeout:.0f}s:\n{child.tail()}")


@contextlib.contextmanager
def running(children: list[Child]) -> Iterator[list[Child]]:
    """Stops every child started into ``children``, last first."""
    try:
        yield children
    finally:
        for child in reversed(children):
            child.stop()


def bot_env(
    *,
    database: Path,
    listen_port: int,
    telegram_port: int,
    midtrans_port: int,
    confirm: bool,
    log_level: str = "INFO",
) -> dict[str, str]:
    """The environment ``python -m bot run`` reads, pointed at the local stand-ins."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram_port}/bot",
        "MIDTRANS_SERVER_KEY": KEY,
        "MIDTRANS_API_BASE_URL": f"http://127.0.0.1:{midtrans_port}",
        "DATABASE_PATH": str(database),
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(listen_port),
        "ADMIN_IDS": str(ADMIN_ID),
        "SHOP_NAME": "Warung Bench",
        "CONFIRM_NOTIFICATIONS": "true" if confirm else "false",
        "LOG_LEVEL": log_level,
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """Direct children of a process (the bot's payment worker), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB, from /proc."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


# --- seeded orders ---------------------------------------------------------------------------


def order_id_for(chat_id: int) -> str:
    return f"WB-BENCH-{chat_id}"


async def seed_orders(
    store: Store, first_chat: int, count: int, *, batch: int = 500
) -> list[Seeded]:
    """``count`` orders (one per customer and chat) as checkout leaves them: charged, pending."""
    now = datetime.now(UTC)
    product = await store.run(Tx.add_product, "Roti bakar", PRICE, None, now)
    seeded: list[Seeded] = []
    for start in range(0, count, batch):
        chunk = [
            Seeded(
                order_id_for(chat),
                chat,
                PRICE * (1 + chat % 3),
                f"bench-{chat:012d}-0000-0000-000000000000",
                f"{chat:014d}",
            )
            for chat in range(first_chat + start, first_chat + min(count, start + batch))
        ]
        await store.run(
            write_charged_orders,
            product,
            chunk,
            now=now,
            expires=now + timedelta(hours=24),
            customer_name="Tamu Bench",
        )
        seeded.extend(chunk)
    return seeded


def sandbox_with(
    orders: Sequence[Seeded], status: str = "pending", server_key: str = KEY
) -> MidtransSandbox:
    """A sandbox (of the merchant ``server_key``) that knows ``orders``' transactions, all in
    ``status``."""
    sandbox = MidtransSandbox(server_key)
    now = datetime.now(UTC)
    for seed in orders:
        sandbox.add_charge(
            seed.order_id,
            seed.transaction_id,
            seed.amount,
            seed.payment_code,
            created=now,
            expires=now + timedelta(hours=24),
            status=status,
        )
    return sandbox


def notification_bodies(
    orders: Sequence[Seeded], statuses: Sequence[str], server_key: str = KEY
) -> list[bytes]:
    """Signed notification bodies, for each order one per status, in that order."""
    sandbox = sandbox_with(orders, server_key=server_key)
    bodies = []
    for seed in orders:
        for status in statuses:
            tx = sandbox.transactions[seed.order_id]
            if status == "settlement" and tx.settlement_time is None:
                tx.settlement_time = tx.transaction_time
            body = sandbox.notification_for(seed.order_id, status)
            bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def write_transactions(path: Path, orders: Sequence[Seeded], status: str) -> None:
    """The file ``bench.midtrans_server`` loads its transactions from."""
    rows = [[s.order_id, s.transaction_id, s.amount, s.payment_code, status] for s in orders]
    path.write_text(json.dumps(rows))
