"""The shop's own settings (name, welcome, payment validity, pickup/delivery, open or closed).

The seller changes them in chat; they live in the ``shop_settings`` table as text. Environment
settings give the first values, so a new shop works before the seller touches anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

PAYMENT_EXPIRY_MIN = timedelta(seconds=20)
"""Shortest payment-code validity: Indomaret's limit for Midtrans ``custom_expiry``."""
PAYMENT_EXPIRY_MAX = timedelta(days=180)
"""Longest payment-code validity: Indomaret's limit for Midtrans ``custom_expiry``."""


@dataclass(frozen=True)
class Shop:
    name: str
    welcome: str
    payment_expiry: timedelta
    pickup: bool
    delivery: bool
    delivery_fee: int
    is_open: bool
    closed_message: str

    @property
    def cashier_label(self) -> str:
        """Midtrans' ``cstore.message``: shown on the Indomaret cashier's screen, 20 characters."""
        return self.name[:20]


def new_shop(name: str, payment_expiry: timedelta) -> Shop:
    """A shop before the seller changed anything: open, pickup only, no delivery fee."""
    return Shop(
        name=name,
        welcome="",
        payment_expiry=payment_expiry,
        pickup=True,
        delivery=False,
        delivery_fee=0,
        is_open=True,
        closed_message="",
    )


def shop_from(stored: Mapping[str, str], defaults: Shop) -> Shop:
    """Build the Shop from stored values, falling back to ``defaults`` (from the environment)."""
    shop = defaults
    changes: dict[str, object] = {}
    if stored.get("name"):
        changes["name"] = stored["name"]
    if "welcome" in stored:
        changes["welcome"] = stored["welcome"]
    if stored.get("payment_expiry_seconds", "").isdigit():
        changes["payment_expiry"] = timedelta(seconds=int(stored["payment_expiry_seconds"]))
    for flag in ("pickup", "delivery", "is_open"):
        if flag in stored:
            changes[flag] = stored[flag] == "1"
    if stored.get("delivery_fee", "").isdigit():
        changes["delivery_fee"] = int(stored["delivery_fee"])
    if "closed_message" in stored:
        changes["closed_message"] = stored["closed_message"]
    return replace(shop, **changes)  # type: ignore[arg-type]


def shop_values(shop: Shop) -> dict[str, str]:
    """The inverse of ``shop_from``: what to store."""
    return {
        "name": shop.name,
        "welcome": shop.welcome,
        "payment_expiry_seconds": str(int(shop.payment_expiry.total_seconds())),
        "pickup": "1" if shop.pickup else "0",
        "delivery": "1" if shop.delivery else "0",
        "delivery_fee": str(shop.delivery_fee),
        "is_open": "1" if shop.is_open else "0",
        "closed_message": shop.closed_message,
    }
