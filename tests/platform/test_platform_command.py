"""``python -m bot platform``: each bad setting is one line and a non-zero exit; with good ones
the edge and the worker start on PostgreSQL, answer, and stop cleanly on SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from bot.__main__ import main
from bot.platform.worker import PartitionLocks
from tests.support.postgres import PgServer
from tests.support.servers import closed_port
from tests.support.waiting import wait_until

GOOD = {
    "DATABASE_URL": "postgresql://postgres@localhost/warung",
    "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(bytes(range(32))).decode(),
    "PLATFORM_LOOKUP_KEY": base64.b64encode(b"lookup-key-0123456789abcdef").decode(),
    "PUBLIC_BASE_URL": "https://warung.example.com",
    "PLATFORM_BOT_TOKEN": "5000000001:PLATFORMplatformPLATFORMplatform12345",
}
PLATFORM_SETTINGS = [
    *GOOD,
    "PLATFORM_PARTITIONS",
    "PLATFORM_WEBHOOK_CHECK_INTERVAL",
    "PLATFORM_HOUSEKEEPING_RATE",
    "TELEGRAM_BOT_TOKEN",
    "MIDTRANS_SERVER_KEY",
    "TELEGRAM_API_BASE_URL",
]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DATABASE_URL", "", "DATABASE_URL: is not set"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: must be a postgresql:// URL"),
        ("PLATFORM_MASTER_KEYS", "", "PLATFORM_MASTER_KEYS: is not set"),
        ("PLATFORM_MASTER_KEYS", "k1:c2hvcnQ=", "PLATFORM_MASTER_KEYS: key 'k1' must be 32"),
        ("PLATFORM_LOOKUP_KEY", "not base64!", "PLATFORM_LOOKUP_KEY: is not valid base64"),
        ("PLATFORM_LOOKUP_KEY", "c2hvcnQ=", "PLATFORM_LOOKUP_KEY: must be at least 16 bytes"),
        ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL: is not set"),
        ("PUBLIC_BASE_URL", "http://warung.example.com", "PUBLIC_BASE_URL: must be an https"),
        ("PLATFORM_PARTITIONS", "0", "PLATFORM_PARTITIONS: must be a whole number"),
        ("PLATFORM_WEBHOOK_CHECK_INTERVAL", "1m", "INTERVAL: must be a duration from 5m to 1d"),
        ("PLATFORM_WEBHOOK_CHECK_INTERVAL", "soon", "INTERVAL: must be a duration from 5m"),
        ("PLATFORM_HOUSEKEEPING_RATE", "0", "PLATFORM_HOUSEKEEPING_RATE: must be a whole number"),
        ("PLATFORM_HOUSEKEEPING_RATE", "51", "PLATFORM_HOUSEKEEPING_RATE: must be a whole number"),
        ("PLATFORM_BOT_TOKEN", "", "PLATFORM_BOT_TOKEN: is not set"),
        ("PLATFORM_BOT_TOKEN", "12345:short", "PLATFORM_BOT_TOKEN: does not look like a bot"),
    ],
)
def test_each_bad_setting_is_one_line_and_a_non_zero_exit(
    name: str,
    value: str,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for setting in PLATFORM_SETTINGS:
        monkeypatch.delenv(setting, raising=False)
    for setting, good in {**GOOD, name: value}.items():
        monkeypatch.setenv(setting, good)

    status = main(["--env-file", str(tmp_path / "none.env"), "platform", "--role", "edge"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and says in err, err
    assert "Traceback" not in err


def test_the_platform_starts_answers_and_stops_on_sigterm(
    pg_server: PgServer, tmp_path: Path
) -> None:
    dsn = pg_server.new_database()
    port = closed_port()
    env = {**_platform_env(dsn), "LISTEN_HOST": "127.0.0.1", "LISTEN_PORT": str(port)}
    log = tmp_path / "platform.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "platform"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}", process, log)
        unknown = httpx.post(f"http://127.0.0.1:{port}/tg/no-such-shop", json={"update_id": 1})
        assert (health, unknown.status_code) == (200, 404)
        # The listener answers before the worker's first tick takes its partitions.
        deadline = time.monotonic() + 30
        while "worker owns partition" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=15)
        assert status == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = log.read_text()
    assert "Traceback" not in err
    assert "worker owns partition" in err


async def test_a_killed_workers_partitions_are_free_at_once(
    pg_server: PgServer, tmp_path: Path
) -> None:
    """kill -9 of a worker process: PostgreSQL ends its session, and with it the partition
    locks, so another worker takes its shops at its next tick."""
    dsn = pg_server.new_database()
    log = tmp_path / "worker.log"
    process = _start(["--role", "worker"], {**_platform_env(dsn), "PLATFORM_PARTITIONS": "2"}, log)
    locks = PartitionLocks(dsn)
    try:
        await wait_until(lambda: "owns partition 1 of 2" in log.read_text(), 30, "the worker")
        assert not await locks.try_take(0) and not await locks.try_take(1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed = time.monotonic()
        await wait_until(_takes_both(locks), 5, "the partitions free")
        assert time.monotonic() - killed < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await locks.close()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m bot platform ARGS``, its log lines into ``log``."""
    command = [sys.executable, "-m", "bot", "--env-file", str(log.parent / "none.env")]
    with log.open("w") as err:
        return subprocess.Popen([*command, "platform", *args], env=env, stderr=err)


def _takes_both(locks: PartitionLocks) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all([await locks.try_take(0), await locks.try_take(1)])

    return check


def _platform_env(dsn: str) -> dict[str, str]:
    fields = dict(part.split("=", 1) for part in dsn.split())
    return {
        **{k: v for k, v in os.environ.items() if k not in PLATFORM_SETTINGS},
        **GOOD,
        # Nothing answers there: the leader's platform bot logs one line and tries again.
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{closed_port()}/bot",
        "DATABASE_URL": (
            f"postgresql://{fields['user']}@/{fields['dbname']}"
            f"?host={fields['host']}&port={fields['port']}"
        ),
    }


def _wait_for_health(url: str, process: subprocess.Popen[str], log: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the platform exited: {log.read_text()}")
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the platform did not answer /healthz within 30 s")
