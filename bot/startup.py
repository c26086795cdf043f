"""Start-up checks that need the machine: the one-instance lock, the database file, the listener
port, and Telegram's first answer.

Each impossible start becomes a ``StartupError`` with one line that names what to fix, so
``python -m bot run`` prints that line and exits non-zero (and systemd's restart policy takes
over) instead of logging a traceback or staying alive without a bot. The order in which
``BotRuntime.start`` calls these is the point: the lock first (a second instance touches
nothing), Telegram's webhook last (a failed start leaves it as it was).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import sqlite3
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut

from bot.config import ConfigError

EXIT_FIX_SETTING = 2
"""Exit status when only the operator can fix it (a setting, the token, the database file)."""
EXIT_TRY_AGAIN = 1
"""Exit status when a later start may work (network down, port or database busy)."""


class StartupError(Exception):
    """The bot cannot start; ``str()`` is the one line to show, ``exit_status`` the code."""

    def __init__(self, line: str, exit_status: int = EXIT_TRY_AGAIN) -> None:
        super().__init__(line)
        self.exit_status = exit_status


# --- one instance per database ----------------------------------------------------------------


def lock_path_for(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


class InstanceLock:
    """An exclusive ``flock`` on ``<database>.lock``: one running bot per database.

    The OS drops the lock when the process ends, however it ends, so a crash never leaves a
    stale lock behind; the file itself stays and only tells the pid of the last holder.
    """

    def __init__(self, database_path: Path) -> None:
        self.database_path = database_path
        self.path = lock_path_for(database_path)
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        check_database_location(self.database_path)
        try:
            handle = open(self.path, "a+", encoding="utf-8")  # held until release
        except OSError as exc:
            raise _database_error(f"cannot create {self.path} ({_reason(exc)})") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise _database_error(f"cannot lock {self.path} ({_reason(exc)})") from None
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise StartupError(
                f"another bot is already running on DATABASE_PATH={self.database_path}{pid}: "
                "stop it first; one database serves one bot"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


# --- the database file ------------------------------------------------------------------------


def check_database_location(path: Path) -> None:
    """Refuse a DATABASE_PATH that can never hold a database, before anything opens it."""
    if path.is_dir():
        raise _database_error(f"{path} is a directory; name a file in it, e.g. {path}/warung.db")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _database_error(f"cannot create the folder {parent} ({_reason(exc)})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _database_error(f"the folder {parent} is not writable by this user")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise _database_error(f"{path} is not readable and writable by this user")


def database_open_error(path: Path, exc: BaseException) -> StartupError | ConfigError | None:
    """The one line for a database that exists but cannot be used; None for anything else."""
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return _database_error(f"{path} is not a SQLite database ({text})")
        if "readonly" in text or "read-only" in text:
            return _database_error(f"{path} is read-only for this user ({text})")
        if "locked" in text:
            return StartupError(f"DATABASE_PATH={path} is locked by another program ({text})")
        if "unable to open" in text:
            return _database_error(f"{path} cannot be opened ({text})")
        return _database_error(f"{path} cannot be used ({text})")
    if isinstance(exc, RuntimeError) and "newer than this bot" in str(exc):
        return StartupError(f"DATABASE_PATH={path}: {exc}", EXIT_FIX_SETTING)
    return None


def _database_error(problem: str) -> ConfigError:
    return ConfigError("DATABASE_PATH", problem, "data/warung.db")


# --- the listener port ------------------------------------------------------------------------


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or the one line saying why there cannot be one.

    Bound before the bot talks to Telegram: a port already taken (an old instance, another
    program) or an address this machine does not have is found in milliseconds.
    """
    where = f"LISTEN_HOST={host} LISTEN_PORT={port}"
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise StartupError(
            f"cannot listen on {where}: LISTEN_HOST is not an address of this machine ({exc})",
            EXIT_FIX_SETTING,
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"cannot listen on {where}: the port is already in use (another bot or "
                "program); stop it or choose another LISTEN_PORT"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise StartupError(
                f"cannot listen on {where}: LISTEN_HOST is not an address of this machine",
                EXIT_FIX_SETTING,
            ) from None
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"cannot listen on {where}: ports below 1024 need privileges; use a port "
                "above 1024 behind a reverse proxy",
                EXIT_FIX_SETTING,
            ) from None
        raise StartupError(f"cannot listen on {where}: {_reason(exc)}") from None
    return sock


# --- Telegram ---------------------------------------------------------------------------------


def telegram_error(exc: TelegramError, base_url: str) -> StartupError:
    """The one line for a Telegram call failing while the bot starts."""
    if isinstance(exc, InvalidToken):
        return StartupError(
            "Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather", EXIT_FIX_SETTING
        )
    host = urlsplit(base_url).netloc or base_url
    if isinstance(exc, TimedOut) or (isinstance(exc, NetworkError) and exc.__cause__):
        # No answer at all: PTB raises these from the transport error (DNS, refused, timeout).
        return StartupError(
            f"cannot reach Telegram at {host} ({_describe_network(exc)}): check the network "
            "and DNS of this machine (TELEGRAM_API_BASE_URL)"
        )
    return StartupError(
        f"Telegram at {host} answered with an error while the bot started ({exc.message}): "
        "try again later"
    )


def _describe_network(exc: BaseException) -> str:
    # PTB wraps httpx's error; the innermost cause says "Name or service not known" and the like.
    inner: BaseException = exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
    text = str(inner).strip() or type(inner).__name__
    return " ".join(text.split())[:200]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
