"""The Midtrans sandbox serves many merchant server keys, each its own merchant, and keeps the
two environments apart by key prefix, as Midtrans does for a platform hosting many shops."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.payments.midtrans import MidtransClient, MidtransError, MidtransErrorKind
from devtools.midtrans import MidtransSandbox, key_environment
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

KOPI = "SB-Mid-server-KopiBuSiti_0001"
ROTI = "SB-Mid-server-RotiPakBudi_0002"
LIVE = "Mid-server-LiveMerchant_0003"


def charge_body(order_id: str) -> dict[str, object]:
    return {
        "payment_type": "cstore",
        "transaction_details": {"order_id": order_id, "gross_amount": 25_000},
        "cstore": {"store": "indomaret", "message": "Warung"},
        "item_details": [{"id": "k1", "price": 25_000, "quantity": 1, "name": "Kopi"}],
    }


async def test_each_key_is_its_own_merchant() -> None:
    kopi = MidtransSandbox(KOPI, environment="sandbox")
    roti = kopi.add_merchant(ROTI)
    assert kopi.merchants == [kopi, roti] and roti.merchant_id != kopi.merchant_id
    async with serve_app(kopi.app) as url:
        async with MidtransClient(KOPI, base_url=url) as a, MidtransClient(ROTI, base_url=url) as b:
            for client in (a, b):  # the same order id at two merchants: no collision
                response = await client._http.post("/v2/charge", json=charge_body("order-1"))
                assert response.json()["status_code"] == "201"
            status_a, status_b = await a.get_status("order-1"), await b.get_status("order-1")
            assert status_a is not None and status_b is not None
            assert status_a.raw["merchant_id"] == kopi.merchant_id
            assert status_b.raw["merchant_id"] == roti.merchant_id
            assert status_a.raw["payment_code"] != status_b.raw["payment_code"]
            await b._http.post("/v2/order-1/cancel")
            assert (await a.get_status("order-1")).transaction_status == "pending"  # type: ignore[union-attr]
            assert (await b.get_status("order-1")).transaction_status == "cancel"  # type: ignore[union-attr]
            assert await a.get_status("only-at-roti") is None
    assert set(kopi.transactions) == {"order-1"} and set(roti.transactions) == {"order-1"}
    assert (
        roti.notification_for("order-1")["signature_key"]
        != kopi.notification_for("order-1")["signature_key"]
    )


async def test_unknown_order_answers_404_in_the_body() -> None:
    sandbox = MidtransSandbox(KOPI, environment="sandbox")
    async with serve_app(sandbox.app) as url, MidtransClient(KOPI, base_url=url) as client:
        response = await client._http.get("/v2/warung-check-0123abcd/status")
    assert response.json()["status_code"] == "404"
    assert "doesn't exist" in response.json()["status_message"]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("SB-Mid-server-NobodyHasThisKey", "unknown key"),
        (LIVE, "a production key at the sandbox"),
        ("SB-Mid-client-KopiBuSiti_0001", "a client key"),
    ],
)
async def test_unknown_or_other_environment_keys_answer_401(key: str, why: str) -> None:
    sandbox = MidtransSandbox(KOPI, environment="sandbox")
    sandbox.add_merchant(ROTI)
    async with serve_app(sandbox.app) as url, MidtransClient(key, base_url=url) as client:
        with pytest.raises(MidtransError) as caught:
            await client.get_status("order-1")
    assert caught.value.kind is MidtransErrorKind.UNAUTHORIZED, why
    assert len(sandbox.requests) == 1  # recorded, with the first merchant


async def test_production_refuses_sandbox_keys() -> None:
    production = MidtransSandbox(LIVE, environment="production")
    async with serve_app(production.app) as url:
        async with MidtransClient(LIVE, base_url=url) as live:
            assert await live.get_status("order-1") is None
        async with MidtransClient(KOPI, base_url=url) as wrong:
            with pytest.raises(MidtransError) as caught:
                await wrong.get_status("order-1")
    assert caught.value.kind is MidtransErrorKind.UNAUTHORIZED


def test_keys_must_match_the_environment() -> None:
    assert key_environment(KOPI) == "sandbox" and key_environment(LIVE) == "production"
    assert key_environment("SB-Mid-client-x") is None
    with pytest.raises(ValueError, match="starts with SB-Mid-server-"):
        MidtransSandbox(LIVE, environment="sandbox")
    with pytest.raises(ValueError, match="starts with Mid-server-"):
        MidtransSandbox(KOPI, environment="production").add_merchant(ROTI)
    with pytest.raises(ValueError, match="already belongs"):
        MidtransSandbox(KOPI).add_merchant(KOPI)


async def test_default_sandbox_takes_any_key_format() -> None:
    sandbox = MidtransSandbox("any-old-key")
    async with serve_app(sandbox.app) as url, MidtransClient("any-old-key", base_url=url) as c:
        assert await c.get_status("x") is None


async def test_notifications_go_to_each_merchants_url() -> None:
    received: list[str] = []

    async def hook(request: Request) -> Response:
        received.append(request.path_params["shop"])
        return Response("ok")

    shops = Starlette(routes=[Route("/midtrans/{shop}/notification", hook, methods=["POST"])])
    kopi = MidtransSandbox(KOPI, environment="sandbox", pending_notification=False)
    roti = kopi.add_merchant(ROTI)
    async with serve_app(shops) as shops_url, serve_app(kopi.app) as url:
        async with MidtransClient(ROTI, base_url=url) as client:
            await client._http.post(
                "/v2/charge",
                json=charge_body("order-9"),
                headers={"X-Override-Notification": f"{shops_url}/midtrans/roti/notification"},
            )
        await roti.trigger("order-9", "settle")
        await wait_until(lambda: received == ["roti"], 5.0, "the settlement at roti's URL")
    assert kopi.deliveries == [] and [d.status for d in roti.deliveries] == [200]
