"""A checkout draft as the customer's summary leaves it: priced now, the quote they saw."""

from __future__ import annotations

from typing import Any

from bot.rules.orders import quote_fingerprint
from bot.shop.checkout import Draft, price_cart
from bot.shop.services import Services


async def draft_as_seen(
    services: Services | None, user_id: int, cart: dict[int, int], **fields: Any
) -> Draft:
    """A pickup order's draft whose ``seen_quote`` is the catalogue's price of ``cart`` now."""
    assert services is not None
    return Draft(
        user_id=user_id,
        chat_id=fields.pop("chat_id", user_id),
        language=fields.pop("language", "id"),
        cart=cart,
        name=fields.pop("name", "Budi Santoso"),
        phone=fields.pop("phone", "+6281234567890"),
        seen_quote=quote_fingerprint(await price_cart(services, cart)),
        **fields,
    )
