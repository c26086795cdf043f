"""Linking the shop's staff group: who may link it, unlinking, and group-only pushes.

The rule: only a shop admin who is a member of the group (Telegram's ``getChatMember``, asked by
the handler) may link it; any admin may unlink it, from the group or from their private chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum

from bot.rules.seller_group import (
    MEMBER_STATUSES,
    SellerGroup,
    seller_group_from,
    seller_group_values,
)
from bot.shop.services import Services
from storage import Tx


class Link(StrEnum):
    DONE = "done"
    ALREADY = "already"  # this group was linked before
    NOT_ADMIN = "not_admin"  # the sender is not one of the shop's admins
    NOT_MEMBER = "not_member"  # Telegram says the sender is not (or no longer) in the group


async def seller_group(services: Services) -> SellerGroup | None:
    return seller_group_from(await services.store.run(Tx.shop_settings))


async def link_group(
    services: Services,
    chat_id: int,
    title: str,
    user_id: int,
    member_status: Callable[[], Awaitable[str]],
) -> Link:
    """Link ``chat_id`` for paid-order pushes. ``member_status`` asks Telegram for the sender's
    ChatMember status there (only for admins). Linking another group replaces the old one."""
    if not await services.is_admin(user_id):
        return Link.NOT_ADMIN
    if await member_status() not in MEMBER_STATUSES:
        return Link.NOT_MEMBER
    current = await seller_group(services)
    if current is not None and current.chat_id == chat_id:
        if current.title != title:
            await _store(services, replace(current, title=title))
        return Link.ALREADY
    await _store(services, SellerGroup(chat_id, title))
    return Link.DONE


async def unlink_group(services: Services) -> SellerGroup | None:
    """Forget the linked group; the group that was linked (None if there was none)."""
    current = await seller_group(services)
    if current is not None:
        await _store(services, None)
    return current


async def set_group_only(services: Services, only: bool) -> SellerGroup | None:
    """Pushes to the group only (True) or to the group and the admins (False)."""
    current = await seller_group(services)
    if current is None:
        return None
    changed = replace(current, only=only)
    await _store(services, changed)
    return changed


async def _store(services: Services, group: SellerGroup | None) -> None:
    values = seller_group_values(group)

    def work(tx: Tx) -> None:
        for key, value in values.items():
            tx.set_shop_setting(key, value)

    await services.store.run(work)
