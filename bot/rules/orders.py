"""Order rules with no I/O: states and their transitions, cart pricing, order ids.

Everything that decides what happens to money lives here, so it can be tested exhaustively and
fast. The services (checkout, payments) load state, ask these functions, and store the answer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

WIB = timezone(timedelta(hours=7), "WIB")
INDOMARET_MIN_AMOUNT = 10_000
INDOMARET_MAX_AMOUNT = 5_000_000
MAX_LINE_QUANTITY = 99


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    REVERSED = "reversed"
    REFUNDED = "refunded"


PENDING = frozenset({OrderStatus.AWAITING_PAYMENT})
SOLD = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED})
FINAL = frozenset(
    {
        OrderStatus.EXPIRED,
        OrderStatus.CANCELLED,
        OrderStatus.FAILED,
        OrderStatus.REVERSED,
        OrderStatus.REFUNDED,
    }
)
RELEASES_STOCK = frozenset(
    {OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.REVERSED}
)
"""Reaching one of these gives the reserved units back (see ``releases_stock`` for the one
exception). A refund does not: the goods were sold and handed over; the seller restocks by hand
if they come back."""


class Event(StrEnum):
    """What can happen to an order: Midtrans statuses, plus the seller's and our own actions."""

    PENDING = "pending"
    SETTLEMENT = "settlement"
    CAPTURE = "capture"
    EXPIRE = "expire"
    CANCEL = "cancel"
    DENY = "deny"
    FAILURE = "failure"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    FULFIL = "fulfil"
    CHARGE_REFUSED = "charge_refused"


TRANSITIONS: Mapping[tuple[OrderStatus, Event], OrderStatus] = {
    (OrderStatus.AWAITING_PAYMENT, Event.SETTLEMENT): OrderStatus.PAID,
    (OrderStatus.AWAITING_PAYMENT, Event.CAPTURE): OrderStatus.PAID,
    (OrderStatus.AWAITING_PAYMENT, Event.EXPIRE): OrderStatus.EXPIRED,
    (OrderStatus.AWAITING_PAYMENT, Event.CANCEL): OrderStatus.CANCELLED,
    (OrderStatus.AWAITING_PAYMENT, Event.DENY): OrderStatus.FAILED,
    (OrderStatus.AWAITING_PAYMENT, Event.FAILURE): OrderStatus.FAILED,
    (OrderStatus.AWAITING_PAYMENT, Event.CHARGE_REFUSED): OrderStatus.FAILED,
    (OrderStatus.PAID, Event.DENY): OrderStatus.REVERSED,
    (OrderStatus.PAID, Event.REFUND): OrderStatus.REFUNDED,
    (OrderStatus.PAID, Event.PARTIAL_REFUND): OrderStatus.REFUNDED,
    (OrderStatus.PAID, Event.FULFIL): OrderStatus.FULFILLED,
    (OrderStatus.FULFILLED, Event.DENY): OrderStatus.REVERSED,
    (OrderStatus.FULFILLED, Event.REFUND): OrderStatus.REFUNDED,
    (OrderStatus.FULFILLED, Event.PARTIAL_REFUND): OrderStatus.REFUNDED,
}
"""Every allowed move. Anything else (a duplicate, a late or out-of-order notification, a move
backwards such as paid -> awaiting_payment) is recorded by the caller and ignored."""


def event_from_midtrans(transaction_status: str, fraud_status: str | None = None) -> Event | None:
    """Map Midtrans' ``transaction_status`` to an Event; None for statuses we do not act on."""
    status = transaction_status.strip().lower()
    if status == "capture":
        # Card-style capture counts as paid only when fraud screening accepted it.
        return Event.CAPTURE if (fraud_status or "accept").lower() == "accept" else None
    try:
        event = Event(status)
    except ValueError:
        return None
    if event in {Event.FULFIL, Event.CHARGE_REFUSED}:
        return None
    return event


def next_status(current: OrderStatus | str, event: Event) -> OrderStatus | None:
    """The status ``event`` moves an order to, or None when the move is not allowed."""
    return TRANSITIONS.get((OrderStatus(current), event))


def releases_stock(current: OrderStatus | str, new: OrderStatus | str) -> bool:
    """Whether moving from ``current`` to ``new`` gives the reserved units back.

    Only for goods still on the shelf: a reversal of an order the seller already handed over
    (fulfilled) leaves the stock as it is, as a refund does; the units left the shop.
    """
    if OrderStatus(new) not in RELEASES_STOCK:
        return False
    return OrderStatus(current) is not OrderStatus.FULFILLED


# --- pricing -----------------------------------------------------------------------------


class CartProblem(StrEnum):
    EMPTY = "empty"
    UNAVAILABLE = "unavailable"
    NOT_ENOUGH_STOCK = "not_enough_stock"
    BAD_QUANTITY = "bad_quantity"
    TOTAL_TOO_LOW = "total_too_low"
    TOTAL_TOO_HIGH = "total_too_high"


@dataclass(frozen=True)
class PricedProduct:
    """What pricing needs to know about a product: the catalogue row as it is now."""

    id: int
    name: str
    price: int
    stock: int | None
    available: bool


@dataclass(frozen=True)
class QuoteLine:
    product_id: int
    name: str
    price: int
    quantity: int

    @property
    def total(self) -> int:
        return self.price * self.quantity


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    delivery_fee: int
    problems: tuple[tuple[CartProblem, str], ...]  # problem, product name or ""

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal + self.delivery_fee

    @property
    def ok(self) -> bool:
        return not self.problems


def quote(
    cart: Mapping[int, int],
    products: Mapping[int, PricedProduct],
    delivery_fee: int = 0,
) -> Quote:
    """Price a cart (product id -> quantity) against the catalogue as it is now.

    Lines for products that vanished or sold out are dropped and reported, never silently
    repriced; the totals are checked against Indomaret's limits.
    """
    lines: list[QuoteLine] = []
    problems: list[tuple[CartProblem, str]] = []
    for product_id, quantity in cart.items():
        product = products.get(product_id)
        if product is None or not product.available:
            problems.append((CartProblem.UNAVAILABLE, product.name if product else ""))
            continue
        if not 1 <= quantity <= MAX_LINE_QUANTITY:
            problems.append((CartProblem.BAD_QUANTITY, product.name))
            continue
        if product.stock is not None and quantity > product.stock:
            problems.append((CartProblem.NOT_ENOUGH_STOCK, product.name))
            continue
        lines.append(QuoteLine(product.id, product.name, product.price, quantity))
    result = Quote(tuple(lines), delivery_fee if lines else 0, ())
    if not lines and not problems:
        problems.append((CartProblem.EMPTY, ""))
    elif lines and result.total < INDOMARET_MIN_AMOUNT:
        problems.append((CartProblem.TOTAL_TOO_LOW, ""))
    elif result.total > INDOMARET_MAX_AMOUNT:
        problems.append((CartProblem.TOTAL_TOO_HIGH, ""))
    return Quote(result.lines, result.delivery_fee, tuple(problems))


def quote_fingerprint(priced: Quote) -> str:
    """A short digest of everything priced in a quote: each line's product, name, price and
    quantity, the delivery fee and the total.

    The summary keeps it; the order is only placed while a fresh quote has the same digest, so the
    customer is never charged an amount (or for items) they were not shown.
    """
    parts = [f"{line.product_id}:{line.name}:{line.price}:{line.quantity}" for line in priced.lines]
    parts += [f"fee:{priced.delivery_fee}", f"total:{priced.total}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


# --- identifiers and times ---------------------------------------------------------------

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_order_id(now: datetime, prefix: str = "WB") -> str:
    """``WB-261125-7KQ2ZD``: date for humans, 30 random bits against collisions; Midtrans-safe."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
    return f"{prefix}-{now.astimezone(WIB):%y%m%d}-{suffix}"


def short_order_ref(order_id: str) -> str:
    """The part a person reads aloud: the random suffix."""
    return order_id.rsplit("-", 1)[-1]


def count_pending(statuses: Sequence[str]) -> int:
    return sum(1 for status in statuses if status in PENDING)
