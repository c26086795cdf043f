"""Limits that keep the web listener answering when connections are slow, idle or too many.

uvicorn on its own keeps a connection that sends half a request (headers or body, a byte now and
then) open for ever, accepts every connection it is offered, and only refuses requests (503) once
they arrive; about 1,000 such connections use up the default 1,024 file descriptors, and then the
database, Telegram polling and the outbox fail too. So, per connection:

- a request's head (method, path, headers) must arrive in full within ``request_timeout`` of the
  connection being ready for it (new, or its previous answer sent): else 408 and closed;
- its body must too (``bot.listener`` reads it under the same deadline, and answers 408);
- a connection whose request body was not read to the end is closed after its answer;
- a connection beyond ``max_connections`` is answered 503 at once and closed;

and per process: the soft descriptor limit is raised to the hard one, and ``max_connections``
leaves ``DESCRIPTOR_RESERVE`` descriptors free for the database, the payment worker, Telegram
and Midtrans clients.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import time
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

DESCRIPTOR_RESERVE = 512
"""Descriptors kept free of the listener: Telegram's send pool (up to 256 connections), polling,
Midtrans, the database and WAL files, the payment worker's pipes, logs, with room to spare."""

_REFUSED = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
_WARN_EVERY = 60.0  # seconds between two "too many connections" warnings


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    request_timeout: float  # seconds for a request's head, and again for its body
    keep_alive: float = 5.0  # seconds an idle connection is kept between two requests


def raise_descriptor_limit() -> int:
    """Lift this process's soft limit on open files to its hard limit; the soft limit now.

    systemd's default soft limit is 1,024 (the hard one 524,288): a listener under a flood of
    slow connections needs more, and nothing is gained by stopping short of the hard limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def descriptors_in_use() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # not Linux: assume a modest start-up
        return 64


def plan_max_connections(wanted: int, soft_limit: int, in_use: int) -> int:
    """At most ``wanted`` connections, leaving DESCRIPTOR_RESERVE descriptors to the rest of
    the bot; at least 1, so the listener still answers (a limit that low is logged)."""
    if soft_limit == resource.RLIM_INFINITY or soft_limit < 0:
        return wanted
    return max(1, min(wanted, soft_limit - in_use - DESCRIPTOR_RESERVE))


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with ``limits`` applied: pass it as ``uvicorn.Config(http=...)``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})


class GuardedH11Protocol(H11Protocol):
    """One connection of the listener (see the module docstring for the rules)."""

    limits: ConnectionLimits
    _last_warning = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > self.limits.max_connections:
            self._warn_full()
            transport.write(_REFUSED)
            transport.close()
            return
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's head arrived: the app has it now
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is not h11.DONE and self.conn.their_state is not h11.IDLE:
            # The answer went out before the body was read (a refusal, a 404): whatever else
            # the client sends on this connection is of no use.
            self.transport.close()
            return
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.request_timeout, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            if self.conn.their_state is not h11.IDLE or self.cycle is None:
                self.transport.write(_TIMED_OUT)
            self.transport.close()

    def _warn_full(self) -> None:
        now = time.monotonic()
        if now - GuardedH11Protocol._last_warning >= _WARN_EVERY:
            GuardedH11Protocol._last_warning = now
            logger.warning(
                "listener: %d connections open, refusing more (LISTEN_MAX_CONNECTIONS)",
                self.limits.max_connections,
            )
