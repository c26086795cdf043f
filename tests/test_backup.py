"""Backups: consistent while the bot takes payments, restorable into a new bot (issue 15)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.backup import run_backup
from bot.payments.reconcile import reconcile_once
from bot.rules.orders import OrderStatus
from storage import Tx
from storage.backup import BackupError, backup_database, backups
from tests.conftest import TOKEN, Harness
from tests.support.seeded import seed_charged_orders, settle_silently


def paid_in(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM orders WHERE status = 'paid'")}
    finally:
        conn.close()


async def test_backup_during_a_load_of_notifications_restores_every_paid_order(
    harness: Harness, tmp_path: Path
) -> None:
    h = harness
    chats = [40_001 + n for n in range(60)]
    for chat in chats:
        h.standin.user(chat, started=True)
    seeded = await seed_charged_orders(h.store, h.sandbox, chats, now=datetime.now(UTC))
    before, during = seeded[:30], seeded[30:]
    url = h.runtime.listener_url + h.settings.notification_path
    folder = tmp_path / "backups"
    async with httpx.AsyncClient(timeout=10) as client:

        async def settle(order_id: str) -> None:
            answer = await client.post(url, content=await settle_silently(h.sandbox, order_id))
            assert answer.status_code == 200

        await asyncio.gather(*(settle(s.order_id) for s in before))
        paid_before = {s.order_id for s in before}
        # Three backups while 30 more payments arrive (the copies run in a thread, as the
        # command would in its own process, next to the bot's writes).
        load = asyncio.gather(*(settle(s.order_id) for s in during))
        copies = []
        for _ in range(3):
            copies.append(
                await asyncio.to_thread(
                    run_backup, h.settings, folder, keep=2, clock=lambda: datetime.now(UTC)
                )
            )
        await load

    kept = backups(folder, h.settings.database_path.stem)
    assert kept == copies[-2:]  # the newest two; the first was removed
    assert not list(folder.glob("*.partial"))
    for copy in kept:
        assert paid_before <= paid_in(copy)  # every order paid before the backup is in it
        assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert f"{copy.name}-wal" not in {p.name for p in folder.iterdir()}  # one whole file

    # Restore: stop the bot, put the copy in place of the database, start a new bot on it.
    await h.runtime.stop()
    restored = tmp_path / "restored" / "warung.db"
    restored.parent.mkdir()
    shutil.copyfile(kept[-1], restored)
    h.settings = dataclasses.replace(h.settings, database_path=restored)
    await h.start()
    for order_id in paid_before:
        order = await h.store.run(Tx.order, order_id)
        assert order is not None and order.status == OrderStatus.PAID, order_id
    # Payments the copy missed are caught up by the reconciler (Get Status from Midtrans).
    assert h.runtime.services is not None and h.runtime.services.payments is not None
    later = datetime.now(UTC) + timedelta(hours=1)
    await reconcile_once(
        h.runtime.services.payments, h.store, h.settings, later, quiet_period=timedelta(0)
    )
    for seed in seeded:
        order = await h.store.run(Tx.order, seed.order_id)
        assert order is not None and order.status == OrderStatus.PAID, seed.order_id


def test_backup_refuses_a_missing_database_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database at"):
        backup_database(tmp_path / "nothing.db", tmp_path, keep=3, now=datetime.now(UTC))


def test_the_backup_command(tmp_path: Path) -> None:
    database = tmp_path / "data" / "warung.db"
    database.parent.mkdir()
    conn = sqlite3.connect(database)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (42)")
    conn.commit()
    conn.close()
    env = {"DATABASE_PATH": str(database), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none"), "backup"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    copy = Path(done.stdout.strip())
    assert copy.parent == database.parent / "backups"
    assert sqlite3.connect(copy).execute("SELECT x FROM t").fetchone() == (42,)
    assert TOKEN not in done.stdout + done.stderr

    missing = {**env, "DATABASE_PATH": str(tmp_path / "nope.db")}
    done = subprocess.run(command, env=missing, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "no database at" in done.stderr
