"""The HTTP face of the bot: Midtrans notifications, Telegram's webhook, and a health check.

It runs in the bot's own event loop (uvicorn serving this app next to the PTB Application). A
notification is parsed and verified here, and its transaction runs in the payment worker (or
the bot's own database thread): the answer to Midtrans waits for the commit. Notification POSTs
take a short, framework-free path (``NotificationEndpoint``); the rest is a Starlette app.
Bodies are read in chunks and refused as soon as they pass the limit, before they are parsed.
One log line per refused request says why, never with the body or a secret.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.config import Settings
from bot.health import HealthCheck
from bot.payments.service import PaymentService
from bot.rules.clock import Clock, utc_now
from storage import Store

logger = logging.getLogger(__name__)

NOTIFICATION_LIMIT = 64 * 1024
UPDATE_LIMIT = 1024 * 1024  # Telegram updates are far smaller; this only bounds abuse
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def create_web_app(
    *,
    payments: PaymentService,
    store: Store,
    settings: Settings,
    telegram_updates: Callable[[dict[str, Any]], Awaitable[None]] | None,
    is_running: Callable[[], bool],
    health: HealthCheck | None = None,
    clock: Clock = utc_now,
) -> ASGIApp:
    """The listener's routes. ``telegram_updates`` is None in polling mode (route answers 404).
    ``health`` answers /healthz; by default it checks the bot, the database and the outbox."""
    if health is None:
        health = HealthCheck(store, settings, is_running=is_running, clock=clock)
    body_timeout = settings.request_timeout.total_seconds()
    notification = NotificationEndpoint(payments, body_timeout=body_timeout)

    async def telegram(request: Request) -> Response:
        if telegram_updates is None:
            return _answer(404, "not_found")
        if not secret_token_matches(request.scope, settings.telegram_webhook_secret.get()):
            _refused(request, 403, "wrong or missing secret token")
            return _answer(403, "forbidden")
        update = await read_update(request.scope, request.receive, body_timeout)
        if isinstance(update, Refused):
            return _answer(update.status, update.detail)
        try:
            await telegram_updates(update)
        except Exception:
            logger.exception("could not queue a Telegram update")
            return _answer(500, "not_queued")
        return _answer(200, "ok")

    async def healthz(request: Request) -> Response:
        report = await health.check()
        if not report.ok:
            logger.warning("health: %s", "; ".join(report.body["reasons"]))
        return JSONResponse(report.body, status_code=200 if report.ok else 503)

    app = Starlette(
        routes=[
            Route(settings.notification_path, notification, methods=["POST"]),
            Route(settings.telegram_webhook_path, telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    return NotificationsFirst(app, notification, settings.notification_path)


@dataclass(frozen=True)
class Refused:
    """A request refused before it reached the bot (its log line already written)."""

    status: int
    detail: str


def secret_token_matches(scope: Scope, expected: str) -> bool:
    """Telegram's ``X-Telegram-Bot-Api-Secret-Token`` equals ``expected`` (never when empty);
    compare_digest takes the same time for any wrong value of the same length."""
    given = _header(scope, SECRET_HEADER.encode()).encode("latin-1")
    return bool(expected) and hmac.compare_digest(given, expected.encode())


async def read_update(
    scope: Scope, receive: Receive, body_timeout: float
) -> dict[str, Any] | Refused:
    """A Telegram update from the request body within ``UPDATE_LIMIT`` and ``body_timeout``;
    Refused (logged) when it is too large, too slow, gone, or not a JSON object."""
    try:
        body = await _read_limited(scope, receive, UPDATE_LIMIT, body_timeout)
    except _TooLarge:
        log_refused(scope, 413, "update over 1 MiB")
        return Refused(413, "too_large")
    except _TooSlow:
        log_refused(scope, 408, "body not received in time")
        return Refused(408, "timeout")
    except ClientDisconnect:
        return Refused(400, "disconnected")
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        update = None
    if not isinstance(update, dict):
        log_refused(scope, 400, "update is not a JSON object")
        return Refused(400, "malformed")
    return update


class NotificationEndpoint:
    """``POST`` of a Midtrans notification, as a plain ASGI app (no Request or Response objects).

    Under a burst this is the one hot path of the listener: bench/notifications measured the
    bot's CPU per notification at 215-306 us through a Starlette endpoint and 171-219 us like
    this (bench/README.md). Same answers either way: 413 over 64 KiB (from Content-Length or as
    soon as the body passes it), otherwise what ``PaymentService.handle_notification`` decides.
    """

    def __init__(self, payments: PaymentService, *, body_timeout: float = 10.0) -> None:
        self._payments = payments
        self._body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_limited(scope, receive, NOTIFICATION_LIMIT, self._body_timeout)
        except _TooLarge:
            log_refused(scope, 413, "body over 64 KiB")
            await send_answer(send, 413, "too_large")
            return
        except _TooSlow:
            log_refused(scope, 408, "body not received in time")
            await send_answer(send, 408, "timeout")
            return
        except ClientDisconnect:
            return  # Midtrans gave up on this one; it sends it again
        result = await self._payments.handle_notification(body)
        if result.status >= 300:
            log_refused(scope, result.status, result.detail)
        await send_answer(send, result.status, result.detail)


class NotificationsFirst:
    """The app uvicorn serves: notification POSTs go straight to their endpoint, everything else
    through Starlette (which routes the notification path to the same endpoint as well, so a
    GET there gets its 405 as before)."""

    def __init__(self, app: ASGIApp, notification: ASGIApp, path: str) -> None:
        self._app = app
        self._notification = notification
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self._path:
            await self._notification(scope, receive, send)
        else:
            await self._app(scope, receive, send)


async def _read_limited(scope: Scope, receive: Receive, limit: int, deadline: float) -> bytes:
    """The body; _TooLarge as soon as it is known to pass ``limit`` (from Content-Length or
    while reading), _TooSlow if it has not all arrived within ``deadline`` seconds (a sender
    trickling a byte now and then would otherwise hold the connection for ever),
    ClientDisconnect if the sender went away."""
    declared = _header(scope, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    try:
        async with asyncio.timeout(deadline):
            return await _read_body(receive, limit)
    except TimeoutError:
        raise _TooSlow from None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


@functools.lru_cache(maxsize=64)
def _answer_body(status: int, detail: str) -> bytes:
    return json.dumps({"ok": 200 <= status < 300, "detail": detail}).encode()


async def send_answer(send: Send, status: int, detail: str) -> None:
    body = _answer_body(status, str(detail))
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def log_refused(scope: Scope, status: int, why: str) -> None:
    client = scope.get("client")
    host = client[0] if client else "-"
    logger.info("refused %s %s from %s: %d %s", scope["method"], scope["path"], host, status, why)


def _answer(status: int, detail: str) -> Response:
    # Only a few dozen (status, detail) pairs exist; their bodies are made once.
    body = _answer_body(status, str(detail))
    return Response(body, status_code=status, media_type="application/json")


def _refused(request: Request, status: int, why: str) -> None:
    log_refused(request.scope, status, why)
