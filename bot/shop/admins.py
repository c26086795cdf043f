"""Who runs the shop: the owner claim, adding and removing admins, and who is the owner.

Admins come from two places: ``ADMIN_IDS`` in the environment (each one an owner, fixed) and the
``admins`` table (the owner who claimed the shop in chat, and admins the owner added). The rules
for changing them live here; the seller handlers only parse the command and render the answer.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from bot.shop.services import Services
from storage import Tx

logger = logging.getLogger(__name__)

CLAIM_CODE_DIGITS = 10
MAX_GUESSES_PER_ACCOUNT = 5
MAX_GUESSES_IN_ALL = 50


class AdminChange(StrEnum):
    """What became of an /addadmin or /removeadmin request."""

    DONE = "done"
    ALREADY = "already"  # add: the user is an admin already
    FROM_SETTINGS = "from_settings"  # remove: listed in ADMIN_IDS, only the operator can remove
    UNKNOWN = "unknown"  # remove: not an admin
    OWNER = "owner"  # remove: the owner who claimed the shop stays


def new_claim_code() -> str:
    """A fresh one-time code for ``/claim``, printed in the log at a start without admins."""
    return f"{secrets.randbelow(10**CLAIM_CODE_DIGITS):0{CLAIM_CODE_DIGITS}d}"


class ClaimVerdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"  # this account used its guesses: silence, as for any unknown command
    CLOSED = "closed"  # the guesses of all accounts together are used up until a restart


@dataclass
class ClaimGate:
    """Who may still guess the claim code, for one code (one start of the bot).

    Each account has ``MAX_GUESSES_PER_ACCOUNT`` guesses, and all accounts together
    ``MAX_GUESSES_IN_ALL``: however many accounts a stranger uses, at most 50 of the 10**10
    codes are ever tried, so the chance that a stranger claims the shop is 50 / 10**10 =
    5 in a billion per start of the bot. After the last guess the claim is closed (the owner
    restarts the bot for a new code, and the log says so once).
    """

    code: str
    guesses: dict[int, int] = field(default_factory=dict)
    total: int = 0

    @property
    def closed(self) -> bool:
        return self.total >= MAX_GUESSES_IN_ALL

    def check(self, user_id: int, guess: str) -> ClaimVerdict:
        if self.closed:
            return ClaimVerdict.CLOSED
        if self.guesses.get(user_id, 0) >= MAX_GUESSES_PER_ACCOUNT:
            return ClaimVerdict.LOCKED
        if secrets.compare_digest(guess.encode(), self.code.encode()):
            return ClaimVerdict.RIGHT
        self.guesses[user_id] = self.guesses.get(user_id, 0) + 1
        self.total += 1
        if self.closed:
            logger.warning(
                "/claim closed after %d wrong guesses from %d accounts; restart the bot for a "
                "new claim code",
                self.total,
                len(self.guesses),
            )
        return ClaimVerdict.WRONG


async def is_owner(services: Services, user_id: int) -> bool:
    """Owners (ADMIN_IDS, or the user who claimed the shop) may add and remove admins."""
    if user_id in services.settings.admin_ids:
        return True
    return bool((await services.store.run(Tx.admins)).get(user_id))


async def claim_owner(services: Services, user_id: int) -> bool:
    """Make ``user_id`` the owner, only while the shop has no admin at all (set or stored)."""
    if services.settings.admin_ids:
        return False
    now = services.clock()

    def work(tx: Tx) -> bool:
        return not tx.admins() and tx.add_admin(user_id, now, owner=True)

    return await services.store.run(work)


async def add_admin(services: Services, user_id: int) -> AdminChange:
    if user_id in await services.admin_ids():
        return AdminChange.ALREADY
    await services.store.run(Tx.add_admin, user_id, services.clock())
    return AdminChange.DONE


async def remove_admin(services: Services, user_id: int) -> AdminChange:
    if user_id in services.settings.admin_ids:
        return AdminChange.FROM_SETTINGS
    stored = await services.store.run(Tx.admins)
    if user_id not in stored:
        return AdminChange.UNKNOWN
    if stored[user_id]:
        return AdminChange.OWNER
    await services.store.run(Tx.remove_admin, user_id)
    return AdminChange.DONE


async def admin_roles(services: Services) -> list[tuple[int, bool]]:
    """Every admin id in order, each with whether it is an owner."""
    stored = await services.store.run(Tx.admins)
    every = sorted(services.settings.admin_ids | set(stored))
    return [
        (admin_id, admin_id in services.settings.admin_ids or stored[admin_id])
        for admin_id in every
    ]
