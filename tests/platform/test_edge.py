"""The platform's edge over real HTTP, on a real PostgreSQL, with the Midtrans sandbox hosting
two merchants: webhooks land in the right shop's inbox or are refused with nothing written, and
a shop's payment notification reaches its own ledger only."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from starlette.types import Receive, Scope, Send

from bot.config import Settings, load_settings
from bot.payments.midtrans import MidtransClient
from bot.platform.edge import EdgeApp
from bot.platform.hosting import Hosting, PaymentsCache, shop_store
from bot.platform.shops import HostedShop, ShopDirectory
from bot.shop.checkout import charge_order
from bot.shop.services import Services
from devtools.midtrans import MidtransSandbox
from storage import OrderItem, Tx
from storage.postgres import PostgresStore
from tests.support.orders import unpaid_order
from tests.support.servers import serve_app
from tests.support.world import FakeClock

KEY_A = "SB-Mid-server-TokoAaaa_0001"
KEY_B = "SB-Mid-server-TokoBbbb_0002"
USER = 4242


@dataclass
class Edge:
    url: str
    http: httpx.AsyncClient
    directory: ShopDirectory
    store: PostgresStore
    hosting: Hosting
    sandbox: MidtransSandbox
    merchants: dict[str, MidtransSandbox]
    dsn: str
    shops: dict[str, HostedShop]


def base_settings(midtrans_url: str) -> Settings:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "5000000001:PLATFORMplatformPLATFORM12345",
            "MIDTRANS_SERVER_KEY": KEY_A,
            "MIDTRANS_API_BASE_URL": midtrans_url,
        }
    )
    return dataclasses.replace(settings, confirm_notifications=True)


@pytest.fixture
async def edge(
    directory: ShopDirectory, pg_store: PostgresStore, pg_database: str
) -> AsyncIterator[Edge]:
    sandbox = MidtransSandbox(KEY_A)
    merchants = {"A": sandbox, "B": sandbox.add_merchant(KEY_B)}
    served: list[EdgeApp] = []

    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        await served[0](scope, receive, send)  # the edge, built once its URL is known

    async with (
        serve_app(sandbox.app) as midtrans_url,
        serve_app(forward) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        hosting = Hosting(
            base_settings(midtrans_url),
            public_base_url=url,
            midtrans_base_urls={"sandbox": midtrans_url, "production": midtrans_url},
        )
        clock = FakeClock()
        payments = PaymentsCache(pg_store, hosting, clock)
        served.append(EdgeApp(pg_store, directory, payments, clock=clock))
        shops = {
            name: await directory.create(
                owner_user_id=9000 + n,
                bot_token=f"70000000{n}:AAHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0j{n}",
                bot_username=f"toko_{name}_bot",
                shop_key=f"key-{name}",
                webhook_secret=f"secret-{name}",
                midtrans_server_key=key,
                midtrans_environment="sandbox",
            )
            for n, (name, key) in enumerate((("A", KEY_A), ("B", KEY_B)))
        }
        yield Edge(url, http, directory, pg_store, hosting, sandbox, merchants, pg_database, shops)
        await payments.close()


def inbox_rows(dsn: str) -> list[tuple[int, int]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT shop_id, update_id FROM inbox ORDER BY shop_id, update_id")
        return [(int(r[0]), int(r[1])) for r in rows]


def update(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1764500000,
            "chat": {"id": USER, "type": "private", "first_name": "Budi"},
            "from": {"id": USER, "is_bot": False, "first_name": "Budi"},
            "text": "/start",
        },
    }


def secret(value: str) -> dict[str, str]:
    return {"X-Telegram-Bot-Api-Secret-Token": value}


async def test_an_update_lands_once_in_its_shops_inbox(edge: Edge) -> None:
    a, b = edge.shops["A"], edge.shops["B"]
    first = await edge.http.post("/tg/key-A", json=update(10), headers=secret("secret-A"))
    retry = await edge.http.post("/tg/key-A", json=update(10), headers=secret("secret-A"))
    other = await edge.http.post("/tg/key-B", json=update(10), headers=secret("secret-B"))

    assert (first.status_code, retry.status_code, other.status_code) == (200, 200, 200)
    assert inbox_rows(edge.dsn) == [(a.id, 10), (b.id, 10)]


async def test_unknown_shops_and_wrong_secrets_are_refused_and_write_nothing(
    edge: Edge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unknown = await edge.http.post("/tg/key-Z", json=update(1), headers=secret("secret-A"))
    wrong = await edge.http.post("/tg/key-A", json=update(2), headers=secret("secret-B"))
    missing = await edge.http.post("/tg/key-A", json=update(3))
    notification = await edge.http.post("/midtrans/key-Z/notification", json={"order_id": "x"})
    malformed = await edge.http.post("/tg/key-A", json={"message": {}}, headers=secret("secret-A"))
    too_large = await edge.http.post(
        "/tg/key-A", content=b"x" * (1024 * 1024 + 1), headers=secret("secret-A")
    )
    get = await edge.http.get("/tg/key-A")

    assert (unknown.status_code, wrong.status_code, missing.status_code) == (404, 401, 401)
    assert (notification.status_code, malformed.status_code, too_large.status_code) == (
        404,
        400,
        413,
    )
    assert get.status_code == 405
    assert inbox_rows(edge.dsn) == []
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert f"POST /tg/<shop {edge.shops['A'].id}> from 127.0.0.1: 401" in ours
    assert "key-A" not in ours and "key-Z" not in ours


async def test_a_paused_shop_answers_but_keeps_nothing_and_a_deleted_one_is_gone(
    edge: Edge,
) -> None:
    await edge.directory.pause(edge.shops["A"].id)
    await edge.directory.delete(edge.shops["B"].id)

    paused = await edge.http.post("/tg/key-A", json=update(5), headers=secret("secret-A"))
    deleted = await edge.http.post("/tg/key-B", json=update(5), headers=secret("secret-B"))

    assert (paused.status_code, deleted.status_code) == (200, 404)
    assert inbox_rows(edge.dsn) == []


async def _order_charged(edge: Edge, name: str, order_id: str, amount: int) -> Services:
    """An order of shop ``name`` charged through the real checkout step, as its bot would."""
    shop = edge.shops[name]
    settings = edge.hosting.settings_for(shop)
    store = shop_store(edge.store, shop.id)
    midtrans = MidtransClient(KEY_A if name == "A" else KEY_B, base_url=settings.midtrans_base_url)
    services = Services(
        settings=settings,
        store=store,
        midtrans=midtrans,
        payments=(await PaymentsCache(edge.store, edge.hosting).for_shop(shop)).payments,
    )
    now = FakeClock()()
    await store.run(Tx.save_customer, USER, USER, now, name="Budi", phone="+6281234567890")
    order = await store.run(
        Tx.create_order,
        unpaid_order(order_id, (OrderItem(None, "Kopi", amount, 1),), now=now, customer=USER),
    )
    await charge_order(services, order, await services.shop())
    await midtrans.aclose()
    return services


async def test_a_shops_notification_pays_its_order_through_its_own_path(edge: Edge) -> None:
    a = await _order_charged(edge, "A", "WB-1", 18_000)
    b = await _order_charged(edge, "B", "WB-1", 25_000)

    delivery = await edge.merchants["A"].trigger("WB-1", "settle")

    assert delivery.url == f"{edge.url}/midtrans/key-A/notification"  # X-Override-Notification
    assert delivery.status == 200
    paid = await a.store.run(Tx.order, "WB-1")
    untouched = await b.store.run(Tx.order, "WB-1")
    assert paid is not None and paid.status == "paid"
    assert untouched is not None and untouched.status == "awaiting_payment"
    assert await a.store.run(Tx.outbox_messages)  # the pushes wait for the shop's worker


async def test_a_notification_for_one_shop_posted_to_anothers_path_is_refused(
    edge: Edge,
) -> None:
    await _order_charged(edge, "A", "WB-7", 18_000)
    b = await _order_charged(edge, "B", "WB-7", 18_000)
    await edge.merchants["A"].trigger("WB-7", "settle", notify=False)
    body = edge.merchants["A"].notification_for("WB-7")

    answer = await edge.http.post("/midtrans/key-B/notification", json=body)

    assert answer.status_code == 401
    order = await b.store.run(Tx.order, "WB-7")
    assert order is not None and order.status == "awaiting_payment"
