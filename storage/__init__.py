"""The data layer: all SQL of the bot lives in this package (``tx.py``) and nowhere else."""

from storage.models import (
    Charge,
    CheckoutDeadline,
    Customer,
    HistoryEntry,
    NewOrder,
    Order,
    OrderItem,
    OutboxMessage,
    PaymentEvent,
    Product,
    SalesReport,
)
from storage.store import Store
from storage.tx import CheckBand, OutOfStock, PendingLimit, TokenTaken, TooManyPending, Tx

__all__ = [
    "Charge",
    "CheckBand",
    "CheckoutDeadline",
    "Customer",
    "HistoryEntry",
    "NewOrder",
    "Order",
    "OrderItem",
    "OutOfStock",
    "OutboxMessage",
    "PaymentEvent",
    "PendingLimit",
    "Product",
    "SalesReport",
    "Store",
    "TokenTaken",
    "TooManyPending",
    "Tx",
]
