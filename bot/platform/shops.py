"""The shops directory (platform mode): who hosts which bot, with its secrets sealed at rest.

Why a service over ``Tx``: the directory rows hold sealed values only (``bot.platform.secrets``);
this is the one place that seals what a seller pasted and opens it again for the edge and the
workers, so nothing else handles the master keys. Each method is one transaction on the
PostgreSQL store (any shop's view: the directory is not bound to a shop).

Use::

    directory = ShopDirectory(store, SecretBox(ring), lookup_key, clock)
    shop = await directory.create(owner_user_id=..., bot_token=..., bot_username=...,
                                  shop_key=webhook.shop_key, webhook_secret=webhook.secret_token,
                                  midtrans_server_key=..., midtrans_environment="sandbox")
    await directory.by_key(shop_key)      # the edge: HostedShop or None (unknown or deleted)
    await directory.taken(token_hash)     # onboarding: another live shop has this token
    await directory.active_in_partition(p, n)   # a worker's shops
    await directory.pause(id) / resume(id) / suspend(id, reason) / delete(id)
    await directory.due_for_webhook_check(before, n) / webhook_checked(id)   # housekeeping
    await directory.rotate_server_key(id, key, environment)
    await directory.replace_token(id, token, bot_username, webhook_secret)
    await directory.set_owner_language(owner_user_id, "en")   # the seller's Telegram language

States: ``active`` (served), ``paused`` (by its seller: updates are not answered), ``suspended``
(by the platform, with a reason, e.g. Telegram revoked the token), ``deleted`` (its data gone,
its row kept so the id and key are never given again). ``pause`` works from active; ``resume``
from paused or suspended; ``suspend`` from active or paused; ``delete`` from any but deleted.
Each returns False when the shop was not in a state it works from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.platform.secrets import SecretBox, token_hash
from bot.rules.clock import Clock
from bot.text.phrases import DEFAULT_LANGUAGE
from storage.models import ShopRow
from storage.postgres import PostgresStore
from storage.tx import TokenTaken, Tx

logger = logging.getLogger(__name__)

__all__ = ["HostedShop", "ShopDirectory", "TokenTaken"]

Environment = Literal["sandbox", "production"]


@dataclass(frozen=True)
class HostedShop:
    """A live (not deleted) shop of the directory, its secrets opened. The secrets never show
    in ``repr``, so logging a shop logs no secret."""

    id: int
    shop_key: str
    owner_user_id: int
    bot_username: str
    midtrans_environment: Environment
    status: str
    status_reason: str
    created_at: datetime
    updated_at: datetime
    bot_token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    midtrans_server_key: str = field(repr=False)
    owner_language: str = DEFAULT_LANGUAGE
    """What the platform writes to the owner in when they did not just write (a suspension)."""

    @property
    def active(self) -> bool:
        return self.status == "active"


class ShopDirectory:
    """Create, find and change hosted shops; seals on the way in, opens on the way out."""

    def __init__(
        self, store: PostgresStore, box: SecretBox, lookup_key: bytes, clock: Clock
    ) -> None:
        self._store = store
        self._box = box
        self._lookup_key = lookup_key
        self._clock = clock

    def token_hash(self, bot_token: str) -> str:
        """The keyed hash the directory keeps a token unique by (``Onboarding.check_token``'s
        ``token_taken`` callback receives the same)."""
        return token_hash(bot_token, self._lookup_key)

    async def create(
        self,
        *,
        owner_user_id: int,
        bot_token: str,
        bot_username: str,
        shop_key: str,
        webhook_secret: str,
        midtrans_server_key: str,
        midtrans_environment: Environment,
        owner_language: str = DEFAULT_LANGUAGE,
    ) -> HostedShop:
        """A new active shop whose owner is ``owner_user_id`` (the shop's admins table says so,
        in the same transaction, as a single-shop owner's claim would); TokenTaken when another
        live shop has the same bot token. ``owner_language``: the catalogue language the
        seller's Telegram is in."""
        now = self._clock()
        hashed = self.token_hash(bot_token)

        def add(tx: Tx) -> ShopRow:
            shop_id = tx.directory_new_shop_id()
            added = tx.directory_add_shop(
                ShopRow(
                    id=shop_id,
                    shop_key=shop_key,
                    owner_user_id=owner_user_id,
                    bot_username=bot_username,
                    bot_token_sealed=self._seal(bot_token, shop_id, "bot_token"),
                    token_hash=hashed,
                    webhook_secret_sealed=self._seal(webhook_secret, shop_id, "webhook_secret"),
                    midtrans_server_key_sealed=self._seal(
                        midtrans_server_key, shop_id, "midtrans_server_key"
                    ),
                    midtrans_environment=midtrans_environment,
                    status="active",
                    status_reason="",
                    created_at=now,
                    updated_at=now,
                    owner_language=owner_language,
                )
            )
            tx.for_shop(shop_id).add_admin(owner_user_id, now, owner=True)
            return added

        shop = self._open(await self._store.run(add))
        assert shop is not None
        return shop

    async def get(self, shop_id: int) -> HostedShop | None:
        """The shop with this id, any live status; None when unknown or deleted."""
        return self._open(await self._store.run(Tx.directory_shop, shop_id))

    async def by_key(self, shop_key: str) -> HostedShop | None:
        """The shop whose paths carry ``shop_key``, any live status; None when unknown or
        deleted (the edge answers 404 then)."""
        return self._open(await self._store.run(Tx.directory_shop_by_key, shop_key))

    async def by_token_hash(self, hashed: str) -> HostedShop | None:
        return self._open(await self._store.run(Tx.directory_shop_by_token_hash, hashed))

    async def taken(self, hashed: str) -> bool:
        """True when a live shop has the token of this hash (for ``Onboarding.check_token``)."""
        return await self._store.run(Tx.directory_shop_by_token_hash, hashed) is not None

    async def of_owner(self, owner_user_id: int) -> list[HostedShop]:
        rows = await self._store.run(Tx.directory_shops_of_owner, owner_user_id)
        return [shop for shop in map(self._open, rows) if shop is not None]

    async def set_owner_language(self, owner_user_id: int, language: str) -> None:
        """The seller's Telegram is now in ``language`` (a catalogue language): every shop of
        theirs remembers it, for what the platform tells them unasked."""
        await self._store.run(Tx.directory_set_owner_language, owner_user_id, language)

    async def active_in_partition(self, partition: int, partitions: int) -> list[HostedShop]:
        """The active shops a worker owning ``partition`` of ``partitions`` serves."""
        rows = await self._store.run(Tx.directory_active_shops, partition, partitions)
        return [shop for shop in map(self._open, rows) if shop is not None]

    async def due_for_webhook_check(self, checked_before: datetime, limit: int) -> list[HostedShop]:
        """Active shops whose webhook was not checked since ``checked_before`` (a shop never
        checked counts from its creation), the longest unchecked first (the leader's
        housekeeping)."""
        rows = await self._store.run(
            Tx.directory_shops_due_for_webhook_check, checked_before, limit
        )
        shops = []
        for row in rows:
            try:
                shop = self._open(row)
            except Exception:  # e.g. sealed under a master key no longer given: one line, on
                logger.error("shop %d: its secrets cannot be opened; webhook check skipped", row.id)
                continue
            if shop is not None:
                shops.append(shop)
        return shops

    async def webhook_checked(self, shop_id: int) -> None:
        await self._store.run(Tx.directory_stamp_webhook_check, shop_id, self._clock())

    async def pause(self, shop_id: int) -> bool:
        return await self._move(shop_id, "paused", ("active",))

    async def resume(self, shop_id: int) -> bool:
        return await self._move(shop_id, "active", ("paused", "suspended"))

    async def suspend(self, shop_id: int, reason: str) -> bool:
        """The platform stops serving the shop (e.g. its token was revoked); ``reason`` is for
        the operator and the seller, never a secret."""
        return await self._move(shop_id, "suspended", ("active", "paused"), reason)

    async def delete(self, shop_id: int) -> bool:
        """Delete the shop's data (every row of its id, in every table) and its secrets."""
        return await self._store.run(Tx.directory_delete_shop, shop_id, self._clock())

    async def rotate_server_key(
        self, shop_id: int, midtrans_server_key: str, midtrans_environment: Environment
    ) -> bool:
        """The seller's new Midtrans server key (checked by onboarding first)."""
        return await self._store.run(
            Tx.directory_replace_secrets,
            shop_id,
            self._clock(),
            midtrans_server_key_sealed=self._seal(
                midtrans_server_key, shop_id, "midtrans_server_key"
            ),
            midtrans_environment=midtrans_environment,
        )

    async def replace_token(
        self, shop_id: int, bot_token: str, bot_username: str, webhook_secret: str
    ) -> bool:
        """Another bot for the shop (its webhook attached by onboarding with a new secret on
        the same shop key); TokenTaken when another live shop has it."""
        return await self._store.run(
            Tx.directory_replace_secrets,
            shop_id,
            self._clock(),
            bot_token_sealed=self._seal(bot_token, shop_id, "bot_token"),
            token_hash=self.token_hash(bot_token),
            webhook_secret_sealed=self._seal(webhook_secret, shop_id, "webhook_secret"),
            bot_username=bot_username,
        )

    async def _move(
        self, shop_id: int, status: str, from_statuses: tuple[str, ...], reason: str = ""
    ) -> bool:
        return await self._store.run(
            Tx.directory_set_status,
            shop_id,
            status,
            self._clock(),
            reason=reason,
            from_statuses=from_statuses,
        )

    def _seal(self, value: str, shop_id: int, field_name: str) -> str:
        return self._box.seal(value, shop_id=shop_id, field=field_name)

    def _open(self, row: ShopRow | None) -> HostedShop | None:
        if row is None or row.status == "deleted":
            return None
        assert row.bot_token_sealed and row.webhook_secret_sealed
        assert row.midtrans_server_key_sealed
        environment: Environment = (
            "production" if row.midtrans_environment == "production" else "sandbox"
        )
        return HostedShop(
            id=row.id,
            shop_key=row.shop_key,
            owner_user_id=row.owner_user_id,
            bot_username=row.bot_username,
            midtrans_environment=environment,
            status=row.status,
            status_reason=row.status_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            bot_token=self._box.open(row.bot_token_sealed, shop_id=row.id, field="bot_token"),
            webhook_secret=self._box.open(
                row.webhook_secret_sealed, shop_id=row.id, field="webhook_secret"
            ),
            midtrans_server_key=self._box.open(
                row.midtrans_server_key_sealed, shop_id=row.id, field="midtrans_server_key"
            ),
            owner_language=row.owner_language,
        )
