"""The listener: body limits, the Telegram secret token, health, and what is logged."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.rules.orders import OrderStatus
from storage import Tx
from tests.support.world import SERVER_KEY, WEBHOOK_SECRET, World, payment_world

UPDATE = {
    "update_id": 1,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}},
}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path) as w:
        yield w


async def test_oversized_notifications_are_refused_before_reading(world: World) -> None:
    order = await world.order()
    body = world.sandbox.notification_for(order.id, "settlement")
    body["padding"] = "x" * (64 * 1024)
    raw = json.dumps(body).encode()
    answer = await world.http.post(world.notification_url, content=raw)
    assert answer.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        for start in range(0, len(raw), 4096):
            yield raw[start : start + 4096]

    answer = await world.http.post(world.notification_url, content=chunks())
    assert answer.status_code == 413
    rows = await world.store.run(Tx.payment_events)
    assert [e.transaction_status for e in rows] == ["pending"]  # only the charge's own
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT


async def test_a_body_just_under_the_limit_is_read(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    body = world.sandbox.notification_for(order.id)
    body["padding"] = ""
    body["padding"] = "x" * (64 * 1024 - len(json.dumps(body)))
    raw = json.dumps(body).encode()
    assert len(raw) == 64 * 1024
    answer = await world.http.post(world.notification_url, content=raw)
    assert answer.status_code == 200
    assert (await world.get(order.id)).status == OrderStatus.PAID


async def test_only_post_is_accepted(world: World) -> None:
    assert (await world.http.get(world.notification_url)).status_code == 405


async def test_rejections_are_logged_without_body_or_secrets(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    order = await world.order()
    body = {**world.sandbox.notification_for(order.id, "settlement"), "signature_key": "f" * 128}
    with caplog.at_level(logging.INFO, logger="bot"):
        assert (await world.post_notification(body)).status_code == 401
        assert (await world.post_notification(b"nope")).status_code == 400
        await world.http.post(world.url + "/telegram", json=UPDATE)
    refused = [r.getMessage() for r in caplog.records if r.name == "bot.listener"]
    assert len(refused) == 3
    assert "401" in refused[0] and "400" in refused[1] and "403" in refused[2]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert SERVER_KEY not in everything and WEBHOOK_SECRET not in everything
    assert "f" * 128 not in everything and body["payment_code"] not in everything


async def test_telegram_webhook_checks_the_secret_token(world: World) -> None:
    url = world.url + world.settings.telegram_webhook_path
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        answer = await world.http.post(url, json=UPDATE, headers=headers)
        assert answer.status_code == 403
    almost = WEBHOOK_SECRET[:-1] + "X"
    answer = await world.http.post(
        url, json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": almost}
    )
    assert answer.status_code == 403
    assert world.updates == []

    good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert (await world.http.post(url, json=UPDATE, headers=good)).status_code == 200
    assert world.updates == [UPDATE]
    assert (await world.http.post(url, content=b"[1]", headers=good)).status_code == 400
    assert (await world.http.post(url, content=b"{", headers=good)).status_code == 400


async def test_telegram_route_is_off_in_polling_mode(tmp_path: Path) -> None:
    async with payment_world(tmp_path, take_updates=False) as w:
        url = w.url + w.settings.telegram_webhook_path
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        assert (await w.http.post(url, json=UPDATE, headers=headers)).status_code == 404


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 60_000,  # deep enough to exhaust the JSON parser's recursion
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"order_id": "WB-\\ud800", "status_code": "200", "gross_amount": "1.00"}',
        b'{"order_id": "x", "note": {"deep": "\\udfff"}}',
    ],
    ids=["deep-list", "deep-object", "lone-surrogate", "nested-surrogate"],
)
async def test_bodies_that_crash_a_parser_are_400_with_one_log_line(
    world: World, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    with caplog.at_level(logging.INFO, logger="bot"):
        answer = await world.http.post(world.notification_url, content=raw)
    assert answer.status_code == 400
    lines = [r for r in caplog.records if r.name.startswith("bot")]
    assert len(lines) == 1 and "400" in lines[0].getMessage()
    assert await world.store.run(Tx.payment_events) == []
