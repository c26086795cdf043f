"""The platform's edge: the HTTP face of every hosted shop, stateless (run as many as needed).

``POST /tg/{shop_key}``: the shop's webhook. Unknown (or deleted) shop: 404. A wrong or missing
``X-Telegram-Bot-Api-Secret-Token``: 401. Otherwise the update goes into the shop's inbox (its
``update_id`` is the key, so Telegram's retries are absorbed) and the answer is 200 once that
is committed; the worker serving the shop handles it. A paused or suspended shop's updates are
answered 200 and dropped: its bot is off.

``POST /midtrans/{shop_key}/notification``: verified with that shop's server key, confirmed and
applied by the single-shop PaymentService and ledger on the shop's view of the store, within the
notification deadline; 200 only after the commit. A notification of shop A posted to B's path
fails B's signature check (401). The ledger's pushes go to the shop's outbox, which its worker
sends. ``GET /healthz``: the database answers.

Body limits, parsing, the secret check and the answers are the single-shop listener's
(``bot.listener``). Nothing here logs a body, a secret or a shop key (log lines name the shop by
its id).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import Receive, Scope, Send

from bot.listener import (
    NotificationEndpoint,
    Refused,
    log_refused,
    read_update,
    secret_token_matches,
    send_answer,
)
from bot.platform.hosting import PaymentsCache
from bot.platform.shops import HostedShop, ShopDirectory
from bot.rules.clock import Clock, utc_now
from storage.postgres import PostgresStore
from storage.tx import Tx

logger = logging.getLogger(__name__)


class EdgeApp:
    """The edge as a plain ASGI app (uvicorn serves it; lifespan off)."""

    def __init__(
        self,
        store: PostgresStore,
        directory: ShopDirectory,
        payments: PaymentsCache,
        *,
        body_timeout: float = 10.0,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._directory = directory
        self._payments = payments
        self._body_timeout = body_timeout
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        parts = scope["path"].strip("/").split("/")
        method = scope["method"]
        if len(parts) == 2 and parts[0] == "tg":
            route = self._telegram
        elif len(parts) == 3 and parts[0] == "midtrans" and parts[2] == "notification":
            route = self._notification
        elif parts == ["healthz"] and method == "GET":
            ok = await self._store.ping()
            await send_answer(send, 200 if ok else 503, "ok" if ok else "database")
            return
        else:
            await send_answer(send, 404, "not_found")
            return
        if method != "POST":
            await send_answer(send, 405, "method_not_allowed")
            return
        shop = await self._directory.by_key(parts[1]) if parts[1] else None
        if shop is None:
            log_refused(_without_key(scope, parts, "unknown shop"), 404, "no such shop")
            await send_answer(send, 404, "not_found")
            return
        await route(shop, _without_key(scope, parts, f"shop {shop.id}"), receive, send)

    async def _telegram(self, shop: HostedShop, scope: Scope, receive: Receive, send: Send) -> None:
        if not secret_token_matches(scope, shop.webhook_secret):
            log_refused(scope, 401, "wrong or missing secret token")
            await send_answer(send, 401, "unauthorized")
            return
        update = await read_update(scope, receive, self._body_timeout)
        if isinstance(update, Refused):
            await send_answer(send, update.status, update.detail)
            return
        update_id = update.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log_refused(scope, 400, "update without an update_id")
            await send_answer(send, 400, "malformed")
            return
        if not shop.active:
            await send_answer(send, 200, "ok")  # the shop is paused or suspended: bot off
            return
        await self._store.for_shop(shop.id).run(
            Tx.inbox_add, update_id, _compact(update), self._clock()
        )
        await send_answer(send, 200, "ok")

    async def _notification(
        self, shop: HostedShop, scope: Scope, receive: Receive, send: Send
    ) -> None:
        entry = await self._payments.for_shop(shop)
        endpoint = NotificationEndpoint(entry.payments, body_timeout=self._body_timeout)
        await endpoint(scope, receive, send)


def _without_key(scope: Scope, parts: list[str], name: str) -> Scope:
    """The request as log lines show it: the shop key (a routing secret) replaced by a name."""
    shown = "/".join(f"<{name}>" if i == 1 else part for i, part in enumerate(parts))
    return {**scope, "path": "/" + shown}


def _compact(update: dict[str, Any]) -> str:
    return json.dumps(update, separators=(",", ":"), ensure_ascii=False)
