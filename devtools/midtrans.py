"""A local stand-in for the Midtrans Core API, for the Indomaret flow only.

It answers charge, Get Status, cancel and expire the way Midtrans does, unkind parts included:
error codes in the JSON body under HTTP 200 (406 on charge, 412 on cancel), 407 from Get Status
after expiry, a "pending" notification sent right after each charge (so it may arrive before the
charge answer is handled), order ids usable again after cancel or expire, no ``fraud_status``
in Indomaret notifications, and the documented checks on email, item ids and names, integer
amounts and ``order_time``. Control endpoints under /_sandbox play the customer and the cashier:
settle, expire, deny (a reversal), cancel, or re-send pending, each followed by a correctly
signed notification. Injected faults (slow answers, 429, 402, 410, 411, 413, 5xx, optionally
after the charge was created) let tests and demos reproduce what real Midtrans does on a bad
day; notifications can be switched off, and failed ones retried on Midtrans' schedule, scaled.

Many merchants (platform mode): ``add_merchant(server_key)`` serves another merchant on the same
server, found by the key in HTTP Basic, with its own order ids; ``environment="sandbox"`` or
``"production"`` keeps keys to that environment's prefix (a key of the other one answers 401).
One key, any format, stays the default.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import hmac
import json
import logging
import re
import secrets
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.payments.midtrans import WIB, notification_signature

logger = logging.getLogger(__name__)

STORES = ("indomaret", "alfamart")
INDOMARET_RANGE = (10_000, 5_000_000)
_ORDER_ID = re.compile(r"[A-Za-z0-9\-_~.]{1,50}")
_UNITS = {"second": 1, "minute": 60, "hour": 3_600, "day": 86_400}
_EXPIRY_RANGE = (timedelta(seconds=20), timedelta(days=180))
# Notification status_code for each transaction_status.
_STATE_CODES = {
    "pending": "201",
    "settlement": "200",
    "expire": "202",
    "deny": "202",
    "cancel": "202",
}
# Get Status answers differ: an expired transaction answers 407, a cancelled one 200.
_STATUS_CODES = {**_STATE_CODES, "expire": "407", "cancel": "200"}
# Statuses after which the order id may be charged again.
_REUSABLE = frozenset({"cancel", "expire"})
# Midtrans' retry schedule for a notification that did not get a 2xx (seconds after the first).
RETRY_SCHEDULE = (120.0, 600.0, 1_800.0, 5_400.0, 12_600.0)
# Customer email as Midtrans validates it for Indomaret (its documented pattern; lower case).
_EMAIL_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_EMAIL = re.compile(
    rf"^$|^{_EMAIL_ATOM}+(\.{_EMAIL_ATOM}+)*@({_EMAIL_ATOM}+(\.{_EMAIL_ATOM}+)+"
    r"|\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])$"
)
_ORDER_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}")
ITEM_ID_MAX = 50
ITEM_NAME_MAX = 50
MAX_OVERRIDE_URLS = 2
# Messages of the error codes a fault can inject (the body carries the code).
FAULT_MESSAGES = {
    "402": "Payment channel is not activated.",
    "410": "Merchant account is deactivated. Please contact Midtrans support.",
    "411": "Token id is missing, invalid, or timed out.",
    "413": "The request cannot be processed due to syntax error in the request body.",
    "429": "Too many requests, please try again later.",
}


def retries_for(status: int | None) -> int:
    """How many times Midtrans retries a notification answered with ``status`` (None: no
    answer at all, a timeout or a refused connection)."""
    if status is None:
        return 5
    if 200 <= status < 300 or 301 <= status <= 303:
        return 0
    if status == 500:
        return 1
    if status == 503:
        return 4
    if status in (400, 404):
        return 2
    return 5


# action -> (new transaction_status, statuses it may be applied to)
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "settle": ("settlement", frozenset({"pending", "settlement"})),
    "expire": ("expire", frozenset({"pending", "expire"})),
    "cancel": ("cancel", frozenset({"pending", "cancel"})),
    "deny": ("deny", frozenset({"pending", "settlement", "deny"})),
    "pending": ("pending", frozenset({"pending"})),
}

UNAUTHORIZED = {
    "status_code": "401",
    "status_message": "Access denied due to unauthorized transaction, "
    "please check client or server key",
    "id": "",
}
INVALID = "One or more parameters in the payload is invalid."
DUPLICATE = (
    "The request could not be completed due to a conflict with the current state of the "
    "target resource, please try again"
)
NOT_FOUND = {"status_code": "404", "status_message": "Transaction doesn't exist."}
LOCKED = {"status_code": "412", "status_message": "Transaction status cannot be updated."}


def _wib(dt: datetime) -> str:
    return dt.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S")


def _amount_text(amount: int) -> str:
    return f"{amount}.00"


def _whole(value: object) -> int | None:
    """A JSON integer, else None: Midtrans wants IDR amounts without decimals (not 25000.0)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


@dataclass
class SandboxTransaction:
    order_id: str
    transaction_id: str
    gross_amount: int
    store: str
    payment_code: str
    transaction_time: datetime
    expiry_time: datetime
    notification_url: str | None
    transaction_status: str = "pending"
    extra_notification_url: str | None = None  # the second X-Override-Notification URL
    settlement_time: datetime | None = None
    approval_code: str | None = None


@dataclass
class Fault:
    """The next `times` API requests matching `paths` are delayed and/or fail.

    With `create_before_failing` the request is carried out first (the charge exists) and the
    slow or failed answer comes after. `paths` are fnmatch patterns; empty means every API path.
    `fail_status` is the Midtrans code in the body; the HTTP status is `http_status`, by default
    the code itself for 5xx and 429, and 200 for the other 4xx codes, as Midtrans answers them.
    """

    delay_seconds: float = 0.0
    fail_status: int | None = None
    times: int = 1
    create_before_failing: bool = False
    paths: tuple[str, ...] = ()
    http_status: int | None = None

    @property
    def answer_status(self) -> int:
        code = self.fail_status or 200
        if self.http_status is not None:
            return self.http_status
        return code if code >= 500 or code in (401, 429) else 200

    def matches(self, path: str) -> bool:
        return self.times > 0 and (
            not self.paths or any(fnmatch.fnmatchcase(path, p) for p in self.paths)
        )


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic seconds)


@dataclass(frozen=True)
class Delivery:
    """One notification the sandbox sent (or would have sent, when `url` is None)."""

    delivered: bool
    status: int | None
    notification: dict[str, Any]
    url: str | None = None
    attempt: int = 0  # 0 the first sending, 1.. Midtrans' retries
    seconds: float = 0.0  # how long the receiver took to answer

    def as_json(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "status": self.status,
            "notification": self.notification,
        }


@dataclass
class _Answer:
    status: int
    body: dict[str, Any]
    notify: str | None = None  # order id whose notification goes out after the answer


class SandboxError(Exception):
    """A control request the sandbox cannot carry out."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MidtransSandbox:
    """State and ASGI app of one sandbox. Tests read `transactions` and `charge_requests`."""

    def __init__(
        self,
        server_key: str,
        notification_url: str | None = None,
        *,
        payment_code_digits: int = 14,
        merchant_id: str = "G000000000",
        active_stores: tuple[str, ...] = STORES,
        notification_timeout: float = 15.0,
        notification_retry_scale: float | None = None,
        pending_notification: bool = True,
        environment: str | None = None,
    ) -> None:
        """``notification_retry_scale`` turns on Midtrans' retries of failed notifications, on
        its schedule times the scale (1.0 is real time: 2 min, 10 min...; 0.001 makes the first
        retry come after 0.12 s). Off by default: without retries the bot must cope alone.
        ``pending_notification`` sends "pending" right after each charge, as Midtrans does.
        ``environment`` ("sandbox" or "production") makes the keys strict as Midtrans' two
        environments are: keys must carry that environment's prefix, and a key of the other
        one answers 401; None (the default) takes any key. ``add_merchant`` adds merchants."""
        if not server_key:
            raise ValueError("the sandbox needs a server key")
        if environment is not None:
            if environment not in KEY_PREFIXES:
                raise ValueError(f"environment must be one of {sorted(KEY_PREFIXES)}")
            if key_environment(server_key) != environment:
                raise ValueError(
                    f"a {environment} server key starts with {KEY_PREFIXES[environment]}"
                )
        self.environment = environment
        self._merchants: dict[str, MidtransSandbox] = {server_key: self}
        if not 6 <= payment_code_digits <= 30:
            raise ValueError("payment_code_digits must be between 6 and 30")
        self.server_key = server_key
        self.notification_url = notification_url
        self.payment_code_digits = payment_code_digits
        self.merchant_id = merchant_id
        self.active_stores = tuple(s.lower() for s in active_stores)
        self.notification_timeout = notification_timeout
        self.notification_retry_scale = notification_retry_scale
        self.pending_notification = pending_notification
        self.notifications_enabled = True
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tls_context: ssl.SSLContext | None = None
        self.transactions: dict[str, SandboxTransaction] = {}
        self.charge_requests: list[Any] = []
        self.requests: list[RecordedRequest] = []
        self.slow_answers = 0  # answers given late by a fault with a delay
        self._slow_answered = asyncio.Condition()
        self.deliveries: list[Delivery] = []
        self.faults: list[Fault] = []
        self._codes: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/v2/charge", self._charge_route, methods=["POST"]),
                Route("/v2/{order_id}/status", self._status_route, methods=["GET"]),
                Route("/v2/{order_id}/cancel", self._cancel_route, methods=["POST"]),
                Route("/v2/{order_id}/expire", self._expire_route, methods=["POST"]),
                Route("/_sandbox/transactions", self._list_route, methods=["GET"]),
                Route(
                    "/_sandbox/transactions/{order_id}/{action}",
                    self._control_route,
                    methods=["POST"],
                ),
                Route("/_sandbox/faults", self._faults_route, methods=["POST", "DELETE"]),
                Route("/_sandbox/notifications", self._notifications_route, methods=["POST"]),
            ]
        )

    # -- merchants ------------------------------------------------------------------------------

    def add_merchant(self, server_key: str, *, merchant_id: str | None = None) -> MidtransSandbox:
        """Another merchant on the same server, as Midtrans hosts many: requests authenticated
        with ``server_key`` are this merchant's (its own order ids, transactions, faults and
        notifications); the returned sandbox is its control API."""
        if server_key in self._merchants:
            raise ValueError("that server key already belongs to a merchant of this sandbox")
        merchant = MidtransSandbox(
            server_key,
            payment_code_digits=self.payment_code_digits,
            merchant_id=merchant_id or f"G{len(self._merchants):09d}",
            active_stores=self.active_stores,
            notification_timeout=self.notification_timeout,
            notification_retry_scale=self.notification_retry_scale,
            pending_notification=self.pending_notification,
            environment=self.environment,
        )
        merchant._merchants = self._merchants
        self._merchants[server_key] = merchant
        return merchant

    @property
    def merchants(self) -> list[MidtransSandbox]:
        """Every merchant this sandbox answers for, the first one first."""
        return list(self._merchants.values())

    # -- Python control API ---------------------------------------------------------------------

    async def slow_answers_given(self, count: int, within: float = 10.0) -> None:
        """Wait until ``count`` answers delayed by a fault have gone out: a test then knows the
        late answer reached (or was dropped by) the bot, without sleeping through the delay."""
        async with self._slow_answered:
            predicate = lambda: self.slow_answers >= count  # noqa: E731
            await asyncio.wait_for(self._slow_answered.wait_for(predicate), within)

    def add_fault(
        self,
        *,
        delay_seconds: float = 0.0,
        fail_status: int | None = None,
        times: int = 1,
        create_before_failing: bool = False,
        paths: tuple[str, ...] | list[str] = (),
        http_status: int | None = None,
    ) -> Fault:
        if delay_seconds < 0 or times < 1:
            raise ValueError("delay_seconds must be >= 0 and times >= 1")
        for status in (fail_status, http_status):
            if status is not None and not 100 <= status <= 599:
                raise ValueError("fail_status and http_status must be HTTP statuses")
        fault = Fault(
            delay_seconds, fail_status, times, create_before_failing, tuple(paths), http_status
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def find(self, order_id: str) -> SandboxTransaction | None:
        """By order id, or by transaction id as Midtrans also allows."""
        tx = self.transactions.get(order_id)
        if tx is None:
            tx = next((t for t in self.transactions.values() if t.transaction_id == order_id), None)
        return tx

    def add_charge(
        self,
        order_id: str,
        transaction_id: str,
        gross_amount: int,
        payment_code: str,
        *,
        created: datetime,
        expires: datetime,
        status: str = "pending",
    ) -> SandboxTransaction:
        """Know an Indomaret charge made elsewhere (benchmarks and tests seed orders in bulk
        rather than charging each one over HTTP); settled ones settled at ``created``."""
        created, expires = created.replace(microsecond=0), expires.replace(microsecond=0)
        tx = SandboxTransaction(
            order_id=order_id,
            transaction_id=transaction_id,
            gross_amount=gross_amount,
            store="indomaret",
            payment_code=payment_code,
            transaction_time=created,
            expiry_time=expires,
            notification_url=None,
            transaction_status=status,
            settlement_time=created if status == "settlement" else None,
        )
        self.transactions[order_id] = tx
        return tx

    def notification_for(
        self, order_id: str, transaction_status: str | None = None
    ) -> dict[str, Any]:
        """The signed notification for the transaction's state (or for `transaction_status`)."""
        tx = self._get(order_id)
        body = self._fields(tx, transaction_status or tx.transaction_status)
        body["status_message"] = "midtrans payment notification"
        return body

    async def trigger(self, order_id: str, action: str, *, notify: bool = True) -> Delivery:
        """Move the transaction as a cashier or Midtrans would, then notify (unless told not)."""
        if action not in ACTIONS:
            raise SandboxError(400, f"unknown action {action!r}; use one of {sorted(ACTIONS)}")
        tx = self._get(order_id)
        new_status, allowed_from = ACTIONS[action]
        if tx.transaction_status not in allowed_from:
            raise SandboxError(
                409, f"cannot {action} a transaction whose status is {tx.transaction_status}"
            )
        tx.transaction_status = new_status
        if new_status == "settlement" and tx.settlement_time is None:
            tx.settlement_time = datetime.now(WIB).replace(microsecond=0)
            tx.approval_code = "".join(secrets.choice("0123456789") for _ in range(20))
        if not notify:
            return Delivery(False, None, self.notification_for(order_id))
        return await self.notify(order_id)

    def set_notifications(self, enabled: bool) -> None:
        """Switch notifications off (a bot without a public URL never hears any) or on."""
        self.notifications_enabled = enabled

    async def notify(self, order_id: str, transaction_status: str | None = None) -> Delivery:
        """POST the current-state notification to the transaction's notification URL (and the
        second override URL, when the charge named one). Retried on Midtrans' schedule when
        retries are on; nothing is sent while notifications are switched off."""
        tx = self._get(order_id)
        body = self.notification_for(order_id, transaction_status)
        url = tx.notification_url if self.notifications_enabled else None
        if url is not None and tx.extra_notification_url:
            self._spawn(self._deliver(tx.extra_notification_url, body, 0))
        return await self._deliver(url, body, 0)

    async def _deliver(self, url: str | None, body: dict[str, Any], attempt: int) -> Delivery:
        status: int | None = None
        sent = False
        started = time.monotonic()
        if url is not None:
            sent = True
            try:
                async with httpx.AsyncClient(
                    timeout=self.notification_timeout, verify=self._tls()
                ) as client:
                    started = time.monotonic()
                    response = await client.post(url, json=body)
                status = response.status_code
            except httpx.HTTPError as exc:
                logger.warning("notification for %s to %s failed: %r", body["order_id"], url, exc)
        ok = status is not None and 200 <= status < 300
        delivery = Delivery(ok, status, body, url, attempt, time.monotonic() - started)
        self.deliveries.append(delivery)
        if sent and self.notification_retry_scale is not None and attempt < retries_for(status):
            self._spawn(self._retry(url, body, attempt + 1))
        return delivery

    async def _retry(self, url: str | None, body: dict[str, Any], attempt: int) -> None:
        assert self.notification_retry_scale is not None
        wait = RETRY_SCHEDULE[attempt - 1] - (RETRY_SCHEDULE[attempt - 2] if attempt > 1 else 0)
        await asyncio.sleep(wait * self.notification_retry_scale)
        await self._deliver(url, body, attempt)

    def _tls(self) -> ssl.SSLContext:
        """One TLS context for every notification: building one per client costs ~30 ms of
        CPU, which a burst of notifications would otherwise spend inside this event loop."""
        if self._tls_context is None:
            self._tls_context = ssl.create_default_context()
        return self._tls_context

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Cancel notifications still waiting for their retry or in flight."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- Midtrans API ---------------------------------------------------------------------------

    async def _charge_route(self, request: Request) -> Response:
        return await self._route(request, MidtransSandbox._charge)

    async def _status_route(self, request: Request) -> Response:
        return await self._route(request, MidtransSandbox._status)

    async def _cancel_route(self, request: Request) -> Response:
        return await self._route(request, MidtransSandbox._cancel)

    async def _expire_route(self, request: Request) -> Response:
        return await self._route(request, MidtransSandbox._expire)

    async def _route(
        self,
        request: Request,
        handler: Callable[[MidtransSandbox, Request, bytes], Awaitable[_Answer]],
    ) -> Response:
        """Find the merchant by the key in HTTP Basic; an unknown key, or one of the other
        environment, is refused with 401 (recorded with the first merchant)."""
        merchant = self._merchant_for(request)
        if merchant is None:
            raw = await request.body()
            self.requests.append(
                RecordedRequest(request.method, request.url.path, dict(request.headers), raw)
            )
            return JSONResponse(UNAUTHORIZED, status_code=401)
        return await merchant._api(request, lambda req, raw: handler(merchant, req, raw))

    def _merchant_for(self, request: Request) -> MidtransSandbox | None:
        key = _basic_user(request)
        if key is None:
            return None
        if self.environment is not None and key_environment(key) != self.environment:
            return None
        merchant = self._merchants.get(key)
        if merchant is None or not hmac.compare_digest(key.encode(), merchant.server_key.encode()):
            return None
        return merchant

    async def _api(
        self, request: Request, handler: Callable[[Request, bytes], Awaitable[_Answer]]
    ) -> Response:
        raw = await request.body()
        path = request.url.path
        self.requests.append(RecordedRequest(request.method, path, dict(request.headers), raw))
        fault = next((f for f in self.faults if f.matches(path)), None)
        if fault is None:
            return self._respond(await handler(request, raw))
        fault.times -= 1
        answer: _Answer | None = None
        if fault.create_before_failing:
            answer = await handler(request, raw)
        await asyncio.sleep(fault.delay_seconds)
        if fault.delay_seconds:
            async with self._slow_answered:
                self.slow_answers += 1
                self._slow_answered.notify_all()
        if fault.fail_status is not None:
            code = fault.fail_status
            message = (
                "Sorry, we encountered internal server error. We will fix this soon."
                if code >= 500
                else FAULT_MESSAGES.get(str(code), "Sandbox injected fault")
            )
            failed = {"status_code": str(code), "status_message": message, "id": str(uuid.uuid4())}
            # What was carried out still notifies, as Midtrans would.
            notify = answer.notify if answer else None
            return self._respond(_Answer(fault.answer_status, failed, notify))
        if answer is None:
            answer = await handler(request, raw)
        return self._respond(answer)

    def _respond(self, answer: _Answer) -> Response:
        task = BackgroundTask(self.notify, answer.notify) if answer.notify else None
        return JSONResponse(answer.body, answer.status, background=task)

    async def _charge(self, request: Request, raw: bytes) -> _Answer:
        try:
            body = json.loads(raw)
        except ValueError:
            self.charge_requests.append(raw.decode("utf-8", "replace"))
            return _invalid(["Request body is not valid JSON"])
        self.charge_requests.append(body)
        if not isinstance(body, dict):
            return _invalid(["Request body must be a JSON object"])
        errors: list[str] = []
        if body.get("payment_type") is None:
            errors.append("payment_type is required")
        elif body.get("payment_type") != "cstore":
            errors.append("payment_type is not supported by this sandbox (only cstore)")
        details = body.get("transaction_details")
        details = details if isinstance(details, dict) else {}
        order_id = details.get("order_id")
        if order_id in (None, ""):
            errors.append("transaction_details.order_id is required")
        elif not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
            errors.append(
                "transaction_details.order_id must be 1-50 letters, digits, '-', '_', '~', '.'"
            )
        amount = _whole(details.get("gross_amount"))
        if details.get("gross_amount") is None:
            errors.append("transaction_details.gross_amount is required")
        elif amount is None:
            errors.append("transaction_details.gross_amount must be an integer without decimals")
        cstore = body.get("cstore")
        cstore = cstore if isinstance(cstore, dict) else {}
        store = cstore.get("store")
        if not isinstance(store, str) or not store:
            errors.append("cstore.store is required")
            store = ""
        elif store.lower() not in STORES:
            errors.append("cstore.store must be one of: indomaret, alfamart")
        message = cstore.get("message")
        if message is not None and (not isinstance(message, str) or len(message) > 20):
            errors.append("cstore.message must be a string of at most 20 characters")
        item_sum = _check_items(body.get("item_details"), errors)
        expiry = _check_expiry(body.get("custom_expiry"), errors)
        _check_customer(body.get("customer_details"), errors)
        header = request.headers.get("x-override-notification", "")
        overrides = [u.strip() for u in header.split(",") if u.strip()]
        if len(overrides) > MAX_OVERRIDE_URLS:
            errors.append("X-Override-Notification accepts at most 2 URLs")
        if errors:
            return _invalid(errors)
        assert isinstance(order_id, str) and amount is not None
        store = store.lower()
        if store not in self.active_stores:
            return _Answer(
                402, {"status_code": "402", "status_message": "Payment channel is not activated."}
            )
        low, high = INDOMARET_RANGE
        if store == "indomaret" and not low <= amount <= high:
            return _invalid(
                [f"transaction_details.gross_amount must be between {low} and {high} for Indomaret"]
            )
        if item_sum is not None and item_sum != amount:
            return _invalid(
                ["transaction_details.gross_amount is not equal to the sum of item_details"]
            )
        earlier = self.transactions.get(order_id)
        if earlier is not None and earlier.transaction_status not in _REUSABLE:
            # Under HTTP 200, as Midtrans answers it: only the body says it failed.
            body_406 = {"status_code": "406", "status_message": DUPLICATE, "id": str(uuid.uuid4())}
            return _Answer(200, body_406)
        now = datetime.now(WIB).replace(microsecond=0)
        order_time, length = expiry if expiry is not None else (now, timedelta(hours=24))
        override = overrides[0] if overrides else ""
        tx = SandboxTransaction(
            order_id=order_id,
            transaction_id=str(uuid.uuid4()),
            gross_amount=amount,
            store=store,
            payment_code=self._new_payment_code(),
            transaction_time=now,
            expiry_time=order_time + length,
            notification_url=override or self.notification_url,
            extra_notification_url=overrides[1] if len(overrides) > 1 else None,
        )
        self.transactions[order_id] = tx
        if self.pending_notification:
            # Midtrans sends "pending" at once, not after the answer: it may arrive first.
            self._spawn(self.notify(order_id, "pending"))
        answer = self._fields(tx, "pending")
        answer.pop("signature_key")
        answer["status_message"] = "Success, cstore transaction is successful"
        return _Answer(201, answer)

    async def _status(self, request: Request, raw: bytes) -> _Answer:
        tx = self.find(request.path_params["order_id"])
        if tx is None:
            return _Answer(404, dict(NOT_FOUND))
        code = _STATUS_CODES.get(tx.transaction_status, "201")
        body = self._fields(tx, tx.transaction_status, status_code=code)
        body["status_message"] = (
            "Success, transaction is expired"
            if tx.transaction_status == "expire"
            else "Success, transaction is found"
        )
        return _Answer(200, body)

    async def _cancel(self, request: Request, raw: bytes) -> _Answer:
        return self._close(request.path_params["order_id"], "cancel")

    async def _expire(self, request: Request, raw: bytes) -> _Answer:
        return self._close(request.path_params["order_id"], "expire")

    def _close(self, order_id: str, new_status: str) -> _Answer:
        tx = self.find(order_id)
        if tx is None:
            return _Answer(404, dict(NOT_FOUND))
        if tx.transaction_status != "pending":
            return _Answer(200, dict(LOCKED))  # HTTP 200: only the body says it failed
        tx.transaction_status = new_status
        if new_status == "cancel":
            body = self._fields(tx, new_status, status_code="200")
            body["status_message"] = "Success, transaction is canceled"
        else:
            body = self._fields(tx, new_status, status_code="407")
            body["status_message"] = "Success, transaction is expired"
        body.pop("signature_key")
        return _Answer(200, body, notify=tx.order_id)

    # -- control endpoints ----------------------------------------------------------------------

    async def _list_route(self, request: Request) -> Response:
        listing = []
        for tx in self.transactions.values():
            entry = self._fields(tx, tx.transaction_status)
            entry["notification_url"] = tx.notification_url
            listing.append(entry)
        return JSONResponse({"transactions": listing})

    async def _control_route(self, request: Request) -> Response:
        notify = request.query_params.get("notify", "true").lower() not in {"0", "false", "no"}
        try:
            delivery = await self.trigger(
                request.path_params["order_id"], request.path_params["action"], notify=notify
            )
        except SandboxError as exc:
            return JSONResponse({"error": str(exc)}, exc.status)
        return JSONResponse(delivery.as_json())

    async def _notifications_route(self, request: Request) -> Response:
        try:
            spec = await request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not isinstance(spec.get("enabled"), bool):
            return JSONResponse({"error": 'send {"enabled": true|false}'}, 400)
        self.set_notifications(spec["enabled"])
        return JSONResponse({"enabled": self.notifications_enabled})

    async def _faults_route(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clear_faults()
            return JSONResponse({"faults": []})
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise ValueError("send a JSON object")
            unknown = set(spec) - {f for f in Fault.__dataclass_fields__}
            if unknown:
                raise ValueError(f"unknown fields: {sorted(unknown)}")
            paths = spec.get("paths") or []
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise ValueError("paths must be a list of strings")
            self.add_fault(
                delay_seconds=float(spec.get("delay_seconds", 0.0)),
                fail_status=None if spec.get("fail_status") is None else int(spec["fail_status"]),
                times=int(spec.get("times", 1)),
                create_before_failing=bool(spec.get("create_before_failing", False)),
                paths=paths,
                http_status=None if spec.get("http_status") is None else int(spec["http_status"]),
            )
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"faults": [asdict(f) for f in self.faults]})

    # -- helpers --------------------------------------------------------------------------------

    def _get(self, order_id: str) -> SandboxTransaction:
        tx = self.find(order_id)
        if tx is None:
            raise SandboxError(404, f"no transaction with order id {order_id!r}")
        return tx

    def _fields(
        self, tx: SandboxTransaction, transaction_status: str, *, status_code: str | None = None
    ) -> dict[str, Any]:
        """The transaction as Midtrans shows it in status answers and notifications."""
        code = status_code or _STATE_CODES.get(transaction_status, "201")
        gross = _amount_text(tx.gross_amount)
        body: dict[str, Any] = {
            "status_code": code,
            "status_message": "",
            "transaction_id": tx.transaction_id,
            "order_id": tx.order_id,
            "merchant_id": self.merchant_id,
            "gross_amount": gross,
            "currency": "IDR",
            "payment_type": "cstore",
            "transaction_time": _wib(tx.transaction_time),
            "transaction_status": transaction_status,
            "signature_key": notification_signature(tx.order_id, code, gross, self.server_key),
            "payment_code": tx.payment_code,
            "store": tx.store,
            "expiry_time": _wib(tx.expiry_time),
        }
        if transaction_status in {"settlement", "deny"} and tx.settlement_time is not None:
            body["settlement_time"] = _wib(tx.settlement_time)
            if transaction_status == "settlement" and tx.approval_code:
                body["approval_code"] = tx.approval_code
        return body

    def _new_payment_code(self) -> str:
        low = 10 ** (self.payment_code_digits - 1)
        while True:
            code = str(low + secrets.randbelow(9 * low))
            if code not in self._codes:
                self._codes.add(code)
                return code


KEY_PREFIXES = {"sandbox": "SB-Mid-server-", "production": "Mid-server-"}
"""Server-key prefixes of Midtrans' two environments (client keys: ``SB-Mid-client-`` and
``Mid-client-``)."""


def key_environment(server_key: str) -> str | None:
    """ "sandbox" or "production" from the key's prefix; None for anything else."""
    for environment, prefix in KEY_PREFIXES.items():
        if server_key.startswith(prefix):
            return environment
    return None


def _basic_user(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def _invalid(messages: list[str]) -> _Answer:
    return _Answer(
        400,
        {
            "status_code": "400",
            "status_message": INVALID,
            "id": str(uuid.uuid4()),
            "validation_messages": messages,
        },
    )


def _check_items(items: object, errors: list[str]) -> int | None:
    """Sum of price x quantity, or None when there are no items or they are invalid."""
    if items is None:
        return None
    if not isinstance(items, list):
        errors.append("item_details must be a list")
        return None
    total = 0
    ok = True
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"item_details[{n}] must be an object")
            ok = False
            continue
        price = _whole(item.get("price"))
        quantity = item.get("quantity")
        name = item.get("name")
        item_id = item.get("id")
        if price is None:
            errors.append(f"item_details[{n}].price must be an integer without decimals")
            ok = False
        if item_id is not None and (not isinstance(item_id, str) or len(item_id) > ITEM_ID_MAX):
            errors.append(f"item_details[{n}].id must be a string of at most 50 characters")
            ok = False
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append(f"item_details[{n}].quantity must be an integer of at least 1")
            ok = False
        if not isinstance(name, str) or not name or len(name) > ITEM_NAME_MAX:
            errors.append(f"item_details[{n}].name is required, at most 50 characters")
            ok = False
        if ok and price is not None and isinstance(quantity, int):
            total += price * quantity
    return total if ok else None


def _check_customer(details: object, errors: list[str]) -> None:
    """Midtrans validates the customer's email for Indomaret with its documented pattern."""
    if details is None:
        return
    if not isinstance(details, dict):
        errors.append("customer_details must be an object")
        return
    email = details.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email)):
        errors.append("customer_details.email format is invalid")


def _check_expiry(spec: object, errors: list[str]) -> tuple[datetime, timedelta] | None:
    """(order_time, length) of a valid custom_expiry, None when absent or invalid."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        errors.append("custom_expiry must be an object")
        return None
    order_time: datetime | None = datetime.now(WIB).replace(microsecond=0)
    if "order_time" in spec:
        text = spec["order_time"]
        try:
            if not isinstance(text, str) or not _ORDER_TIME.fullmatch(text):
                raise ValueError(text)
            order_time = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            errors.append("custom_expiry.order_time must look like 2024-01-31 13:45:00 +0700")
            order_time = None
    duration = spec.get("expiry_duration")
    unit = spec.get("unit")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration < 1:
        errors.append("custom_expiry.expiry_duration must be a positive integer")
        return None
    if unit not in _UNITS:
        errors.append("custom_expiry.unit must be one of: second, minute, hour, day")
        return None
    length = timedelta(seconds=duration * _UNITS[str(unit)])
    if not _EXPIRY_RANGE[0] <= length <= _EXPIRY_RANGE[1]:
        errors.append("custom_expiry must be between 20 seconds and 180 days")
        return None
    if order_time is None:
        return None
    return order_time.astimezone(WIB), length


def create_midtrans_sandbox(
    server_key: str, notification_url: str | None = None, *, payment_code_digits: int = 14
) -> Starlette:
    """Just the ASGI app; build a MidtransSandbox to also inspect its state."""
    return MidtransSandbox(
        server_key, notification_url, payment_code_digits=payment_code_digits
    ).app


async def serve_sandbox(
    host: str, port: int, server_key: str, notification_url: str | None = None
) -> None:
    """Run a sandbox until interrupted (for `python -m devtools sandbox serve`)."""
    sandbox = MidtransSandbox(server_key, notification_url, notification_retry_scale=1.0)
    config = uvicorn.Config(sandbox.app, host=host, port=port, lifespan="off", log_level="info")
    logger.info(
        "Midtrans sandbox on http://%s:%d, notifications to %s", host, port, notification_url
    )
    await uvicorn.Server(config).serve()


async def send_control(
    base_url: str, order_id: str, action: str, *, notify: bool = True
) -> dict[str, Any]:
    """Ask a running sandbox to settle/expire/deny/cancel/re-send an order; its JSON answer."""
    path = f"/_sandbox/transactions/{quote(order_id, safe='')}/{quote(action, safe='')}"
    url = base_url.rstrip("/") + path
    params = None if notify else {"notify": "false"}
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.post(url, params=params)
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code != 200 or not isinstance(data, dict):
        detail = data.get("error") if isinstance(data, dict) else response.text[:200]
        raise SandboxError(response.status_code, f"sandbox refused {action}: {detail}")
    return data
