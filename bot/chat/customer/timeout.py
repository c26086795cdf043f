"""Abandoned checkouts: a checkout left idle for ``CHECKOUT_TIMEOUT`` is dropped, durably.

The rule (issue 13, item 10): the draft is dropped, the cart stays, the customer is told with a
button back to the cart, and the conversation leaves the checkout questions, so the next thing
they type is not taken as an answer to a dead question.

Why not PTB's ``conversation_timeout``: its timer is a JobQueue job in memory. A restart loses
it (the timeout then fired only at that customer's next update), and a hosted shop has no job
queue and is evicted after ten idle minutes, so there it never fired at all. So the deadline is
kept in the store (``checkout_deadlines``) and PTB's timeout is no longer used; one path serves
the single-shop bot and hosted shops:

- ``follow_draft`` runs after every update of a private chat (handler group 1): while the
  customer has a draft, their deadline is now + ``CHECKOUT_TIMEOUT`` (any update restarts it,
  as PTB's did); once the draft is gone (paid, aborted, cancelled) the deadline goes too.
  ``user_data[DEADLINE]`` remembers that a row exists, so an update without a draft costs no
  write.
- ``sweep`` finds the due deadlines and feeds each through the Application as a custom update
  (``CheckoutExpired``, PTB's ``TypeHandler``), so it waits for and never races that
  customer's own updates (``bot.app.PerUserUpdateProcessor``). The single-shop bot runs it from
  PTB's JobQueue every ``RECONCILE_INTERVAL`` from start (deadlines that passed while the bot
  was down fire at the first sweep, after the updates that waited at Telegram meanwhile; one
  passed over a day ago, ``STALE_NOTICE``, drops the draft without a message); the platform
  worker runs it for each loaded shop with its reconciliation and loads shops whose deadlines
  passed while they were evicted.
- ``checkout_timed_out`` is the single home of the rule. Crash-safe in this order: the draft
  drop and the conversation's end are written first (``update_persistence``); then one
  transaction removes the deadline and queues the message in the outbox (dedupe key per
  deadline), so the customer is told exactly once, also across a crash or a second worker.

A customer who was only browsing has no draft and no deadline; their conversation state stays
(it is the shopping state, which answers exactly as no state does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackContext, JobQueue, TypeHandler

from bot.chat.common import user_lang
from bot.chat.customer.common import Context
from bot.messages import pushes
from bot.shop.services import KEY, Services
from storage import CheckoutDeadline, Tx

logger = logging.getLogger(__name__)

DRAFT = "draft"
DEADLINE = "checkout_deadline"
"""In ``user_data``: True while a ``checkout_deadlines`` row exists for the user."""

DEADLINE_GROUP = 1
"""After the shopping handlers (group 0): the draft is as the update left it."""

BATCH = 100

STALE_NOTICE = timedelta(days=1)
"""A deadline that passed longer ago than this (the bot was down, the shop suspended for days)
still drops the draft, but the customer is not told: a notice that late would only puzzle."""

EndConversation = Callable[[tuple[int, ...]], None]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class CheckoutExpired:
    """A custom update: this customer's checkout deadline has passed."""

    user_id: int
    chat_id: int


async def follow_draft(update: Update, context: Context) -> None:
    """Keep the customer's deadline in step with their draft (see the module docstring)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    data = cast(dict[str, Any], context.user_data)
    svc = context.services
    if DRAFT in data:
        due = svc.clock() + svc.settings.checkout_timeout
        await svc.store.run(Tx.set_checkout_deadline, user.id, chat.id, user_lang(update), due)
        data[DEADLINE] = True
    elif data.get(DEADLINE):
        await svc.store.run(Tx.drop_checkout_deadline, user.id)
        del data[DEADLINE]  # only once the row is gone: a failed write is tried again


async def checkout_timed_out(
    expired: CheckoutExpired, context: Context, end: EndConversation
) -> None:
    """Drop the draft, keep the cart, end the conversation, tell the customer once."""
    application = context.application
    svc = context.services
    now = svc.clock()
    deadline = await svc.store.run(Tx.checkout_deadline, expired.user_id)
    if deadline is None or deadline.due_at > now:
        return  # the customer came back meanwhile, or it was handled already
    data = application.user_data.get(expired.user_id)
    if data is not None:
        data.pop(DRAFT, None)
        data.pop(DEADLINE, None)
        application.mark_data_for_update_persistence(user_ids=expired.user_id)
    end((expired.chat_id, expired.user_id))
    await application.update_persistence()
    tell = now - deadline.due_at <= STALE_NOTICE
    if await svc.store.run(_take_and_tell, deadline, now, tell) and tell:
        svc.wake_outbox()


def _take_and_tell(tx: Tx, deadline: CheckoutDeadline, now: datetime, tell: bool) -> bool:
    if not tx.take_checkout_deadline(deadline.user_id, now):
        return False
    if tell:
        push = pushes.checkout_timed_out(deadline)
        tx.enqueue(push.chat_id, push.method, push.params, now, push.dedupe_key)
    return True


async def sweep(application: AnyApplication) -> int:
    """Time out every checkout whose deadline has passed; how many were due."""
    svc = _services(application)
    due = await svc.store.run(Tx.checkout_deadlines_due, svc.clock(), BATCH)
    for deadline in due:
        expired = CheckoutExpired(deadline.user_id, deadline.chat_id)
        await application.update_processor.process_update(
            expired, application.process_update(expired)
        )
    return len(due)


def schedule(job_queue: JobQueue[Any], interval: timedelta) -> None:
    """The single-shop bot's sweep, every ``interval`` from start."""

    async def run(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            count = await sweep(context.application)
        except Exception:
            logger.exception("checkout timeout sweep failed")
            return
        if count:
            logger.info("checkout timeout: %d checkout deadlines were due", count)

    # The first sweep one interval after start, not at once: updates that waited at Telegram
    # while the bot was down are handled first, and a customer among them who answered before
    # the deadline has moved it.
    job_queue.run_repeating(run, interval=interval, first=interval, name="checkout-timeout")


def register(application: AnyApplication, end: EndConversation) -> None:
    """``end(key)`` ends the customer conversation of (chat id, user id)."""

    async def timed_out(expired: CheckoutExpired, context: Context) -> None:
        await checkout_timed_out(expired, context, end)

    application.add_handler(TypeHandler(CheckoutExpired, timed_out))
    application.add_handler(TypeHandler(Update, follow_draft), group=DEADLINE_GROUP)


def _services(application: AnyApplication) -> Services:
    found = application.bot_data[KEY]
    assert isinstance(found, Services)
    return found
