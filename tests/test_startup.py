"""Starting for real: ``python -m bot run`` either runs, or prints one line and exits non-zero.

Each test runs the bot as the operator does (a subprocess with its own environment) against the
Telegram stand-in and the Midtrans sandbox on 127.0.0.1, and checks what the operator and the
two services would notice: the exit status, the one line on stderr, no leftover process, no call
to Telegram or Midtrans that a failed start should not make, and the webhook left as it was.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import BotRuntime
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from tests.conftest import SERVER_KEY, TOKEN, make_settings
from tests.support.servers import closed_port, serve_app

ROOT = Path(__file__).parents[1]
START_TIMEOUT = 30.0  # a bad start must end well within this; a good one answers sooner
OTHER_TOKEN = "654321:OTHERtokenOTHERtokenOTHER1234"
OLD_WEBHOOK = "https://old.example.com/telegram"


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@asynccontextmanager
async def services() -> AsyncIterator[tuple[TelegramStandin, MidtransSandbox, str, str]]:
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    async with standin.serve() as telegram_url, serve_app(sandbox.app) as midtrans_url:
        yield standin, sandbox, telegram_url, midtrans_url


def bot_env(tmp_path: Path, telegram_url: str, midtrans_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "MIDTRANS_SERVER_KEY": SERVER_KEY,
        "MIDTRANS_API_BASE_URL": midtrans_url,
        "DATABASE_PATH": str(tmp_path / "warung.db"),
        "ADMIN_IDS": "9000",
        "LISTEN_HOST": "127.0.0.1",
        "LISTEN_PORT": str(closed_port()),
        "PAYMENT_WORKER": "true",
        **extra,
    }


async def start_bot(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``python -m bot run`` as the operator starts it, in ``tmp_path``, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_bot(tmp_path: Path, env: dict[str, str]) -> Run:
    """``python -m bot run`` until it exits by itself (a bad start must), at most START_TIMEOUT."""
    process = await start_bot(tmp_path, env)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.communicate()
        pytest.fail("the bot did not exit: a bad start must end the process")
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def processes_using(path: Path) -> list[str]:
    """Command lines of live processes that name ``path`` (a payment worker would)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(cmdline)
    return found


def assert_one_line(run: Run, status: int, *words: str, after_log: bool = False) -> str:
    """The run ended with ``status`` and one line naming the problem: the only line on stderr,
    or with ``after_log`` the last one after the log of what had started."""
    assert run.status == status, run.stderr
    if not after_log:
        assert len(run.lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in run.lines[-1], run.lines[-1]
    assert TOKEN.split(":")[1] not in run.stderr + run.stdout
    assert SERVER_KEY not in run.stderr + run.stdout
    return run.lines[-1]


# --- 1: the listener cannot bind ---------------------------------------------------------------


async def test_port_in_use_exits_with_one_line_and_no_worker(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        async with services() as (standin, sandbox, telegram_url, midtrans_url):
            standin.webhook_url = OLD_WEBHOOK
            env = bot_env(
                tmp_path,
                telegram_url,
                midtrans_url,
                LISTEN_PORT=str(port),
                PUBLIC_BASE_URL="https://warung.example.com",
            )
            run = await run_bot(tmp_path, env)
            line = assert_one_line(run, 1, "LISTEN_HOST=127.0.0.1", f"LISTEN_PORT={port}", "in use")
            assert line == (
                f"cannot listen on LISTEN_HOST=127.0.0.1 LISTEN_PORT={port}: the port is already "
                "in use (another bot or program); stop it or choose another LISTEN_PORT"
            )
            assert standin.webhook_url == OLD_WEBHOOK
            assert standin.calls == []  # bound before anything was said to Telegram
            assert sandbox.requests == []
            assert processes_using(tmp_path / "warung.db") == []
    finally:
        taken.close()


async def test_listen_host_not_on_this_machine(tmp_path: Path) -> None:
    async with services() as (standin, _, telegram_url, midtrans_url):
        env = bot_env(tmp_path, telegram_url, midtrans_url, LISTEN_HOST="203.0.113.7")
        run = await run_bot(tmp_path, env)
        assert_one_line(run, 2, "LISTEN_HOST=203.0.113.7", "not an address of this machine")
        assert standin.calls == []
        assert processes_using(tmp_path / "warung.db") == []


# --- 2: Telegram refuses the token, or cannot be reached ---------------------------------------


async def test_refused_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    async with services() as (_, _, telegram_url, midtrans_url):
        env = bot_env(
            tmp_path, telegram_url, midtrans_url, TELEGRAM_BOT_TOKEN=OTHER_TOKEN, LOG_LEVEL="DEBUG"
        )
        run = await run_bot(tmp_path, env)
    assert run.status == 2, run.stderr
    # Among the DEBUG lines (a database thread may still log its close after it).
    assert "Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather" in run.lines
    assert "Traceback" not in run.stderr
    assert OTHER_TOKEN.split(":")[1] not in run.stderr + run.stdout  # not even at DEBUG
    assert processes_using(tmp_path / "warung.db") == []


async def test_refused_token_at_default_level_prints_only_that_line(tmp_path: Path) -> None:
    async with services() as (_, _, telegram_url, midtrans_url):
        env = bot_env(tmp_path, telegram_url, midtrans_url, TELEGRAM_BOT_TOKEN=OTHER_TOKEN)
        run = await run_bot(tmp_path, env)
    line = assert_one_line(run, 2)
    assert line == "Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather"


async def test_telegram_unreachable_is_one_line(tmp_path: Path) -> None:
    async with services() as (_, _, _, midtrans_url):
        port = closed_port()
        env = bot_env(
            tmp_path, f"http://127.0.0.1:{port}/bot", midtrans_url, LISTEN_PORT=str(closed_port())
        )
        run = await run_bot(tmp_path, env)
    assert_one_line(run, 1, f"cannot reach Telegram at 127.0.0.1:{port}", "network and DNS")


async def test_telegram_name_does_not_resolve_is_one_line(tmp_path: Path) -> None:
    async with services() as (_, _, _, midtrans_url):
        env = bot_env(tmp_path, "http://no-such-host.invalid/bot", midtrans_url)
        run = await run_bot(tmp_path, env)
    assert_one_line(run, 1, "cannot reach Telegram at no-such-host.invalid", "DNS")


# --- 7: one instance; a failed start leaves the webhook as it was --------------------------------


async def test_second_instance_refuses_before_touching_anything(tmp_path: Path) -> None:
    async with services() as (standin, _, telegram_url, midtrans_url):
        settings = make_settings(
            tmp_path, telegram_url, midtrans_url, PUBLIC_BASE_URL="https://warung.example.com"
        )
        async with BotRuntime(settings, poll_timeout=1) as first:
            webhook = standin.webhook_url
            assert webhook == "https://warung.example.com/telegram"
            # The second one gets services of its own: any call it made would show there.
            async with services() as (other_tg, other_mt, other_tg_url, other_mt_url):
                env = bot_env(
                    tmp_path,
                    other_tg_url,
                    other_mt_url,
                    LISTEN_PORT=str(first.port),
                    PUBLIC_BASE_URL="https://warung.example.com",
                )
                run = await run_bot(tmp_path, env)
                assert other_tg.calls == [] and other_tg.poll_count == 0
                assert other_mt.requests == []
            line = assert_one_line(run, 1)
            assert line.startswith(
                f"another bot is already running on DATABASE_PATH={tmp_path / 'warung.db'} "
                f"(pid {os.getpid()}): stop it first"
            )
            assert standin.webhook_url == webhook
            assert first.application is not None and first.application.running


async def test_a_start_failing_late_leaves_the_webhook_and_no_worker(tmp_path: Path) -> None:
    async with services() as (standin, sandbox, telegram_url, midtrans_url):
        standin.webhook_url = OLD_WEBHOOK
        standin.fail("setMyCommands", 500)
        env = bot_env(
            tmp_path, telegram_url, midtrans_url, PUBLIC_BASE_URL="https://warung.example.com"
        )
        run = await run_bot(tmp_path, env)
        line = assert_one_line(run, 1, "Telegram at 127.0.0.1", "try again later", after_log=True)
        assert "error while the bot started" in line
        assert standin.webhook_url == OLD_WEBHOOK
        assert standin.calls_to("setWebhook") == [] and standin.calls_to("deleteWebhook") == []
        assert sandbox.requests == []
        assert processes_using(tmp_path / "warung.db") == []
    # The lock went with the process: the next start on this database works.
    async with services() as (standin, _, telegram_url, midtrans_url):
        settings = make_settings(tmp_path, telegram_url, midtrans_url)
        async with BotRuntime(settings, poll_timeout=1) as runtime:
            assert runtime.application is not None and runtime.application.running


# --- 4: a database file that cannot work --------------------------------------------------------


async def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    async with services() as (standin, _, telegram_url, midtrans_url):
        env = bot_env(tmp_path, telegram_url, midtrans_url, DATABASE_PATH=str(tmp_path))
        run = await run_bot(tmp_path, env)
        line = assert_one_line(run, 2)
        assert line == (
            f"setting DATABASE_PATH: {tmp_path} is a directory; name a file in it, e.g. "
            f"{tmp_path}/warung.db (example: DATABASE_PATH=data/warung.db)"
        )
        assert standin.calls == []


async def test_database_path_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "warung.db"
    path.write_text("these are notes, not a database\n" * 100)
    async with services() as (standin, _, telegram_url, midtrans_url):
        env = bot_env(tmp_path, telegram_url, midtrans_url, DATABASE_PATH=str(path))
        run = await run_bot(tmp_path, env)
        line = assert_one_line(run, 2)
        assert line == (
            f"setting DATABASE_PATH: {path} is not a SQLite database (file is not a database) "
            "(example: DATABASE_PATH=data/warung.db)"
        )
        assert standin.calls == []
    assert path.read_text().startswith("these are notes")  # left as it was


async def test_database_path_that_cannot_be_written(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root writes anywhere a mode allows; sysfs refuses new files to all
        path = Path("/sys/warung.db")
    else:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        path = folder / "warung.db"
    async with services() as (standin, _, telegram_url, midtrans_url):
        env = bot_env(tmp_path, telegram_url, midtrans_url, DATABASE_PATH=str(path))
        run = await run_bot(tmp_path, env)
        line = assert_one_line(run, 2, "setting DATABASE_PATH:", str(path.parent))
        assert "writable" in line or "cannot create" in line
        assert standin.calls == []
