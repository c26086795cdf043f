"""The messages the bot sends by itself (a payment change; an unfinished checkout dropped), as
outbox rows: pure functions, no I/O.

Each builder returns a ``Push``: the chat, the Bot API method, its parameters as plain JSON (so
the row survives a restart and goes out through ``bot.do_api_request``) and a dedupe key
(``{order_id}:{kind}:{chat_id}`` for an order). The outbox ignores a second row with the same
key, so however often a transition is seen, each chat hears of it once.

Texts are HTML. Everything a person typed (names, address, note) and every catalogue name is
escaped, and long orders are shortened to stay under Telegram's 4096 characters.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.rules.money import format_rupiah
from bot.rules.orders import OrderStatus
from bot.text import callbacks
from bot.text.formatting import TEXT_LIMIT, display_phone, fit_message, telegram_length
from bot.text.phrases import t
from storage.models import CheckoutDeadline, Order

SEND_MESSAGE = "sendMessage"
SEND_PAYMENT_CODE = "warung.sendPaymentCode"
"""Not a Bot API method: the outbox hands rows with this method to the checkout code, which
renders the payment code text and slip for ``params["order_id"]``."""

SELLER_LANGUAGE = "id"
_NAME_LIMIT = 64
_PHONE_LIMIT = 32
_ITEM_NAME_LIMIT = 100
_FREE_TEXT_LIMIT = 400


@dataclass(frozen=True)
class Push:
    """One queued Bot API call. ``params`` do not repeat ``chat_id``; the sender adds it."""

    chat_id: int
    method: str
    params: dict[str, Any]
    dedupe_key: str
    kind: str


# --- customer ------------------------------------------------------------------------------


def customer_paid(order: Order) -> Push:
    lang = order.language

    def render(shown: int) -> str:
        return t(
            lang,
            "push.paid",
            order_id=_esc(order.id),
            summary=_summary(order, lang, shown),
            fulfilment=_fulfilment(order, lang, with_map=False),
        )

    return _message(order.chat_id, order.id, "paid", _fit(render, len(order.items)))


def customer_expired(order: Order) -> Push:
    text = t(order.language, "push.expired", order_id=_esc(order.id), total=_total(order))
    return _message(order.chat_id, order.id, "expired", text, _reorder_button(order))


def customer_cancelled(order: Order) -> Push:
    text = t(order.language, "push.cancelled", order_id=_esc(order.id), total=_total(order))
    return _message(order.chat_id, order.id, "cancelled", text)


def customer_failed(order: Order, *, charge_refused: bool = False) -> Push:
    """Declined payment, or (``charge_refused``) no payment code could ever be created."""
    key = "push.charge_failed" if charge_refused else "push.failed"
    text = t(order.language, key, order_id=_esc(order.id), total=_total(order))
    return _message(order.chat_id, order.id, "failed", text, _reorder_button(order))


def customer_reversed(order: Order) -> Push:
    text = t(order.language, "push.reversed", order_id=_esc(order.id), total=_total(order))
    return _message(order.chat_id, order.id, "reversed", text)


def customer_refunded(order: Order) -> Push:
    text = t(order.language, "push.refunded", order_id=_esc(order.id), total=_total(order))
    return _message(order.chat_id, order.id, "refunded", text)


def customer_payment_code(order: Order) -> Push:
    """The payment code found late (the charge's answer was lost at checkout)."""
    return Push(
        chat_id=order.chat_id,
        method=SEND_PAYMENT_CODE,
        params={"order_id": order.id},
        dedupe_key=f"{order.id}:payment_code:{order.chat_id}",
        kind="payment_code",
    )


def checkout_timed_out(deadline: CheckoutDeadline) -> Push:
    """An unfinished checkout was dropped (bot/chat/customer/timeout.py); the cart is kept."""
    lang = deadline.language
    params: dict[str, Any] = {
        "text": t(lang, "checkout.timed_out"),
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {
                        "text": t(lang, "checkout.timed_out.button"),
                        "callback_data": callbacks.data(callbacks.CART),
                    }
                ]
            ]
        },
    }
    kind = "checkout_timed_out"
    key = f"checkout:{deadline.user_id}:{deadline.due_at.isoformat()}:{kind}"
    return Push(deadline.chat_id, SEND_MESSAGE, params, key, kind)


_CUSTOMER: dict[OrderStatus, Callable[[Order], Push]] = {
    OrderStatus.PAID: customer_paid,
    OrderStatus.EXPIRED: customer_expired,
    OrderStatus.CANCELLED: customer_cancelled,
    OrderStatus.FAILED: customer_failed,
    OrderStatus.REVERSED: customer_reversed,
    OrderStatus.REFUNDED: customer_refunded,
}


def customer_push_for(order: Order, new_status: str) -> Push | None:
    """What the customer hears when ``order`` moves to ``new_status`` (None: nothing)."""
    build = _CUSTOMER.get(OrderStatus(new_status))
    return build(order) if build else None


# --- seller --------------------------------------------------------------------------------


def seller_paid(order: Order, chat_id: int, lang: str = SELLER_LANGUAGE) -> Push:
    """A new paid order, with what the seller needs to hand it over."""

    def render(shown: int) -> str:
        return t(
            lang,
            "push.seller.paid",
            order_id=_esc(order.id),
            summary=_summary(order, lang, shown),
            name=_esc(_clip(order.customer_name or "-", _NAME_LIMIT)),
            phone=_esc(_phone(order.customer_phone)),
            fulfilment=_fulfilment(order, lang, with_map=True),
            note=_note(order, lang),
        )

    button = {
        "text": t(lang, "push.button.fulfil"),
        "callback_data": callbacks.data(callbacks.ADMIN_FULFIL, order.id),
    }
    text = _fit(render, len(order.items))
    # The map link would otherwise unfold into a large preview.
    quiet = {"link_preview_options": {"is_disabled": True}}
    return _message(chat_id, order.id, "seller_paid", text, button, extra=quiet)


def seller_reversed(order: Order, chat_id: int, lang: str = SELLER_LANGUAGE) -> Push:
    """``order`` as it was before the reversal: handed over or not decides what the seller reads
    (the stock goes back only for goods still in the shop)."""
    handed_over = order.status == OrderStatus.FULFILLED
    text = t(
        lang,
        "push.seller.reversed_handed_over" if handed_over else "push.seller.reversed",
        order_id=_esc(order.id),
        total=_total(order),
        name=_esc(_clip(order.customer_name or "-", _NAME_LIMIT)),
    )
    return _message(chat_id, order.id, "seller_reversed", text)


def seller_late_payment(order: Order, chat_id: int, lang: str = SELLER_LANGUAGE) -> Push:
    """Midtrans says money came in for an order we already closed: a person must look."""
    text = t(
        lang,
        "push.seller.late_payment",
        order_id=_esc(order.id),
        total=_total(order),
        name=_esc(_clip(order.customer_name or "-", _NAME_LIMIT)),
        phone=_esc(_phone(order.customer_phone)),
    )
    return _message(chat_id, order.id, "seller_late_payment", text)


# --- pieces --------------------------------------------------------------------------------


def _message(
    chat_id: int,
    order_id: str,
    kind: str,
    text: str,
    button: dict[str, str] | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> Push:
    params: dict[str, Any] = {"text": text, "parse_mode": "HTML", **(extra or {})}
    if button is not None:
        params["reply_markup"] = {"inline_keyboard": [[button]]}
    return Push(chat_id, SEND_MESSAGE, params, f"{order_id}:{kind}:{chat_id}", kind)


def _reorder_button(order: Order) -> dict[str, str]:
    return {
        "text": t(order.language, "push.button.reorder"),
        "callback_data": callbacks.data(callbacks.REORDER, order.id),
    }


def _summary(order: Order, lang: str, shown: int) -> str:
    lines = [
        t(
            lang,
            "push.line",
            name=_esc(_clip(item.name, _ITEM_NAME_LIMIT)),
            quantity=item.quantity,
            amount=format_rupiah(item.total),
        )
        for item in order.items[:shown]
    ]
    hidden = len(order.items) - shown
    if hidden > 0:
        lines.append(t(lang, "push.more_lines", count=hidden))
    if order.delivery_fee:
        lines.append(t(lang, "push.fee", amount=format_rupiah(order.delivery_fee)))
    lines.append(t(lang, "push.total", amount=format_rupiah(order.gross_amount)))
    return "\n".join(lines)


def _fulfilment(order: Order, lang: str, *, with_map: bool) -> str:
    if order.fulfilment != "delivery":
        return t(lang, "push.pickup")
    address = _esc(_clip(order.address or "-", _FREE_TEXT_LIMIT))
    text = t(lang, "push.delivery", address=address)
    if with_map and order.latitude is not None and order.longitude is not None:
        url = f"https://maps.google.com/?q={order.latitude:.6f},{order.longitude:.6f}"
        text += " (" + t(lang, "push.map_link", url=html.escape(url, quote=True)) + ")"
    return text


def _note(order: Order, lang: str) -> str:
    if not order.note or not order.note.strip():
        return ""
    return "\n" + t(lang, "push.note", note=_esc(_clip(order.note.strip(), _FREE_TEXT_LIMIT)))


def _total(order: Order) -> str:
    return format_rupiah(order.gross_amount)


def _phone(phone: str) -> str:
    return _clip(display_phone(phone), _PHONE_LIMIT) if phone else "-"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _clip(text: str, limit: int) -> str:
    """Shorten before escaping, so an HTML entity is never cut in half."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit(render: Callable[[int], str], lines: int) -> str:
    """Render with as many item lines as fit in one message (at least one), so the total and the
    buttons stay; ``fit_message`` (the one cutting rule) is the last resort."""
    shown = lines
    text = render(shown)
    while telegram_length(text) > TEXT_LIMIT and shown > 1:
        # Item lines are short; drop roughly as many as the overflow needs, at least one.
        shown = max(1, min(shown - 1, shown - (telegram_length(text) - TEXT_LIMIT) // 40))
        text = render(shown)
    return fit_message(text)
