"""Where the seller's order pushes go: the admins' private chats, a linked staff group, or both.

A seller may link one Telegram group (``/linkgroup`` sent there by an admin who is a member).
Paid-order and reversal pushes then go to the group as well as to each admin, or to the group
only (the seller's choice on the /shop card). Late-payment alerts stay private: they ask a person
to sort out money, not the whole staff. Stored as text in ``shop_settings`` like the shop's other
settings; pure, so the payment ledger (also in the worker process) can ask it inside its
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GROUP_ID = "seller_group_id"
GROUP_TITLE = "seller_group_title"
GROUP_ONLY = "seller_group_only"
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
"""Telegram ChatMember statuses of someone in the group ("restricted" counts when is_member)."""


@dataclass(frozen=True)
class SellerGroup:
    chat_id: int
    title: str
    only: bool = False  # True: pushes go to the group instead of the admins' private chats


def seller_group_from(stored: Mapping[str, str]) -> SellerGroup | None:
    raw = stored.get(GROUP_ID, "")
    if not raw.lstrip("-").isdigit():
        return None
    return SellerGroup(int(raw), stored.get(GROUP_TITLE, ""), stored.get(GROUP_ONLY) == "1")


def seller_group_values(group: SellerGroup | None) -> dict[str, str]:
    """The inverse of ``seller_group_from``; an unlinked group stores empty values."""
    if group is None:
        return {GROUP_ID: "", GROUP_TITLE: "", GROUP_ONLY: "0"}
    return {
        GROUP_ID: str(group.chat_id),
        GROUP_TITLE: group.title,
        GROUP_ONLY: "1" if group.only else "0",
    }


def seller_chats(group: SellerGroup | None, admins: Iterable[int]) -> list[int]:
    """The chats a paid-order push goes to: the group, and the admins unless "group only"."""
    chats = [] if group is not None and group.only else sorted(set(admins))
    if group is not None:
        chats.append(group.chat_id)
    return chats
