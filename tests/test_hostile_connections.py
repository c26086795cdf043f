"""Slow, idle and too many connections do not make the bot deaf (issue 15, item 5).

Bounded and local: a few dozen connections to the bot's own listener on 127.0.0.1, each ended by
the bot within REQUEST_TIMEOUT (a few seconds here) or by the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import resource
import time
from datetime import timedelta

from bot.connections import (
    DESCRIPTOR_RESERVE,
    descriptors_in_use,
    plan_max_connections,
    raise_descriptor_limit,
)
from bot.rules.orders import OrderStatus
from storage import Tx
from tests.conftest import Harness

DEADLINE = 6.0  # long enough for a checkout in chat on a busy CI machine
MAX_CONNECTIONS = 40


@dataclasses.dataclass
class Hostile:
    """One connection that sends ``head`` and then a byte of ``trickle`` every 0.2 s."""

    kind: str
    opened: float = 0.0
    closed: float | None = None
    answer: bytes = b""


async def hostile(port: int, conn: Hostile, path: str) -> None:
    heads = {
        "slow body": f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{{",
        "slow head": f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        "idle": "",
        "slow body, unknown path": (
            "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n"
        ),
    }
    conn.opened = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def trickle() -> None:
        writer.write(heads[conn.kind].encode())
        while conn.kind != "idle":
            await asyncio.sleep(0.2)
            writer.write(b"a")
            await writer.drain()

    sending = asyncio.create_task(trickle())
    try:
        async with asyncio.timeout(DEADLINE + 10):  # a bound for the test, far past the deadline
            while chunk := await reader.read(1024):
                conn.answer += chunk
    except (ConnectionError, TimeoutError):
        pass
    finally:
        conn.closed = time.monotonic()
        sending.cancel()
        with contextlib.suppress(BaseException):
            await sending
        writer.close()


async def test_slow_connections_are_cut_while_orders_and_payments_go_through(
    harness: Harness,
) -> None:
    h = harness
    h.settings = dataclasses.replace(
        h.settings,
        request_timeout=timedelta(seconds=DEADLINE),
        listen_max_connections=MAX_CONNECTIONS,
    )
    await h.restart()
    await h.add_product("Kopi susu", 18_000)
    port = h.runtime.port
    assert port is not None
    path = h.settings.notification_path
    kinds = ["slow body", "slow head", "idle", "slow body, unknown path"]
    slow = [Hostile(kinds[n % len(kinds)]) for n in range(30)]
    attack = [asyncio.create_task(hostile(port, c, path)) for c in slow]
    await asyncio.sleep(0.3)  # all 30 connected and trickling
    held = [c for c in slow if c.closed is None]
    assert len(held) == 30 - 7  # all but the 404s, which were answered and closed at once

    # Beyond the limit, a connection is answered 503 at once and closed (not held for ever).
    extra = [Hostile("idle") for _ in range(MAX_CONNECTIONS - len(held) + 8)]
    extra_tasks = [asyncio.create_task(hostile(port, c, path)) for c in extra]
    await asyncio.sleep(0.5)
    refused = [c for c in extra if c.closed is not None]
    assert len(refused) == 8, [c.answer for c in extra]
    assert all(c.answer.startswith(b"HTTP/1.1 503") for c in refused)
    for task in extra_tasks:  # the test lets go of the others
        task.cancel()
    await asyncio.gather(*extra_tasks, return_exceptions=True)

    # Meanwhile a customer orders in chat and pays; Midtrans' notification reaches the bot.
    customer = h.customer()
    order = await h.checkout_typed(customer, "1 kopi susu")
    assert all(c.closed is None for c in held), "the attack should still be on"
    delivery = await h.settle(order.id)
    assert delivery["status"] == 200, delivery
    await h.standin.wait_for_message(customer, contains="Pembayaran diterima", timeout=5)
    paid = await h.store.run(Tx.order, order.id)
    assert paid is not None and paid.status == OrderStatus.PAID

    # Every slow connection was ended by the bot within the deadline (plus scheduling slack).
    await asyncio.gather(*attack)
    for conn in slow:
        assert conn.closed is not None
        assert conn.closed - conn.opened < DEADLINE + 1.5, (conn.kind, conn.closed - conn.opened)
        assert conn.closed - conn.opened > DEADLINE - 0.5 or conn.kind.endswith("unknown path")
        if conn.kind == "slow body":
            assert conn.answer.startswith(b"HTTP/1.1 408"), conn.answer
        if conn.kind == "slow body, unknown path":  # answered at once, then not kept
            assert conn.answer.startswith(b"HTTP/1.1 404"), conn.answer


def test_the_listener_leaves_descriptors_for_the_rest_of_the_bot() -> None:
    assert plan_max_connections(256, 65536, 40) == 256
    # systemd's default soft limit of 1,024 that could not be raised: the reserve stays free.
    assert plan_max_connections(1000, 1024, 40) == 1024 - 40 - DESCRIPTOR_RESERVE
    assert plan_max_connections(256, 300, 40) == 1  # hopeless, but the listener still answers


def test_the_soft_descriptor_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = max(descriptors_in_use() + 64, 256)
    if hard != resource.RLIM_INFINITY and lowered >= hard:
        lowered = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        assert raise_descriptor_limit() == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
