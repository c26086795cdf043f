"""Throughput of platform mode (100 shops on PostgreSQL, 1 and 2 workers) beside the single-shop
bot on SQLite, in one run, one configuration after another on the same machine.

Run: ``python -m bench platform-throughput [--shops 100] [--per-shop 10] [--connections 32]
[--only single,unthrottled,platform-1,platform-2,platform-2x2]``. Prints a table, then one JSON
line. All on 127.0.0.1, each party in its own process; the load is Debian's ``wrk -t1`` with
``bench/notifications.lua`` (each request sent once, a path and secret per line).

Configurations:

- ``single``: ``python -m bot run`` on a fresh SQLite file (WAL), Telegram webhook mode (updates
  POSTed to ``/telegram`` with the secret token), a fresh bot per phase. Its replies and pushes
  go through PTB's ``AIORateLimiter``, Telegram's 30 messages/s per bot, so delivered/s is that
  limit; ``unthrottled`` is the same bot with the limit lifted (``bench.bot_unthrottled``).
- ``platform-1`` / ``platform-2`` / ``platform-2x2``: a throwaway PostgreSQL 15 (as the tests
  start it: Unix socket, **fsync off**), a fresh database each, ``--shops`` shops in the
  directory; 1 edge (``python -m bot platform --role edge``) and 1 worker (``--role worker``),
  1 edge and 2 workers, 2 edges and 2 workers (16 partitions: with 2 workers, 8 each, waited
  for before the load; with 2 edges, a wrk each with half the connections and every other
  request, as a balancer in front would spread them). Every shop is loaded first (one
  ``/start`` each, not counted). Each shop has its own rate limiter (30 messages/s each).

Two phases per configuration, ``shops x per-shop`` requests each, spread round-robin over the
shops (single-shop: the same count to its one shop):

- updates: a Telegram ``/start`` from a new chat each, POSTed to the shop's webhook path with
  its secret token (``/tg/{shop_key}``); delivered = the first send to that chat arriving at the
  Telegram stand-in (``bench.telegram_server``, answers at once);
- notifications: a signed Midtrans ``settlement`` (signed with each shop's own server key,
  ``CONFIRM_NOTIFICATIONS=false``) of an order written beforehand (charged, awaiting payment),
  POSTed to ``/midtrans/{shop_key}/notification``; delivered = the customer's push arriving.

Per phase: accepted/s (all requests answered by wrk's first send to its last answer; non-200
counted), delivered/s (first send to the last delivery; a phase stops waiting ``--drain``
seconds after the load, delivered counts what came by then), and CPU milliseconds per request
summed over the bot's processes (edge + workers + PostgreSQL's server processes; single-shop:
the bot and its payment worker)
over the phase, steadier than rates on a shared machine. After the platform's delivery wait the
bench waits (up to ``--quiet`` seconds more) until its inbox and outbox are empty, so that the
CPU figures cover all the work and one phase's backlog does not slow the next; the single-shop
bot is started afresh per phase (its CPU figure covers the work done by the end of the
delivery wait).

``BENCH_CODE_PATH=DIR`` runs the bot's processes on the bot/ and storage/ found in DIR (e.g.
``git archive COMMIT bot storage | tar -x -C DIR``): before/after figures on one machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import (
    PYTHON,
    Child,
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
    wait_http,
)
from bench.notifications import Standin, ensure_wrk, run_wrk
from bench.platform import LOOKUP, MASTER, PLATFORM_TOKEN, _update, _url
from bot.platform.hosting import shop_store
from bot.platform.secrets import KeyRing, SecretBox
from bot.platform.shops import ShopDirectory
from storage import Store
from storage.postgres import PostgresStore
from tests.support.postgres import PgServer, start_server

PLATFORM_CONFIGS = {"platform-1": (1, 1), "platform-2": (1, 2), "platform-2x2": (2, 2)}
"""Edges and workers of each platform configuration."""
CONFIGS = ("single", "unthrottled", *PLATFORM_CONFIGS)
PARTITIONS = 16
PARTITION_LOCK = 0x5741_5255_4E47_1000  # bot.platform.worker.PARTITION_LOCK
WEBHOOK_SECRET = "bench-webhook-secret"


@dataclass
class Phase:
    """One measured phase (updates or notifications) of one configuration."""

    config: str
    kind: str
    requests: int = 0
    answered: int = 0
    not_200: int = 0
    accept_s: float = 0.0
    delivered: int = 0
    deliver_s: float = 0.0
    cpu_s: float = 0.0
    cpu_by_process: dict[str, float] = field(default_factory=dict)
    left_after_quiet: int = 0  # platform: updates and pushes still queued when CPU was read

    @property
    def accepted_per_s(self) -> float:
        return self.answered / self.accept_s if self.accept_s else 0.0

    @property
    def delivered_per_s(self) -> float:
        return self.delivered / self.deliver_s if self.deliver_s else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.requests if self.requests else 0.0


@dataclass
class Shop:
    id: int
    key: str
    secret: str
    server_key: str


@dataclass
class Load:
    """What a phase sends: wrk lines (path, secret, body) and the chats that must hear back."""

    lines: list[bytes]
    chats: list[int]


def _line(path: str, secret: str, body: str | bytes) -> bytes:
    text = body.decode() if isinstance(body, bytes) else body
    return f"{path}\t{secret}\t{text}".encode()


def _interleave(per_shop: Sequence[Sequence[tuple[bytes, int]]]) -> Load:
    """Round-robin over the shops: shop 0's first, shop 1's first, ..., shop 0's second..."""
    lines, chats = [], []
    for n in range(max((len(items) for items in per_shop), default=0)):
        for items in per_shop:
            if n < len(items):
                lines.append(items[n][0])
                chats.append(items[n][1])
    return Load(lines, chats)


def _updates(paths: Sequence[tuple[str, str]], per_shop: int, first_chat: int) -> Load:
    """``per_shop`` /start updates to each (path, secret), each from a chat of its own."""
    items = []
    for s, (path, secret) in enumerate(paths):
        chats = [first_chat + s * per_shop + n for n in range(per_shop)]
        items.append([(_line(path, secret, _update(10 + n, c)), c) for n, c in enumerate(chats)])
    return _interleave(items)


def _cpu(pid: int) -> float:
    """CPU seconds of a process; 0 for one gone (a database backend that ended)."""
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def _measure(
    wrk: str,
    urls: Sequence[str],
    load: Load,
    standin: Standin,
    processes: dict[str, int],
    *,
    config: str,
    kind: str,
    connections: int,
    directory: Path,
    drain: float,
    settle: Callable[[], int] | None = None,
) -> Phase:
    standin.pushes()  # what came before is not this phase's
    pids = {name: [pid, *children_of(pid)] for name, pid in processes.items()}
    cpu_before = {name: sum(_cpu(p) for p in group) for name, group in pids.items()}
    with ThreadPoolExecutor(len(urls)) as pool:  # one wrk per edge, the lines dealt out
        runs = list(
            pool.map(
                lambda n: run_wrk(
                    wrk, urls[n], load.lines[n :: len(urls)], connections // len(urls),
                    directory, f"{config}-{kind}-{n}", path="-",
                ),
                range(len(urls)),
            )
        )  # fmt: skip
    starts = [min(run.sent_at.values(), default=0.0) for run in runs]
    first = min(starts)
    accept_s = max(start + run.seconds for start, run in zip(starts, runs, strict=True)) - first
    targets, arrived = set(load.chats), dict[int, float]()
    deadline = time.monotonic() + drain
    while len(arrived) < len(targets) and time.monotonic() < deadline:
        for chat, _, at in standin.pushes():
            if chat in targets:
                arrived.setdefault(chat, at)
        time.sleep(0.05)
    left = settle() if settle is not None else 0  # the rest of the work, in the CPU figures
    cpu = {name: sum(_cpu(p) for p in group) - cpu_before[name] for name, group in pids.items()}
    return Phase(
        config=config,
        kind=kind,
        requests=len(load.lines),
        answered=sum(run.answered for run in runs),
        not_200=sum(n for run in runs for code, n in run.statuses.items() if code != 200),
        accept_s=accept_s,
        delivered=len(arrived),
        deliver_s=max(arrived.values()) - first if arrived else 0.0,
        cpu_s=sum(cpu.values()),
        cpu_by_process={name: round(seconds, 2) for name, seconds in cpu.items()},
        left_after_quiet=left,
    )


# --- single shop -----------------------------------------------------------------------------


async def _seed_sqlite(database: Path, first_chat: int, count: int) -> list[Any]:
    store = await Store.open(database)
    try:
        return await seed_orders(store, first_chat, count)
    finally:
        await store.close()


def _single(
    wrk: str, work: Path, standin: Standin, args: argparse.Namespace, *, unthrottled: bool
) -> list[Phase]:
    config = "unthrottled" if unthrottled else "single"
    count = args.shops * args.per_shop
    first_chat = 10_000_000 if unthrottled else 5_000_000
    phases = []
    for kind in ("updates", "notifications"):
        database = work / f"{config}-{kind}.db"
        if kind == "updates":
            load = _updates([("/telegram", WEBHOOK_SECRET)], count, first_chat)
        else:
            orders = asyncio.run(_seed_sqlite(database, first_chat + 1_000_000, count))
            bodies = notification_bodies(orders, ["settlement"])
            load = Load(
                [_line("/midtrans/notification", "", b) for b in bodies],
                [o.chat_id for o in orders],
            )
        with running([]) as children:
            sandbox, midtrans_port = start_midtrans(work, name=f"midtrans-{config}-{kind}")
            children.append(sandbox)
            port = free_port()
            env = bot_env(
                database=database,
                listen_port=port,
                telegram_port=standin.port,
                midtrans_port=midtrans_port,
                confirm=False,
            )
            env |= {
                "PUBLIC_BASE_URL": "https://bench.example.com",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
            module = "bench.bot_unthrottled" if unthrottled else "bot"
            args_ = [PYTHON, "-m", module, "--env-file", str(work / "no.env"), "run"]
            bot = start_process(f"bot-{config}-{kind}", args_, work, env)
            children.append(bot)
            url = f"http://127.0.0.1:{port}"
            wait_http(bot, url + "/healthz", timeout=60)
            _warm_up(url, [("/telegram", WEBHOOK_SECRET)], standin, first_chat - 1000)
            phases.append(
                _measure(
                    wrk,
                    [url],
                    load,
                    standin,
                    {"bot": bot.pid},
                    config=config,
                    kind=kind,
                    connections=args.connections,
                    directory=work,
                    drain=args.drain,
                )
            )
            _print_phase(phases[-1])
    return phases


def _warm_up(url: str, paths: Sequence[tuple[str, str]], standin: Standin, first_chat: int) -> None:
    """One /start per shop (loads every shop), answered before the measured load."""
    chats = {first_chat + n for n in range(len(paths))}
    with httpx.Client(timeout=30) as client:
        for n, (path, secret) in enumerate(paths):
            answer = client.post(
                url + path,
                content=_update(1, first_chat + n),
                headers={
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": secret,
                },
            )
            answer.raise_for_status()
    seen: set[int] = set()
    deadline = time.monotonic() + 120
    while not chats <= seen:
        if time.monotonic() > deadline:
            raise RuntimeError(f"warm-up: {len(chats & seen)} of {len(chats)} shops answered")
        seen.update(chat for chat, _, _ in standin.pushes())
        time.sleep(0.05)


# --- platform --------------------------------------------------------------------------------


async def _prepare_platform(
    dsn: str, shops: int, per_shop: int, first_chat: int
) -> tuple[list[Shop], Load]:
    """``shops`` shops in the directory, ``per_shop`` charged orders each; the notifications."""
    store = await PostgresStore.open(dsn)
    try:
        box = SecretBox(KeyRing({"k1": MASTER}, current="k1"))
        directory = ShopDirectory(store, box, LOOKUP, lambda: datetime.now(UTC))
        made, items = [], []
        for n in range(shops):
            shop = Shop(0, secrets.token_urlsafe(16), secrets.token_urlsafe(16), "")
            shop.server_key = f"SB-Mid-server-bench{n:06d}"
            hosted = await directory.create(
                owner_user_id=900_000 + n,
                bot_token=f"{7_000_000_000 + n}:{'A' * 25}{n:010d}",
                bot_username=f"toko_{n}_bot",
                shop_key=shop.key,
                webhook_secret=shop.secret,
                midtrans_server_key=shop.server_key,
                midtrans_environment="sandbox",
            )
            shop.id = hosted.id
            made.append(shop)
            orders = await seed_orders(
                shop_store(store, shop.id), first_chat + n * per_shop, per_shop
            )
            bodies = notification_bodies(orders, ["settlement"], shop.server_key)
            path = f"/midtrans/{shop.key}/notification"
            items.append(
                [(_line(path, "", b), o.chat_id) for b, o in zip(bodies, orders, strict=True)]
            )
        return made, _interleave(items)
    finally:
        await store.close()


def _owners(dsn: str) -> dict[int, int]:
    """Backend pid -> partitions it holds (bench-only look at pg_locks)."""
    low = PARTITION_LOCK & 0xFFFF_FFFF
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND mode = 'ExclusiveLock' AND classid::bigint = %s"
            " AND objid::bigint BETWEEN %s AND %s AND objsubid = 1 GROUP BY pid",
            (PARTITION_LOCK >> 32, low, low + PARTITIONS - 1),
        ).fetchall()
    return {int(pid): int(count) for pid, count in rows}


def _backlog(dsn: str) -> int:
    """Updates not yet handled plus pushes not yet sent or given up (bench-only query)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM inbox WHERE handled_at IS NULL)"
            " + (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL)"
        ).fetchone()
    return int(row[0]) if row else 0


def _wait_quiet(dsn: str, within: float) -> int:
    """Until the platform has nothing left to do (a phase's backlog must not slow the next);
    what was still left after ``within`` seconds."""
    deadline = time.monotonic() + within
    while (left := _backlog(dsn)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _wait_owned(dsn: str, workers: int, children: Sequence[Child]) -> None:
    """Until ``workers`` workers hold every partition, a fair share each."""
    share = -(-PARTITIONS // workers)
    deadline = time.monotonic() + 60
    while True:
        owners = _owners(dsn)
        if (
            len(owners) == workers
            and sum(owners.values()) == PARTITIONS
            and max(owners.values()) <= share
        ):
            return
        if time.monotonic() > deadline or not all(c.alive() for c in children):
            tails = "\n".join(c.tail() for c in children)
            raise RuntimeError(f"partitions not shared out ({owners}):\n{tails}")
        time.sleep(0.1)


def _platform(
    wrk: str,
    work: Path,
    standin: Standin,
    server: PgServer,
    args: argparse.Namespace,
    config: str,
) -> list[Phase]:
    edges, workers = PLATFORM_CONFIGS[config]
    dsn = server.new_database()
    first_chat = 20_000_000 + list(PLATFORM_CONFIGS).index(config) * 1_000_000
    shops, notifications = asyncio.run(
        _prepare_platform(dsn, args.shops, args.per_shop, first_chat + 500_000)
    )
    paths = [(f"/tg/{shop.key}", shop.secret) for shop in shops]
    updates = _updates(paths, args.per_shop, first_chat)
    phases = []
    with running([]) as children:
        sandbox, midtrans_port = start_midtrans(work, name=f"midtrans-{config}")
        children.append(sandbox)
        env = {
            "DATABASE_URL": _url(dsn),
            "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(MASTER).decode(),
            "PLATFORM_LOOKUP_KEY": base64.b64encode(LOOKUP).decode(),
            "PLATFORM_BOT_TOKEN": PLATFORM_TOKEN,
            "PLATFORM_PARTITIONS": str(PARTITIONS),
            "PUBLIC_BASE_URL": "https://warung.example.com",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{standin.port}/bot",
            "MIDTRANS_API_BASE_URL": f"http://127.0.0.1:{midtrans_port}",
            "CONFIRM_NOTIFICATIONS": "false",
            "LISTEN_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        platform = [PYTHON, "-m", "bot", "platform", "--role"]
        postmaster = int((server.directory / "data" / "postmaster.pid").read_text().split()[0])
        processes = {"postgres": postmaster}
        urls = []
        for n in range(edges):
            port = free_port()
            edge_env = env | {"LISTEN_PORT": str(port)}
            edge = start_process(f"edge{n}-{config}", [*platform, "edge"], work, edge_env)
            children.append(edge)
            processes[f"edge{n}"] = edge.pid
            urls.append(f"http://127.0.0.1:{port}")
            wait_http(edge, urls[-1] + "/healthz", timeout=60)
        for n in range(workers):
            worker = start_process(f"worker{n}-{config}", [*platform, "worker"], work, env)
            children.append(worker)
            processes[f"worker{n}"] = worker.pid
        _wait_owned(dsn, workers, children[1:])
        _warm_up(urls[0], paths, standin, first_chat - 1000)
        for kind, load in (("updates", updates), ("notifications", notifications)):
            phases.append(
                _measure(
                    wrk,
                    urls,
                    load,
                    standin,
                    processes,
                    config=config,
                    kind=kind,
                    connections=args.connections,
                    directory=work,
                    drain=args.drain,
                    settle=lambda: _wait_quiet(dsn, args.quiet),
                )
            )
            _print_phase(phases[-1])
        if not all(child.alive() for child in children):
            raise RuntimeError("a platform process stopped:\n" + children[-1].tail())
    return phases


# --- the run ---------------------------------------------------------------------------------


def _print_phase(phase: Phase) -> None:
    left = f", {phase.left_after_quiet} still queued" if phase.left_after_quiet else ""
    print(
        f"  {phase.config} {phase.kind}: accepted {phase.accepted_per_s:,.0f}/s, delivered "
        f"{phase.delivered}/{phase.requests} at {phase.delivered_per_s:,.0f}/s{left}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench platform-throughput", description=__doc__
    )
    parser.add_argument("--shops", type=int, default=100)
    parser.add_argument("--per-shop", type=int, default=10, help="requests per shop and phase")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for delivery")
    parser.add_argument(
        "--quiet", type=float, default=120.0, help="seconds to let a backlog finish (not measured)"
    )
    parser.add_argument("--only", default="", help=f"configs, comma separated: {CONFIGS}")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    only = [c.strip() for c in args.only.split(",") if c.strip()] or list(CONFIGS)
    unknown = set(only) - set(CONFIGS)
    if unknown:
        raise SystemExit(f"unknown config(s) {sorted(unknown)}; choose from {CONFIGS}")
    wrk = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="bench-platform-throughput-"))
    phases: list[Phase] = []
    started = time.monotonic()
    try:
        with running([]) as children:
            telegram, telegram_port = start_telegram(work)
            children.append(telegram)
            standin = Standin(telegram, telegram_port)
            server: PgServer | None = None
            try:
                for config in only:
                    if config in ("single", "unthrottled"):
                        phases += _single(
                            wrk, work, standin, args, unthrottled=config == "unthrottled"
                        )
                        continue
                    if server is None:
                        server = start_server(fsync=False)
                    phases += _platform(wrk, work, standin, server, args, config)
            finally:
                if server is not None:
                    server.stop()
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report(phases, args, time.monotonic() - started)


def report(phases: list[Phase], args: argparse.Namespace, wall: float) -> dict[str, Any]:
    print()
    print_table(
        f"platform throughput: {args.shops} shops x {args.per_shop} per phase "
        f"(single-shop: {args.shops * args.per_shop} to its one shop), wrk -t1 "
        f"-c{args.connections}, {os.cpu_count()} cores, PostgreSQL fsync off; "
        f"delivery waited for {args.drain:.0f} s at most",
        [
            "config",
            "phase",
            "requests",
            "accepted/s",
            "non-200",
            "delivered",
            "delivered/s",
            "cpu ms/request",
        ],
        [
            [
                p.config,
                p.kind,
                p.requests,
                p.accepted_per_s,
                p.not_200,
                f"{p.delivered}/{p.requests}",
                p.delivered_per_s,
                round(p.cpu_ms_per_request, 2),
            ]
            for p in phases
        ],
    )
    figures: dict[str, Any] = {
        "shops": args.shops,
        "per_shop": args.per_shop,
        "connections": args.connections,
        "postgres_fsync": False,
        "code_path": os.environ.get("BENCH_CODE_PATH", ""),
        "wall_s": round(wall, 1),
        "phases": [
            {
                "config": p.config,
                "kind": p.kind,
                "requests": p.requests,
                "accepted_per_s": round(p.accepted_per_s, 1),
                "non_200": p.not_200,
                "delivered": p.delivered,
                "delivered_per_s": round(p.delivered_per_s, 1),
                "cpu_ms_per_request": round(p.cpu_ms_per_request, 3),
                "cpu_s_by_process": p.cpu_by_process,
                "left_after_quiet": p.left_after_quiet,
            }
            for p in phases
        ],
    }
    emit("platform-throughput", figures)
    return figures


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
