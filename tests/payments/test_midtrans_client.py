"""The Midtrans client against the local sandbox over real HTTP, and the notification signature."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.payments.midtrans import (
    WIB,
    ChargeItem,
    ChargeRequest,
    Customer,
    CustomExpiry,
    MidtransClient,
    MidtransError,
    MidtransErrorKind,
    MidtransRequestInvalid,
    build_charge_body,
    format_midtrans_time,
    midtrans_email,
    notification_signature,
    parse_amount,
    parse_midtrans_time,
    verify_notification,
)
from bot.text.fields import parse_email
from devtools.midtrans import MidtransSandbox
from tests.support.servers import closed_port, serve_app

KEY = "SB-Mid-server-TestKey_0123456789"


def charge_request(
    order_id: str = "order-1", *, amount: int = 25_000, expiry: CustomExpiry | None = None
) -> ChargeRequest:
    """Two items adding up to `amount`."""
    return ChargeRequest(
        order_id=order_id,
        gross_amount=amount,
        items=(
            ChargeItem("kopi", "Kopi susu gula aren ukuran besar dengan es batu ekstra", 10_000, 2),
            ChargeItem("roti", "Roti bakar", amount - 20_000, 1),
        ),
        customer=Customer("Budi", "Utomo", "", "0811223344"),
        store_message="Warung Bu Sri pesanan order-1",
        expiry=expiry,
    )


@pytest.fixture
def sandbox() -> MidtransSandbox:
    return MidtransSandbox(KEY)


@pytest.fixture
async def sandbox_url(sandbox: MidtransSandbox) -> AsyncIterator[str]:
    async with serve_app(sandbox.app) as url:
        yield url


@pytest.fixture
async def client(sandbox_url: str) -> AsyncIterator[MidtransClient]:
    async with MidtransClient(
        KEY, base_url=sandbox_url, read_timeout=2.0, retry_backoff=0.01
    ) as midtrans:
        yield midtrans


def api_calls(sandbox: MidtransSandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sandbox.requests]


# -- charge ------------------------------------------------------------------------------------


async def test_charge_happy_path(sandbox: MidtransSandbox, client: MidtransClient) -> None:
    order_time = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    expiry = CustomExpiry.from_timedelta(order_time, timedelta(hours=2))
    result = await client.charge_indomaret(
        charge_request(expiry=expiry), notification_url="http://127.0.0.1:9/hook"
    )

    assert result.order_id == "order-1"
    assert re.fullmatch(r"\d{14}", result.payment_code)
    assert result.gross_amount == 25_000
    assert result.transaction_status == "pending"
    assert not result.from_status
    assert result.expiry_time == order_time + timedelta(hours=2)
    assert result.expiry_time is not None and result.expiry_time.utcoffset() == timedelta(hours=7)
    assert result.transaction_time is not None and result.transaction_time.tzinfo is not None

    [body] = sandbox.charge_requests
    assert body["payment_type"] == "cstore"
    assert body["transaction_details"] == {"order_id": "order-1", "gross_amount": 25_000}
    assert body["cstore"] == {"store": "Indomaret", "message": "Warung Bu Sri pesana"}
    assert body["customer_details"]["first_name"] == "Budi"
    items = body["item_details"]
    assert sum(i["price"] * i["quantity"] for i in items) == 25_000
    assert all(len(i["name"]) <= 50 for i in items)
    assert items[0]["name"] == "Kopi susu gula aren ukuran besar dengan es batu ek"
    assert body["custom_expiry"] == {
        "order_time": "2030-01-02 10:04:05 +0700",
        "expiry_duration": 2,
        "unit": "hour",
    }

    [sent] = sandbox.requests
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-override-notification"] == "http://127.0.0.1:9/hook"
    assert sandbox.transactions["order-1"].notification_url == "http://127.0.0.1:9/hook"


async def test_charge_without_notification_url_sends_no_override(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    await client.charge_indomaret(charge_request())
    assert "x-override-notification" not in sandbox.requests[0].headers
    assert "custom_expiry" not in sandbox.charge_requests[0]


async def test_duplicate_order_id_is_refused(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    await client.charge_indomaret(charge_request())
    with pytest.raises(MidtransError) as caught:
        await client.charge_indomaret(charge_request())
    assert caught.value.kind is MidtransErrorKind.DUPLICATE_ORDER_ID
    assert caught.value.status_code == "406"
    assert len(sandbox.transactions) == 1


async def test_wrong_server_key_is_unauthorized(sandbox_url: str) -> None:
    wrong = "SB-Mid-server-WRONG-secret-key"
    async with MidtransClient(wrong, base_url=sandbox_url) as midtrans:
        with pytest.raises(MidtransError) as caught:
            await midtrans.charge_indomaret(charge_request())
        assert caught.value.kind is MidtransErrorKind.UNAUTHORIZED
        assert caught.value.status_code == "401"
        with pytest.raises(MidtransError) as status_caught:
            await midtrans.get_status("order-1")
        assert status_caught.value.kind is MidtransErrorKind.UNAUTHORIZED
        for text in (str(caught.value), repr(caught.value), repr(midtrans)):
            assert wrong not in text


# -- status, cancel, expire ---------------------------------------------------------------------


async def test_status_follows_the_transaction(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    charged = await client.charge_indomaret(charge_request())
    status = await client.get_status("order-1")
    assert status is not None
    assert (status.status_code, status.transaction_status) == ("201", "pending")
    assert status.payment_code == charged.payment_code
    assert status.gross_amount == 25_000
    assert status.fraud_status is None  # Indomaret answers carry none
    assert status.expiry_time == charged.expiry_time

    await sandbox.trigger("order-1", "settle", notify=False)
    settled = await client.get_status("order-1")
    assert settled is not None
    assert (settled.status_code, settled.transaction_status) == ("200", "settlement")
    assert settled.settlement_time is not None

    with pytest.raises(MidtransError) as caught:
        await client.cancel("order-1")
    assert caught.value.kind is MidtransErrorKind.STATUS_LOCKED
    assert caught.value.status_code == "412"


async def test_status_of_unknown_order_is_none(client: MidtransClient) -> None:
    assert await client.get_status("no-such-order") is None
    with pytest.raises(MidtransError) as caught:
        await client.cancel("no-such-order")
    assert caught.value.kind is MidtransErrorKind.NOT_FOUND


async def test_cancel_and_expire_pending(client: MidtransClient) -> None:
    await client.charge_indomaret(charge_request("a-1"))
    await client.charge_indomaret(charge_request("a-2"))

    cancelled = await client.cancel("a-1")
    assert (cancelled.status_code, cancelled.transaction_status) == ("200", "cancel")
    expired = await client.expire("a-2")
    assert (expired.status_code, expired.transaction_status) == ("407", "expire")

    with pytest.raises(MidtransError) as caught:
        await client.expire("a-1")
    assert caught.value.kind is MidtransErrorKind.STATUS_LOCKED


# -- unknown outcomes and idempotency -----------------------------------------------------------


async def test_timeout_after_create_is_resolved_by_status(
    sandbox: MidtransSandbox, sandbox_url: str
) -> None:
    sandbox.add_fault(delay_seconds=0.6, create_before_failing=True, paths=["/v2/charge"])
    async with MidtransClient(
        KEY, base_url=sandbox_url, read_timeout=0.25, retry_backoff=0.01
    ) as midtrans:
        result = await midtrans.charge_indomaret(charge_request())
    assert result.from_status
    assert result.payment_code == sandbox.transactions["order-1"].payment_code
    assert result.gross_amount == 25_000
    assert result.transaction_status == "pending"
    assert len(sandbox.transactions) == 1
    assert len(sandbox.charge_requests) == 1
    assert api_calls(sandbox) == ["POST /v2/charge", "GET /v2/order-1/status"]


async def test_server_error_after_create_is_resolved_by_status(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    sandbox.add_fault(fail_status=500, create_before_failing=True, paths=["/v2/charge"])
    result = await client.charge_indomaret(charge_request())
    assert result.from_status
    assert result.payment_code == sandbox.transactions["order-1"].payment_code
    assert len(sandbox.charge_requests) == 1


async def test_server_error_before_create_is_retried(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    sandbox.add_fault(fail_status=503, paths=["/v2/charge"])
    result = await client.charge_indomaret(charge_request())
    assert not result.from_status
    assert len(sandbox.transactions) == 1
    assert api_calls(sandbox) == ["POST /v2/charge", "GET /v2/order-1/status", "POST /v2/charge"]


async def test_duplicate_on_retry_means_the_first_attempt_worked(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    sandbox.add_fault(fail_status=500, create_before_failing=True, paths=["/v2/charge"])
    sandbox.add_fault(fail_status=503, paths=["/v2/*/status"])
    result = await client.charge_indomaret(charge_request())
    assert result.from_status
    assert len(sandbox.transactions) == 1
    assert api_calls(sandbox) == [
        "POST /v2/charge",  # created, answered 500
        "GET /v2/order-1/status",  # 503: still unknown
        "POST /v2/charge",  # 406
        "GET /v2/order-1/status",
    ]


async def test_order_id_taken_by_another_amount_is_not_adopted(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    await client.charge_indomaret(charge_request(amount=25_000))
    sandbox.add_fault(fail_status=500, paths=["/v2/charge"])
    with pytest.raises(MidtransError) as caught:
        await client.charge_indomaret(charge_request(amount=30_000))
    assert caught.value.kind is MidtransErrorKind.DUPLICATE_ORDER_ID


async def test_persistent_server_error_gives_up(
    sandbox: MidtransSandbox, client: MidtransClient
) -> None:
    sandbox.add_fault(fail_status=500, times=10, paths=["/v2/charge"])
    with pytest.raises(MidtransError) as caught:
        await client.charge_indomaret(charge_request())
    assert caught.value.kind is MidtransErrorKind.SERVER_ERROR
    assert caught.value.status_code == "500"
    assert api_calls(sandbox).count("POST /v2/charge") == 3
    assert not sandbox.transactions

    sandbox.add_fault(fail_status=503, paths=["/v2/*/status"])
    with pytest.raises(MidtransError) as status_caught:
        await client.get_status("order-1")
    assert status_caught.value.kind is MidtransErrorKind.SERVER_ERROR


async def test_persistent_timeout_gives_up_as_network(
    sandbox: MidtransSandbox, sandbox_url: str
) -> None:
    sandbox.add_fault(delay_seconds=0.4, times=2, paths=["/v2/charge"])
    async with MidtransClient(
        KEY, base_url=sandbox_url, read_timeout=0.15, charge_attempts=2, retry_backoff=0.01
    ) as midtrans:
        with pytest.raises(MidtransError) as caught:
            await midtrans.charge_indomaret(charge_request())
    assert caught.value.kind is MidtransErrorKind.NETWORK
    assert caught.value.request_sent
    assert api_calls(sandbox).count("POST /v2/charge") == 2


async def test_unreachable_midtrans_is_a_network_error() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    async with MidtransClient(KEY, base_url=base_url, retry_backoff=0.01) as midtrans:
        with pytest.raises(MidtransError) as caught:
            await midtrans.charge_indomaret(charge_request())
        assert caught.value.kind is MidtransErrorKind.NETWORK
        assert not caught.value.request_sent
        with pytest.raises(MidtransError) as status_caught:
            await midtrans.get_status("order-1")
        assert status_caught.value.kind is MidtransErrorKind.NETWORK
        assert KEY not in str(caught.value)


# -- answers read from the body first -----------------------------------------------------------


class Canned:
    """Answers every request with the same status and body, whatever the path."""

    def __init__(self) -> None:
        self.http_status = 200
        self.body: Any = {}
        self.app = Starlette(routes=[Route("/{path:path}", self.answer, methods=["GET", "POST"])])

    async def answer(self, request: Request) -> Response:
        if isinstance(self.body, str):
            return Response(self.body, self.http_status, media_type="text/html")
        return JSONResponse(self.body, self.http_status)


@pytest.fixture
async def canned() -> AsyncIterator[tuple[Canned, MidtransClient]]:
    fake = Canned()
    async with serve_app(fake.app) as url:
        async with MidtransClient(KEY, base_url=url, retry_backoff=0.01) as midtrans:
            yield fake, midtrans


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("400", MidtransErrorKind.BAD_REQUEST),
        ("401", MidtransErrorKind.UNAUTHORIZED),
        ("402", MidtransErrorKind.PAYMENT_CHANNEL_INACTIVE),
        ("404", MidtransErrorKind.NOT_FOUND),
        ("406", MidtransErrorKind.DUPLICATE_ORDER_ID),
        ("407", MidtransErrorKind.EXPIRED),
        ("410", MidtransErrorKind.GONE),
        ("412", MidtransErrorKind.STATUS_LOCKED),
        ("500", MidtransErrorKind.SERVER_ERROR),
        ("505", MidtransErrorKind.SERVER_ERROR),
        ("300", MidtransErrorKind.UNEXPECTED),
    ],
)
async def test_body_status_code_wins_over_http_status(
    canned: tuple[Canned, MidtransClient], code: str, kind: MidtransErrorKind
) -> None:
    fake, midtrans = canned
    fake.body = {"status_code": code, "status_message": "nope"}
    with pytest.raises(MidtransError) as caught:
        await midtrans.cancel("order-1")
    assert caught.value.kind is kind
    assert caught.value.status_code == code
    assert "nope" in str(caught.value)


async def test_bad_request_carries_validation_messages(
    canned: tuple[Canned, MidtransClient],
) -> None:
    fake, midtrans = canned
    fake.body = {
        "status_code": "400",
        "status_message": "One or more parameters in the payload is invalid.",
        "validation_messages": ["transaction_details.gross_amount is not equal to the sum"],
    }
    with pytest.raises(MidtransError) as caught:
        await midtrans.charge_indomaret(charge_request())
    assert caught.value.kind is MidtransErrorKind.BAD_REQUEST
    assert caught.value.validation_messages == [
        "transaction_details.gross_amount is not equal to the sum"
    ]
    assert "is not equal to the sum" in str(caught.value)


async def test_http_status_is_the_fallback(canned: tuple[Canned, MidtransClient]) -> None:
    fake, midtrans = canned
    fake.http_status, fake.body = 502, "<html>Bad gateway</html>"
    with pytest.raises(MidtransError) as caught:
        await midtrans.get_status("order-1")
    assert caught.value.kind is MidtransErrorKind.SERVER_ERROR
    assert caught.value.status_code == "502"

    # A 404 page from a wrong base URL is not "transaction doesn't exist".
    fake.http_status, fake.body = 404, "<html>Not found</html>"
    with pytest.raises(MidtransError) as not_found:
        await midtrans.get_status("order-1")
    assert not_found.value.kind is MidtransErrorKind.NOT_FOUND


async def test_messages_never_echo_the_key(canned: tuple[Canned, MidtransClient]) -> None:
    fake, midtrans = canned
    fake.body = {"status_code": "401", "status_message": f"bad key {KEY}"}
    with pytest.raises(MidtransError) as caught:
        await midtrans.get_status("order-1")
    assert KEY not in str(caught.value)


async def test_status_amounts_parse(canned: tuple[Canned, MidtransClient]) -> None:
    fake, midtrans = canned
    fake.body = {
        "status_code": "201",
        "transaction_id": "t-1",
        "order_id": "order-1",
        "gross_amount": "162500.00",
        "transaction_status": "pending",
        "payment_code": "25709650945026",
        "expiry_time": "2017-01-09 09:56:44",
    }
    status = await midtrans.get_status("order-1")
    assert status is not None
    assert status.gross_amount == 162_500
    assert status.expiry_time == datetime(2017, 1, 9, 9, 56, 44, tzinfo=WIB)
    assert status.fraud_status is None


# -- validation before sending ------------------------------------------------------------------


@pytest.mark.parametrize("amount", [9_999, 5_000_001, 0, -10_000])
async def test_amount_outside_indomaret_range_is_not_sent(
    sandbox: MidtransSandbox, client: MidtransClient, amount: int
) -> None:
    req = ChargeRequest(
        "order-1", amount, (ChargeItem("x", "x", amount, 1),), Customer("Budi"), "msg"
    )
    with pytest.raises(MidtransRequestInvalid):
        await client.charge_indomaret(req)
    assert sandbox.requests == []


@pytest.mark.parametrize(
    "order_id", ["", "x" * 51, "order 1", "order/1", "ordér", "order-1\n", "a?b"]
)
async def test_bad_order_id_is_not_sent(
    sandbox: MidtransSandbox, client: MidtransClient, order_id: str
) -> None:
    with pytest.raises(MidtransRequestInvalid):
        await client.charge_indomaret(charge_request(order_id))
    with pytest.raises(MidtransRequestInvalid):
        await client.get_status(order_id)
    assert sandbox.requests == []


def test_order_id_limits() -> None:
    body = build_charge_body(charge_request("Az09-_~." + "x" * 42))
    assert body["transaction_details"]["order_id"] == "Az09-_~." + "x" * 42


@pytest.mark.parametrize(
    "items",
    [
        (ChargeItem("a", "A", 10_000, 2),),  # 20.000 != 25.000
        (ChargeItem("a", "A", 25_000, 0),),
        (ChargeItem("a", "   ", 25_000, 1),),
        (),
    ],
)
def test_items_must_add_up(items: tuple[ChargeItem, ...]) -> None:
    with pytest.raises(MidtransRequestInvalid):
        build_charge_body(ChargeRequest("o-1", 25_000, items, Customer("B"), "m"))


@pytest.mark.parametrize(
    ("length", "ok"),
    [
        (timedelta(seconds=19), False),
        (timedelta(seconds=20), True),
        (timedelta(days=180), True),
        (timedelta(days=180, seconds=1), False),
    ],
)
def test_expiry_range(length: timedelta, ok: bool) -> None:
    expiry = CustomExpiry.from_timedelta(datetime.now(WIB), length)
    req = charge_request(expiry=expiry)
    if ok:
        assert build_charge_body(req)["custom_expiry"]["expiry_duration"] == expiry.duration
    else:
        with pytest.raises(MidtransRequestInvalid):
            build_charge_body(req)


def test_expiry_needs_an_aware_order_time() -> None:
    expiry = CustomExpiry(datetime(2030, 1, 1, 12, 0), 1, "hour")
    with pytest.raises(MidtransRequestInvalid):
        build_charge_body(charge_request(expiry=expiry))


@pytest.mark.parametrize(
    ("length", "duration", "unit"),
    [
        (timedelta(days=3), 3, "day"),
        (timedelta(hours=2), 2, "hour"),
        (timedelta(minutes=90), 90, "minute"),
        (timedelta(seconds=61), 61, "second"),
        (timedelta(hours=48), 2, "day"),
    ],
)
def test_from_timedelta_picks_the_largest_exact_unit(
    length: timedelta, duration: int, unit: str
) -> None:
    expiry = CustomExpiry.from_timedelta(datetime.now(WIB), length)
    assert (expiry.duration, expiry.unit) == (duration, unit)


@given(st.integers(min_value=1, max_value=200 * 86_400))
def test_from_timedelta_round_trips(seconds: int) -> None:
    expiry = CustomExpiry.from_timedelta(datetime.now(WIB), timedelta(seconds=seconds))
    assert expiry.length == timedelta(seconds=seconds)


@pytest.mark.parametrize("length", [timedelta(0), timedelta(seconds=-5), timedelta(seconds=1.5)])
def test_from_timedelta_refuses_odd_lengths(length: timedelta) -> None:
    with pytest.raises(MidtransRequestInvalid):
        CustomExpiry.from_timedelta(datetime.now(WIB), length)


# -- times and amounts --------------------------------------------------------------------------


def test_time_helpers() -> None:
    assert (
        format_midtrans_time(datetime(2024, 5, 1, 6, 0, tzinfo=UTC)) == "2024-05-01 13:00:00 +0700"
    )
    with pytest.raises(ValueError):
        format_midtrans_time(datetime(2024, 5, 1, 6, 0))
    local = parse_midtrans_time("2016-06-19 17:18:07")
    assert local == datetime(2016, 6, 19, 17, 18, 7, tzinfo=WIB)
    assert local.utcoffset() == timedelta(hours=7)
    assert parse_midtrans_time("2016-06-19 17:18:07 +0700") == local
    assert parse_midtrans_time("2016-06-19T10:18:07+00:00") == local
    with pytest.raises(ValueError):
        parse_midtrans_time("yesterday")


@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    )
)
def test_time_round_trip(moment: datetime) -> None:
    assert parse_midtrans_time(format_midtrans_time(moment)) == moment


def test_parse_amount() -> None:
    assert parse_amount("162500.00") == 162_500
    assert parse_amount("162500") == 162_500
    assert parse_amount(162_500) == 162_500
    assert parse_amount(162_500.0) == 162_500
    for bad in ["162500.50", "abc", "", "NaN", "Infinity", True, None, [1], 1.5]:
        with pytest.raises(ValueError):
            parse_amount(bad)


# -- notification signature --------------------------------------------------------------------


def sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


def signed(
    order_id: str = "order04", code: str = "200", gross: str = "162500.00"
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "status_code": code,
        "gross_amount": gross,
        "transaction_status": "settlement",
        "signature_key": sha512(order_id + code + gross + KEY),
    }


def test_signature_matches_an_independent_sha512() -> None:
    assert notification_signature("order04", "200", "162500.00", KEY) == sha512(
        "order04200162500.00" + KEY
    )
    assert notification_signature("o", "201", "10000.00", "k") == sha512("o20110000.00k")
    assert verify_notification(signed(), KEY)
    assert verify_notification(signed("ordér-ü", "202", "10000.00"), KEY)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("order_id", "order05"),
        ("status_code", "201"),
        ("gross_amount", "162500"),
        ("gross_amount", "1625000.00"),
        ("signature_key", sha512("something else")),
        ("signature_key", sha512("order04200162500.00" + KEY).upper()),
    ],
)
def test_tampered_notification_is_rejected(name: str, value: str) -> None:
    payload = signed()
    payload[name] = value
    assert not verify_notification(payload, KEY)


@pytest.mark.parametrize(
    "change",
    [
        {"order_id": None},
        {"status_code": 200},
        {"gross_amount": 162500},
        {"gross_amount": 162500.0},
        {"signature_key": None},
        {"signature_key": ["x"]},
        {"signature_key": "ü" * 128},
        {"order_id": {"a": 1}},
    ],
)
def test_wrong_types_are_rejected(change: dict[str, Any]) -> None:
    payload = signed()
    payload.update(change)
    assert verify_notification(payload, KEY) is False


def test_missing_fields_and_odd_payloads_are_rejected() -> None:
    for name in ("order_id", "status_code", "gross_amount", "signature_key"):
        payload = signed()
        del payload[name]
        assert not verify_notification(payload, KEY)
    assert not verify_notification({}, KEY)
    assert not verify_notification(signed(), "")
    assert not verify_notification(signed(), "another-key")
    assert not verify_notification([], KEY)  # type: ignore[arg-type]
    assert not verify_notification(None, KEY)  # type: ignore[arg-type]


# -- Midtrans as it really behaves (issue 12) ---------------------------------------------------


async def test_429_is_charged_again_after_pauses_never_three_times_in_1_5_s(
    sandbox: MidtransSandbox, sandbox_url: str
) -> None:
    sandbox.add_fault(fail_status=429, times=2, paths=["/v2/charge"])
    async with MidtransClient(KEY, base_url=sandbox_url) as midtrans:  # default pauses
        charged = await midtrans.charge_indomaret(charge_request())
    charges = [r.at for r in sandbox.requests if r.path == "/v2/charge"]
    assert len(charges) == 3
    assert charges[2] - charges[0] >= 1.5
    assert list(sandbox.transactions) == ["order-1"]
    assert sandbox.transactions["order-1"].payment_code == charged.payment_code
    assert not [r for r in sandbox.requests if r.path.endswith("/status")]  # 429: not created


async def test_429_that_lasts_is_a_refusal(sandbox: MidtransSandbox, sandbox_url: str) -> None:
    sandbox.add_fault(fail_status=429, times=5, paths=["/v2/charge"])
    async with MidtransClient(
        KEY, base_url=sandbox_url, rate_limit_delays=(0.01, 0.01)
    ) as midtrans:
        with pytest.raises(MidtransError) as caught:
            await midtrans.charge_indomaret(charge_request())
    assert caught.value.kind is MidtransErrorKind.RATE_LIMITED
    assert len([r for r in sandbox.requests if r.path == "/v2/charge"]) == 3
    assert not sandbox.transactions


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (411, MidtransErrorKind.REFUSED),
        (413, MidtransErrorKind.REFUSED),
        (402, MidtransErrorKind.PAYMENT_CHANNEL_INACTIVE),
        (410, MidtransErrorKind.GONE),
    ],
)
async def test_refusals_in_the_body_under_http_200_are_refusals_at_once(
    sandbox: MidtransSandbox, client: MidtransClient, code: int, kind: MidtransErrorKind
) -> None:
    sandbox.add_fault(fail_status=code, paths=["/v2/charge"])
    with pytest.raises(MidtransError) as caught:
        await client.charge_indomaret(charge_request())
    assert caught.value.kind is kind
    assert api_calls(sandbox) == ["POST /v2/charge"]  # no Get Status, no second charge


async def test_get_status_after_expire_and_cancel(client: MidtransClient) -> None:
    await client.charge_indomaret(charge_request("e-1"))
    await client.charge_indomaret(charge_request("c-1"))
    await client.expire("e-1")
    await client.cancel("c-1")
    expired, cancelled = await client.get_status("e-1"), await client.get_status("c-1")
    assert expired is not None and cancelled is not None
    assert (expired.status_code, expired.transaction_status) == ("407", "expire")
    assert (cancelled.status_code, cancelled.transaction_status) == ("200", "cancel")
    with pytest.raises(MidtransError) as caught:
        await client.cancel("c-1")  # 412 under HTTP 200
    assert caught.value.kind is MidtransErrorKind.STATUS_LOCKED


def _with_email(email: str) -> ChargeRequest:
    return dataclasses.replace(charge_request(), customer=Customer("Budi", "", email, "08112"))


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("Budi.Santoso@Example.CO.ID", "budi.santoso@example.co.id"),
        ("budi@localhost", ""),  # Midtrans would refuse it: left out, the charge still goes
        ("", ""),
    ],
)
async def test_email_goes_as_midtrans_accepts_it(
    sandbox: MidtransSandbox, client: MidtransClient, given: str, sent: str
) -> None:
    await client.charge_indomaret(_with_email(given))
    assert sandbox.charge_requests[0]["customer_details"]["email"] == sent


@given(st.sampled_from(["Budi", "a.b", "x+y", "O'Neil", "UPPER_case"]), st.booleans())
def test_every_address_the_chat_accepts_midtrans_accepts(local: str, sub: bool) -> None:
    address = parse_email(f"{local}@{'mail.' if sub else ''}Example.co.id")
    assert address is not None
    assert midtrans_email(address) == address.lower()
