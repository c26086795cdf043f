"""Orders as checkout leaves them: the order row with its stock reserved, and a real charge.

The charge goes through ``MidtransClient`` to the sandbox, so the sandbox knows the transaction
and can settle, expire or reverse it; ``charge=False`` leaves the order without its charge row,
as a checkout whose charge answer was lost does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.payments.midtrans import ChargeItem, ChargeRequest, Customer, CustomExpiry, MidtransClient
from bot.rules.orders import OrderStatus, new_order_id
from storage import NewOrder, Order, OrderItem, Product, Store, Tx


async def add_products(store: Store, now: datetime) -> tuple[Product, Product]:
    """Kopi susu (Rp18.000, 10 in stock) and Roti bakar (Rp15.000, unlimited)."""
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, 10, now)
    roti = await store.run(Tx.add_product, "Roti bakar", 15_000, None, now)
    return kopi, roti


def unpaid_order(
    order_id: str,
    items: Sequence[OrderItem],
    *,
    now: datetime,
    customer: int = 1001,
    language: str = "id",
    fee: int = 0,
    fulfilment: str = "pickup",
    name: str = "Budi",
    phone: str = "+6281234567890",
    expiry: timedelta = timedelta(hours=24),
    address: str | None = None,
    note: str | None = None,
) -> NewOrder:
    """The order row checkout writes before the charge (``Tx.create_order``'s argument), for
    tests that write orders straight into a store."""
    return NewOrder(
        id=order_id,
        customer_id=customer,
        chat_id=customer,
        status=OrderStatus.AWAITING_PAYMENT,
        items=tuple(items),
        delivery_fee=fee,
        fulfilment=fulfilment,
        customer_name=name,
        customer_phone=phone,
        customer_email="",
        language=language,
        created_at=now,
        expires_at=now + expiry,
        address=address,
        note=note,
    )


async def place_order(
    store: Store,
    midtrans: MidtransClient,
    items: Sequence[tuple[Product, int]],
    *,
    now: datetime,
    chat_id: int = 1001,
    language: str = "id",
    delivery_fee: int = 0,
    fulfilment: str = "pickup",
    address: str | None = None,
    note: str | None = None,
    name: str = "Budi",
    phone: str = "+6281234567890",
    expiry: timedelta = timedelta(hours=1),
    charge: bool = True,
    order_id: str | None = None,
) -> Order:
    """Create the order (reserving stock) and, unless ``charge=False``, charge and save it."""
    order_id = order_id or new_order_id(now)
    lines = tuple(OrderItem(p.id, p.name, p.price, qty) for p, qty in items)
    await store.run(
        Tx.create_order,
        unpaid_order(
            order_id,
            lines,
            now=now,
            customer=chat_id,
            language=language,
            fee=delivery_fee,
            fulfilment=fulfilment,
            name=name,
            phone=phone,
            expiry=expiry,
            address=address,
            note=note,
        ),
    )
    if charge:
        await charge_order(store, midtrans, order_id, now=now, expiry=expiry, save=True)
    order = await store.run(Tx.order, order_id)
    assert order is not None
    return order


async def charge_order(
    store: Store,
    midtrans: MidtransClient,
    order_id: str,
    *,
    now: datetime,
    expiry: timedelta = timedelta(hours=1),
    save: bool = True,
) -> None:
    """Charge a stored order at the sandbox; ``save=False`` plays a lost charge answer."""
    order = await store.run(Tx.order, order_id)
    assert order is not None
    items = [ChargeItem(str(i.product_id), i.name, i.price, i.quantity) for i in order.items]
    if order.delivery_fee:
        items.append(ChargeItem("fee", "Ongkir", order.delivery_fee, 1))
    result = await midtrans.charge_indomaret(
        ChargeRequest(
            order_id=order.id,
            gross_amount=order.gross_amount,
            items=tuple(items),
            customer=Customer(first_name=order.customer_name, phone=order.customer_phone),
            store_message="Warung test",
            expiry=CustomExpiry.from_timedelta(now.replace(microsecond=0), expiry),
        )
    )
    if save:
        await store.run(
            Tx.save_charge,
            order.id,
            result.transaction_id,
            result.payment_code,
            result.expiry_time,
            result.raw,
            now,
        )
