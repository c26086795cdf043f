"""Many charged orders at once: rows as checkout leaves them, and the sandbox's transactions.

Placing hundreds of orders through the charge API costs a round trip each; the fault suite needs
them in bulk, so this writes the order and charge rows in one transaction and registers the same
transactions in the sandbox directly. Everything after (notifications, Get Status, pushes) then
goes through the real code over HTTP.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.orders import OrderStatus
from bot.sandbox.midtrans import MidtransSandbox, SandboxTransaction
from storage import NewOrder, OrderItem, Product, Store, Tx

PRICE = 15_000


@dataclass(frozen=True)
class Seeded:
    order_id: str
    chat_id: int
    amount: int


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
    seeded = [
        Seeded(f"WB-{tag}-{n:05d}-{chat}", chat, PRICE * (1 + n % 3))
        for n, chat in enumerate(chats)
    ]
    expires = now + timedelta(hours=1)

    def write(tx: Tx) -> None:
        for seed in seeded:
            tx.create_order(
                NewOrder(
                    id=seed.order_id,
                    customer_id=seed.chat_id,
                    chat_id=seed.chat_id,
                    status=OrderStatus.AWAITING_PAYMENT,
                    items=(OrderItem(product.id, product.name, PRICE, seed.amount // PRICE),),
                    delivery_fee=0,
                    fulfilment="pickup",
                    customer_name="Tamu",
                    customer_phone="+6281234567890",
                    customer_email="",
                    language="id",
                    created_at=now,
                    expires_at=expires,
                )
            )
            tx.save_charge(
                seed.order_id,
                _transaction_id(seed),
                _code(seed),
                expires,
                {"status_code": "201"},
                now,
            )

    await store.run(write)
    for seed in seeded:
        sandbox.transactions[seed.order_id] = SandboxTransaction(
            order_id=seed.order_id,
            transaction_id=_transaction_id(seed),
            gross_amount=seed.amount,
            store="indomaret",
            payment_code=_code(seed),
            transaction_time=now.replace(microsecond=0),
            expiry_time=expires.replace(microsecond=0),
            notification_url=None,
        )
    return seeded


async def settle_silently(sandbox: MidtransSandbox, order_id: str) -> bytes:
    """Pay at the sandbox without notifying; the signed settlement body to deliver ourselves."""
    delivery = await sandbox.trigger(order_id, "settle", notify=False)
    return body(delivery.notification)


def body(notification: dict[str, Any]) -> bytes:
    return json.dumps(notification).encode()


def _transaction_id(seed: Seeded) -> str:
    return f"tx-{seed.order_id}"


def _code(seed: Seeded) -> str:
    return f"{zlib.crc32(seed.order_id.encode()):014d}"
