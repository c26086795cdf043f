"""The platform's own bot: a seller makes a shop (/newshop) and runs their shops (/myshops).

Why its own module: the platform bot is one python-telegram-bot Application beside the hosted
shops, with handlers of its own; the checks live in ``onboarding.py`` and the shops in
``shops.py``, so the handlers here only parse what the seller sent, call one of those, and show
the answer from the catalogue (``platform.*``). Private chats only.

A pasted token or key is deleted from the chat as soon as it is read (deleteMessage), so the
secret does not stay on the seller's screen; the conversation keeps the checked token in memory
only between the two steps of /newshop. Every button carries a shop id; each tap loads the
shop and acts only when the tapping user owns it (a forged button for another owner's shop is
answered and changes nothing).

Use::

    application = build_application(token, PlatformBot(onboarding, directory))
    await application.initialize()
    await set_commands(application)                 # the command menu, id and en
    await notify_suspended(application.bot, directory, shop, reason)   # from the worker
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.app import PerUserUpdateProcessor
from bot.chat.common import answer, button, pattern, reply, show, user_lang
from bot.platform.onboarding import (
    CLIENT_KEY_PREFIXES,
    SERVER_KEY_PREFIXES,
    TOKEN_SHAPE,
    CheckedBot,
    CheckedKey,
    Onboarding,
    Refusal,
    Webhook,
)
from bot.platform.shops import HostedShop, ShopDirectory, TokenTaken
from bot.text import callbacks
from bot.text.formatting import format_wib
from bot.text.phrases import t

logger = logging.getLogger(__name__)

PLATFORM_KEY = "platform"
ASK_TOKEN, ASK_KEY, ASK_NEW_KEY, ASK_NEW_TOKEN = range(4)
Context = ContextTypes.DEFAULT_TYPE
PRIVATE = filters.ChatType.PRIVATE
SECRET_PREFIXES = (*SERVER_KEY_PREFIXES.values(), *CLIENT_KEY_PREFIXES)


@dataclass(frozen=True)
class PlatformBot:
    """What the platform bot's handlers call: the onboarding checks and the shops directory."""

    onboarding: Onboarding
    directory: ShopDirectory


def _platform(context: Context) -> PlatformBot:
    platform: PlatformBot = context.bot_data[PLATFORM_KEY]
    return platform


def _name(username: str) -> str:
    return html.escape(username)


async def _take_secret(update: Update) -> str | None:
    """The pasted text, its message deleted from the chat; None when it is not text."""
    message = update.effective_message
    if message is None or message.text is None:
        return None
    try:
        await message.delete()
    except TelegramError as exc:  # too old, or no right: the seller is told to do it
        logger.info("could not delete a pasted secret: %s", type(exc).__name__)
        await reply(update, t(user_lang(update), "platform.secret_not_deleted"))
    return message.text


# -- /start, /cancel ------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    await reply(update, t(user_lang(update), "platform.bot.welcome"))


async def anything_else(update: Update, context: Context) -> None:
    """Text outside a step: what this bot does. A token or key pasted out of turn is deleted
    from the chat all the same (it is not read)."""
    message = update.effective_message
    if message is not None and looks_secret(message.text or ""):
        await _take_secret(update)
    await reply(update, t(user_lang(update), "platform.bot.welcome"))


def looks_secret(text: str) -> bool:
    """A bot token or a Midtrans key, by its shape."""
    text = text.strip()
    return bool(TOKEN_SHAPE.fullmatch(text)) or text.startswith(SECRET_PREFIXES)


async def cancel(update: Update, context: Context) -> int:
    if context.user_data is not None:
        context.user_data.clear()
    await reply(update, t(user_lang(update), "platform.cancelled"))
    return ConversationHandler.END


async def not_text(update: Update, context: Context) -> None:
    """A photo or sticker where a token or key was asked for: the question stands."""
    await reply(update, t(user_lang(update), "platform.paste_text"))


# -- /newshop -------------------------------------------------------------------------------


async def new_shop(update: Update, context: Context) -> int:
    if context.user_data is not None:
        context.user_data.clear()
    await reply(update, t(user_lang(update), "platform.newshop.ask_token"))
    return ASK_TOKEN


async def _checked_token(
    update: Update, context: Context, shop_key: str | None = None
) -> tuple[CheckedBot, str, Webhook] | None:
    """Read, delete and check a pasted token, then attach its webhook; a refusal is told."""
    lang = user_lang(update)
    pasted = await _take_secret(update)
    if pasted is None:
        return None
    platform = _platform(context)
    checked = await platform.onboarding.check_token(pasted, token_taken=platform.directory.taken)
    if isinstance(checked, Refusal):
        await reply(update, checked.text(lang))
        return None
    token = pasted.strip()
    hook = await platform.onboarding.attach_webhook(token, shop_key=shop_key)
    if isinstance(hook, Refusal):
        await reply(update, hook.text(lang))
        return None
    return checked, token, hook


async def token_pasted(update: Update, context: Context) -> int:
    checked = await _checked_token(update, context)
    if checked is None:
        return ASK_TOKEN
    bot, token, hook = checked
    assert context.user_data is not None
    context.user_data.update(bot=bot, token=token, hook=hook)
    await reply(
        update, t(user_lang(update), "platform.newshop.ask_key", username=_name(bot.username))
    )
    return ASK_KEY


async def _pasted_key(update: Update, context: Context) -> tuple[str, CheckedKey] | None:
    """The server key just pasted (deleted from the chat) once Midtrans accepts it; None when
    there is none or it was refused (the seller has been told why and may paste again)."""
    pasted = await _take_secret(update)
    if pasted is None:
        return None
    checked = await _platform(context).onboarding.check_server_key(pasted)
    if isinstance(checked, Refusal):
        await reply(update, checked.text(user_lang(update)))
        return None
    return pasted.strip(), checked


async def key_pasted(update: Update, context: Context) -> int:
    lang = user_lang(update)
    accepted = await _pasted_key(update, context)
    if accepted is None:
        return ASK_KEY
    key, checked = accepted
    platform = _platform(context)
    user, data = update.effective_user, context.user_data
    assert user is not None and data is not None
    bot: CheckedBot = data["bot"]
    hook: Webhook = data["hook"]
    try:
        shop = await platform.directory.create(
            owner_user_id=user.id,
            bot_token=data["token"],
            bot_username=bot.username,
            shop_key=hook.shop_key,
            webhook_secret=hook.secret_token,
            midtrans_server_key=key,
            midtrans_environment=checked.environment,
            owner_language=lang,
        )
    except TokenTaken:  # another seller's /newshop with the same bot finished first
        data.clear()
        await reply(update, t(lang, "platform.token.taken"))
        return ConversationHandler.END
    data.clear()
    logger.info("shop %d created for its owner", shop.id)
    await reply(
        update,
        t(
            lang,
            "platform.newshop.live",
            username=_name(shop.bot_username),
            environment=t(lang, f"platform.env.{shop.midtrans_environment}"),
        ),
    )
    return ConversationHandler.END


# -- /myshops and the shop card -------------------------------------------------------------


def _shop_id(update: Update) -> int | None:
    """The shop id a button carries; None for data no button of ours carries."""
    query = update.callback_query
    parts = callbacks.split(query.data or "") if query else []
    if len(parts) != 2 or not parts[1].isdigit() or len(parts[1]) > 15:
        return None
    return int(parts[1])


async def _own_shop(update: Update, context: Context) -> HostedShop | None:
    """The tapped button's shop when the tapping user owns it; otherwise the tap is answered
    and None returned."""
    shop_id, user = _shop_id(update), update.effective_user
    shop = await _platform(context).directory.get(shop_id) if shop_id else None
    if shop is None or user is None or shop.owner_user_id != user.id:
        logger.info("a shop button refused for user %s", user.id if user else "?")
        await answer(update, t(user_lang(update), "platform.shop.not_yours"), alert=True)
        return None
    return shop


def _shops_markup(shops: list[HostedShop]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(f"@{shop.bot_username}", callbacks.PLATFORM_SHOP, shop.id)] for shop in shops]
    )


async def my_shops(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None
    lang = user_lang(update)
    directory = _platform(context).directory
    await directory.set_owner_language(user.id, lang)  # for what the platform tells unasked
    shops = await directory.of_owner(user.id)
    if not shops:
        await show(update, t(lang, "platform.myshops.none"))
        return
    await show(update, t(lang, "platform.myshops.title"), _shops_markup(shops))


async def my_shops_button(update: Update, context: Context) -> None:
    await answer(update)
    await my_shops(update, context)


def _card(shop: HostedShop, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    status = t(lang, f"platform.status.{shop.status}", reason=html.escape(shop.status_reason))
    text = t(
        lang,
        "platform.shop.card",
        username=_name(shop.bot_username),
        status=status,
        environment=t(lang, f"platform.env.{shop.midtrans_environment}"),
        created=format_wib(shop.created_at, lang),
    )
    toggle = (
        button(t(lang, "platform.button.pause"), callbacks.PLATFORM_PAUSE, shop.id)
        if shop.active
        else button(t(lang, "platform.button.resume"), callbacks.PLATFORM_RESUME, shop.id)
    )
    rows = [
        [toggle],
        [button(t(lang, "platform.button.rotate_key"), callbacks.PLATFORM_ROTATE_KEY, shop.id)],
        [button(t(lang, "platform.button.replace_token"), callbacks.PLATFORM_NEW_BOT, shop.id)],
        [button(t(lang, "platform.button.delete"), callbacks.PLATFORM_DELETE, shop.id)],
        [button(t(lang, "platform.button.back"), callbacks.PLATFORM_SHOPS)],
    ]
    return text, InlineKeyboardMarkup(rows)


async def shop_card(update: Update, context: Context) -> None:
    shop = await _own_shop(update, context)
    if shop is None:
        return
    await answer(update)
    await show(update, *_card(shop, user_lang(update)))


async def _after_move(update: Update, context: Context, shop: HostedShop, moved: bool) -> None:
    lang = user_lang(update)
    fresh = await _platform(context).directory.get(shop.id)
    if fresh is None:
        await answer(update, t(lang, "platform.shop.gone"))
        return
    key = {"active": "platform.shop.resumed", "paused": "platform.shop.paused"}.get(fresh.status)
    note = key if moved and key else "platform.shop.unchanged"
    await answer(update, t(lang, note, username=fresh.bot_username))
    await show(update, *_card(fresh, lang))


async def pause(update: Update, context: Context) -> None:
    shop = await _own_shop(update, context)
    if shop is not None:
        await _after_move(update, context, shop, await _platform(context).directory.pause(shop.id))


async def resume(update: Update, context: Context) -> None:
    """Open a paused shop again; a shop the platform stopped only once Telegram takes its
    token again (otherwise the seller reads why, and replaces the token)."""
    shop = await _own_shop(update, context)
    if shop is None:
        return
    platform = _platform(context)
    if shop.status == "suspended":
        checked = await platform.onboarding.check_token(shop.bot_token, token_taken=_its_own)
        if isinstance(checked, Refusal):
            lang = user_lang(update)
            await answer(update, checked.text(lang), alert=True)
            await show(update, *_card(shop, lang))
            return
    await _after_move(update, context, shop, await platform.directory.resume(shop.id))


async def _its_own(token_hash: str) -> bool:
    """A shop's own token is not "taken" when the shop checks it again."""
    return False


async def delete_ask(update: Update, context: Context) -> None:
    shop = await _own_shop(update, context)
    if shop is None:
        return
    lang = user_lang(update)
    await answer(update)
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    t(lang, "platform.button.delete_sure", username=shop.bot_username),
                    callbacks.PLATFORM_DELETE_SURE,
                    shop.id,
                )
            ],
            [button(t(lang, "platform.button.delete_keep"), callbacks.PLATFORM_SHOP, shop.id)],
        ]
    )
    text = t(lang, "platform.shop.delete_ask", username=_name(shop.bot_username))
    await show(update, text, markup)


async def delete_sure(update: Update, context: Context) -> None:
    shop = await _own_shop(update, context)
    if shop is None:
        return
    lang = user_lang(update)
    platform = _platform(context)
    await answer(update)
    if await platform.directory.delete(shop.id):
        await platform.onboarding.detach_webhook(shop.bot_token)  # best effort
        logger.info("shop %d deleted by its owner", shop.id)
    await show(update, t(lang, "platform.shop.deleted", username=_name(shop.bot_username)))


# -- rotate the Midtrans key, replace the bot token (from the shop card) -----------------------


async def rotate_key_ask(update: Update, context: Context) -> int:
    return await _ask_for_shop(update, context, "platform.rotate.ask_key", ASK_NEW_KEY)


async def _ask_for_shop(update: Update, context: Context, question: str, step: int) -> int:
    """A shop card's rotate or replace button: remember the shop (if the user's), ask."""
    shop = await _own_shop(update, context)
    if shop is None:
        return ConversationHandler.END
    await answer(update)
    assert context.user_data is not None
    context.user_data.clear()
    context.user_data["shop_id"] = shop.id
    await reply(update, t(user_lang(update), question, username=_name(shop.bot_username)))
    return step


async def _still_own(update: Update, context: Context) -> HostedShop | None:
    """The shop a rotate or replace step is for, if it still exists and is the user's."""
    data, user = context.user_data or {}, update.effective_user
    shop = await _platform(context).directory.get(int(data.get("shop_id", 0)))
    if shop is None or user is None or shop.owner_user_id != user.id:
        await reply(update, t(user_lang(update), "platform.shop.gone"))
        return None
    return shop


async def new_key_pasted(update: Update, context: Context) -> int:
    lang = user_lang(update)
    accepted = await _pasted_key(update, context)
    if accepted is None:
        return ASK_NEW_KEY
    key, checked = accepted
    shop = await _still_own(update, context)
    if shop is None:
        return ConversationHandler.END
    await _platform(context).directory.rotate_server_key(shop.id, key, checked.environment)
    environment = t(lang, f"platform.env.{checked.environment}")
    username = _name(shop.bot_username)
    await reply(update, t(lang, "platform.rotate.done", username=username, environment=environment))
    return ConversationHandler.END


async def replace_token_ask(update: Update, context: Context) -> int:
    return await _ask_for_shop(update, context, "platform.replace.ask_token", ASK_NEW_TOKEN)


async def new_token_pasted(update: Update, context: Context) -> int:
    shop = await _still_own(update, context)
    if shop is None:
        await _take_secret(update)  # not read, but not left on the screen either
        return ConversationHandler.END
    checked = await _checked_token(update, context, shop_key=shop.shop_key)
    if checked is None:
        return ASK_NEW_TOKEN
    bot, token, hook = checked
    platform = _platform(context)
    try:
        await platform.directory.replace_token(shop.id, token, bot.username, hook.secret_token)
    except TokenTaken:
        await reply(update, t(user_lang(update), "platform.token.taken"))
        return ASK_NEW_TOKEN
    await platform.onboarding.detach_webhook(shop.bot_token)  # the old bot, best effort
    await reply(update, t(user_lang(update), "platform.replace.done", username=_name(bot.username)))
    return ConversationHandler.END


# -- the platform tells a seller ------------------------------------------------------------


async def notify_suspended(
    bot: Bot,
    directory: ShopDirectory,
    shop: HostedShop,
    reason: str,
) -> bool:
    """Tell the shop's owner, through the platform bot, that the platform stopped their shop
    (e.g. Telegram revoked its token), with a button to paste a new token, in the language of
    the owner's Telegram when they last made a shop or opened /myshops. Only when the shop is
    still suspended (a seller who fixed it already hears nothing); False when not sent."""
    current = await directory.get(shop.id)
    if current is None or current.status != "suspended":
        return False
    lang = current.owner_language
    text = t(
        lang,
        "platform.suspended",
        username=_name(current.bot_username),
        reason=html.escape(reason),
    )
    markup = InlineKeyboardMarkup(
        [
            [button(t(lang, "platform.button.replace_token"), callbacks.PLATFORM_NEW_BOT, shop.id)],
            [button(t(lang, "platform.button.resume"), callbacks.PLATFORM_RESUME, shop.id)],
        ]
    )
    try:
        await bot.send_message(
            current.owner_user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except TelegramError as exc:  # the seller blocked the platform bot, or Telegram trouble
        logger.warning("could not tell shop %d's owner of its suspension: %s", shop.id, exc)
        return False
    return True


# -- wiring ---------------------------------------------------------------------------------


def conversation() -> ConversationHandler[Any]:
    text = filters.TEXT & ~filters.COMMAND & PRIVATE
    other = ~filters.TEXT & ~filters.COMMAND & PRIVATE
    fallbacks: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler("cancel", cancel, filters=PRIVATE),
        CommandHandler("newshop", new_shop, filters=PRIVATE),
    ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("newshop", new_shop, filters=PRIVATE),
            CallbackQueryHandler(rotate_key_ask, pattern(callbacks.PLATFORM_ROTATE_KEY)),
            CallbackQueryHandler(replace_token_ask, pattern(callbacks.PLATFORM_NEW_BOT)),
        ],
        states={
            ASK_TOKEN: [MessageHandler(text, token_pasted), MessageHandler(other, not_text)],
            ASK_KEY: [MessageHandler(text, key_pasted), MessageHandler(other, not_text)],
            ASK_NEW_KEY: [MessageHandler(text, new_key_pasted), MessageHandler(other, not_text)],
            ASK_NEW_TOKEN: [
                MessageHandler(text, new_token_pasted),
                MessageHandler(other, not_text),
            ],
        },
        fallbacks=fallbacks,
        allow_reentry=True,
        name="platform",
    )


def register(application: Application[Any, Any, Any, Any, Any, Any], platform: PlatformBot) -> None:
    """Add the platform bot's handlers to its own Application."""
    application.bot_data[PLATFORM_KEY] = platform
    application.add_handler(conversation())
    application.add_handler(CommandHandler(["start", "help"], start, filters=PRIVATE))
    application.add_handler(CommandHandler("cancel", cancel, filters=PRIVATE))
    application.add_handler(CommandHandler("myshops", my_shops, filters=PRIVATE))
    for code, callback in (
        (callbacks.PLATFORM_SHOPS, my_shops_button),
        (callbacks.PLATFORM_SHOP, shop_card),
        (callbacks.PLATFORM_PAUSE, pause),
        (callbacks.PLATFORM_RESUME, resume),
        (callbacks.PLATFORM_DELETE, delete_ask),
        (callbacks.PLATFORM_DELETE_SURE, delete_sure),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern(code)))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & PRIVATE, anything_else)
    )


COMMANDS = ("newshop", "myshops", "cancel")


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu sellers see, in Indonesian and (for English clients) English."""
    for lang, language_code in (("id", None), ("en", "en")):
        commands = [(name, t(lang, f"platform.command.{name}")) for name in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=language_code)


class PastedSecretFilter(logging.Filter):
    """Masks anything shaped like a bot token or a Midtrans key in python-telegram-bot's own
    DEBUG lines (the updates it fetched and processes carry what a seller pasted, before any
    handler has read it to add it to the log mask). Set on the loggers that print updates."""

    LOGGERS = ("telegram.ext.ExtBot", "telegram.Bot", "telegram.ext.Application")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging reports it as usual
            return True
        masked = _PASTED.sub(_mask_pasted, message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

    @classmethod
    def install(cls) -> None:
        for name in cls.LOGGERS:
            logger_ = logging.getLogger(name)
            if not any(isinstance(f, cls) for f in logger_.filters):
                logger_.addFilter(cls())


_PASTED = re.compile(
    r"(?<![A-Za-z0-9_-])([0-9]{1,20}):[A-Za-z0-9_-]{20,100}"
    r"|(?:SB-)?Mid-(?:server|client)-[A-Za-z0-9_-]+"
)


def _mask_pasted(match: re.Match[str]) -> str:
    return f"{match.group(1)}:***" if match.group(1) else "***"


def build_application(
    token: str, platform: PlatformBot, *, base_url: str | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The platform bot's Application with its handlers (HTML texts, no job queue, updates of
    different sellers concurrently). The caller initializes it, calls ``set_commands``, starts
    it and feeds it updates (polling, or the edge's ``/tg/`` path)."""
    builder = (
        Application.builder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .concurrent_updates(PerUserUpdateProcessor())  # one seller's slow check holds no other
        .job_queue(None)
    )
    if base_url:
        builder = builder.base_url(base_url)
    application = builder.build()
    PastedSecretFilter.install()
    register(application, platform)
    return application
