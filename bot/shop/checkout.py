"""Checkout: turn a confirmed cart into an order row, reserved stock and an Indomaret charge.

The order row exists before the charge is sent, so nothing is lost if the process dies mid-call.
A charge Midtrans refused (400, 402, 410, 411, 413, a 429 that outlasted the client's pauses)
marks the order failed at once and gives the stock back; a charge whose outcome is unknown
(timeout, 5xx after the client's own Get Status checks) leaves the order awaiting payment without
a code, and the reconciler finishes it: it asks Get Status and sends the code, or fails it.
Refusals that fail every order until someone acts (401 wrong key, 402 Indomaret not activated,
410 merchant deactivated) alert the sellers, once per kind until a charge succeeds again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.payments.midtrans import (
    ChargeItem,
    ChargeRequest,
    Customer,
    CustomExpiry,
    MidtransError,
    MidtransErrorKind,
    MidtransRequestInvalid,
)
from bot.rules.orders import (
    PENDING,
    Event,
    OrderStatus,
    PricedProduct,
    Quote,
    new_order_id,
    next_status,
    quote,
    quote_fingerprint,
)
from bot.rules.shop import Shop
from bot.shop.services import Services
from bot.text import phrases
from storage import NewOrder, Order, OrderItem, OutOfStock, PendingLimit, TooManyPending, Tx

logger = logging.getLogger(__name__)

UNKNOWN_OUTCOME = {
    MidtransErrorKind.NETWORK,
    MidtransErrorKind.SERVER_ERROR,
    MidtransErrorKind.UNEXPECTED,
}
ALERT_UNAUTHORIZED = "midtrans_401"
# The refusals a seller must act on, each with its alert key (and catalogue phrase).
SELLER_ALERTS = {
    MidtransErrorKind.UNAUTHORIZED: ALERT_UNAUTHORIZED,
    MidtransErrorKind.PAYMENT_CHANNEL_INACTIVE: "midtrans_402",
    MidtransErrorKind.GONE: "midtrans_410",
}


class CheckoutOutcome(StrEnum):
    PLACED = "placed"
    AWAITING_CODE = "awaiting_code"
    SHOP_CLOSED = "shop_closed"
    TOO_MANY_PENDING = "too_many_pending"
    CART_PROBLEM = "cart_problem"
    PRICE_CHANGED = "price_changed"  # the summary the customer saw is out of date: show it anew
    OUT_OF_STOCK = "out_of_stock"
    CHARGE_FAILED = "charge_failed"


@dataclass(frozen=True)
class Draft:
    """Everything the customer told us, ready to become an order.

    ``seen_quote`` is the ``quote_fingerprint`` of the summary the customer said yes to: the
    order is placed only while the catalogue still prices the cart exactly so.
    """

    user_id: int
    chat_id: int
    language: str
    cart: dict[int, int]
    name: str
    phone: str
    seen_quote: str
    email: str = ""
    fulfilment: str = "pickup"
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class CheckoutResult:
    outcome: CheckoutOutcome
    order: Order | None = None
    quote: Quote | None = None
    product_name: str = ""


async def price_cart(services: Services, cart: dict[int, int], delivery_fee: int = 0) -> Quote:
    """Quote a cart against the catalogue as it is now, plus ``delivery_fee`` when delivered."""
    products = await services.store.run(Tx.products)
    priced = {p.id: PricedProduct(p.id, p.name, p.price, p.stock, p.available) for p in products}
    return quote(cart, priced, delivery_fee)


async def quote_for(services: Services, shop: Shop, cart: dict[int, int], fulfilment: str) -> Quote:
    """The quote a summary shows and an order is placed at: the delivery fee only when delivered."""
    return await price_cart(services, cart, shop.delivery_fee if fulfilment == "delivery" else 0)


async def refusal(
    services: Services, shop: Shop, customer_id: int | None = None
) -> CheckoutOutcome | None:
    """Why no order can be taken now: the shop is closed, or (given a customer) they have too many
    orders awaiting payment. None when ordering may go on. The one home of both rules: the menu,
    typed orders, the checkout button and ``place_order`` all ask here."""
    if not shop.is_open:
        return CheckoutOutcome.SHOP_CLOSED
    if customer_id is not None:
        limit = pending_limit(services)
        pending = await services.store.run(
            Tx.count_orders, customer_id=customer_id, statuses=limit.statuses
        )
        if pending >= limit.limit:
            return CheckoutOutcome.TOO_MANY_PENDING
    return None


def pending_limit(services: Services) -> PendingLimit:
    """The pending-order rule as data: ``refusal`` checks it up front, and the transaction that
    creates the order checks it again atomically (``Tx.create_order``)."""
    return PendingLimit(tuple(sorted(PENDING)), services.settings.max_pending_orders)


async def place_order(services: Services, draft: Draft) -> CheckoutResult:
    shop = await services.shop()
    refused = await refusal(services, shop, draft.user_id)
    if refused is not None:
        return CheckoutResult(refused)
    priced = await quote_for(services, shop, draft.cart, draft.fulfilment)
    if not priced.ok:
        return CheckoutResult(CheckoutOutcome.CART_PROBLEM, quote=priced)
    if quote_fingerprint(priced) != draft.seen_quote:
        # The items below come from this quote, so an order placed past this line is charged
        # exactly what the customer saw, even if the seller changes a price a moment later.
        return CheckoutResult(CheckoutOutcome.PRICE_CHANGED, quote=priced)

    now = services.clock()
    new = NewOrder(
        id=new_order_id(now),
        customer_id=draft.user_id,
        chat_id=draft.chat_id,
        status=OrderStatus.AWAITING_PAYMENT,
        items=tuple(
            OrderItem(line.product_id, line.name, line.price, line.quantity)
            for line in priced.lines
        ),
        delivery_fee=priced.delivery_fee,
        fulfilment=draft.fulfilment,
        customer_name=draft.name,
        customer_phone=draft.phone,
        customer_email=draft.email,
        language=draft.language,
        created_at=now,
        expires_at=now + shop.payment_expiry,
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        note=draft.note,
    )

    # ``refusal`` answered above; the transaction asks again with the same limit, atomically, so
    # checkouts racing each other (two chats, two taps) cannot both pass.
    limit = pending_limit(services)

    def create(tx: Tx) -> Order:
        """The order, its stock reservation and the customer's remembered details, together."""
        order = tx.create_order(new, limit)
        tx.save_customer(
            draft.user_id,
            draft.chat_id,
            now,
            name=draft.name,
            phone=draft.phone,
            email=draft.email,
            language=draft.language,
            address=draft.address,
        )
        return order

    try:
        order = await services.store.run(create)
    except OutOfStock as exc:
        return CheckoutResult(CheckoutOutcome.OUT_OF_STOCK, quote=priced, product_name=exc.name)
    except TooManyPending:
        return CheckoutResult(CheckoutOutcome.TOO_MANY_PENDING)
    return await charge_order(services, order, shop)


def charge_request(order: Order, shop: Shop) -> ChargeRequest:
    """The Indomaret charge for an order; the delivery fee is its own line so sums match."""
    items = [
        ChargeItem(str(item.product_id or "item"), item.name, item.price, item.quantity)
        for item in order.items
    ]
    if order.delivery_fee:
        items.append(
            ChargeItem(
                "delivery",
                phrases.t(order.language, "order.delivery_fee_item"),
                order.delivery_fee,
                1,
            )
        )
    first, _, last = order.customer_name.partition(" ")
    return ChargeRequest(
        order_id=order.id,
        gross_amount=order.gross_amount,
        items=tuple(items),
        customer=Customer(
            first_name=first[:50] or "Pelanggan",
            last_name=last[:50],
            email=order.customer_email,
            phone=order.customer_phone,
        ),
        store_message=shop.cashier_label,
        expiry=CustomExpiry.from_timedelta(order.created_at, shop.payment_expiry),
    )


async def charge_order(services: Services, order: Order, shop: Shop) -> CheckoutResult:
    try:
        charge = await services.midtrans.charge_indomaret(
            charge_request(order, shop), notification_url=services.settings.notification_url
        )
    except MidtransRequestInvalid as exc:
        logger.warning("charge for %s not sent: %s", order.id, exc)
        return await _fail(services, order, "charge_invalid")
    except MidtransError as exc:
        if exc.kind in UNKNOWN_OUTCOME:
            logger.warning(
                "charge for %s has an unknown outcome (%s); reconciler will resolve",
                order.id,
                exc.kind.name,
            )
            return CheckoutResult(CheckoutOutcome.AWAITING_CODE, order=order)
        logger.error("Midtrans refused the charge for %s: %s", order.id, exc)
        alert = SELLER_ALERTS.get(exc.kind)
        if alert is not None:
            await _alert_sellers_once(services, alert)
        return await _fail(services, order, f"charge_refused_{exc.status_code or exc.kind.value}")

    now = services.clock()
    await services.store.run(
        Tx.save_charge,
        order.id,
        charge.transaction_id,
        charge.payment_code,
        charge.expiry_time,
        charge.raw,
        now,
    )
    await services.store.run(_clear_alerts)
    placed = await services.store.run(Tx.order, order.id)
    return CheckoutResult(CheckoutOutcome.PLACED, order=placed)


async def _fail(services: Services, order: Order, reason: str) -> CheckoutResult:
    target = next_status(OrderStatus.AWAITING_PAYMENT, Event.CHARGE_REFUSED)
    assert target is not None
    now = services.clock()

    def fail(tx: Tx) -> None:
        if tx.set_order_status(order.id, OrderStatus.AWAITING_PAYMENT, target, reason, now):
            tx.release_stock(order.id)

    await services.store.run(fail)
    return CheckoutResult(
        CheckoutOutcome.CHARGE_FAILED, order=await services.store.run(Tx.order, order.id)
    )


def _clear_alerts(tx: Tx) -> None:
    """A charge went through: the next refusal of each kind alerts the sellers again."""
    for key in SELLER_ALERTS.values():
        tx.clear_alert(key)


async def _alert_sellers_once(services: Services, key: str) -> None:
    """A wrong server key, an inactive Indomaret channel or a deactivated merchant account fails
    every order: tell the sellers once, not once per order."""
    admins = await services.admin_ids()
    now = services.clock()

    def alert(tx: Tx) -> None:
        if not tx.raise_alert_once(key, now):
            return
        for admin_id in sorted(admins):
            tx.enqueue(
                admin_id,
                "sendMessage",
                {
                    "chat_id": admin_id,
                    "text": phrases.t("id", f"seller_alert.{key}"),
                    "parse_mode": "HTML",
                },
                now,
                dedupe_key=f"alert:{key}:{admin_id}:{now.isoformat()}",
            )

    await services.store.run(alert)
    services.wake_outbox()
