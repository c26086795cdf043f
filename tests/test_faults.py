"""Fault suite: inject a fault, then prove nothing was lost, doubled or faked.

Every test runs the real bot over real HTTP on 127.0.0.1 against the Telegram stand-in and the
Midtrans sandbox, with a real SQLite file. Each prints one row (``pytest -m faults -s``): what
was injected, how much, and what was lost (always 0).

1. kill -9 of ``python -m bot run`` in the middle of a notification load, then a restart; and
   kill -9 of its payment worker process alone.
2. Telegram answering 502 to every call for a while during a notification load.
3. Midtrans creating the charge but answering after the client's timeout.
4. Forged notifications flooding in among real ones.
5. Random bytes, wrong types and missing fields (hypothesis) against the listener.
6. Midtrans' Get Status slower than the notification deadline during a burst of payments.
7. Midtrans' Charge API rate limit (429) at checkout.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.payments.midtrans import notification_signature
from bot.rules.orders import OrderStatus
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from storage import Store, Tx
from tests.conftest import ADMIN_ID, SERVER_KEY, TOKEN, Harness
from tests.support.seeded import Seeded, body, seed_charged_orders, settle_silently
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
PAID_TEXT = "Pembayaran diterima"


def report_row(fault: str, amount: str, lost: int, note: str = "") -> None:
    """One row of the fault table (shown with ``-s``)."""
    print(f"\nFAULT | {fault} | {amount} | lost: {lost} | {note}", flush=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _status(store: Store, order_id: str) -> str:
    order = await store.run(Tx.order, order_id)
    assert order is not None, order_id
    return order.status


async def _applied_per_order(store: Store) -> Counter[str]:
    events = await store.run(Tx.payment_events)
    return Counter(e.order_id for e in events if e.applied and e.order_id)


# --- 1. kill -9 ----------------------------------------------------------------------------


class BotProcess:
    """``python -m bot run`` as a child process, pointed at the stand-ins of this test."""

    def __init__(self, directory: Path, env: dict[str, str]) -> None:
        self.directory = directory
        self.env = env
        self.port = int(env["LISTEN_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = (self.directory / f"bot-{self.starts}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--env-file",
            str(self.directory / "absent.env"),
            "run",
            cwd=self.directory,
            env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
            stdout=log,
            stderr=log,
        )
        log.close()
        async with httpx.AsyncClient(timeout=1.0) as client:

            async def healthy() -> bool:
                assert self.process is not None
                if self.process.returncode is not None:
                    raise AssertionError(f"bot exited at start:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get(self.url + "/healthz")).status_code == 200
                return False

            await wait_until(healthy, 30, "the bot to start")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.process is not None:
            await self.process.wait()

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()

    def log_tail(self) -> str:
        path = self.directory / f"bot-{self.starts}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-30:])


@contextlib.asynccontextmanager
async def bot_process(
    directory: Path, telegram_url: str, midtrans_url: str
) -> AsyncIterator[BotProcess]:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "MIDTRANS_SERVER_KEY": SERVER_KEY,
        "MIDTRANS_API_BASE_URL": midtrans_url,
        "DATABASE_PATH": str(directory / "warung.db"),
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(_free_port()),
        "ADMIN_IDS": str(ADMIN_ID),
        "LOG_LEVEL": "WARNING",
    }
    bot = BotProcess(directory, env)
    try:
        yield bot
    finally:
        await bot.stop()


@dataclasses.dataclass
class PaidLoad:
    """A running ``python -m bot run`` with ``orders`` charged orders that Midtrans has settled
    without telling the bot yet: ``bodies`` are the notifications it will send."""

    tmp_path: Path
    standin: TelegramStandin
    store: Store
    bot: BotProcess
    chats: list[int]
    bodies: dict[str, bytes]

    @property
    def url(self) -> str:
        return self.bot.url + "/midtrans/notification"

    @property
    def database(self) -> Path:
        return self.tmp_path / "warung.db"

    async def post(self, client: httpx.AsyncClient, order_id: str) -> int | None:
        """Send one notification as Midtrans does; its HTTP status, None when no answer came."""
        try:
            return (await client.post(self.url, content=self.bodies[order_id])).status_code
        except httpx.HTTPError:
            return None

    async def every_push_delivered(self) -> None:
        async def drained() -> bool:
            counts = await self.store.run(Tx.outbox_counts)
            return counts["pending"] == 0 and all(
                _paid_messages(self.standin, c) for c in self.chats
            )

        await wait_until(drained, 30, "every push")

    def paid_pushes_per_chat(self) -> dict[int, int]:
        return {c: len(_paid_messages(self.standin, c)) for c in self.chats}


@contextlib.asynccontextmanager
async def paid_load(tmp_path: Path, orders: int, first_chat: int) -> AsyncIterator[PaidLoad]:
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    async with AsyncExitStack() as stack:
        telegram_url = await stack.enter_async_context(standin.serve())
        midtrans_url = await stack.enter_async_context(serve_app(sandbox.app))
        store = await Store.open(tmp_path / "warung.db")
        stack.push_async_callback(store.close)
        chats = list(range(first_chat, first_chat + orders))
        seeded = await seed_charged_orders(store, sandbox, chats, now=datetime.now(UTC))
        for chat in chats:
            standin.user(chat, started=True)
        standin.user(ADMIN_ID, started=True)
        bodies = {s.order_id: await settle_silently(sandbox, s.order_id) for s in seeded}
        bot = await stack.enter_async_context(bot_process(tmp_path, telegram_url, midtrans_url))
        await bot.start()
        yield PaidLoad(tmp_path, standin, store, bot, chats, bodies)
        assert standin.violations == []


async def test_kill_9_mid_load_applies_every_acknowledged_notification_once(
    tmp_path: Path,
) -> None:
    orders_n, kill_after, workers = 120, 45, 12
    async with paid_load(tmp_path, orders_n, 20_001) as load:
        assert len(payment_workers(load.database)) == 1
        store = load.store

        # Midtrans' side of the load: who got a 2xx before the bot died.
        answers: dict[str, int | None] = {}
        todo = list(load.bodies)
        killed = asyncio.Event()

        async def midtrans(client: httpx.AsyncClient) -> None:
            while todo:
                order_id = todo.pop(0)
                answers[order_id] = await load.post(client, order_id)
                acknowledged = sum(1 for s in answers.values() if s and 200 <= s < 300)
                if acknowledged >= kill_after and not killed.is_set():
                    killed.set()
                    load.bot.kill9()  # requests of the other senders are still in flight

        async with httpx.AsyncClient(timeout=10.0) as client:
            await asyncio.gather(*(midtrans(client) for _ in range(workers)))
        await load.bot.wait()
        assert killed.is_set()
        # The payment worker sees its input close, finishes what it holds and exits: no orphan.
        await wait_until(
            _async(lambda: not payment_workers(load.database)), 10, "the worker to exit"
        )
        acknowledged = {o for o, s in answers.items() if s and 200 <= s < 300}
        unanswered = set(load.bodies) - acknowledged
        assert acknowledged and unanswered, "the kill must land in the middle of the load"

        # Right after the crash: every acknowledged notification is applied, none twice.
        for order_id in acknowledged:
            assert await _status(store, order_id) == OrderStatus.PAID, order_id
        applied = await _applied_per_order(store)
        assert max(applied.values()) == 1
        delivered_at_kill = {c for c, n in load.paid_pushes_per_chat().items() if n}
        unmarked = {m.chat_id for m in await store.run(Tx.outbox_messages) if m.sent_at is None}
        in_flight = delivered_at_kill & unmarked  # Telegram had it, the row was not marked yet

        # Restart; Midtrans retries what got no 2xx, and repeats the rest once more.
        await load.bot.start()
        async with httpx.AsyncClient(timeout=10.0) as client:
            for order_id in [*sorted(unanswered), *sorted(acknowledged)]:
                assert await load.post(client, order_id) == 200, order_id

        await load.every_push_delivered()
        for order_id in load.bodies:
            assert await _status(store, order_id) == OrderStatus.PAID
        applied = await _applied_per_order(store)
        assert set(applied.values()) == {1} and len(applied) == orders_n
        per_chat = load.paid_pushes_per_chat()
        lost = [c for c, n in per_chat.items() if n == 0]
        doubled = {c for c, n in per_chat.items() if n > 1}
        assert lost == []
        # At-least-once by design (bot/messages/outbox.py): only a send Telegram took but the dead
        # process had not recorded can go twice. Nothing else may.
        assert doubled <= in_flight, (doubled, in_flight)
    report_row(
        "kill -9 of the bot mid-load, restart",
        f"{orders_n} settlements, killed after {len(acknowledged)} answered 2xx, "
        f"{len(unanswered)} retried after restart",
        len(lost),
        f"applied twice: 0; pushes doubled: {len(doubled)} (sends in flight at the kill: "
        f"{len(in_flight)})",
    )


async def test_kill_9_of_the_payment_worker_mid_load_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    orders_n, kill_after, workers = 120, 40, 12
    async with paid_load(tmp_path, orders_n, 30_001) as load:
        (first,) = payment_workers(load.database)
        answers: dict[str, list[int | None]] = {o: [] for o in load.bodies}
        todo = list(load.bodies)
        killed = asyncio.Event()

        async def midtrans(client: httpx.AsyncClient) -> None:
            while todo:
                order_id = todo.pop(0)
                status = await load.post(client, order_id)
                answers[order_id].append(status)
                if status == 200:  # a 2xx must mean applied, at the moment it is given
                    assert await _status(load.store, order_id) == OrderStatus.PAID, order_id
                acknowledged = sum(1 for a in answers.values() if 200 in a)
                if acknowledged >= kill_after and not killed.is_set():
                    killed.set()
                    os.kill(first, signal.SIGKILL)

        async with httpx.AsyncClient(timeout=10.0) as client:
            await asyncio.gather(*(midtrans(client) for _ in range(workers)))
            refused = sorted(o for o, a in answers.items() if 200 not in a)
            assert killed.is_set() and all(set(answers[o]) <= {503, None} for o in refused), (
                "without a worker the bot must answer 503, never a 2xx"
            )
            # Midtrans sends again what got no 2xx (here at once, not after minutes) until it is
            # taken: the next call starts a new worker once the restart pause is over.
            for order_id in refused:

                async def accepted(order_id: str = order_id) -> bool:
                    return await load.post(client, order_id) == 200

                await wait_until(accepted, 10, f"{order_id} to be accepted again", step=0.2)

        (second,) = payment_workers(load.database)
        assert second != first
        await load.every_push_delivered()
        applied = await _applied_per_order(load.store)
        assert set(applied.values()) == {1} and len(applied) == orders_n
        per_chat = load.paid_pushes_per_chat()
        lost = [c for c, n in per_chat.items() if n == 0]
        doubled = [c for c, n in per_chat.items() if n > 1]
        assert lost == [] and doubled == []
    report_row(
        "kill -9 of the payment worker mid-load",
        f"{orders_n} settlements, killed after {kill_after} answered 2xx; "
        f"{len(refused)} answered 503 and sent again",
        len(lost),
        "applied twice: 0; pushes doubled: 0",
    )


def payment_workers(database: Path) -> list[int]:
    """Pids of live ``bot.payments.worker`` processes serving ``database``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"bot.payments.worker" in command and str(database).encode() in command and state != "Z":
            found.append(int(entry.name))
    return found


def _async(check: Any) -> Any:
    async def wrapped() -> bool:
        return bool(check())

    return wrapped


def _paid_messages(standin: TelegramStandin, chat: int) -> list[str]:
    return [m.text for m in standin.messages(chat) if PAID_TEXT in m.text]


# --- 2. Telegram down ----------------------------------------------------------------------


async def test_telegram_down_during_load_loses_doubles_and_reorders_nothing(
    harness: Harness,
) -> None:
    h = harness
    chats = [30_001 + n for n in range(10)]
    order_chats = [c for c in chats for _ in range(3)]  # three orders per chat
    for chat in chats:
        h.standin.user(chat, started=True)
    h.admin()
    seeded = await seed_charged_orders(h.store, h.sandbox, order_chats, now=datetime.now(UTC))
    first_of_chat = {s.chat_id: s for s in reversed(seeded)}
    outage = 2.5
    h.standin.fail(None, 502, for_seconds=outage)  # every call but getUpdates
    url = h.runtime.listener_url + h.settings.notification_path
    async with httpx.AsyncClient(timeout=10.0) as client:

        async def settle(seed: Seeded) -> None:
            answer = await client.post(url, content=await settle_silently(h.sandbox, seed.order_id))
            assert answer.status_code == 200

        await asyncio.gather(*(settle(s) for s in seeded))
        for seed in first_of_chat.values():  # a reversal after the payment: a second push
            delivery = await h.sandbox.trigger(seed.order_id, "deny", notify=False)
            answer = await client.post(url, content=body(delivery.notification))
            assert answer.status_code == 200
    failed_calls = len([c for c in h.standin.calls if c.status == 502])
    assert failed_calls > 0

    everyone = [*chats, ADMIN_ID]
    quiet_since = [time.monotonic(), -1]

    async def drained() -> bool:
        rows = await h.store.run(Tx.outbox_messages)
        if len(rows) != quiet_since[1] or any(r.sent_at is None for r in rows):
            quiet_since[:] = [time.monotonic(), len(rows)]
            return False
        return time.monotonic() - quiet_since[0] > 1.5  # the sellers' pushes come later

    await wait_until(drained, 40, "the outbox to drain")
    lost = doubled = reordered = 0
    for chat in everyone:
        rows = await h.store.run(Tx.outbox_messages, chat)
        expected = [str(r.payload["text"]) for r in rows if r.method == "sendMessage"]
        received = [m.raw for m in h.standin.messages(chat)]
        lost += len(set(expected) - set(received))
        doubled += len(received) - len(set(received))
        reordered += int(received != expected and sorted(received) == sorted(expected))
        assert received == expected, (chat, received, expected)
        assert not any(r.failed_at for r in rows)
    statuses = {await _status(h.store, s.order_id) for s in seeded}
    assert statuses == {OrderStatus.PAID, OrderStatus.REVERSED}
    assert h.standin.violations == []
    report_row(
        "Telegram answers 502 to every call",
        f"{outage:.1f} s during {len(seeded)} settlements + {len(first_of_chat)} reversals "
        f"({failed_calls} calls refused)",
        lost,
        f"doubled: {doubled}; chats out of order: {reordered}",
    )


# --- 3. Midtrans slow after creating the charge ---------------------------------------------


async def test_charge_created_but_answered_after_timeout_gives_one_code(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    # The harness's client gives up after 2 s; the sandbox creates the charge, then waits 3 s.
    h.sandbox.add_fault(delay_seconds=3.0, create_before_failing=True, paths=["/v2/charge"])
    order = await h.checkout_typed(budi, "2 kopi susu")
    await h.sandbox.slow_answers_given(1)  # the late answer arrives and must change nothing
    await h.standin.wait_idle()

    found = await h.store.run(Tx.order, order.id)
    assert found is not None and found.charge is not None
    order = found
    assert order.status == OrderStatus.AWAITING_PAYMENT
    charges = [r for r in h.sandbox.requests if r.path == "/v2/charge"]
    at_midtrans = [t for t in h.sandbox.transactions.values() if t.order_id == order.id]
    assert len(charges) == 1 and len(at_midtrans) == 1
    assert at_midtrans[0].payment_code == order.charge.payment_code
    messages = h.standin.messages(budi)
    codes = [m for m in messages if order.charge.payment_code in m.text and m.kind == "text"]
    slips = [m for m in messages if m.kind == "photo"]
    assert len(codes) == 1 and len(slips) == 1
    assert h.standin.violations == []
    report_row(
        "Midtrans creates the charge, answers after the client's timeout",
        "1 checkout, answer 3 s late (client timeout 2 s)",
        0,
        f"charges at Midtrans: {len(at_midtrans)}; codes sent: {len(codes)}, slips: {len(slips)}",
    )


# --- 4. forged flood -----------------------------------------------------------------------


def _forgeries(real: dict[str, Any], other_order: str, rng: random.Random) -> list[dict[str, Any]]:
    """Ways to fake a settlement without the server key (all must be refused)."""
    wrong_key = notification_signature(
        real["order_id"], real["status_code"], real["gross_amount"], "SB-Mid-server-GUESSED"
    )
    return [
        {**real, "signature_key": "".join(rng.choice("0123456789abcdef") for _ in range(128))},
        {**real, "signature_key": wrong_key},
        {**real, "gross_amount": "10000.00"},  # amount lowered, signature kept
        {**real, "order_id": other_order},  # someone else's payment replayed on this order
        {**real, "status_code": "201"},
        {k: v for k, v in real.items() if k != "signature_key"},
        {**real, "signature_key": real["signature_key"].upper()},
        {**real, "signature_key": real["signature_key"][:-2]},
    ]


async def test_forged_flood_among_real_notifications(harness: Harness) -> None:
    h = harness
    chats = [40_001 + n for n in range(40)]
    for chat in chats:
        h.standin.user(chat, started=True)
    seeded = await seed_charged_orders(h.store, h.sandbox, chats, now=datetime.now(UTC))
    paid, untouched = seeded[:25], seeded[25:]  # the last 15 only ever see forgeries
    rng = random.Random(4)
    real_bodies = {s.order_id: await settle_silently(h.sandbox, s.order_id) for s in paid}
    forged: list[bytes] = []
    for seed in seeded:
        template = h.sandbox.notification_for(seed.order_id, "settlement")
        victim = rng.choice([s for s in seeded if s is not seed]).order_id
        for _ in range(2):
            forged += [body(f) for f in _forgeries(template, victim, rng)]
    load = [(True, b) for b in real_bodies.values()] + [(False, b) for b in forged]
    rng.shuffle(load)
    url = h.runtime.listener_url + h.settings.notification_path
    answers: list[tuple[bool, int]] = []
    async with httpx.AsyncClient(timeout=10.0) as client:
        gate = asyncio.Semaphore(16)

        async def send(real: bool, content: bytes) -> None:
            async with gate:
                answers.append((real, (await client.post(url, content=content)).status_code))

        await asyncio.gather(*(send(real, content) for real, content in load))

    assert {status for real, status in answers if real} == {200}
    assert {status for real, status in answers if not real} == {401}
    for seed in paid:
        assert await _status(h.store, seed.order_id) == OrderStatus.PAID
    for seed in untouched:
        order = await h.store.run(Tx.order, seed.order_id)
        assert order is not None and order.status == OrderStatus.AWAITING_PAYMENT
    applied = await _applied_per_order(h.store)
    assert set(applied) == {s.order_id for s in paid} and set(applied.values()) == {1}
    events = await h.store.run(Tx.payment_events)
    assert sum(1 for e in events if not e.verified) == len(forged)

    async def pushed() -> bool:
        return all(_paid_messages(h.standin, s.chat_id) for s in paid)

    await wait_until(pushed, 15, "the customers' pushes")

    async def outbox_drained() -> bool:  # nothing more queued that could still arrive
        rows = await h.store.run(Tx.outbox_messages)
        return all(r.sent_at is not None or r.failed_at is not None for r in rows)

    await wait_until(outbox_drained, 15, "the outbox to drain")
    await h.standin.wait_idle()
    pushes = sum(len(_paid_messages(h.standin, c)) for c in chats)
    assert pushes == len(paid)
    report_row(
        "forged notifications among real ones",
        f"{len(forged)} forged (8 kinds) + {len(real_bodies)} real, shuffled, 16 at a time",
        len(paid) - len(applied),
        f"forged accepted: {sum(1 for r, s in answers if not r and s != 401)}; "
        f"pushes: {pushes} for {len(paid)} payments",
    )


# --- 5. fuzzed bodies ----------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
_FIELDS = [
    "order_id",
    "status_code",
    "gross_amount",
    "signature_key",
    "transaction_status",
    "fraud_status",
    "transaction_id",
    "payment_type",
]


async def _snapshot(store: Store) -> tuple[Any, ...]:
    orders = await store.run(Tx.orders, limit=1000)
    history = [await store.run(Tx.history, o.id) for o in orders]
    return (
        [dataclasses.replace(o, last_checked_at=None) for o in orders],
        history,
        await store.run(Tx.outbox_messages),
        await store.run(Tx.products),
    )


async def test_fuzzed_notifications_never_500_and_change_nothing(harness: Harness) -> None:
    h = harness
    chats = [50_001, 50_002]
    for chat in chats:
        h.standin.user(chat, started=True)
    h.admin()
    pending, settled = await seed_charged_orders(h.store, h.sandbox, chats, now=datetime.now(UTC))
    url = h.runtime.listener_url + h.settings.notification_path
    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.post(url, content=await settle_silently(h.sandbox, settled.order_id))
        assert answer.status_code == 200

    async def settled_and_told() -> bool:  # the seller hears after the reversal window
        order = await h.store.run(Tx.order, settled.order_id)
        counts = await h.store.run(Tx.outbox_counts)
        return order is not None and order.seller_notified_at is not None and not counts["pending"]

    await wait_until(settled_and_told, 15, "the sale to be confirmed")
    bases = [
        h.sandbox.notification_for(pending.order_id, "pending"),
        h.sandbox.notification_for(settled.order_id, "settlement"),
    ]
    before = await _snapshot(h.store)

    mutated = st.builds(
        _mutate,
        st.sampled_from(bases),
        st.lists(st.sampled_from(_FIELDS), max_size=3),
        st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=3),
        st.dictionaries(st.text(max_size=12), _JSON, max_size=2),
    )
    bodies = (
        st.binary(max_size=300)
        | _JSON.map(lambda v: json.dumps(v).encode())
        | mutated.map(lambda v: json.dumps(v).encode())
    )
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(bodies)
    def post(content: bytes) -> None:
        answer = httpx.post(url, content=content, timeout=10.0)
        statuses[answer.status_code] += 1
        assert answer.status_code < 500, (content, answer.text)

    await asyncio.to_thread(post)  # each answer came after its transaction, if any, committed
    after = await _snapshot(h.store)
    assert after == before
    events = await h.store.run(Tx.payment_events)
    assert not any(e.applied for e in events if e.source == "notification")
    report_row(
        "random bytes, wrong types, missing fields (hypothesis)",
        f"{sum(statuses.values())} bodies: "
        + ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items())),
        0,
        "5xx: 0; orders, history, outbox, stock unchanged",
    )


def _mutate(
    base: dict[str, Any],
    dropped: Iterable[str],
    replaced: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    out = {k: v for k, v in base.items() if k not in set(dropped)}
    out.update(replaced)
    out.update(extra)
    return out


# --- 6. Get Status slower than the deadline during a burst ---------------------------------


async def test_midtrans_slow_past_the_deadline_during_a_burst(tmp_path: Path) -> None:
    # The bot runs as its own process (``python -m bot run``), as Midtrans is another machine:
    # the answer times measured here are the bot's, not this test's event loop's.
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY, notification_retry_scale=0.001)
    async with AsyncExitStack() as stack:
        telegram_url = await stack.enter_async_context(standin.serve())
        midtrans_url = await stack.enter_async_context(serve_app(sandbox.app))
        stack.push_async_callback(sandbox.aclose)
        store = await Store.open(tmp_path / "warung.db")
        stack.push_async_callback(store.close)
        chats = [60_001 + n for n in range(30)]
        for chat in chats:
            standin.user(chat, started=True)
        standin.user(ADMIN_ID, started=True)
        seeded = await seed_charged_orders(store, sandbox, chats, now=datetime.now(UTC), tag="S")
        bot = await stack.enter_async_context(bot_process(tmp_path, telegram_url, midtrans_url))
        bot.env["NOTIFICATION_DEADLINE"] = "1s"
        await bot.start()
        for seed in seeded:
            sandbox.transactions[seed.order_id].notification_url = (
                bot.url + "/midtrans/notification"
            )

        async def caught_up() -> bool:  # the bot asks about every pending order at start
            return len([r for r in sandbox.requests if r.path.endswith("/status")]) >= len(seeded)

        await wait_until(caught_up, 30, "the start-up catch-up")
        # Every confirmation of the burst takes 3 s; Midtrans retries on its schedule x 0.001.
        sandbox.add_fault(delay_seconds=3.0, times=len(seeded), paths=["/v2/*/status"])
        first = await asyncio.gather(*(sandbox.trigger(s.order_id, "settle") for s in seeded))
        assert {d.status for d in first} <= {503, None}, bot.log_tail()  # None: not connected

        async def all_paid() -> bool:
            return all(_paid_messages(standin, c) for c in chats)

        await wait_until(all_paid, 60, "every payment applied through Midtrans' retries")
        slowest = max(d.seconds for d in sandbox.deliveries)
        assert slowest < 1.0 + 0.3, slowest  # the deadline, plus this machine's noise
        applied = await _applied_per_order(store)
        assert {s.order_id: applied[s.order_id] for s in seeded} == {s.order_id: 1 for s in seeded}
        assert all(len(_paid_messages(standin, c)) == 1 for c in chats)
        retried = sum(1 for d in sandbox.deliveries if d.attempt)
        assert standin.violations == []
    report_row(
        "Get Status 3 s late during a burst (deadline 1 s)",
        f"{len(seeded)} settlements, {retried} Midtrans retries",
        0,
        f"slowest answer {slowest:.2f} s; applied once each; one push each",
    )


# --- 7. 429 on charge ----------------------------------------------------------------------


async def test_rate_limited_charge_gives_one_order_one_code_no_orphan(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 20)
    h.sandbox.add_fault(fail_status=429, times=2, paths=["/v2/charge"])
    budi = h.customer()
    order = await h.checkout_typed(budi, "2 kopi susu")
    found = await h.store.run(Tx.order, order.id)
    assert found is not None and found.charge is not None
    assert found.status == OrderStatus.AWAITING_PAYMENT
    charges = [r.at for r in h.sandbox.requests if r.path == "/v2/charge"]
    assert len(charges) == 3 and charges[-1] - charges[0] >= 1.5
    orders = await h.store.run(Tx.orders, customer_id=budi.id)
    assert [o.id for o in orders] == [order.id]
    # No orphan: every transaction Midtrans holds is an order's one payment code.
    assert {t.order_id: t.payment_code for t in h.sandbox.transactions.values()} == {
        order.id: found.charge.payment_code
    }
    messages = h.standin.messages(budi)
    codes = [m for m in messages if found.charge.payment_code in m.text and m.kind == "text"]
    assert len(codes) == 1 and len([m for m in messages if m.kind == "photo"]) == 1
    report_row(
        "Charge API rate limit (429) twice at checkout",
        "1 checkout, 3 charges over >= 1.5 s",
        0,
        "orders: 1; codes sent: 1; transactions at Midtrans: 1",
    )
