"""What a hosted shop runs with: its own Settings, store view and Midtrans client.

Why: the single-shop bot's services (PaymentService, the ledger, checkout, the outbox sender)
read everything shop-specific from ``Settings`` and the store. A hosted shop gets the platform's
settings with its own token, keys, paths and owner put in (``Hosting.settings_for``), and the
PostgreSQL store's view of its shop id; the services then run unchanged. In particular every
charge it makes carries ``X-Override-Notification`` to its own path
(``Settings.notification_url`` is ``<public URL>/midtrans/<shop key>/notification``).
"""

from __future__ import annotations

import dataclasses
import ssl
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx

from bot.config import MIDTRANS_BASE_URLS, Secret, Settings
from bot.logging_filter import SecretMask
from bot.payments.midtrans import MidtransClient
from bot.payments.service import PaymentService
from bot.platform.shops import HostedShop
from bot.rules.clock import Clock, utc_now
from storage import Store
from storage.postgres import PostgresStore

TELEGRAM_PATH = "/tg/{shop_key}"
NOTIFICATION_PATH = "/midtrans/{shop_key}/notification"


@dataclass(frozen=True)
class Hosting:
    """What every hosted shop shares: the platform's settings (timings, limits, Telegram's API
    URL), its public HTTPS base URL, and Midtrans' API URL per environment."""

    base: Settings
    public_base_url: str
    midtrans_base_urls: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: dict(MIDTRANS_BASE_URLS)
    )
    mask: SecretMask | None = None
    """Each shop's secrets are added to it as they are opened (never in a log line)."""
    tls: ssl.SSLContext = dataclasses.field(
        default_factory=httpx.create_ssl_context,  # as each httpx client makes its own
        repr=False,
        compare=False,
    )
    """One SSL context (CA bundle loaded once) for every shop's Midtrans client: a context
    of its own costs each client about 830 KiB (bench/platform.py)."""

    def midtrans_client(self, settings: Settings) -> MidtransClient:
        """A hosted shop's Midtrans client (``settings`` from ``settings_for``)."""
        return MidtransClient(
            settings.midtrans_server_key.get(),
            base_url=settings.midtrans_base_url,
            verify=self.tls,
        )

    def settings_for(self, shop: HostedShop) -> Settings:
        if self.mask is not None:
            self.mask.add(shop.bot_token, shop.webhook_secret, shop.midtrans_server_key)
        return dataclasses.replace(
            self.base,
            telegram_token=Secret(shop.bot_token),
            telegram_webhook_secret=Secret(shop.webhook_secret),
            midtrans_server_key=Secret(shop.midtrans_server_key),
            midtrans_environment=shop.midtrans_environment,
            midtrans_base_url=self.midtrans_base_urls[shop.midtrans_environment],
            public_base_url=self.public_base_url,
            notification_path=NOTIFICATION_PATH.format(shop_key=shop.shop_key),
            telegram_webhook_path=TELEGRAM_PATH.format(shop_key=shop.shop_key),
            admin_ids=frozenset({shop.owner_user_id}),
            database_path=Path(":memory:"),  # not used: the shop's data is in PostgreSQL
            payment_worker=False,  # the ledger runs in the process that got the news
        )


def shop_store(store: PostgresStore, shop_id: int) -> Store:
    """The shop's view of the PostgreSQL store, typed as the services expect: they use only
    ``run(fn, ...)``, which both stores have with the same ``Tx``."""
    return cast(Store, store.for_shop(shop_id))


@dataclass
class ShopPayments:
    """One shop's PaymentService, valid while the shop's row is unchanged."""

    shop: HostedShop
    settings: Settings
    midtrans: MidtransClient
    payments: PaymentService


class PaymentsCache:
    """Each shop's PaymentService and Midtrans client, built on first use, rebuilt when the
    shop changed (a rotated key), the least recently used closed past ``size``."""

    def __init__(
        self, store: PostgresStore, hosting: Hosting, clock: Clock = utc_now, size: int = 256
    ) -> None:
        self._store = store
        self._hosting = hosting
        self._clock = clock
        self._size = size
        self._entries: OrderedDict[int, ShopPayments] = OrderedDict()

    async def for_shop(self, shop: HostedShop) -> ShopPayments:
        entry = self._entries.get(shop.id)
        if entry is not None and entry.shop == shop:
            self._entries.move_to_end(shop.id)
            return entry
        if entry is not None:
            await self._drop(shop.id)
        settings = self._hosting.settings_for(shop)
        midtrans = self._hosting.midtrans_client(settings)
        payments = PaymentService(
            shop_store(self._store, shop.id), midtrans, settings, clock=self._clock
        )
        entry = ShopPayments(shop, settings, midtrans, payments)
        self._entries[shop.id] = entry
        while len(self._entries) > self._size:
            await self._drop(next(iter(self._entries)))
        return entry

    async def _drop(self, shop_id: int) -> None:
        entry = self._entries.pop(shop_id, None)
        if entry is not None:
            await entry.midtrans.aclose()

    async def close(self) -> None:
        for shop_id in list(self._entries):
            await self._drop(shop_id)
