"""GET /healthz tells the truth: 503 with the reason when orders could not be taken or told."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import Harness
from tests.support.world import CUSTOMER, payment_world


async def health(client: httpx.AsyncClient, base_url: str) -> tuple[int, dict[str, object]]:
    answer = await client.get(base_url + "/healthz")
    return answer.status_code, answer.json()


async def test_healthy_then_not_running(tmp_path: Path) -> None:
    running = [True]
    async with payment_world(tmp_path, is_running=lambda: running[0]) as w:
        status, body = await health(w.http, w.url)
        assert status == 200
        assert body["ok"] is True and body["reasons"] == [] and body["database"] is True
        assert body["outbox_oldest_due_seconds"] == 0.0
        running[0] = False
        status, body = await health(w.http, w.url)
        assert (status, body["ok"], body["reasons"]) == (503, False, ["bot is not running"])


async def test_a_deleted_database_file_is_reported(tmp_path: Path) -> None:
    async with payment_world(tmp_path) as w:
        assert (await health(w.http, w.url))[0] == 200
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{w.settings.database_path}{suffix}")
        # The bot's own connection still reads the deleted file: only a check by path sees it.
        status, body = await health(w.http, w.url)
        assert status == 503
        assert body["database"] is False
        assert "database file is missing" in body["reasons"]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file refuses writes: chmod for a normal user, the immutable flag for root (whom
    permissions do not stop)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file read-only as root here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_read_only_database_is_reported(tmp_path: Path) -> None:
    async with payment_world(tmp_path) as w:
        assert (await health(w.http, w.url))[0] == 200
        with read_only(w.settings.database_path):
            status, body = await health(w.http, w.url)
        assert status == 503
        assert body["database"] is False
        assert "database file is read-only" in body["reasons"], body
        assert (await health(w.http, w.url))[0] == 200  # and well again once writable


async def test_a_stuck_outbox_is_reported(tmp_path: Path) -> None:
    async with payment_world(tmp_path, start_outbox=False) as w:
        order = await w.order()
        await w.sandbox.trigger(order.id, "settle")  # the customer's push waits in the outbox
        status, body = await health(w.http, w.url)
        assert status == 200  # just queued
        w.clock.advance(11 * 60)  # nobody sent it for 11 minutes: the sender is stuck
        status, body = await health(w.http, w.url)
        assert status == 503
        assert body["outbox_oldest_due_seconds"] >= 11 * 60
        assert any("outbox stuck" in str(r) and "11m" in str(r) for r in body["reasons"]), body
        w.outbox.start()
        await w.push(CUSTOMER)
        await w.settled_outbox()
        assert (await health(w.http, w.url))[0] == 200


async def test_telegram_silence_is_reported(harness: Harness) -> None:
    h = harness
    h.settings = dataclasses.replace(h.settings, health_telegram_max_silence=timedelta(seconds=1))
    await h.restart()
    async with httpx.AsyncClient(timeout=10) as client:
        status, body = await health(client, h.runtime.listener_url)
        assert status == 200, body
        assert isinstance(body["telegram_last_answer_seconds_ago"], float)
        assert body["telegram_last_answer_seconds_ago"] < 1
        h.standin.fail("*", 502)  # Telegram's gateway answers, Telegram does not
        deadline = asyncio.get_running_loop().time() + 10
        while status == 200:
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.2)
            status, body = await health(client, h.runtime.listener_url)
        assert status == 503
        assert any("Telegram has not answered for" in str(r) for r in body["reasons"]), body
        h.standin.clear_faults()
        deadline = asyncio.get_running_loop().time() + 10
        while status != 200:
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.2)
            status, body = await health(client, h.runtime.listener_url)
