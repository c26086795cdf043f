"""Async client for the Midtrans Core API, limited to what an Indomaret (cstore) shop needs.

A request Midtrans would refuse is refused here first, before anything is sent. Indomaret
charges take no Idempotency-Key, so the order id is the idempotency key: a charge whose outcome
is unknown (timeout, dropped connection, 5xx) is resolved with Get Status, and only charged again
when Midtrans says the order does not exist. Midtrans answers a second charge for one order id
with 406, so one order never gets two payment codes.

Midtrans puts its error code in the JSON body, often under HTTP 200 (406 on charge, 412 on
cancel): the body's code is read first, the HTTP status only when the body has none. A 429 (the
Charge API's rate limit) is a refusal, so the same order id is charged again after a pause
(``rate_limit_delays``: never three charges within 1.5 s); 411, 413 and other 4xx are refusals
too; 5xx, timeouts and dropped connections leave the outcome unknown and go through Get Status.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import logging
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

from bot.rules.money import parse_amount

logger = logging.getLogger(__name__)

WIB = timezone(timedelta(hours=7), "WIB")
SANDBOX_BASE_URL = "https://api.sandbox.midtrans.com"
PRODUCTION_BASE_URL = "https://api.midtrans.com"

INDOMARET_MIN_AMOUNT = 10_000
INDOMARET_MAX_AMOUNT = 5_000_000
ORDER_ID_MAX_LENGTH = 50
ITEM_NAME_MAX_LENGTH = 50
STORE_MESSAGE_MAX_LENGTH = 20
EXPIRY_MIN = timedelta(seconds=20)
EXPIRY_MAX = timedelta(days=180)

ExpiryUnit = Literal["second", "minute", "hour", "day"]
_UNIT_SECONDS: dict[ExpiryUnit, int] = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 1}
_ORDER_ID = re.compile(r"[A-Za-z0-9\-_~.]{1,50}")


# -- errors -------------------------------------------------------------------------------------


class MidtransRequestInvalid(ValueError):
    """The request breaks a Midtrans rule; it was not sent."""


class MidtransErrorKind(enum.Enum):
    BAD_REQUEST = "400"
    UNAUTHORIZED = "401"
    PAYMENT_CHANNEL_INACTIVE = "402"
    NOT_FOUND = "404"
    DUPLICATE_ORDER_ID = "406"
    EXPIRED = "407"
    GONE = "410"
    STATUS_LOCKED = "412"
    RATE_LIMITED = "429"
    REFUSED = "4xx"  # 411, 413 and any other 4xx: refused, nothing was created
    SERVER_ERROR = "5xx"
    NETWORK = "network"
    UNEXPECTED = "unexpected"


_KIND_BY_CODE = {kind.value: kind for kind in MidtransErrorKind if kind.value.isdigit()}
# Failures after which Midtrans may or may not have acted on the request.
_OUTCOME_UNKNOWN = frozenset(
    {MidtransErrorKind.NETWORK, MidtransErrorKind.SERVER_ERROR, MidtransErrorKind.UNEXPECTED}
)


class MidtransError(Exception):
    """Midtrans refused the request, or could not be reached.

    `request_sent` is False only when the request certainly never reached Midtrans (the
    connection was refused or never opened), so it is safe to send again.
    """

    def __init__(
        self,
        kind: MidtransErrorKind,
        status_code: str | None,
        message: str,
        validation_messages: list[str] | None = None,
        *,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status_code = status_code
        self.message = message
        self.validation_messages = list(validation_messages or [])
        self.request_sent = request_sent

    def __str__(self) -> str:
        code = f" {self.status_code}" if self.status_code else ""
        text = f"Midtrans {self.kind.name}{code}: {self.message}"
        if self.validation_messages:
            text += " (" + "; ".join(self.validation_messages) + ")"
        return text


def error_kind(status_code: str) -> MidtransErrorKind:
    """Map a Midtrans status code ("406", "503", ...) to the kind of failure."""
    kind = _KIND_BY_CODE.get(status_code)
    if kind is not None:
        return kind
    if status_code.isdigit() and 500 <= int(status_code) <= 599:
        return MidtransErrorKind.SERVER_ERROR
    if status_code.isdigit() and 400 <= int(status_code) <= 499:
        return MidtransErrorKind.REFUSED
    return MidtransErrorKind.UNEXPECTED


# -- values -------------------------------------------------------------------------------------


def format_midtrans_time(dt: datetime) -> str:
    """`2024-05-01 13:45:00 +0700`, the form `custom_expiry.order_time` wants."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("a Midtrans time needs a timezone-aware datetime")
    return dt.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S +0700")


def parse_midtrans_time(value: str) -> datetime:
    """Parse a Midtrans time; times without an offset are Jakarta time (WIB)."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"not a Midtrans time: {value!r}") from None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=WIB)
    return dt.astimezone(WIB)


def _rupiah(amount: int) -> str:
    """Rp162.500, for messages."""
    return f"Rp{amount:,}".replace(",", ".")


@dataclass(frozen=True)
class ChargeItem:
    id: str
    name: str
    price: int
    quantity: int


@dataclass(frozen=True)
class Customer:
    first_name: str
    last_name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CustomExpiry:
    """How long the payment code stays valid, counted from `order_time`."""

    order_time: datetime
    duration: int
    unit: ExpiryUnit

    @classmethod
    def from_timedelta(cls, order_time: datetime, td: timedelta) -> CustomExpiry:
        """Express `td` in the largest unit that divides it exactly (90 min -> 90 minute)."""
        micros = td // timedelta(microseconds=1)
        if micros <= 0 or micros % 1_000_000:
            raise MidtransRequestInvalid(f"expiry must be a positive whole number of seconds: {td}")
        seconds = micros // 1_000_000
        unit = next(unit for unit, size in _UNIT_SECONDS.items() if seconds % size == 0)
        return cls(order_time, seconds // _UNIT_SECONDS[unit], unit)

    @property
    def length(self) -> timedelta:
        return timedelta(seconds=self.duration * _UNIT_SECONDS[self.unit])

    @property
    def expires_at(self) -> datetime:
        return self.order_time + self.length


@dataclass(frozen=True)
class ChargeRequest:
    order_id: str
    gross_amount: int
    items: tuple[ChargeItem, ...]
    customer: Customer
    store_message: str
    expiry: CustomExpiry | None = None


@dataclass(frozen=True)
class ChargeResult:
    """A created Indomaret charge. `from_status` is True when it was recovered with Get Status."""

    order_id: str
    transaction_id: str
    payment_code: str
    gross_amount: int
    transaction_status: str
    transaction_time: datetime | None
    expiry_time: datetime | None
    raw: dict[str, Any] = field(repr=False)
    from_status: bool = False


@dataclass(frozen=True)
class StatusResult:
    order_id: str
    transaction_id: str
    transaction_status: str
    status_code: str
    gross_amount: int
    payment_code: str | None
    fraud_status: str | None
    expiry_time: datetime | None
    raw: dict[str, Any] = field(repr=False)
    transaction_time: datetime | None = None
    settlement_time: datetime | None = None


# -- validation ---------------------------------------------------------------------------------

# Midtrans validates customer_details.email for Indomaret with this documented pattern ("Is there
# any restriction format for email parameter"): lower case, dot-atoms, a dotted domain or an IP.
_EMAIL_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_MIDTRANS_EMAIL = re.compile(
    rf"{_EMAIL_ATOM}+(?:\.{_EMAIL_ATOM}+)*@(?:{_EMAIL_ATOM}+(?:\.{_EMAIL_ATOM}+)+"
    r"|\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])"
)


def midtrans_email(email: str) -> str:
    """``email`` as Midtrans accepts it (lower-cased), or "" when Midtrans would refuse it: an
    address it would refuse is left out of the charge rather than failing it with a 400."""
    lowered = email.strip().lower()
    if not lowered or _MIDTRANS_EMAIL.fullmatch(lowered):
        return lowered
    return ""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_order_id(order_id: object) -> str:
    """Midtrans order ids: 1 to 50 letters, digits, '-', '_', '~' or '.'."""
    if not isinstance(order_id, str) or not _ORDER_ID.fullmatch(order_id):
        raise MidtransRequestInvalid(
            f"order id must be 1-{ORDER_ID_MAX_LENGTH} letters, digits, '-', '_', '~' or '.': "
            f"{order_id!r}"
        )
    return order_id


def _expiry_body(expiry: CustomExpiry) -> dict[str, Any]:
    if expiry.unit not in _UNIT_SECONDS:
        raise MidtransRequestInvalid(f"expiry unit must be one of {sorted(_UNIT_SECONDS)}")
    if not _is_int(expiry.duration) or expiry.duration < 1:
        raise MidtransRequestInvalid(f"expiry duration must be a positive int: {expiry.duration!r}")
    if not EXPIRY_MIN <= expiry.length <= EXPIRY_MAX:
        raise MidtransRequestInvalid(
            f"expiry must be between 20 seconds and 180 days, got {expiry.length}"
        )
    try:
        order_time = format_midtrans_time(expiry.order_time)
    except ValueError as exc:
        raise MidtransRequestInvalid(f"expiry order_time: {exc}") from None
    return {"order_time": order_time, "expiry_duration": expiry.duration, "unit": expiry.unit}


def build_charge_body(req: ChargeRequest) -> dict[str, Any]:
    """Validate `req` and return the JSON body of an Indomaret charge.

    Over-long item names and store messages are cut rather than refused: they are display text.
    """
    check_order_id(req.order_id)
    amount = req.gross_amount
    if not _is_int(amount):
        raise MidtransRequestInvalid(f"gross_amount must be an int number of Rupiah: {amount!r}")
    if not INDOMARET_MIN_AMOUNT <= amount <= INDOMARET_MAX_AMOUNT:
        raise MidtransRequestInvalid(
            f"gross_amount {_rupiah(amount)} is outside Indomaret's range "
            f"{_rupiah(INDOMARET_MIN_AMOUNT)} to {_rupiah(INDOMARET_MAX_AMOUNT)}"
        )
    if not req.items:
        raise MidtransRequestInvalid("a charge needs at least one item")
    items = []
    total = 0
    for item in req.items:
        if not _is_int(item.price):
            raise MidtransRequestInvalid(f"item {item.id!r}: price must be an int: {item.price!r}")
        if not _is_int(item.quantity) or item.quantity < 1:
            raise MidtransRequestInvalid(
                f"item {item.id!r}: quantity must be an int of at least 1: {item.quantity!r}"
            )
        name = item.name[:ITEM_NAME_MAX_LENGTH]
        if not name.strip():
            raise MidtransRequestInvalid(f"item {item.id!r}: name is empty")
        total += item.price * item.quantity
        items.append({"id": item.id, "price": item.price, "quantity": item.quantity, "name": name})
    if total != amount:
        raise MidtransRequestInvalid(
            f"items add up to {_rupiah(total)} but gross_amount is {_rupiah(amount)}"
        )
    c = req.customer
    email = midtrans_email(c.email)
    if c.email and not email:
        logger.warning("charge %s: email left out, Midtrans would refuse it", req.order_id)
    body: dict[str, Any] = {
        "payment_type": "cstore",
        "transaction_details": {"order_id": req.order_id, "gross_amount": amount},
        "cstore": {"store": "Indomaret", "message": req.store_message[:STORE_MESSAGE_MAX_LENGTH]},
        "customer_details": {
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": email,
            "phone": c.phone,
        },
        "item_details": items,
    }
    if req.expiry is not None:
        body["custom_expiry"] = _expiry_body(req.expiry)
    return body


# -- notifications ------------------------------------------------------------------------------


def notification_signature(
    order_id: str, status_code: str, gross_amount: str, server_key: str
) -> str:
    """sha512(order_id + status_code + gross_amount + server_key), hex, as Midtrans signs."""
    text = order_id + status_code + gross_amount + server_key
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def verify_notification(payload: Mapping[str, object], server_key: str) -> bool:
    """True only when the notification carries a valid `signature_key`. Never raises."""
    try:
        if not server_key or not isinstance(payload, Mapping):
            return False
        order_id = payload.get("order_id")
        status_code = payload.get("status_code")
        gross_amount = payload.get("gross_amount")
        signature = payload.get("signature_key")
        if not (
            isinstance(order_id, str)
            and isinstance(status_code, str)
            and isinstance(gross_amount, str)
            and isinstance(signature, str)
        ):
            return False
        expected = notification_signature(order_id, status_code, gross_amount, server_key)
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8"))
    except Exception:
        return False


# The status_code Midtrans signs with each transaction_status (the signature does not cover the
# status itself, so a signed "pending" could be replayed with "settlement" written in).
_SIGNED_CODES = {
    "settlement": "200",
    "capture": "200",
    "refund": "200",
    "partial_refund": "200",
    "pending": "201",
    "deny": "202",
    "cancel": "202",
    "expire": "202",
    "failure": "202",
}


def notification_inconsistency(payload: Mapping[str, object]) -> str | None:
    """Why a signed notification cannot be what it says, or None when it can.

    Needed when notifications are applied without Get Status: ``status_code`` must agree with
    ``transaction_status``, the payment must be an Indomaret (``cstore``) one, and in Rupiah.
    """
    status = payload.get("transaction_status")
    expected = _SIGNED_CODES.get(status.strip().lower()) if isinstance(status, str) else None
    if expected is not None and payload.get("status_code") != expected:
        return "status_code does not match transaction_status"
    if payload.get("payment_type") != "cstore":
        return "payment_type is not cstore"
    currency = payload.get("currency")
    if currency is not None and currency != "IDR":
        return "currency is not IDR"
    return None


# -- parsing answers ----------------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _time(data: Mapping[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_midtrans_time(value)
    except ValueError:
        return None


def _required(data: Mapping[str, Any], name: str) -> str:
    value = _text(data, name)
    if not value:
        raise MidtransError(
            MidtransErrorKind.UNEXPECTED, _text(data, "status_code"), f"answer has no {name}"
        )
    return value


def _amount(data: Mapping[str, Any]) -> int:
    try:
        return parse_amount(data.get("gross_amount"))
    except ValueError as exc:
        raise MidtransError(
            MidtransErrorKind.UNEXPECTED, _text(data, "status_code"), str(exc)
        ) from None


def _status_from(data: dict[str, Any], status_code: str) -> StatusResult:
    return StatusResult(
        order_id=_required(data, "order_id"),
        transaction_id=_text(data, "transaction_id") or "",
        transaction_status=_required(data, "transaction_status"),
        status_code=status_code,
        gross_amount=_amount(data),
        payment_code=_text(data, "payment_code"),
        fraud_status=_text(data, "fraud_status"),
        expiry_time=_time(data, "expiry_time"),
        raw=data,
        transaction_time=_time(data, "transaction_time"),
        settlement_time=_time(data, "settlement_time"),
    )


def _charge_from(data: dict[str, Any], *, from_status: bool = False) -> ChargeResult:
    return ChargeResult(
        order_id=_required(data, "order_id"),
        transaction_id=_text(data, "transaction_id") or "",
        payment_code=_required(data, "payment_code"),
        gross_amount=_amount(data),
        transaction_status=_required(data, "transaction_status"),
        transaction_time=_time(data, "transaction_time"),
        expiry_time=_time(data, "expiry_time"),
        raw=data,
        from_status=from_status,
    )


@dataclass(frozen=True)
class _Reply:
    http_status: int
    code: str  # the body's status_code, else the HTTP status
    data: dict[str, Any] | None


# -- the client ---------------------------------------------------------------------------------


class MidtransClient:
    """One shared HTTP connection pool for every call to Midtrans."""

    def __init__(
        self,
        server_key: str,
        *,
        production: bool = False,
        base_url: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        charge_attempts: int = 3,
        retry_backoff: float = 0.5,
        rate_limit_delays: tuple[float, ...] = (1.0, 3.0),
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``verify``: an SSL context to share between clients (platform mode: httpx loads the
        CA bundle into each client's own context otherwise, about 830 KiB apiece)."""
        if not server_key:
            raise ValueError("the Midtrans server key is empty")
        self._server_key = server_key
        self.base_url = base_url or (PRODUCTION_BASE_URL if production else SANDBOX_BASE_URL)
        self.base_url = self.base_url.rstrip("/")
        self._attempts = max(1, charge_attempts)
        self._backoff = retry_backoff
        self._rate_limit_delays = rate_limit_delays
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(server_key, ""),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            # Keep every connection the pool may open: httpx keeps only 20 by default, so under
            # many concurrent Get Status calls each one past 20 paid a new TCP connection and a
            # close (bench/notifications, confirm on: 317/s with the default, 460/s with this).
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
            verify=verify,
        )

    def __repr__(self) -> str:
        return f"MidtransClient(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> MidtransClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- API calls ------------------------------------------------------------------------------

    async def charge_indomaret(
        self, req: ChargeRequest, notification_url: str | None = None
    ) -> ChargeResult:
        """Create the Indomaret payment code for `req`, at most once per order id.

        Raises MidtransError with kind NETWORK, SERVER_ERROR or UNEXPECTED when the outcome is
        still unknown after every attempt: keep the order pending and resolve it later. A 429
        is charged again after each of ``rate_limit_delays``; still 429 after the last, it
        raises RATE_LIMITED (nothing was created), unless an earlier attempt's outcome is unknown.
        """
        body = build_charge_body(req)
        headers = {"X-Override-Notification": notification_url} if notification_url else None
        last: MidtransError | None = None
        maybe_created = False
        attempts = throttled = 0
        while True:
            try:
                reply = await self._send("POST", "/v2/charge", body=body, headers=headers)
                if reply.code == "201" and reply.data is not None:
                    return _charge_from(reply.data)
                error = self._error(reply)
            except MidtransError as exc:
                error = exc
            if error.kind is MidtransErrorKind.DUPLICATE_ORDER_ID and maybe_created:
                resolved = await self._resolve(req)
                if resolved is not None:
                    return resolved
                raise error
            if error.kind is MidtransErrorKind.RATE_LIMITED:
                if throttled >= len(self._rate_limit_delays):
                    raise last if maybe_created and last is not None else error
                logger.warning("charge %s: rate limited (429), trying again", req.order_id)
                await asyncio.sleep(self._rate_limit_delays[throttled])
                throttled += 1
                continue
            if error.kind not in _OUTCOME_UNKNOWN:
                raise error
            last = error
            attempts += 1
            if error.request_sent:
                maybe_created = True
                logger.warning(
                    "charge %s attempt %d: outcome unknown (%s), checking status",
                    req.order_id,
                    attempts,
                    error,
                )
                try:
                    resolved = await self._resolve(req)
                except MidtransError as exc:
                    if exc.kind not in _OUTCOME_UNKNOWN | {MidtransErrorKind.RATE_LIMITED}:
                        raise
                    resolved = None
                if resolved is not None:
                    return resolved
            if attempts >= self._attempts:
                raise last
            await asyncio.sleep(self._backoff * 2 ** (attempts - 1))

    async def get_status(self, order_id: str) -> StatusResult | None:
        """The transaction as Midtrans knows it, or None when Midtrans says it doesn't exist."""
        reply = await self._send("GET", f"/v2/{_path(order_id)}/status")
        if reply.code == "404" and reply.data is not None:
            return None
        if reply.code in {"200", "201", "202", "407"} and reply.data is not None:
            return _status_from(reply.data, reply.code)
        raise self._error(reply)

    async def cancel(self, order_id: str) -> StatusResult:
        """Cancel a pending payment code. A settled or expired one raises STATUS_LOCKED."""
        reply = await self._send("POST", f"/v2/{_path(order_id)}/cancel")
        if reply.code == "200" and reply.data is not None:
            return _status_from(reply.data, reply.code)
        raise self._error(reply)

    async def expire(self, order_id: str) -> StatusResult:
        """Expire a pending payment code now; Midtrans answers 407 on success."""
        reply = await self._send("POST", f"/v2/{_path(order_id)}/expire")
        if reply.code == "407" and reply.data is not None:
            return _status_from(reply.data, reply.code)
        raise self._error(reply)

    # -- plumbing -------------------------------------------------------------------------------

    async def _resolve(self, req: ChargeRequest) -> ChargeResult | None:
        """The existing charge for `req.order_id`, None if there is none."""
        status = await self.get_status(req.order_id)
        if status is None:
            return None
        payment_type = status.raw.get("payment_type", "cstore")
        if status.gross_amount != req.gross_amount or payment_type != "cstore":
            raise MidtransError(
                MidtransErrorKind.DUPLICATE_ORDER_ID,
                "406",
                f"order id {req.order_id} is already used at Midtrans by a {payment_type} "
                f"transaction of {_rupiah(status.gross_amount)}",
            )
        logger.info("charge %s found through Get Status", req.order_id)
        return _charge_from(status.raw, from_status=True)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> _Reply:
        try:
            response = await self._http.request(method, path, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise MidtransError(
                MidtransErrorKind.NETWORK,
                None,
                f"could not connect for {method} {path}: {type(exc).__name__}",
                request_sent=False,
            ) from exc
        except httpx.TransportError as exc:
            raise MidtransError(
                MidtransErrorKind.NETWORK,
                None,
                f"no answer to {method} {path}: {type(exc).__name__}",
            ) from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = None
        code = _text(data, "status_code") if data is not None else None
        return _Reply(response.status_code, (code or "").strip() or str(response.status_code), data)

    def _error(self, reply: _Reply) -> MidtransError:
        data = reply.data or {}
        kind = error_kind(reply.code)
        message = _text(data, "status_message") or f"HTTP {reply.http_status} without a JSON body"
        raw_messages = data.get("validation_messages")
        messages = [str(m) for m in raw_messages] if isinstance(raw_messages, list) else []
        return MidtransError(
            kind,
            reply.code,
            self._redact(message),
            [self._redact(m) for m in messages],
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._server_key, "[server key]")


def _path(order_id: str) -> str:
    return quote(check_order_id(order_id), safe="")
