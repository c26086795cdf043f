"""The local Midtrans sandbox answers like Midtrans and sends correctly signed notifications."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.payments.midtrans import WIB, verify_notification
from devtools.midtrans import (
    MidtransSandbox,
    SandboxError,
    create_midtrans_sandbox,
    retries_for,
    send_control,
)
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

KEY = "SB-Mid-server-SandboxKey_42"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
WIB_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def charge_body(order_id: str = "order-1", amount: int = 25_000, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_type": "cstore",
        "transaction_details": {"order_id": order_id, "gross_amount": amount},
        "cstore": {"store": "Indomaret", "message": "Warung Bu Sri"},
        "customer_details": {"first_name": "Budi", "phone": "0811223344"},
        "item_details": [
            {"id": "kopi", "name": "Kopi susu", "price": 10_000, "quantity": 2},
            {"id": "roti", "name": "Roti bakar", "price": amount - 20_000, "quantity": 1},
        ],
    }
    body.update(extra)
    return body


def sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


class Receiver:
    """The merchant's notification endpoint: records every POST, answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        self.app = Starlette(routes=[Route("/{path:path}", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        self.received.append((request.url.path, await request.json()))
        return JSONResponse({"ok": self.status < 300}, self.status)

    def changes(self) -> list[tuple[str, dict[str, Any]]]:
        """What was received, without the "pending" notification each charge brings."""
        return [(p, b) for p, b in self.received if b.get("transaction_status") != "pending"]

    async def wait_for(self, count: int, *, changes: bool = False, within: float = 2.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.changes() if changes else self.received) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"expected {count} notifications, got {len(self.received)}")


@dataclass
class Env:
    sandbox: MidtransSandbox
    url: str
    http: httpx.AsyncClient
    receiver: Receiver
    receiver_url: str

    async def charge(
        self, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/v2/charge", json=body or charge_body(), headers={**AUTH, **(headers or {})}
        )

    async def control(self, order_id: str, action: str, notify: bool = True) -> httpx.Response:
        params = {} if notify else {"notify": "false"}
        return await self.http.post(f"/_sandbox/transactions/{order_id}/{action}", params=params)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    receiver = Receiver()
    async with serve_app(receiver.app) as receiver_url:
        sandbox = MidtransSandbox(KEY, f"{receiver_url}/midtrans")
        async with serve_app(sandbox.app) as url, httpx.AsyncClient(base_url=url) as http:
            yield Env(sandbox, url, http, receiver, receiver_url)


# -- auth and validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Basic " + base64.b64encode(b"SB-Mid-server-other:").decode(),
        "Bearer " + KEY,
        "Basic not-base64!!",
    ],
)
async def test_wrong_or_missing_key_is_401(env: Env, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = await env.http.post("/v2/charge", json=charge_body(), headers=headers)
    assert response.status_code == 401
    data = response.json()
    assert data["status_code"] == "401"
    assert data["status_message"].startswith("Access denied due to unauthorized transaction")
    status = await env.http.get("/v2/order-1/status", headers=headers)
    assert status.status_code == 401
    assert not env.sandbox.transactions


def assert_invalid(response: httpx.Response, *messages: str) -> None:
    assert response.status_code == 400
    data = response.json()
    assert data["status_code"] == "400"
    assert data["status_message"] == "One or more parameters in the payload is invalid."
    for message in messages:
        assert any(message in m for m in data["validation_messages"]), data


async def test_malformed_json_is_400(env: Env) -> None:
    response = await env.http.post(
        "/v2/charge", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert_invalid(response, "not valid JSON")
    assert env.sandbox.charge_requests == ["{not json"]


async def test_missing_fields_are_named(env: Env) -> None:
    assert_invalid(
        await env.charge({"customer_details": {}}),
        "payment_type is required",
        "transaction_details.order_id is required",
        "transaction_details.gross_amount is required",
        "cstore.store is required",
    )


async def test_item_sum_must_equal_gross_amount(env: Env) -> None:
    body = charge_body()
    body["item_details"][0]["quantity"] = 3
    assert_invalid(
        await env.charge(body),
        "transaction_details.gross_amount is not equal to the sum of item_details",
    )
    assert not env.sandbox.transactions


@pytest.mark.parametrize("amount", [9_999, 5_000_001])
async def test_indomaret_amount_range(env: Env, amount: int) -> None:
    body = charge_body(amount=amount)
    body["item_details"] = [{"id": "x", "name": "x", "price": amount, "quantity": 1}]
    assert_invalid(await env.charge(body), "between 10000 and 5000000")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cstore": {"store": "Lawson"}}, "cstore.store"),
        ({"cstore": {"store": "Indomaret", "message": "x" * 21}}, "cstore.message"),
        ({"payment_type": "gopay"}, "payment_type"),
        ({"transaction_details": {"order_id": "a b", "gross_amount": 25_000}}, "order_id"),
        ({"transaction_details": {"order_id": "a", "gross_amount": "lots"}}, "gross_amount"),
        ({"custom_expiry": {"expiry_duration": 10, "unit": "second"}}, "custom_expiry"),
        ({"custom_expiry": {"expiry_duration": 1, "unit": "week"}}, "custom_expiry.unit"),
        (
            {"custom_expiry": {"order_time": "2024-01-01", "expiry_duration": 1, "unit": "day"}},
            "custom_expiry.order_time",
        ),
    ],
)
async def test_other_invalid_fields(env: Env, change: dict[str, Any], message: str) -> None:
    assert_invalid(await env.charge(charge_body(**change)), message)


async def test_inactive_store_is_402() -> None:
    sandbox = MidtransSandbox(KEY, active_stores=("alfamart",))
    async with serve_app(sandbox.app) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/v2/charge", json=charge_body(), headers=AUTH)
        assert response.status_code == 402
        assert response.json()["status_code"] == "402"
        body = charge_body(cstore={"store": "alfamart", "message": "m"})
        response = await http.post("/v2/charge", json=body, headers=AUTH)
        assert response.json()["store"] == "alfamart"


async def test_duplicate_order_id_is_406_in_the_body_under_http_200(env: Env) -> None:
    assert (await env.charge()).status_code == 201
    response = await env.charge()
    assert response.status_code == 200  # as Midtrans answers it: only the body says 406
    data = response.json()
    assert data["status_code"] == "406"
    assert data["status_message"].startswith("The request could not be completed due to a conflict")
    assert len(env.sandbox.transactions) == 1


# -- charge and status --------------------------------------------------------------------------


async def test_charge_answers_like_midtrans(env: Env) -> None:
    before = datetime.now(WIB).replace(microsecond=0)
    response = await env.charge()
    assert response.status_code == 201
    data = response.json()
    assert data["status_code"] == "201"
    assert data["status_message"] == "Success, cstore transaction is successful"
    assert re.fullmatch(r"[0-9a-f-]{36}", data["transaction_id"])
    assert data["order_id"] == "order-1"
    assert data["gross_amount"] == "25000.00"
    assert data["payment_type"] == "cstore"
    assert data["transaction_status"] == "pending"
    assert data["store"] == "indomaret"
    assert data["merchant_id"]
    assert re.fullmatch(r"\d{14}", data["payment_code"])
    assert WIB_TEXT.fullmatch(data["transaction_time"])
    sent = datetime.strptime(data["transaction_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB)
    expiry = datetime.strptime(data["expiry_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB)
    assert before <= sent <= before + timedelta(seconds=2)
    assert expiry - sent == timedelta(hours=24)
    assert env.sandbox.charge_requests == [charge_body()]


async def test_custom_expiry_and_code_length() -> None:
    sandbox = MidtransSandbox(KEY, payment_code_digits=16)
    async with serve_app(sandbox.app) as url, httpx.AsyncClient(base_url=url) as http:
        expiry = {
            "order_time": "2030-01-02 10:04:05 +0700",
            "expiry_duration": 90,
            "unit": "minute",
        }
        response = await http.post(
            "/v2/charge", json=charge_body(custom_expiry=expiry), headers=AUTH
        )
        data = response.json()
        assert data["expiry_time"] == "2030-01-02 11:34:05"
        assert re.fullmatch(r"[1-9]\d{15}", data["payment_code"])
        codes = {data["payment_code"]}
        for n in range(30):
            response = await http.post("/v2/charge", json=charge_body(f"bulk-{n}"), headers=AUTH)
            codes.add(response.json()["payment_code"])
        assert len(codes) == 31


async def test_status_reflects_each_state(env: Env) -> None:
    unknown = await env.http.get("/v2/order-1/status", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json() == {"status_code": "404", "status_message": "Transaction doesn't exist."}

    charged = (await env.charge()).json()
    for action, state, code in [
        (None, "pending", "201"),
        ("settle", "settlement", "200"),
        ("deny", "deny", "202"),
    ]:
        if action:
            assert (await env.control("order-1", action, notify=False)).status_code == 200
        response = await env.http.get("/v2/order-1/status", headers=AUTH)
        assert response.status_code == 200
        data = response.json()
        assert (data["transaction_status"], data["status_code"]) == (state, code)
        assert data["payment_code"] == charged["payment_code"]
        assert data["store"] == "indomaret"
        assert data["gross_amount"] == "25000.00"
        assert "fraud_status" not in data
        assert data["signature_key"] == sha512("order-1" + code + "25000.00" + KEY)

    by_transaction_id = await env.http.get(f"/v2/{charged['transaction_id']}/status", headers=AUTH)
    assert by_transaction_id.json()["order_id"] == "order-1"


async def test_cancel_and_expire(env: Env) -> None:
    for order_id in ("c-1", "e-1", "s-1"):
        await env.charge(charge_body(order_id))
    await env.control("s-1", "settle", notify=False)

    cancelled = await env.http.post("/v2/c-1/cancel", headers=AUTH)
    assert cancelled.json()["status_code"] == "200"
    assert cancelled.json()["transaction_status"] == "cancel"
    expired = await env.http.post("/v2/e-1/expire", headers=AUTH)
    assert expired.json()["status_code"] == "407"
    assert expired.json()["status_message"] == "Success, transaction is expired"

    for path in ("/v2/c-1/cancel", "/v2/e-1/cancel", "/v2/s-1/cancel", "/v2/s-1/expire"):
        locked = await env.http.post(path, headers=AUTH)
        assert locked.status_code == 200  # 412 comes in the body only
        assert locked.json() == {
            "status_code": "412",
            "status_message": "Transaction status cannot be updated.",
        }
    missing = await env.http.post("/v2/nope/cancel", headers=AUTH)
    assert missing.json()["status_code"] == "404"

    # Midtrans notifies for changes made through the API too.
    await env.receiver.wait_for(2, changes=True)
    got = {body["order_id"]: body["transaction_status"] for _, body in env.receiver.changes()}
    assert got == {"c-1": "cancel", "e-1": "expire"}


# -- notifications ------------------------------------------------------------------------------


async def test_settle_sends_a_signed_notification(env: Env) -> None:
    charged = (await env.charge()).json()
    response = await env.control("order-1", "settle")
    assert response.status_code == 200
    answer = response.json()
    assert answer["delivered"] is True
    assert answer["status"] == 200

    [(path, body)] = env.receiver.changes()
    assert path == "/midtrans"
    assert body == answer["notification"]
    assert body["status_code"] == "200"
    assert body["status_message"] == "midtrans payment notification"
    assert body["transaction_status"] == "settlement"
    assert body["transaction_id"] == charged["transaction_id"]
    assert body["gross_amount"] == "25000.00"
    assert body["payment_type"] == "cstore"
    assert body["payment_code"] == charged["payment_code"]
    assert body["store"] == "indomaret"
    assert "fraud_status" not in body  # Indomaret notifications carry none
    assert re.fullmatch(r"\d{20}", body["approval_code"])
    assert WIB_TEXT.fullmatch(body["settlement_time"])
    assert body["transaction_time"] == charged["transaction_time"]
    assert body["expiry_time"] == charged["expiry_time"]
    assert body["signature_key"] == sha512("order-1" + "200" + "25000.00" + KEY)
    assert verify_notification(body, KEY)


async def test_reversal_after_settlement(env: Env) -> None:
    await env.charge()
    await env.control("order-1", "settle")
    response = await env.control("order-1", "deny")
    body = response.json()["notification"]
    assert (body["transaction_status"], body["status_code"]) == ("deny", "202")
    assert body["signature_key"] == sha512("order-1" + "202" + "25000.00" + KEY)
    assert [b["transaction_status"] for _, b in env.receiver.changes()] == ["settlement", "deny"]


@pytest.mark.parametrize(("action", "state"), [("expire", "expire"), ("cancel", "cancel")])
async def test_expire_and_cancel_notify_202(env: Env, action: str, state: str) -> None:
    await env.charge()
    body = (await env.control("order-1", action)).json()["notification"]
    assert (body["transaction_status"], body["status_code"]) == (state, "202")
    assert "approval_code" not in body
    assert verify_notification(body, KEY)
    refused = await env.control("order-1", "settle")
    assert refused.status_code == 409
    assert "error" in refused.json()


async def test_pending_is_resent(env: Env) -> None:
    await env.charge()
    await env.receiver.wait_for(1)  # the pending notification every charge brings
    first = (await env.control("order-1", "pending")).json()
    second = (await env.control("order-1", "pending")).json()
    assert first["notification"] == second["notification"]
    assert first["notification"]["status_code"] == "201"
    assert len(env.receiver.received) == 3


async def test_silent_change_for_lost_notifications(env: Env) -> None:
    await env.charge()
    answer = (await env.control("order-1", "settle", notify=False)).json()
    assert answer == {
        "delivered": False,
        "status": None,
        "notification": env.sandbox.notification_for("order-1"),
    }
    assert env.receiver.changes() == []
    assert env.sandbox.transactions["order-1"].transaction_status == "settlement"


async def test_listener_failure_is_reported(env: Env) -> None:
    await env.charge()
    env.receiver.status = 500
    answer = (await env.control("order-1", "settle")).json()
    assert (answer["delivered"], answer["status"]) == (False, 500)
    assert len(env.receiver.changes()) == 1


async def test_override_notification_header_is_per_transaction(env: Env) -> None:
    await env.charge(headers={"X-Override-Notification": f"{env.receiver_url}/other"})
    await env.charge(charge_body("order-2"))
    await env.control("order-1", "settle")
    await env.control("order-2", "settle")
    assert [p for p, _ in env.receiver.changes()] == ["/other", "/midtrans"]


async def test_control_errors_and_listing(env: Env) -> None:
    assert (await env.control("nope", "settle")).status_code == 404
    await env.charge()
    assert (await env.control("order-1", "teleport")).status_code == 400
    listing = (await env.http.get("/_sandbox/transactions")).json()["transactions"]
    assert [(t["order_id"], t["transaction_status"]) for t in listing] == [("order-1", "pending")]
    assert listing[0]["notification_url"] == f"{env.receiver_url}/midtrans"


async def test_notification_for_any_state_is_signed(env: Env) -> None:
    await env.charge()
    body = env.sandbox.notification_for("order-1", "settlement")
    assert body["status_code"] == "200"
    assert verify_notification(body, KEY)
    assert env.sandbox.transactions["order-1"].transaction_status == "pending"


async def test_send_control_helper(env: Env) -> None:
    await env.charge()
    answer = await send_control(env.url, "order-1", "settle")
    assert answer["delivered"] is True
    silent = await send_control(env.url + "/", "order-1", "deny", notify=False)
    assert silent["notification"]["transaction_status"] == "deny"
    assert len(env.receiver.changes()) == 1
    with pytest.raises(SandboxError, match="no transaction"):
        await send_control(env.url, "missing", "settle")


# -- faults -------------------------------------------------------------------------------------


async def test_fault_fails_without_creating(env: Env) -> None:
    added = await env.http.post(
        "/_sandbox/faults", json={"fail_status": 500, "times": 1, "paths": ["/v2/charge"]}
    )
    assert added.status_code == 200
    failed = await env.charge()
    assert failed.status_code == 500
    assert failed.json()["status_code"] == "500"
    assert not env.sandbox.transactions
    assert (await env.charge()).status_code == 201


async def test_fault_after_create(env: Env) -> None:
    await env.http.post(
        "/_sandbox/faults", json={"fail_status": 503, "create_before_failing": True}
    )
    assert (await env.charge()).status_code == 503
    assert list(env.sandbox.transactions) == ["order-1"]


async def test_fault_delay_and_paths(env: Env) -> None:
    await env.charge()
    env.sandbox.add_fault(delay_seconds=0.3, times=2, paths=["/v2/*/status"])
    started = time.perf_counter()
    assert (await env.charge(charge_body("order-2"))).status_code == 201
    assert time.perf_counter() - started < 0.25
    for _ in range(2):
        started = time.perf_counter()
        status = await env.http.get("/v2/order-1/status", headers=AUTH)
        assert status.json()["status_code"] == "201"
        assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    await env.http.get("/v2/order-1/status", headers=AUTH)
    assert time.perf_counter() - started < 0.25


async def test_faults_can_be_cleared_and_are_checked(env: Env) -> None:
    await env.http.post("/_sandbox/faults", json={"fail_status": 500, "times": 5})
    assert (await env.http.delete("/_sandbox/faults")).json() == {"faults": []}
    assert (await env.charge()).status_code == 201
    for bad in [{"times": 0}, {"fail_status": 42}, {"paths": "x"}, {"colour": "red"}, []]:
        assert (await env.http.post("/_sandbox/faults", json=bad)).status_code == 400
    assert env.sandbox.faults == []


async def test_create_midtrans_sandbox_gives_an_app() -> None:
    app = create_midtrans_sandbox(KEY, payment_code_digits=12)
    async with serve_app(app) as url, httpx.AsyncClient(base_url=url) as http:
        data = (await http.post("/v2/charge", json=charge_body(), headers=AUTH)).json()
        assert re.fullmatch(r"\d{12}", data["payment_code"])


# -- Midtrans as it really behaves (issue 12) ---------------------------------------------------


async def test_each_charge_brings_a_pending_notification_that_may_beat_the_answer(env: Env) -> None:
    # The charge is created, then its answer is held back: the notification arrives first.
    env.sandbox.add_fault(delay_seconds=0.5, create_before_failing=True, paths=["/v2/charge"])
    answer = asyncio.ensure_future(env.charge())
    await env.receiver.wait_for(1)
    assert not answer.done()
    [(_, body)] = env.receiver.received
    assert (body["transaction_status"], body["status_code"]) == ("pending", "201")
    assert verify_notification(body, KEY)
    assert (await answer).json()["transaction_status"] == "pending"


async def test_get_status_after_expire_is_407_and_after_cancel_200(env: Env) -> None:
    await env.charge(charge_body("e-1"))
    await env.charge(charge_body("c-1"))
    await env.control("e-1", "expire", notify=False)
    await env.control("c-1", "cancel", notify=False)
    expired = await env.http.get("/v2/e-1/status", headers=AUTH)
    cancelled = await env.http.get("/v2/c-1/status", headers=AUTH)
    assert expired.status_code == cancelled.status_code == 200
    assert (expired.json()["status_code"], expired.json()["transaction_status"]) == (
        "407",
        "expire",
    )
    assert (cancelled.json()["status_code"], cancelled.json()["transaction_status"]) == (
        "200",
        "cancel",
    )
    assert expired.json()["signature_key"] == sha512("e-1" + "407" + "25000.00" + KEY)
    # The notifications keep 202.
    assert env.sandbox.notification_for("e-1")["status_code"] == "202"


@pytest.mark.parametrize("closing", ["cancel", "expire"])
async def test_an_order_id_can_be_charged_again_after_cancel_or_expire(
    env: Env, closing: str
) -> None:
    first = (await env.charge()).json()
    assert (await env.charge()).json()["status_code"] == "406"  # while the first one stands
    await env.control("order-1", closing, notify=False)
    again = await env.charge()
    assert again.status_code == 201
    assert again.json()["transaction_id"] != first["transaction_id"]
    assert env.sandbox.transactions["order-1"].transaction_status == "pending"
    await env.control("order-1", "settle", notify=False)
    assert (await env.charge()).json()["status_code"] == "406"  # nor after it is paid


async def test_override_notification_takes_at_most_two_urls(env: Env) -> None:
    two = f"{env.receiver_url}/a, {env.receiver_url}/b"
    assert (await env.charge(headers={"X-Override-Notification": two})).status_code == 201
    await env.control("order-1", "settle")
    await env.receiver.wait_for(2, changes=True)
    assert sorted(p for p, _ in env.receiver.changes()) == ["/a", "/b"]
    three = two + f", {env.receiver_url}/c"
    refused = await env.charge(charge_body("order-2"), headers={"X-Override-Notification": three})
    assert_invalid(refused, "at most 2 URLs")


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("", True),
        ("budi@example.com", True),
        ("budi.s+warung@mail.example.co.id", True),
        ("budi@[10.0.0.1]", True),
        ("Budi@Example.com", False),  # the documented pattern is lower case only
        ("budi@localhost", False),
        ("budi..s@example.com", False),
        ("budi @example.com", False),
        ("budi@example.com.", False),
    ],
)
async def test_customer_email_is_checked_as_midtrans_documents(
    env: Env, email: str, ok: bool
) -> None:
    body = charge_body(customer_details={"first_name": "Budi", "email": email})
    response = await env.charge(body)
    if ok:
        assert response.status_code == 201, response.json()
    else:
        assert_invalid(response, "customer_details.email format is invalid")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "x" * 51}, "item_details[0].id"),
        ({"name": "x" * 51}, "item_details[0].name"),
        ({"price": 10_000.0}, "item_details[0].price must be an integer"),
    ],
)
async def test_item_id_name_and_price_are_checked(
    env: Env, change: dict[str, Any], message: str
) -> None:
    body = charge_body()
    body["item_details"][0].update(change)
    assert_invalid(await env.charge(body), message)


async def test_amounts_must_be_integers(env: Env) -> None:
    body = charge_body()
    body["transaction_details"]["gross_amount"] = 25_000.0
    assert_invalid(await env.charge(body), "gross_amount must be an integer")


@pytest.mark.parametrize(
    "order_time", ["2030-01-02 10:04:05 +07:00", "2030-01-02T10:04:05 +0700", "2030-01-02 10:04"]
)
async def test_order_time_must_have_midtrans_form(env: Env, order_time: str) -> None:
    expiry = {"order_time": order_time, "expiry_duration": 1, "unit": "day"}
    assert_invalid(await env.charge(charge_body(custom_expiry=expiry)), "custom_expiry.order_time")


@pytest.mark.parametrize(
    ("code", "http"), [(429, 429), (402, 200), (410, 200), (411, 200), (413, 200), (502, 502)]
)
async def test_injected_error_codes_come_as_midtrans_sends_them(
    env: Env, code: int, http: int
) -> None:
    env.sandbox.add_fault(fail_status=code, paths=["/v2/charge"])
    response = await env.charge()
    assert response.status_code == http
    assert response.json()["status_code"] == str(code)
    assert not env.sandbox.transactions
    assert (await env.charge()).status_code == 201


async def test_slow_answer_past_a_deadline(env: Env) -> None:
    await env.charge()
    env.sandbox.add_fault(delay_seconds=0.4, paths=["/v2/*/status"])
    with pytest.raises(httpx.ReadTimeout):
        await env.http.get("/v2/order-1/status", headers=AUTH, timeout=0.2)


async def test_notifications_can_be_switched_off(env: Env) -> None:
    off = await env.http.post("/_sandbox/notifications", json={"enabled": False})
    assert off.json() == {"enabled": False}
    await env.charge()
    answer = (await env.control("order-1", "settle")).json()
    assert (answer["delivered"], answer["status"]) == (False, None)
    assert env.sandbox.transactions["order-1"].transaction_status == "settlement"
    assert (await env.http.post("/_sandbox/notifications", json={})).status_code == 400
    await env.http.post("/_sandbox/notifications", json={"enabled": True})
    await env.control("order-1", "deny")
    assert [b["transaction_status"] for _, b in env.receiver.received] == ["deny"]


@pytest.mark.parametrize(
    ("status", "retries"),
    [(200, 0), (302, 0), (500, 1), (503, 4), (400, 2), (404, 2), (401, 5), (None, 5)],
)
def test_retry_count_follows_our_answer(status: int | None, retries: int) -> None:
    assert retries_for(status) == retries


async def test_failed_notifications_are_retried_on_a_scaled_schedule(env: Env) -> None:
    env.sandbox.notification_retry_scale = 0.001  # 2 min -> 0.12 s, 10 min -> 0.6 s, ...
    await env.charge()
    await env.receiver.wait_for(1)
    env.receiver.status = 503
    started = time.monotonic()
    await env.control("order-1", "settle")
    await env.receiver.wait_for(3, changes=True, within=5)
    env.receiver.status = 200
    await env.receiver.wait_for(4, changes=True, within=5)
    took = time.monotonic() - started
    assert 1.8 * 0.9 <= took < 4  # the third retry comes 30 min (x 0.001) after the first

    def settled() -> list[tuple[int, int | None]]:
        deliveries = env.sandbox.deliveries
        return [
            (d.attempt, d.status)
            for d in deliveries
            if d.notification["transaction_status"] != "pending"
        ]

    # The receiver counts a delivery before the sandbox has read our answer and recorded it.
    await wait_until(lambda: len(settled()) >= 4, 5, "the sandbox to record the fourth answer")
    assert settled() == [(0, 503), (1, 503), (2, 503), (3, 200)]
    await env.sandbox.aclose()
