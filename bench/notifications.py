"""Notification throughput and notification-to-push latency of the real bot, against a bare
Starlette endpoint under the same load.

Run: ``python -m bench notifications [--orders 5000] [--levels 16,64]``. Prints a table, then one
JSON line. All on 127.0.0.1, in separate processes so no party measures itself:

- the bot: ``python -m bot run`` (the real ``BotRuntime``: PTB Application with its
  ``AIORateLimiter``, uvicorn listener, outbox sender, reconciler), a fresh SQLite file (WAL)
  per run with ``--orders`` orders already placed and charged, ``LOG_LEVEL=INFO`` as shipped;
- a lean Telegram stand-in (``bench.telegram_server``) answering at once and time-stamping every
  send it receives; the Midtrans sandbox (``bench.midtrans_server``) for Get Status;
- the load generator: Debian's ``wrk`` (one thread, ``--levels`` connections) with
  ``bench/notifications.lua``, which POSTs each precomputed signed body exactly once (per order
  a ``pending`` then a ``settlement``) and logs the send time of each; if ``wrk`` is missing the
  bench installs it with apt-get, or stops.

Figures per run: notifications/s (first send to last answer), wrk's latency p50/p99, answers that
were not 200, and notification-to-push (send of the notification that moved the order to paid, to
the stand-in receiving the customer's sendMessage), plus the same load against
``bench.bare_server`` just before and just after the bot's run, and the ratio to their mean. Push
latency is also measured at a paced 20/s ("probe"), below Telegram's own limit: the bot's
``AIORateLimiter`` sends at most 30 messages/s to different chats, as Telegram asks, so under a
load of thousands of payments per second the pushes queue in the outbox and drain at that rate. The
``unthrottled`` run lifts that limit (bench-only launcher ``bench.bot_unthrottled``) to show what
the rest of the push path can do. Push percentiles under load cover the pushes that arrived by 3 s
after the run ("after +3 s").
"bot cpu" is the bot process's CPU over the run, in cores (one Python process: ~1 is the most);
"worker cpu" that of its payment worker process (``PAYMENT_WORKER``, on by default). The JSON line
also gives each as CPU microseconds per notification, steadier than rates on a noisy machine.

``--profile DIR`` samples the bot with py-spy during each run (install it by hand into .venv).
``BENCH_CODE_PATH=DIR`` runs the children on the bot/ and storage/ found in DIR (before/after).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BOT_PYTHON,
    FIRST_CHAT,
    PYTHON,
    ROOT,
    Child,
    Seeded,
    bot_env,
    children_of,
    cpu_seconds,
    emit,
    free_port,
    notification_bodies,
    print_table,
    running,
    seed_orders,
    start_midtrans,
    start_process,
    start_telegram,
    summary_ms,
    wait_http,
    write_transactions,
)
from bot.rules.orders import OrderStatus
from storage import Store, Tx

PATH = "/midtrans/notification"
LUA = ROOT / "bench" / "notifications.lua"
PROBES = 60
PROBE_RATE = 20.0
RUN_CAP = 20.0  # seconds: a wrk run stops here even if not every notification was answered
DRAIN = 3.0  # seconds to wait for pushes after a run


@dataclass
class Run:
    """One measured run of one configuration at one concurrency."""

    config: str
    connections: int
    notifications: int = 0
    answered: int = 0
    seconds: float = 0.0
    not_200: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    paid: int = 0
    push: dict[str, float | int] = field(default_factory=dict)
    pushes_during_run: int = 0
    pushes_after_drain: int = 0
    bare_rate: float = 0.0
    bare_p99_ms: float = 0.0
    cpu: float = 0.0  # the bot's CPU use over the run, in cores
    worker_cpu: float = 0.0  # its payment worker's

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.bare_rate if self.bare_rate else 0.0


def ensure_wrk() -> str:
    """The path of wrk, installing Debian's package if needed."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: apt-get install -y wrk", flush=True)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(install, check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("this bench needs wrk (Debian package 'wrk'); install it and rerun")
    return found


@dataclass
class WrkResult:
    answered: int
    seconds: float
    statuses: dict[int, int]
    p50_ms: float
    p99_ms: float
    sent_at: dict[int, float]  # body index (1-based) -> monotonic send time


def run_wrk(
    wrk: str,
    url: str,
    bodies: Sequence[bytes],
    connections: int,
    directory: Path,
    tag: str,
    path: str = PATH,
) -> WrkResult:
    """POST every body once through wrk at ``connections``; stop at the last answer. With
    ``path`` "-" each body is a line ``PATH<tab>SECRET<tab>BODY`` (see notifications.lua)."""
    bodies_file = directory / f"{tag}.bodies"
    bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
    sent_log = directory / f"{tag}.sent"
    done_file = directory / f"{tag}.done"
    done_file.unlink(missing_ok=True)
    args = [
        wrk, "-t1", f"-c{connections}", f"-d{int(RUN_CAP) + 5}s", "--timeout", "10s",
        "-s", str(LUA), url, "--", str(bodies_file), str(sent_log), str(done_file), path,
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + RUN_CAP
    while not done_file.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # wrk prints its summary and exits
    output, _ = process.communicate(timeout=30)
    stats = dict(
        part.split("=", 1)
        for line in output.splitlines()
        if line.startswith("WRKSTATS")
        for part in line.split()[1:]
    )
    sent_at: dict[int, float] = {}
    if sent_log.exists():
        for line in sent_log.read_text().splitlines():
            index, _, at = line.partition(" ")
            if at:
                sent_at[int(index)] = float(at)
    if done_file.exists():
        first, last, *codes = done_file.read_text().split()
        statuses = {int(c): int(n) for c, n in (code.split(":") for code in codes)}
        answered = sum(statuses.values())
        seconds = float(last) - float(first)
    else:  # the cap was hit: count what wrk saw over the whole run
        answered = int(stats.get("requests", "0"))
        seconds = RUN_CAP
        statuses = {}
    return WrkResult(
        answered=answered,
        seconds=seconds,
        statuses=statuses,
        p50_ms=int(stats.get("p50_us", "0")) / 1000,
        p99_ms=int(stats.get("p99_us", "0")) / 1000,
        sent_at=sent_at,
    )


class Standin:
    """The lean Telegram stand-in process and its push records."""

    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.port = port
        self.seen = 0

    def pushes(self) -> list[tuple[int, str, float]]:
        """Sends recorded since the last call."""
        answer = httpx.get(
            f"http://127.0.0.1:{self.port}/_bench/pushes", params={"since": self.seen}, timeout=30
        )
        records = [(int(c), str(m), float(t)) for c, m, t in answer.json()]
        self.seen += len(records)
        return records


async def _seed(database: Path, count: int) -> list[Seeded]:
    store = await Store.open(database)
    try:
        return await seed_orders(store, FIRST_CHAT, count)
    finally:
        await store.close()


async def _count_paid(database: Path) -> int:
    store = await Store.open(database)
    try:
        return await store.run(Tx.count_orders, statuses=[OrderStatus.PAID])
    finally:
        await store.close()


def start_bot(
    directory: Path,
    database: Path,
    standin: Standin,
    midtrans_port: int,
    *,
    confirm: bool,
    unthrottled: bool = False,
) -> tuple[Child, str]:
    """``python -m bot run`` (or the unthrottled launcher) on a free port; its base URL."""
    port = free_port()
    env = bot_env(
        database=database,
        listen_port=port,
        telegram_port=standin.port,
        midtrans_port=midtrans_port,
        confirm=confirm,
    )
    module = "bench.bot_unthrottled" if unthrottled else "bot"
    env_file = directory / "no.env"
    args = [BOT_PYTHON, "-m", module, "--env-file", str(env_file), "run"]
    child = start_process(f"bot-{port}", args, directory, env)
    url = f"http://127.0.0.1:{port}"
    wait_http(child, url + "/healthz", timeout=60)
    return child, url


def probe(url: str, bodies: Sequence[tuple[int, bytes]], standin: Standin) -> dict[str, Any]:
    """Settlements one by one at PROBE_RATE; each one's time to its push."""
    standin.pushes()
    sent: dict[int, float] = {}
    with httpx.Client(timeout=10) as client:
        for n, (chat, body) in enumerate(bodies):
            pause = n / PROBE_RATE - (time.monotonic() - sent[bodies[0][0]]) if sent else 0.0
            if pause > 0:
                time.sleep(pause)
            sent[chat] = time.monotonic()
            client.post(url + PATH, content=body, headers={"Content-Type": "application/json"})
    arrived = _wait_pushes(standin, set(sent), DRAIN)
    return summary_ms([arrived[c] - sent[c] for c in sent if c in arrived])


def _wait_pushes(standin: Standin, chats: set[int], seconds: float) -> dict[int, float]:
    """First sendMessage arrival per chat of ``chats``, waiting up to ``seconds``."""
    arrived: dict[int, float] = {}
    deadline = time.monotonic() + seconds
    while True:
        for chat, method, at in standin.pushes():
            if method == "sendmessage" and chat in chats:
                arrived.setdefault(chat, at)
        if len(arrived) == len(chats) or time.monotonic() >= deadline:
            return arrived
        time.sleep(0.1)


def measure(
    wrk: str,
    directory: Path,
    standin: Standin,
    bare_url: str,
    *,
    config: str,
    confirm: bool,
    connections: int,
    orders: int,
    unthrottled: bool = False,
    with_probe: bool = False,
    profile: Path | None = None,
) -> tuple[Run, dict[str, Any]]:
    """One fresh bot, optional paced probe, then the wrk run and the bare run."""
    tag = f"{config.replace(' ', '-')}-c{connections}"
    database = directory / f"{tag}.db"
    seeded = asyncio.run(_seed(database, orders + (PROBES if with_probe else 0)))
    probes, load = seeded[:PROBES] if with_probe else [], seeded[PROBES if with_probe else 0 :]
    transactions = directory / f"{tag}.transactions.json"
    write_transactions(transactions, seeded, "settlement")
    run = Run(config, connections)
    probe_figures: dict[str, Any] = {}
    # The yardstick is measured just before and just after (this VM drifts by +-15 % between
    # runs); the ratio uses the mean of the two.
    bodies = notification_bodies(load, ["pending", "settlement"])
    bare_before = run_wrk(wrk, bare_url, bodies, connections, directory, tag + "-bare-before")
    with running([]) as children:
        sandbox, midtrans_port = start_midtrans(directory, transactions, f"midtrans-{tag}")
        children.append(sandbox)
        bot, url = start_bot(
            directory, database, standin, midtrans_port, confirm=confirm, unthrottled=unthrottled
        )
        children.append(bot)
        if probes:
            settle = notification_bodies(probes, ["settlement"])
            probe_figures = probe(
                url, list(zip([p.chat_id for p in probes], settle, strict=True)), standin
            )
        standin.pushes()
        spy = _start_profiler(profile, bot.pid, tag) if profile else None
        worker = children_of(bot.pid)
        worker_before = sum(cpu_seconds(pid) for pid in worker)
        cpu_before, wall_before = cpu_seconds(bot.pid), time.monotonic()
        result = run_wrk(wrk, url, bodies, connections, directory, tag)
        wall = time.monotonic() - wall_before
        run.cpu = (cpu_seconds(bot.pid) - cpu_before) / wall
        run.worker_cpu = (sum(cpu_seconds(pid) for pid in worker) - worker_before) / wall
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        during = standin.pushes()
        chats = {seed.chat_id for seed in load}
        trigger: dict[int, float] = {}
        for index, at in result.sent_at.items():
            seed = load[(index - 1) // 2]
            settlement = index % 2 == 0
            if confirm:  # Get Status says settlement: whichever notification came first pays
                trigger[seed.chat_id] = min(at, trigger.get(seed.chat_id, at))
            elif settlement:
                trigger[seed.chat_id] = at
        arrived: dict[int, float] = {}
        for chat, method, at in during:
            if method == "sendmessage" and chat in chats:
                arrived.setdefault(chat, at)
        run.pushes_during_run = len(arrived)
        arrived.update(_wait_pushes(standin, chats - set(arrived), DRAIN))
        run.pushes_after_drain = len(arrived)
        run.push = summary_ms([arrived[c] - trigger[c] for c in arrived if c in trigger])
        run.paid = asyncio.run(_count_paid(database)) - len(probes)
    run.notifications = len(bodies)
    run.answered = result.answered
    run.seconds = result.seconds
    run.not_200 = sum(n for code, n in result.statuses.items() if code != 200)
    run.p50_ms, run.p99_ms = result.p50_ms, result.p99_ms
    bare = run_wrk(wrk, bare_url, bodies, connections, directory, tag + "-bare-after")
    rates = [b.answered / b.seconds for b in (bare_before, bare) if b.seconds]
    run.bare_rate = sum(rates) / len(rates) if rates else 0.0
    run.bare_p99_ms = max(bare_before.p99_ms, bare.p99_ms)
    return run, probe_figures


def _start_profiler(directory: Path, pid: int, tag: str) -> subprocess.Popen[bytes]:
    """py-spy (installed by hand: ``.venv/bin/pip install py-spy``) sampling the bot."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or "py-spy"
    args = [spy, "record", "-p", str(pid), "-f", "raw", "-r", "250", "--threads", "--gil",
            "-o", str(directory / f"{tag}.txt")]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench notifications", description=__doc__)
    parser.add_argument("--orders", type=int, default=5000, help="orders per run (2 bodies each)")
    parser.add_argument("--levels", default="16,64", help="wrk connections, comma separated")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, dbs)")
    parser.add_argument("--only", default="", help="configs to run, e.g. 'confirm off'")
    parser.add_argument("--profile", type=Path, help="py-spy the bot into this directory")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x]
    wrk = ensure_wrk()
    directory = Path(tempfile.mkdtemp(prefix="warung-bench-"))
    runs: list[Run] = []
    probes: dict[str, Any] = {}
    try:
        with running([]) as children:
            telegram, telegram_port = start_telegram(directory)
            children.append(telegram)
            bare_port = free_port()
            bare = start_process(
                "bare", [PYTHON, "-m", "bench.bare_server", "--port", str(bare_port)], directory
            )
            children.append(bare)
            wait_http(bare, f"http://127.0.0.1:{bare_port}/healthz")
            standin = Standin(telegram, telegram_port)
            bare_url = f"http://127.0.0.1:{bare_port}"
            plan = [("confirm off", False, False, level) for level in levels] + [
                ("confirm on", True, False, max(levels)),
                ("unthrottled", False, True, max(levels)),
            ]
            only = {x.strip() for x in args.only.split(",") if x.strip()}
            for config, confirm, unthrottled, level in plan:
                if only and config not in only:
                    continue
                first = config not in {r.config for r in runs}
                run, probe_figures = measure(
                    wrk, directory, standin, bare_url, config=config, confirm=confirm,
                    connections=level, orders=args.orders, unthrottled=unthrottled,
                    with_probe=first and not unthrottled, profile=args.profile,
                )  # fmt: skip
                runs.append(run)
                if probe_figures:
                    probes[config] = probe_figures
                print(
                    f"  {config} c={level}: {run.rate:,.0f}/s (bare {run.bare_rate:,.0f}/s)",
                    flush=True,
                )
    finally:
        if args.keep:
            print(f"work directory kept: {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return report(runs, probes, args.orders)


def report(runs: list[Run], probes: dict[str, Any], orders: int) -> dict[str, Any]:
    print()
    print_table(
        f"notifications: wrk -t1, {orders:,} orders x (pending, settlement) per run, "
        f"{os.cpu_count()} cores",
        ["run", "conns", "notif/s", "p50 ms", "p99 ms", "non-200", "paid", "bare/s", "ratio",
         "bot cpu", "worker cpu", "push p50", "push p99", "pushed in run", "after +3 s"],
        [
            [r.config, r.connections, r.rate, r.p50_ms, r.p99_ms, r.not_200,
             f"{r.paid}/{r.notifications // 2}", r.bare_rate, round(r.ratio, 2), round(r.cpu, 2),
             round(r.worker_cpu, 2),
             r.push.get("p50_ms", 0.0), r.push.get("p99_ms", 0.0), r.pushes_during_run,
             r.pushes_after_drain]
            for r in runs
        ],
    )  # fmt: skip
    print()
    print_table(
        f"notification to push, paced at {PROBE_RATE:.0f}/s (below Telegram's 30 messages/s)",
        ["run", "n", "p50 ms", "p99 ms", "max ms"],
        [[name, p["n"], p["p50_ms"], p["p99_ms"], p["max_ms"]] for name, p in probes.items()],
    )
    figures: dict[str, Any] = {
        "load_generator": "wrk -t1 (Debian package) + bench/notifications.lua",
        "runs": [
            {
                "config": r.config,
                "connections": r.connections,
                "notifications": r.notifications,
                "per_s": round(r.rate, 1),
                "p50_ms": r.p50_ms,
                "p99_ms": r.p99_ms,
                "non_200": r.not_200,
                "paid": r.paid,
                "bare_per_s": round(r.bare_rate, 1),
                "ratio": round(r.ratio, 3),
                "bot_cpu_cores": round(r.cpu, 2),
                "worker_cpu_cores": round(r.worker_cpu, 2),
                "bot_cpu_us_per_notification": round(1e6 * r.cpu / r.rate) if r.rate else 0,
                "worker_cpu_us_per_notification": (
                    round(1e6 * r.worker_cpu / r.rate) if r.rate else 0
                ),
                "push": r.push,
                "pushes_during_run": r.pushes_during_run,
                "pushes_after_drain": r.pushes_after_drain,
            }
            for r in runs
        ],
        "push_paced": probes,
    }
    emit("notifications", figures)
    return figures


if __name__ == "__main__":
    main()
