"""Changing the shop's own settings (name, welcome, payment validity, pickup/delivery, open).

The stored form (text in ``shop_settings``) is known to ``bot.rules.shop`` only: a change is made
on a ``Shop`` and ``shop_values`` says what to write. The one rule of the combination lives here
too: a shop always offers pickup or delivery, at least one of them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.rules.shop import Shop, shop_values
from bot.shop.services import Services
from storage import Tx


async def change_shop(
    services: Services,
    *,
    name: str | None = None,
    welcome: str | None = None,
    payment_expiry: timedelta | None = None,
    pickup: bool | None = None,
    delivery: bool | None = None,
    delivery_fee: int | None = None,
    is_open: bool | None = None,
    closed_message: str | None = None,
) -> Shop | None:
    """Store the given changes and return the shop as it is now.

    None, and nothing stored, when the change would leave neither pickup nor delivery. Only the
    values that differ are written, so settings the seller never touched keep following the
    environment (``SHOP_NAME``, ``PAYMENT_EXPIRY``).
    """
    changes = {
        key: value
        for key, value in {
            "name": name,
            "welcome": welcome,
            "payment_expiry": payment_expiry,
            "pickup": pickup,
            "delivery": delivery,
            "delivery_fee": delivery_fee,
            "is_open": is_open,
            "closed_message": closed_message,
        }.items()
        if value is not None
    }
    current = await services.shop()
    changed = replace(current, **changes)  # type: ignore[arg-type]
    if not (changed.pickup or changed.delivery):
        return None
    before = shop_values(current)
    writes = {key: value for key, value in shop_values(changed).items() if before[key] != value}

    def work(tx: Tx) -> None:
        for key, value in writes.items():
            tx.set_shop_setting(key, value)

    if writes:
        await services.store.run(work)
    return changed
