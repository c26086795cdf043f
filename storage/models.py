"""Rows as typed, immutable values. Storage knows nothing of Telegram or Midtrans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    price: int
    stock: int | None  # None: unlimited
    description: str
    photo_file_id: str | None
    visible: bool
    deleted: bool

    @property
    def available(self) -> bool:
        return self.visible and not self.deleted and (self.stock is None or self.stock > 0)


@dataclass(frozen=True)
class Customer:
    user_id: int
    chat_id: int
    name: str
    phone: str | None
    email: str | None
    language: str
    address: str | None


@dataclass(frozen=True)
class OrderItem:
    product_id: int | None
    name: str
    price: int
    quantity: int

    @property
    def total(self) -> int:
        return self.price * self.quantity


@dataclass(frozen=True)
class Charge:
    transaction_id: str
    payment_code: str
    store: str
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class NewOrder:
    """What checkout hands to storage: the order row, its lines and the stock to reserve."""

    id: str
    customer_id: int
    chat_id: int
    status: str
    items: tuple[OrderItem, ...]
    delivery_fee: int
    fulfilment: str
    customer_name: str
    customer_phone: str
    customer_email: str
    language: str
    created_at: datetime
    expires_at: datetime | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    note: str | None = None

    @property
    def subtotal(self) -> int:
        return sum(item.total for item in self.items)

    @property
    def gross_amount(self) -> int:
        return self.subtotal + self.delivery_fee


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: int
    chat_id: int
    status: str
    subtotal: int
    delivery_fee: int
    gross_amount: int
    fulfilment: str
    address: str | None
    latitude: float | None
    longitude: float | None
    note: str | None
    customer_name: str
    customer_phone: str
    customer_email: str
    language: str
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    seller_notified_at: datetime | None
    fulfilled_at: datetime | None
    last_checked_at: datetime | None
    items: tuple[OrderItem, ...] = ()
    charge: Charge | None = None


@dataclass(frozen=True)
class HistoryEntry:
    from_status: str | None
    to_status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PaymentEvent:
    id: int
    order_id: str | None
    source: str
    transaction_status: str | None
    verified: bool
    applied: bool
    outcome: str
    received_at: datetime


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    chat_id: int
    method: str
    payload: dict[str, object]
    attempts: int
    next_attempt_at: datetime
    dedupe_key: str | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None


@dataclass(frozen=True)
class CheckoutDeadline:
    """When a customer's unfinished checkout times out, and where to tell them."""

    user_id: int
    chat_id: int
    language: str
    due_at: datetime


@dataclass(frozen=True)
class SalesReport:
    paid_count: int
    revenue: int
    top_products: tuple[tuple[str, int, int], ...]  # name, quantity, revenue
    revenue_by_day: tuple[tuple[str, int], ...] = field(default=())  # ISO date (WIB), revenue


SHOP_STATUSES = ("active", "paused", "suspended", "deleted")
"""A hosted shop's states: only an active shop is served; a deleted one keeps only its row."""


@dataclass(frozen=True, repr=False)
class ShopRow:
    """A row of the shops directory (platform mode) as stored: its secrets still sealed."""

    id: int
    shop_key: str
    owner_user_id: int
    bot_username: str
    bot_token_sealed: str | None
    token_hash: str | None
    webhook_secret_sealed: str | None
    midtrans_server_key_sealed: str | None
    midtrans_environment: str
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime
    owner_language: str = "id"  # the catalogue language the platform writes to the owner in

    def __repr__(self) -> str:
        return f"ShopRow(id={self.id}, @{self.bot_username}, {self.status})"
