"""The payment worker: ledger transactions in a second process, on the machine's second core.

Why a process: the bot is one Python process, held to one core by the GIL, and its event loop
also parses every HTTP request. Under a burst of notifications the ledger transaction (order
read, state change, history, rendered pushes, event row) took that core's time away from the
listener; in a process of its own it runs in parallel (``bench/README.md`` has the figures).
The listener still parses and verifies every notification in the bot; only the transaction
moves, and it is the same ``bot.payments.ledger`` code either way.

Protocol, over the child's stdin and stdout: frames of a 4-byte big-endian length and a pickle.
A request is ``(call_id, ledger_method_name, args, kwargs)``. The worker reads every request
waiting in the pipe and runs them in a few transactions, each call in its own savepoint
(``storage.store.run_group``, the group commit the bot's own store does); only after each
COMMIT does it write one frame answering the calls that transaction carried:
``[(call_id, ok, result_or_error_text), ...]``. So the listener's 200 still means "committed".

Failure: if the worker dies, the calls in flight fail (the listener answers 503 and Midtrans
sends again) and the next call starts a new worker. If the bot dies, the worker reads EOF,
finishes the transaction in hand and exits. Pickle only ever crosses this private pipe.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copyreg
import io
import itertools
import logging
import os
import pickle
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.payments.ledger import Ledger, PaymentReport
from bot.rules.clock import Clock, utc_now
from storage import Tx
from storage.store import Call, connect, run_group

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_HEADER = 4
_GROUP = 64
_GROUP_MIN = 4
_SPLIT = 4
"""Calls that arrived together are answered in about ``_SPLIT`` transactions of ``_GROUP_MIN``
to ``_GROUP`` calls, not one: the first answers go back while this process works on the rest,
so the bot answers and parses the next requests meanwhile (one group per read made the two
processes take turns). A commit costs little here (WAL, no fsync), bigger groups less per call."""
_READY = -1  # call id of the frame a worker sends once its database is open
_RESTART_PAUSE = timedelta(seconds=1)  # a worker is restarted at most once in this time
_METHODS = frozenset(
    name for name in dir(Ledger) if not name.startswith("_") and callable(getattr(Ledger, name))
)


class WorkerUnavailable(Exception):
    """The worker could not run the call (it died, or could not start): nothing was committed
    by this call that the caller was told about; sending the notification again is safe."""


class WorkerCallFailed(Exception):
    """The ledger method raised inside the worker; its savepoint was rolled back."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _utc(microseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=microseconds)


def _reduce_datetime(value: datetime) -> str | tuple[Any, ...]:
    # An aware time crosses as whole microseconds since the epoch, back as the same instant in
    # UTC: pickling its tzinfo took most of the time of pickling a whole notification.
    if value.tzinfo is None:
        return value.__reduce__()
    return _utc, ((value - _EPOCH) // _MICROSECOND,)


def _reduce_report(value: PaymentReport) -> tuple[Any, ...]:
    return PaymentReport, tuple(value)


_DISPATCH: dict[type, Any] = {
    **copyreg.dispatch_table,
    datetime: _reduce_datetime,
    PaymentReport: _reduce_report,
}


def _frame(value: object) -> bytes:
    buffer = io.BytesIO()
    buffer.write(bytes(_HEADER))
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    data = buffer.getbuffer()
    data[:_HEADER] = (len(data) - _HEADER).to_bytes(_HEADER, "big")
    del data
    return buffer.getvalue()


@dataclass(eq=False)
class _Session:
    """One started worker process and the calls it owes an answer."""

    process: asyncio.subprocess.Process
    ready: asyncio.Future[None]
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    @property
    def usable(self) -> bool:
        return (
            self.process.returncode is None
            and self.ready.done()
            and not self.ready.cancelled()
            and self.ready.exception() is None
        )


class PaymentWorker:
    """The bot's side: starts ``python -m bot.payments.worker`` and runs ledger calls in it."""

    def __init__(
        self,
        database_path: Path,
        admin_ids: frozenset[int],
        *,
        log_level: str = "INFO",
        clock: Clock = utc_now,
    ) -> None:
        self._database_path = database_path
        self._clock = clock  # the restart pause is measured on it, so tests can drive it
        self._admin_ids = admin_ids
        self._log_level = log_level
        self._session: _Session | None = None
        self._ids = itertools.count(1)
        self._starting = asyncio.Lock()
        self._last_restart: datetime | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._session.process.pid if self._session is not None else None

    async def start(self) -> None:
        """Start the worker and wait until its database is open (raises WorkerUnavailable)."""
        await self._ensure_running()

    async def run(
        self, fn: Callable[Concatenate[Ledger, Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """``fn(ledger, tx, *args, **kwargs)`` in the worker; returns once it is committed."""
        if fn.__name__ not in _METHODS:
            raise ValueError(f"{fn.__name__} is not a Ledger method")
        session = await self._ensure_running()
        call_id = next(self._ids)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        session.pending[call_id] = future
        # Written at once, not batched per loop turn: the worker starts on the first call while
        # this process parses the next requests (batching measured slower: the two took turns).
        _send(session, _frame((call_id, fn.__name__, args, kwargs)))
        return await future

    async def stop(self, grace: float = 5.0) -> None:
        """Close the worker's input and wait for it to finish what it holds."""
        self._stopping = True
        session = self._session
        if session is None:
            return
        stdin = session.process.stdin
        if stdin is not None:
            with contextlib.suppress(Exception):
                stdin.close()
        try:
            await asyncio.wait_for(session.process.wait(), grace)
        except TimeoutError:
            session.process.kill()
            await session.process.wait()
        if session.reader is not None:
            await asyncio.gather(session.reader, return_exceptions=True)
        _fail(session, "the bot is stopping")

    # --- inside ------------------------------------------------------------------------------

    async def _ensure_running(self) -> _Session:
        if self._stopping:
            raise WorkerUnavailable("the bot is stopping")
        session = self._session
        if session is not None and session.usable:
            return session  # the usual case: no lock, no await
        async with self._starting:
            session = self._session
            if session is None or session.process.returncode is not None:
                session = await self._spawn(restart=session is not None)
        await asyncio.shield(session.ready)
        return session

    async def _spawn(self, *, restart: bool) -> _Session:
        if restart:
            now = self._clock()
            if self._last_restart is not None and now - self._last_restart < _RESTART_PAUSE:
                # A worker that dies again at once must not be restarted in a tight loop.
                raise WorkerUnavailable("the payment worker stopped; restarting shortly")
            self._last_restart = now
        args = [sys.executable, "-m", "bot.payments.worker", str(self._database_path)]
        args += ["--admin-ids", ",".join(str(i) for i in sorted(self._admin_ids))]
        args += ["--log-level", self._log_level]
        process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        session = _Session(process, asyncio.get_running_loop().create_future())
        session.reader = asyncio.create_task(self._read(session), name="payment-worker")
        self._session = session
        logger.info("payment worker started (pid %d)", process.pid)
        return session

    async def _read(self, session: _Session) -> None:
        stdout = session.process.stdout
        assert stdout is not None
        try:
            while True:
                header = await stdout.readexactly(_HEADER)
                payload = await stdout.readexactly(int.from_bytes(header))
                answers = pickle.loads(payload)  # noqa: S301 - our own child's pipe
                for call_id, ok, value in answers:
                    if call_id == _READY:
                        if not session.ready.done():
                            session.ready.set_result(None)
                        continue
                    future = session.pending.pop(call_id, None)
                    if future is None or future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(WorkerCallFailed(value))
        except asyncio.IncompleteReadError:
            pass
        code = await session.process.wait()
        if not self._stopping:
            logger.error("payment worker exited with status %s; calls in flight fail", code)
        if not session.ready.done():
            session.ready.set_exception(WorkerUnavailable(f"the payment worker exited ({code})"))
            session.ready.exception()  # seen here; each waiting caller gets it raised as well
        _fail(session, f"the payment worker exited ({code})")


def _send(session: _Session, data: bytes) -> None:
    stdin = session.process.stdin
    if stdin is None or session.process.returncode is not None:
        _fail(session, "the payment worker is not running")
        return
    try:
        stdin.write(data)
    except (ConnectionError, RuntimeError):  # the reader sees the exit and fails the calls
        logger.warning("payment worker: could not write to it")


def _fail(session: _Session, why: str) -> None:
    pending, session.pending = session.pending, {}
    for future in pending.values():
        if not future.done():
            future.set_exception(WorkerUnavailable(why))


# --- the child process -------------------------------------------------------------------------


def serve(database_path: Path, admin_ids: frozenset[int], requests: int, answers: int) -> None:
    """Read requests from fd ``requests`` until EOF; answer each group on fd ``answers``."""
    conn = connect(database_path)
    ledger = Ledger(admin_ids)
    _write_all(answers, _frame([(_READY, True, None)]))
    buffer = bytearray()
    try:
        while chunk := os.read(requests, 1 << 20):
            buffer += chunk
            calls = _take_frames(buffer)
            size = min(_GROUP, max(_GROUP_MIN, -(-len(calls) // _SPLIT)))
            for start in range(0, len(calls), size):
                _write_all(answers, _frame(_answer(conn, ledger, calls[start : start + size])))
    finally:
        conn.close()


def _take_frames(buffer: bytearray) -> list[Any]:
    frames = []
    offset = 0
    while len(buffer) - offset >= _HEADER:
        size = int.from_bytes(buffer[offset : offset + _HEADER])
        if len(buffer) - offset - _HEADER < size:
            break
        frame = buffer[offset + _HEADER : offset + _HEADER + size]
        frames.append(pickle.loads(frame))  # noqa: S301 - only the bot writes this pipe
        offset += _HEADER + size
    del buffer[:offset]
    return frames


def _answer(
    conn: sqlite3.Connection, ledger: Ledger, calls: Sequence[Any]
) -> list[tuple[int, bool, Any]]:
    jobs = []
    for _call_id, name, args, kwargs in calls:
        method = getattr(ledger, name) if name in _METHODS else _unknown(name)
        jobs.append(Call(method, tuple(args), dict(kwargs)))
    try:
        outcomes = run_group(conn, jobs)
    except Exception as exc:  # BEGIN or COMMIT failed: none of the group was stored
        logger.exception("payment worker: a transaction of %d calls failed", len(jobs))
        return [(call[0], False, _describe(exc)) for call in calls]
    answers = []
    for call, (ok, value) in zip(calls, outcomes, strict=True):
        if not ok:
            logger.error("payment worker: %s failed", call[1], exc_info=value)
            value = _describe(value)
        answers.append((call[0], ok, value))
    return answers


def _unknown(name: str) -> Callable[..., Any]:
    def refuse(*_: object, **__: object) -> Any:
        raise ValueError(f"{name!r} is not a Ledger method")

    return refuse


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.payments.worker", description=__doc__)
    parser.add_argument("database", type=Path)
    parser.add_argument("--admin-ids", default="")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    admin_ids = frozenset(int(part) for part in args.admin_ids.split(",") if part.strip())
    # Ctrl-C and systemd's SIGTERM reach the whole process group. The bot stops its listener,
    # then closes this worker's input: the worker ends at that EOF, with nothing half done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The answers get their own descriptor; stdout itself now points at stderr, so a stray
    # print can only ever reach the log, never corrupt a frame.
    answers = os.dup(1)
    os.dup2(2, 1)
    try:
        serve(args.database, admin_ids, 0, answers)
    except Exception:
        logger.exception("payment worker stopped")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
