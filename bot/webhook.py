"""The HTTP face of the bot: Midtrans notifications, Telegram's webhook, and a health check.

It runs in the bot's own event loop (uvicorn serving this Starlette app next to the PTB
Application), so a notification is stored and its pushes queued without leaving the process.
Bodies are read in chunks and refused as soon as they pass the limit, before they are parsed.
One log line per refused request says why, never with the body or a secret.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import Settings
from bot.payments import PaymentService
from storage import Store

logger = logging.getLogger(__name__)

NOTIFICATION_LIMIT = 64 * 1024
UPDATE_LIMIT = 1024 * 1024  # Telegram updates are far smaller; this only bounds abuse
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


class _TooLarge(Exception):
    pass


def create_web_app(
    *,
    payments: PaymentService,
    store: Store,
    settings: Settings,
    telegram_updates: Callable[[dict[str, Any]], Awaitable[None]] | None,
    is_running: Callable[[], bool],
) -> Starlette:
    """The listener's routes. ``telegram_updates`` is None in polling mode (route answers 404)."""

    async def notification(request: Request) -> Response:
        try:
            body = await _read_limited(request, NOTIFICATION_LIMIT)
        except _TooLarge:
            _refused(request, 413, "body over 64 KiB")
            return _answer(413, "too_large")
        except ClientDisconnect:
            return Response(status_code=400)
        result = await payments.handle_notification(body)
        if result.status >= 300:
            _refused(request, result.status, result.detail)
        return _answer(result.status, result.detail)

    async def telegram(request: Request) -> Response:
        if telegram_updates is None:
            return _answer(404, "not_found")
        expected = settings.telegram_webhook_secret.get().encode()
        given = request.headers.get(SECRET_HEADER, "").encode()
        # compare_digest takes the same time for any wrong value of the same length.
        if not expected or not hmac.compare_digest(given, expected):
            _refused(request, 403, "wrong or missing secret token")
            return _answer(403, "forbidden")
        try:
            body = await _read_limited(request, UPDATE_LIMIT)
        except _TooLarge:
            _refused(request, 413, "update over 1 MiB")
            return _answer(413, "too_large")
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            update = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            update = None
        if not isinstance(update, dict):
            _refused(request, 400, "update is not a JSON object")
            return _answer(400, "malformed")
        try:
            await telegram_updates(update)
        except Exception:
            logger.exception("could not queue a Telegram update")
            return _answer(500, "not_queued")
        return _answer(200, "ok")

    async def healthz(request: Request) -> Response:
        database = await store.ping()
        bot = bool(is_running())
        ok = database and bot
        return JSONResponse(
            {"ok": ok, "database": database, "bot": bot}, status_code=200 if ok else 503
        )

    return Starlette(
        routes=[
            Route(settings.notification_path, notification, methods=["POST"]),
            Route(settings.telegram_webhook_path, telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, or _TooLarge as soon as it is known to pass ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@functools.lru_cache(maxsize=64)
def _answer_body(status: int, detail: str) -> bytes:
    return json.dumps({"ok": 200 <= status < 300, "detail": detail}).encode()


def _answer(status: int, detail: str) -> Response:
    # Only a few dozen (status, detail) pairs exist; their bodies are made once.
    body = _answer_body(status, str(detail))
    return Response(body, status_code=status, media_type="application/json")


def _refused(request: Request, status: int, why: str) -> None:
    client = request.client.host if request.client else "-"
    logger.info(
        "refused %s %s from %s: %d %s", request.method, request.url.path, client, status, why
    )
