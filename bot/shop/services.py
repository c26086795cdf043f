"""The long-lived objects handlers need, in one container kept in ``application.bot_data``.

One ``Services`` is one shop: its settings, store, Midtrans client and payment service travel
together as an object (nothing reads module globals), so a process could host several later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Settings
from bot.payments.midtrans import MidtransClient
from bot.payments.service import PaymentService
from bot.rules.clock import Clock, utc_now
from bot.rules.shop import Shop, new_shop, shop_from
from storage import Store, Tx

KEY = "services"


@dataclass
class Services:
    settings: Settings
    store: Store
    midtrans: MidtransClient
    payments: PaymentService
    clock: Clock = utc_now
    wake_outbox: Callable[[], None] = field(default=lambda: None)

    async def shop(self) -> Shop:
        defaults = new_shop(self.settings.shop_name, self.settings.payment_expiry)
        return shop_from(await self.store.run(Tx.shop_settings), defaults)

    async def admin_ids(self) -> set[int]:
        """Admins from the environment plus those added in chat (owner claim, /addadmin)."""
        return set(self.settings.admin_ids) | set(await self.store.run(Tx.admins))

    async def is_admin(self, user_id: int) -> bool:
        return user_id in await self.admin_ids()
