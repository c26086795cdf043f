"""Many charged orders at once: rows as checkout leaves them, and the sandbox's transactions.

Placing hundreds of orders through the charge API costs a round trip each; the fault suite and
the benchmarks (``bench.common``) need them in bulk, so this writes the order and charge rows in
one transaction and registers the same transactions in the sandbox directly. Everything after
(notifications, Get Status, pushes) then goes through the real code over HTTP.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.rules.orders import OrderStatus
from devtools.midtrans import MidtransSandbox
from storage import NewOrder, OrderItem, Product, Store, Tx

PRICE = 15_000


@dataclass(frozen=True)
class Seeded:
    """An order awaiting payment with its charge, and the Midtrans side of it."""

    order_id: str
    chat_id: int
    amount: int
    transaction_id: str
    payment_code: str


def write_charged_orders(
    tx: Tx,
    product: Product,
    seeds: Iterable[Seeded],
    *,
    now: datetime,
    expires: datetime,
    customer_name: str = "Tamu",
) -> None:
    """The order and charge rows of ``seeds`` (``amount`` a whole number of ``product``)."""
    price = product.price
    for seed in seeds:
        tx.create_order(
            NewOrder(
                id=seed.order_id,
                customer_id=seed.chat_id,
                chat_id=seed.chat_id,
                status=OrderStatus.AWAITING_PAYMENT,
                items=(OrderItem(product.id, product.name, price, seed.amount // price),),
                delivery_fee=0,
                fulfilment="pickup",
                customer_name=customer_name,
                customer_phone="+6281234567890",
                customer_email="",
                language="id",
                created_at=now,
                expires_at=expires,
            )
        )
        tx.save_charge(
            seed.order_id,
            seed.transaction_id,
            seed.payment_code,
            expires,
            {"status_code": "201", "order_id": seed.order_id},
            now,
        )


async def seed_charged_orders(
    store: Store,
    sandbox: MidtransSandbox,
    chats: list[int],
    *,
    now: datetime,
    product: Product | None = None,
    tag: str = "F",
) -> list[Seeded]:
    """One pending, charged order per entry of ``chats`` (a chat may appear several times)."""
    if product is None:
        product = await store.run(Tx.add_product, "Roti bakar", PRICE, None, now)
    seeded = []
    for n, chat in enumerate(chats):
        order_id = f"WB-{tag}-{n:05d}-{chat}"
        code = f"{zlib.crc32(order_id.encode()):014d}"
        seeded.append(Seeded(order_id, chat, product.price * (1 + n % 3), f"tx-{order_id}", code))
    expires = now + timedelta(hours=1)
    await store.run(write_charged_orders, product, seeded, now=now, expires=expires)
    for seed in seeded:
        sandbox.add_charge(
            seed.order_id,
            seed.transaction_id,
            seed.amount,
            seed.payment_code,
            created=now,
            expires=expires,
        )
    return seeded


async def settle_silently(sandbox: MidtransSandbox, order_id: str) -> bytes:
    """Pay at the sandbox without notifying; the signed settlement body to deliver ourselves."""
    delivery = await sandbox.trigger(order_id, "settle", notify=False)
    return body(delivery.notification)


def body(notification: dict[str, Any]) -> bytes:
    return json.dumps(notification).encode()
