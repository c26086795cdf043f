"""The customer's conversation: menu, product cards, cart, typed orders, details, checkout, orders.

One persistent ConversationHandler, so a checkout in progress survives a restart. Shopping buttons
(menu, cart, my orders) work from every state: tapping one simply leaves the checkout questions.
The cart lives in ``user_data["cart"]`` as ``{"<product id>": quantity}`` (JSON-friendly).
A checkout left idle times out through ``timeout.py`` (its deadline is kept in the store).
"""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.chat.common import pattern
from bot.chat.customer import timeout
from bot.chat.customer.checkout import (
    abort,
    cancel_step,
    change_details,
    checkout,
    confirm,
    got_address,
    got_email,
    got_fulfilment,
    got_name,
    got_note,
    got_phone,
    help_command,
    keep_details,
    press_a_button,
)
from bot.chat.customer.common import (
    ASK_ADDRESS,
    ASK_EMAIL,
    ASK_FULFILMENT,
    ASK_NAME,
    ASK_NOTE,
    ASK_PHONE,
    CONFIRM,
    SHOPPING,
)
from bot.chat.customer.menu import (
    add_to_cart,
    cart_clear,
    cart_set,
    menu,
    product_card,
    show_cart,
    start,
)
from bot.chat.customer.orders import (
    my_orders,
    order_cancel,
    order_cancel_sure,
    order_png,
    order_resend,
    order_view,
    reorder,
    stale_button,
)
from bot.chat.customer.typed import (
    typed_confirm,
    typed_order,
    typed_pick,
)
from bot.text import callbacks, phrases


def shopping_handlers() -> list[Any]:
    return [
        CommandHandler("start", start),
        CommandHandler(["menu"], menu),
        CommandHandler(["keranjang", "cart"], show_cart),
        CommandHandler(["pesanan", "orders"], my_orders),
        CommandHandler(["bantuan", "help"], help_command),
        CommandHandler(["batal", "cancel"], cancel_step),
        CallbackQueryHandler(menu, pattern=pattern(callbacks.MENU)),
        CallbackQueryHandler(product_card, pattern=pattern(callbacks.PRODUCT)),
        CallbackQueryHandler(add_to_cart, pattern=pattern(callbacks.ADD)),
        CallbackQueryHandler(show_cart, pattern=pattern(callbacks.CART)),
        CallbackQueryHandler(cart_set, pattern=pattern(callbacks.CART_SET)),
        CallbackQueryHandler(cart_clear, pattern=pattern(callbacks.CART_CLEAR)),
        CallbackQueryHandler(checkout, pattern=pattern(callbacks.CHECKOUT)),
        CallbackQueryHandler(typed_confirm, pattern=pattern(callbacks.TYPED_CONFIRM)),
        CallbackQueryHandler(typed_pick, pattern=pattern(callbacks.TYPED_PICK)),
        CallbackQueryHandler(my_orders, pattern=pattern(callbacks.MY_ORDERS)),
        CallbackQueryHandler(order_view, pattern=pattern(callbacks.ORDER_VIEW)),
        CallbackQueryHandler(order_resend, pattern=pattern(callbacks.ORDER_RESEND)),
        CallbackQueryHandler(order_png, pattern=pattern(callbacks.ORDER_PNG)),
        CallbackQueryHandler(order_cancel, pattern=pattern(callbacks.ORDER_CANCEL)),
        CallbackQueryHandler(order_cancel_sure, pattern=pattern(callbacks.ORDER_CANCEL_SURE)),
        CallbackQueryHandler(reorder, pattern=pattern(callbacks.REORDER)),
    ]


class CustomerConversation(ConversationHandler[Any]):
    """PTB's ConversationHandler, plus ``end``: the checkout timeout ends a conversation outside
    of any update of it, as PTB's own ``conversation_timeout`` does (with ``_update_state``)."""

    __slots__ = ()

    def end(self, key: tuple[int, ...]) -> None:
        """End the conversation of ``key`` (chat id, user id); persisted with the next flush."""
        self._update_state(self.END, key)


def conversation() -> CustomerConversation:
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    return CustomerConversation(
        name="customer",
        persistent=True,
        allow_reentry=False,
        per_message=False,
        entry_points=[
            *shopping_handlers(),
            MessageHandler(private_text, typed_order),
            CallbackQueryHandler(stale_button),  # e.g. "pay" on a summary whose checkout timed out
        ],
        states={
            SHOPPING: [MessageHandler(private_text, typed_order)],
            ASK_NAME: [
                CallbackQueryHandler(keep_details, pattern=pattern(callbacks.KEEP)),
                CallbackQueryHandler(change_details, pattern=pattern(callbacks.CHANGE)),
                MessageHandler(private_text, got_name),
            ],
            ASK_PHONE: [MessageHandler(filters.CONTACT | private_text, got_phone)],
            ASK_EMAIL: [
                CallbackQueryHandler(got_email, pattern=pattern(callbacks.SKIP)),
                MessageHandler(private_text, got_email),
            ],
            ASK_FULFILMENT: [
                CallbackQueryHandler(
                    got_fulfilment,
                    pattern=rf"^({callbacks.FULFIL_PICKUP}|{callbacks.FULFIL_DELIVERY})$",
                ),
                MessageHandler(private_text, press_a_button),
            ],
            ASK_ADDRESS: [MessageHandler(filters.LOCATION | private_text, got_address)],
            ASK_NOTE: [
                CallbackQueryHandler(got_note, pattern=pattern(callbacks.SKIP)),
                MessageHandler(private_text, got_note),
            ],
            CONFIRM: [
                CallbackQueryHandler(confirm, pattern=pattern(callbacks.CONFIRM)),
                CallbackQueryHandler(abort, pattern=pattern(callbacks.ABORT)),
                MessageHandler(private_text, press_a_button),
            ],
        },
        fallbacks=[*shopping_handlers(), CallbackQueryHandler(stale_button)],
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    customer = conversation()
    application.add_handler(customer)
    timeout.register(application, customer.end)


def commands(lang: str) -> list[tuple[str, str]]:
    """The command menu customers see in Telegram."""
    return [
        ("start", phrases.t(lang, "command.start")),
        ("keranjang", phrases.t(lang, "command.cart")),
        ("pesanan", phrases.t(lang, "command.orders")),
        ("bantuan", phrases.t(lang, "command.help")),
        ("batal", phrases.t(lang, "command.cancel")),
    ]
