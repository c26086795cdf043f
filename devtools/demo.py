"""`make demo`: the real bot, unchanged, plays a whole order-to-push story offline.

Why: a newcomer must see the product work in one command, with no Telegram token and no Midtrans
account. The real ``BotRuntime`` runs against the local Telegram stand-in (every Bot API call is
checked against the official reference) and the Midtrans sandbox (signed notifications over HTTP
to the bot's own listener), all on 127.0.0.1 with a fresh SQLite file in a temporary directory.
The chat is printed as a transcript; the payment slip and the sales chart are saved as PNG files.

``python -m devtools demo`` plays the scripted story; ``--interactive`` lets a person type as the
customer and tap buttons by number. The test suite runs ``play_story`` in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import logging
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.types import ASGIApp
from telegram.warnings import PTBUserWarning

from bot.app import BotRuntime
from bot.config import Settings, load_settings
from bot.messages.slip import render_slip
from bot.rules.money import format_rupiah
from bot.text import phrases
from devtools.midtrans import Delivery, MidtransSandbox, SandboxError
from devtools.serving import serve_in_loop
from devtools.telegram import DEFAULT_SCHEMA_PATH, BotMessage, FakeUser, TelegramStandin
from storage import Order, Store, Tx

logger = logging.getLogger(__name__)

DEMO_TOKEN = "424242:DEMO-local-standin-token-000000"  # noqa: S105 (fake, stand-in only)
DEMO_SERVER_KEY = "SB-Mid-server-DEMO-local-sandbox"
SHOP_NAME = "Warung Bu Siti"
SELLER_ID = 7001
CUSTOMER_ID = 1001
CUSTOMER_PHONE = "6281234567890"
REVERSAL_WINDOW = "1s"
DEFAULT_OUTPUT = Path("demo-output")
SLIP_NAME = "slip"  # demo-output/slip.png: the same path every run, for the README to point at
CHART_NAME = "sales-7d"
STEP_TIMEOUT = 10.0  # one reply to one action; generous for a slow CI machine
PUSH_TIMEOUT = 15.0  # a push that goes through the outbox (plus the reversal window for sellers)
QUIET = 0.1  # the bot counts as done after this long without a Bot API call
TARGET_SECONDS = 30.0

Echo = Callable[[str], None]
LineReader = Callable[[], Awaitable[str | None]]


class DemoError(Exception):
    """One step of the story did not happen as expected; the message says which."""


def label(key: str, **values: object) -> str:
    """A button label from the bot's own catalogue, so the demo follows text changes."""
    return phrases.t("id", key, **values)


# --------------------------------------------------------------------------------------------
# The environment: both stand-ins and the real bot


@dataclasses.dataclass
class DemoEnv:
    """The running pieces, as the story and the tests need them."""

    standin: TelegramStandin
    sandbox: MidtransSandbox
    runtime: BotRuntime
    settings: Settings
    telegram_url: str
    midtrans_url: str

    @property
    def store(self) -> Store:
        assert self.runtime.store is not None
        return self.runtime.store

    async def latest_order(self, customer_id: int) -> Order | None:
        orders = await self.store.run(Tx.orders, customer_id=customer_id, limit=1)
        return orders[0] if orders else None


@contextlib.asynccontextmanager
async def _serve(app: ASGIApp) -> AsyncIterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port in this loop (the demo owns Ctrl-C)."""
    async with serve_in_loop(app) as port:
        yield f"http://127.0.0.1:{port}"


def demo_settings(workdir: Path, telegram_url: str, midtrans_url: str) -> Settings:
    """Settings as an operator would write them in `.env`, pointed at the stand-ins."""
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": DEMO_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram_url,
            "MIDTRANS_SERVER_KEY": DEMO_SERVER_KEY,
            "MIDTRANS_API_BASE_URL": midtrans_url,
            "DATABASE_PATH": str(workdir / "warung.db"),
            "ADMIN_IDS": str(SELLER_ID),
            "SHOP_NAME": SHOP_NAME,
            "REVERSAL_WINDOW": REVERSAL_WINDOW,
            "LOG_LEVEL": "WARNING",
        }
    )
    # Port 0: the listener takes a free port (the sandbox is told which one after start).
    return dataclasses.replace(settings, listen_host="127.0.0.1", listen_port=0)


@contextlib.asynccontextmanager
async def demo_environment(workdir: Path) -> AsyncIterator[DemoEnv]:
    """Start the Telegram stand-in, the Midtrans sandbox and the real bot; stop all after."""
    schema = DEFAULT_SCHEMA_PATH if DEFAULT_SCHEMA_PATH.exists() else None
    standin = TelegramStandin(
        schema_path=schema,
        token=DEMO_TOKEN,
        bot_username="warung_bu_siti_bot",
        bot_first_name=SHOP_NAME,
    )
    sandbox = MidtransSandbox(DEMO_SERVER_KEY)
    async with contextlib.AsyncExitStack() as stack:
        telegram_url = await stack.enter_async_context(standin.serve())
        midtrans_url = await stack.enter_async_context(_serve(sandbox.app))
        settings = demo_settings(workdir, telegram_url, midtrans_url)
        runtime = BotRuntime(settings, poll_timeout=1, midtrans_read_timeout=5.0)
        await stack.enter_async_context(runtime)
        sandbox.notification_url = f"{runtime.listener_url}{settings.notification_path}"
        yield DemoEnv(standin, sandbox, runtime, settings, telegram_url, midtrans_url)


# --------------------------------------------------------------------------------------------
# The transcript


def _snapshot(message: BotMessage) -> tuple[object, ...]:
    return (message.kind, message.text, tuple(message.button_texts), message.reply_keyboard)


def _display(path: Path) -> str:
    """Paths relative to the working directory when they are under it (shorter to read)."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


@dataclasses.dataclass
class _Numbered:
    user: FakeUser
    message: BotMessage
    text: str
    callback_data: str | None
    url: str | None


class Transcript:
    """Prints the chats as a person reads them and keeps the lines for tests.

    The stand-in holds every chat's messages in their current state; ``flush`` prints what is
    new or changed since the last look, so edits show up as edits and nothing is printed twice.
    """

    def __init__(
        self,
        standin: TelegramStandin,
        out_dir: Path,
        echo: Echo = print,
        *,
        numbered: bool = False,
    ) -> None:
        self.standin = standin
        self.out_dir = out_dir
        self.echo = echo
        self.numbered = numbered
        self.lines: list[str] = []
        self.saved: dict[str, Path] = {}
        self.buttons: dict[int, _Numbered] = {}
        self._users: dict[int, FakeUser] = {}
        self._seen: dict[tuple[int, int], tuple[object, ...]] = {}
        self._sections = 0
        self.order_ids: set[str] = set()  # a photo captioned with one of these is its slip

    def add_user(self, user: FakeUser) -> FakeUser:
        self._users[user.chat_id] = user
        return user

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def say(self, line: str = "") -> None:
        self.lines.append(line)
        self.echo(line)

    def heading(self, title: str) -> None:
        self._sections += 1
        self.say()
        self.say(f"━━ {self._sections}. {title} ━━")

    def note(self, text: str) -> None:
        self.say(f"   ⚙ {text}")

    def user_action(self, user: FakeUser, text: str) -> None:
        self.say(f"👤 {user.first_name}: {text}")

    def is_new(self, message: BotMessage) -> bool:
        """Not printed yet in this state (new, or edited since)."""
        return self._seen.get((message.chat_id, message.message_id)) != _snapshot(message)

    def flush(self, *chats: int, photo_name: str | None = None) -> list[BotMessage]:
        """Print every new or edited bot message in these chats; return them."""
        shown: list[BotMessage] = []
        renumber = True
        for chat in chats or tuple(self._users):
            for message in self.standin.messages(chat):
                key = (message.chat_id, message.message_id)
                snapshot = _snapshot(message)
                previous = self._seen.get(key)
                if previous == snapshot:
                    continue
                self._seen[key] = snapshot
                if self.numbered and message.inline_keyboard and renumber:
                    self.buttons = {}
                    renumber = False
                same_text = previous is not None and previous[1] == message.text
                if same_text:
                    self._print_buttons_only(message)
                else:
                    self._print(message, edited=previous is not None, photo_name=photo_name)
                shown.append(message)
        return shown

    def _print(self, message: BotMessage, *, edited: bool, photo_name: str | None) -> None:
        user = self._users.get(message.chat_id)
        who = user.first_name if user else str(message.chat_id)
        head = f"🤖 Bot → {who}" + (" (edits its message)" if edited else "") + ":"
        body = message.text.splitlines() or [""]
        if message.kind == "photo":
            path = self._save(message, photo_name or self._photo_stem(message, who))
            body = [f"[photo: saved to {_display(path)}]", *body]
        elif message.kind == "document":
            path = self._save(message, Path(message.filename or "document").stem)
            body = [f"[document {message.filename}: saved to {_display(path)}]", *body]
        lines = [f"{head} {body[0]}".rstrip(), *(f"    {line}".rstrip() for line in body[1:])]
        for row in message.inline_keyboard:
            lines.append("    " + "  ".join(self._button(user, message, b.text) for b in row))
        for keys in message.reply_keyboard or []:
            lines.append("    ⌨ " + "  ".join(f"[ {key} ]" for key in keys))
        for line in lines:
            self.say(line)

    def _print_buttons_only(self, message: BotMessage) -> None:
        """An edit that only changed the buttons (e.g. removed after a tap): no need to repeat
        the whole text."""
        user = self._users.get(message.chat_id)
        who = user.first_name if user else str(message.chat_id)
        first = (message.text.splitlines() or [""])[0]
        if not message.inline_keyboard:
            self.say(f"🤖 Bot → {who} (removes the buttons under “{first}”)")
            return
        self.say(f"🤖 Bot → {who} (changes the buttons under “{first}”):")
        for row in message.inline_keyboard:
            self.say("    " + "  ".join(self._button(user, message, b.text) for b in row))

    def _button(self, user: FakeUser | None, message: BotMessage, text: str) -> str:
        if not self.numbered or user is None:
            return f"[ {text} ]"
        number = len(self.buttons) + 1
        data, url = None, None
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == text:
                    data, url = button.get("callback_data"), button.get("url")
        self.buttons[number] = _Numbered(user, message, text, data, url)
        return f"[ {number}: {text} ]"

    def _photo_stem(self, message: BotMessage, who: str) -> str:
        order_id = next((o for o in sorted(self.order_ids) if o in message.text), None)
        return f"slip-{order_id}" if order_id else f"{who.lower()}-{message.message_id}"

    def _save(self, message: BotMessage, stem: str) -> Path:
        """Keep what the bot uploaded (the stand-in stores the exact bytes it received)."""
        data = message.photo if message.kind == "photo" else message.document
        if data is None and message.file_id:
            data = self.standin.file_bytes(message.file_id)
        data = data or b""
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
        if message.kind == "document" and message.filename:
            suffix = Path(message.filename).suffix or suffix
        name = f"{stem}{suffix}"
        if name in self.saved:
            name = f"{stem}-{message.message_id}{suffix}"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / name
        path.write_bytes(data)
        self.saved[name] = path
        return path


# --------------------------------------------------------------------------------------------
# The scripted story


@dataclasses.dataclass
class StoryResult:
    """What the story produced, for the summary and for the tests."""

    transcript: Transcript
    paid_order: Order
    expired_order: Order
    slip: Path
    chart: Path
    violations: list[str]

    @property
    def text(self) -> str:
        return self.transcript.text


class Story:
    """Plays the people: every step prints itself, waits for the bot and fails clearly."""

    def __init__(self, env: DemoEnv, transcript: Transcript) -> None:
        self.env = env
        self.t = transcript
        self.standin = env.standin
        self.seller = transcript.add_user(
            env.standin.user(SELLER_ID, first_name="Siti", language_code="id", started=True)
        )
        self.customer = transcript.add_user(
            env.standin.user(
                CUSTOMER_ID, first_name="Budi", language_code="id", phone_number=CUSTOMER_PHONE
            )
        )

    # -- steps --

    async def send(
        self,
        user: FakeUser,
        text: str,
        *,
        expect: Callable[[BotMessage], bool] | None = None,
        what: str | None = None,
        show: bool = True,
    ) -> list[BotMessage]:
        """Type a message and wait for the bot's answer."""
        self.t.user_action(user, text)
        user.send_text(text)
        return await self._answer(user, what or f"the answer to {text!r}", expect, show)

    async def tap(
        self,
        user: FakeUser,
        button: str,
        *,
        message: BotMessage | None = None,
        expect: Callable[[BotMessage], bool] | None = None,
        show: bool = True,
    ) -> list[BotMessage]:
        """Tap an inline button (by its catalogue label) and wait for the bot's answer."""
        self.t.say(f"👤 {user.first_name} taps [ {button} ]")
        try:
            query = user.tap(button, message)
        except AssertionError as exc:
            raise DemoError(f"{user.first_name} cannot tap {button!r}: {_first(exc)}") from exc
        await self._answer(user, f"the answer to the {button!r} button", expect, show=False)
        self.popup(user, query)
        return self.t.flush(user.chat_id) if show else []

    def popup(self, user: FakeUser, query: str) -> None:
        """The short notice Telegram shows over the chat after a tap (answerCallbackQuery)."""
        answer = self.standin.callback_answer(query) or {}
        if answer.get("text"):
            self.t.say(f"🤖 Bot → {user.first_name} (pop-up): {answer['text']}")

    async def share_contact(self, user: FakeUser) -> list[BotMessage]:
        """Press the share-contact reply button, as a phone does."""
        self.t.say(f"👤 {user.first_name} taps ⌨ [ {label('button.share_phone')} ]")
        try:
            contact = user.press(label("button.share_phone"))
        except AssertionError as exc:
            raise DemoError(
                f"no share-contact button for {user.first_name}: {_first(exc)}"
            ) from exc
        self.t.note(f"Telegram sends the contact {contact['contact']['phone_number']}")
        return await self._answer(user, "the answer to the shared contact", None, True)

    async def _answer(
        self,
        user: FakeUser,
        what: str,
        expect: Callable[[BotMessage], bool] | None,
        show: bool,
    ) -> list[BotMessage]:
        try:
            if expect is None:
                await self.standin.next_reply(user, quiet=QUIET, timeout=STEP_TIMEOUT)
            else:
                await self.standin.wait_for_message(
                    user, lambda m: self.t.is_new(m) and expect(m), timeout=STEP_TIMEOUT
                )
                await self.standin.wait_idle(quiet=QUIET, timeout=STEP_TIMEOUT)
        except AssertionError as exc:
            raise DemoError(f"no {what} from the bot: {_first(exc)}") from exc
        return self.t.flush(user.chat_id) if show else []

    async def push(
        self, user: FakeUser, what: str, order: Order, *, within: float = PUSH_TIMEOUT
    ) -> BotMessage:
        """Wait for a message the bot sends unasked (about ``order``) and print it."""
        try:
            message = await self.standin.wait_for_message(
                user, lambda m: self.t.is_new(m) and order.id in m.text, timeout=within
            )
            await self.standin.wait_idle(quiet=QUIET, timeout=STEP_TIMEOUT)
        except AssertionError as exc:
            raise DemoError(f"{what} did not arrive within {within:.0f}s: {_first(exc)}") from exc
        self.t.flush(user.chat_id)
        return message

    async def sandbox(self, order: Order, action: str, story: str) -> None:
        """The cashier or Midtrans moves the payment; the sandbox notifies the bot, signed."""
        self.t.note(story)
        try:
            delivery = await self.env.sandbox.trigger(order.id, action)
        except SandboxError as exc:
            raise DemoError(f"the Midtrans sandbox refused to {action} {order.id}: {exc}") from exc
        self._accepted(order, delivery)

    async def pending_notification(self, order: Order) -> None:
        """Midtrans notifies 'pending' right after each charge (it may even come before the
        charge's answer): the bot records it, and the customer, who has the code, hears nothing."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while (delivery := self._delivery(order.id, "pending")) is None:
            if time.monotonic() > deadline:
                raise DemoError(f"the sandbox sent no 'pending' notification for {order.id}")
            await asyncio.sleep(0.02)
        self._accepted(order, delivery, when="right after the charge, ")

    def _accepted(self, order: Order, delivery: Delivery, when: str = "") -> None:
        """Print the notification the listener took, or stop the story if it refused it."""
        status = delivery.notification.get("transaction_status")
        if not delivery.delivered:
            raise DemoError(
                f"the bot's listener did not accept the {status} notification for {order.id} "
                f"(HTTP {delivery.status}, {delivery.url})"
            )
        self.t.note(
            f"{when}Midtrans sandbox → bot listener: signed '{status}' notification, "
            f"answered HTTP {delivery.status}"
        )

    def _delivery(self, order_id: str, status: str) -> Delivery | None:
        for delivery in self.env.sandbox.deliveries:
            sent = delivery.notification
            if sent.get("order_id") == order_id and sent.get("transaction_status") == status:
                return delivery
        return None

    async def placed_order(self, user: FakeUser) -> Order:
        order = await self.env.latest_order(user.id)
        if order is None or order.charge is None:
            raise DemoError(f"checkout did not create an order with a payment code for {user}")
        return order

    # -- the story --

    async def seller_adds_products(self) -> None:
        self.t.heading("The seller adds two products")
        siti = self.seller
        await self.send(siti, "/add Kopi susu | 18000 | 20")
        await self.send(siti, "/add Roti bakar | 12500 | 30")
        names = {p.name for p in await self.env.store.run(Tx.products)}
        if not {"Kopi susu", "Roti bakar"} <= names:
            raise DemoError(f"the seller's /add did not create both products (found {names})")

    async def customer_orders(self) -> Order:
        self.t.heading("A customer orders by typing, then checks out")
        budi = self.customer
        await self.send(budi, "/start")
        await self.send(budi, "2 kopi susu, 1 roti bakar")
        await self.tap(budi, label("button.typed_confirm"))
        await self.tap(budi, label("button.checkout"))
        await self.send(budi, "Budi Santoso")
        await self.share_contact(budi)
        await self.tap(budi, label("button.skip"))  # email
        await self.send(budi, "tanpa gula ya")  # a note for the seller
        order = await self.pay_at_indomaret(budi, SLIP_NAME)
        await self.pending_notification(order)
        return order

    async def pay_at_indomaret(self, user: FakeUser, slip_name: str) -> Order:
        """Tap pay; wait for the code and the slip photo; save the slip."""
        await self.tap(user, label("button.pay"), expect=lambda m: m.kind == "photo", show=False)
        order = await self.placed_order(user)
        self.t.flush(user.chat_id, photo_name=slip_name)
        return order

    async def payment_settles(self, order: Order) -> None:
        self.t.heading("Budi pays at the Indomaret cashier; Midtrans settles the payment")
        await self.sandbox(
            order,
            "settle",
            f"Budi pays {format_rupiah(order.gross_amount)} at an Indomaret cashier with code "
            f"{order.charge.payment_code if order.charge else '?'}",
        )
        await self.push(self.customer, "the customer's paid push", order)

    async def seller_fulfils(self, order: Order) -> None:
        self.t.heading("The seller hears of the paid order and marks it fulfilled")
        window = self.env.settings.reversal_window.total_seconds()
        self.t.note(f"the seller's push waits for the {window:g} s reversal window")
        push = await self.push(
            self.seller, "the seller's new-paid-order push", order, within=PUSH_TIMEOUT + window
        )
        button = label("push.button.fulfil")
        self.t.say(f"👤 {self.seller.first_name} taps [ {button} ]")
        try:
            query = self.seller.tap(button, push)
            await self.standin.wait_for_answer(query, timeout=STEP_TIMEOUT)
        except AssertionError as exc:
            raise DemoError(f"the seller's {button!r} tap got no answer: {_first(exc)}") from exc
        self.popup(self.seller, query)
        await self.push(self.customer, "the customer's order-fulfilled message", order)
        self.t.flush(self.seller.chat_id)
        stored = await self.env.store.run(Tx.order, order.id)
        if stored is None or stored.status != "fulfilled":
            status = stored.status if stored else "missing"
            raise DemoError(f"order {order.id} is {status} after the seller marked it fulfilled")

    async def second_order_expires(self) -> Order:
        self.t.heading("A second order is never paid and expires")
        budi = self.customer
        await self.send(budi, "3 roti bakar")
        await self.tap(budi, label("button.typed_confirm"))
        await self.tap(budi, label("button.checkout"))
        await self.tap(budi, label("button.keep"))  # the details remembered from last time
        await self.tap(budi, label("button.skip"))  # no note
        order = await self.pay_at_indomaret(budi, "slip-second-order")
        await self.sandbox(order, "expire", "Budi never goes to the cashier; the code expires")
        push = await self.push(budi, "the customer's expired push", order)
        again = label("push.button.reorder")
        if again not in push.button_texts:
            raise DemoError(f"the expired push has no {again!r} button: {push.button_texts}")
        await self.tap(budi, again, message=push)
        return order

    async def seller_checks_sales(self) -> Path:
        self.t.heading("The seller looks at the week's sales")
        siti = self.seller
        await self.send(
            siti,
            "/sales 7d",
            expect=lambda m: m.kind == "photo",
            what="sales chart",
            show=False,
        )
        shown = self.t.flush(siti.chat_id, photo_name=CHART_NAME)
        charts = [m for m in shown if m.kind == "photo"]
        if not charts:
            raise DemoError("the /sales 7d answer had no chart photo")
        return self.t.saved[next(n for n in self.t.saved if n.startswith(CHART_NAME))]

    def check_violations(self) -> list[str]:
        found = [f"{v.method}: {v.description}" for v in self.standin.violations]
        if found:
            raise DemoError(
                "the bot made Bot API calls real Telegram would refuse:\n  " + "\n  ".join(found)
            )
        return found


async def play_story(env: DemoEnv, out_dir: Path, echo: Echo = print) -> StoryResult:
    """The whole scripted story against a running environment (the tests call this too)."""
    transcript = Transcript(env.standin, out_dir, echo)
    story = Story(env, transcript)
    await story.seller_adds_products()
    paid = await story.customer_orders()
    slip = await _slip_file(env, paid, transcript, out_dir)
    await story.payment_settles(paid)
    await story.seller_fulfils(paid)
    expired = await story.second_order_expires()
    chart = await story.seller_checks_sales()
    transcript.flush()  # anything that arrived late still shows
    violations = story.check_violations()
    return StoryResult(transcript, paid, expired, slip, chart, violations)


async def _slip_file(env: DemoEnv, order: Order, transcript: Transcript, out_dir: Path) -> Path:
    """The slip as the bot uploaded it (lossless PNG); rendered from the order if it was not."""
    saved = transcript.saved.get(f"{SLIP_NAME}.png")
    if saved is not None:
        return saved
    assert order.charge is not None
    expires = order.charge.expires_at or order.expires_at
    if expires is None:
        raise DemoError(f"order {order.id} has no expiry time to put on its slip")
    shop = await env.runtime.services.shop() if env.runtime.services else None
    png = render_slip(
        shop_name=shop.name if shop else SHOP_NAME,
        amount=order.gross_amount,
        payment_code=order.charge.payment_code,
        expires_at=expires,
        order_id=order.id,
        lang=order.language,
    )
    path = _write(out_dir / f"{SLIP_NAME}.png", png)
    transcript.note(f"slip re-rendered from the stored order as a lossless PNG: {_display(path)}")
    return path


# --------------------------------------------------------------------------------------------
# Interactive mode

HELP = """\
You are Budi, the customer. Type as in Telegram (e.g. /start, 2 kopi susu, 1 roti bakar).
  1, 2, ...       tap the button with that number
  share phone     answer the phone question with your Telegram number
  share location  answer the address question with a location pin
  pay [ORDER]     pay at the Indomaret cashier (default: your latest order)
  expire [ORDER]  let the payment code expire
  seller TEXT     say TEXT as the seller, Siti (e.g. seller /orders, seller /sales 7d)
  help            this text
  quit            stop the demo"""


async def interactive(
    env: DemoEnv, out_dir: Path, read_line: LineReader, echo: Echo
) -> dict[str, Path]:
    """Seller products are added, then a person plays the customer from the terminal.

    Returns the images saved on the way."""
    transcript = Transcript(env.standin, out_dir, echo, numbered=True)
    story = Story(env, transcript)
    await story.seller_adds_products()
    transcript.heading("Your turn")
    for line in HELP.splitlines():
        transcript.say(line)
    stop = asyncio.Event()
    waiting = asyncio.Event()  # set while the person is typing: pushes may be printed then

    async def show_pushes() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.25)
            if not waiting.is_set():
                continue
            await _learn_orders(story)
            if transcript.flush():
                _prompt()

    printer = asyncio.create_task(show_pushes())
    try:
        while True:
            _prompt()
            waiting.set()
            typed = await read_line()
            waiting.clear()
            if typed is None:
                break
            command = typed.strip()
            if command.lower() in {"quit", "exit", "q"}:
                break
            try:
                await _interactive_command(story, command)
            except (DemoError, AssertionError) as exc:
                transcript.note(_first(exc))
            transcript.flush()
    finally:
        stop.set()
        await printer
        transcript.flush()
    return transcript.saved


async def _interactive_command(story: Story, command: str) -> None:
    """One line typed by the person: a local command, a button number, or chat text."""
    budi, t = story.customer, story.t
    words = command.split()
    if not words:
        return
    verb = words[0].lower().lstrip("/")
    if verb in {"help", "?"} and len(words) == 1:
        for line in HELP.splitlines():
            t.say(line)
        return
    if command.isdigit():
        await _tap_number(story, int(command))
        return
    if verb in {"pay", "expire"} and len(words) <= 2:
        await _sandbox_command(story, verb, words[1] if len(words) == 2 else None)
        return
    if command.lower() == "share phone":
        t.user_action(budi, "(shares contact)")
        budi.send_contact()
    elif command.lower() == "share location":
        t.user_action(budi, "(shares location)")
        budi.send_location(-6.2, 106.816666)
    elif verb == "seller" and len(words) > 1:
        text = command.split(maxsplit=1)[1]
        t.user_action(story.seller, text)
        story.seller.send_text(text)
        await _settle(story, story.seller)
        return
    else:
        t.user_action(budi, command)
        budi.send_text(command)
    await _settle(story, budi)


async def _settle(story: Story, user: FakeUser) -> None:
    """Give the bot a moment to answer; silence is fine here (not every line gets a reply)."""
    with contextlib.suppress(AssertionError):
        await story.standin.next_reply(user, quiet=QUIET, timeout=STEP_TIMEOUT)
    await _learn_orders(story)
    story.t.flush()


async def _learn_orders(story: Story) -> None:
    """Recent order ids, so a slip photo is saved under its order's name."""
    recent = await story.env.store.run(Tx.orders, limit=20)
    story.t.order_ids.update(order.id for order in recent)


async def _tap_number(story: Story, number: int) -> None:
    found = story.t.buttons.get(number)
    if found is None:
        story.t.note(f"no button {number} on screen")
        return
    story.t.say(f"👤 {found.user.first_name} taps [ {found.text} ]")
    if found.callback_data is None:
        story.t.note(f"a link button: {found.url}")
        return
    query = found.user.tap_data(found.callback_data, found.message)
    with contextlib.suppress(AssertionError):
        await story.standin.wait_for_answer(query, timeout=STEP_TIMEOUT)
    story.popup(found.user, query)
    await _settle(story, found.user)


async def _sandbox_command(story: Story, verb: str, order_id: str | None) -> None:
    if order_id is None:
        latest = await story.env.latest_order(story.customer.id)
        if latest is None:
            story.t.note("no order yet: order something and tap the pay button first")
            return
        order_id = latest.id
    order = await story.env.store.run(Tx.order, order_id)
    if order is None:
        story.t.note(f"no order {order_id}")
        return
    action = "settle" if verb == "pay" else "expire"
    text = (
        f"Budi pays {format_rupiah(order.gross_amount)} for {order.id} at an Indomaret cashier"
        if action == "settle"
        else f"the payment code of {order.id} expires"
    )
    await story.sandbox(order, action, text)
    await asyncio.sleep(QUIET)
    story.t.flush()


def _prompt() -> None:
    sys.stdout.write("> ")
    sys.stdout.flush()


def _stdin_reader() -> LineReader:
    """Lines from stdin through a daemon thread: the event loop keeps running while a person
    types, and Ctrl-C never waits for a blocked read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        while True:
            try:
                line: str | None = input()
            except (EOFError, KeyboardInterrupt, OSError):
                line = None
            try:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            except RuntimeError:  # the loop is gone: the demo ended
                return
            if line is None:
                return

    threading.Thread(target=pump, name="demo-stdin", daemon=True).start()
    return queue.get


# --------------------------------------------------------------------------------------------
# Command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devtools demo",
        description="Play the whole order-to-push loop offline: the real bot against local "
        "stand-ins of Telegram and Midtrans.",
    )
    parser.add_argument(
        "--interactive", action="store_true", help="type as the customer, tap buttons by number"
    )
    parser.add_argument("--verbose", action="store_true", help="show the bot's logs")
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where the slip and chart PNGs go (default {DEFAULT_OUTPUT}/)",
    )
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "uvicorn.error", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not verbose:
        # PTB's advice on ConversationHandler's per_message setting, printed at every start.
        warnings.filterwarnings("ignore", category=PTBUserWarning)


def _banner(env: DemoEnv, workdir: Path, echo: Echo) -> None:
    schema = "on" if env.standin.schema is not None else "off (reference file not found)"
    echo(f"Warung bot demo: the real bot, shop {SHOP_NAME!r}, all on 127.0.0.1")
    echo(f"  Telegram stand-in  {env.telegram_url}  (Bot API schema checks: {schema})")
    echo(f"  Midtrans sandbox   {env.midtrans_url}")
    echo(f"  bot listener       {env.runtime.listener_url}{env.settings.notification_path}")
    echo(f"  fresh database     {workdir / 'warung.db'}")


async def _run(args: argparse.Namespace, started: float, echo: Echo) -> int:
    out_dir: Path = args.output
    with tempfile.TemporaryDirectory(prefix="warung-demo-") as tmp:
        workdir = Path(tmp)
        async with demo_environment(workdir) as env:
            _banner(env, workdir, echo)
            if args.interactive:
                saved = await interactive(env, out_dir, _stdin_reader(), echo)
                echo("")
                echo("Bye." + (f" Images saved in {_display(out_dir)}/" if saved else ""))
                return 0
            result = await play_story(env, out_dir, echo)
    elapsed = time.monotonic() - started
    echo("")
    echo("━━ Done ━━")
    echo(f"Payment slip: {_display(result.slip)}  (the PNG the bot sent, before Telegram's JPEG)")
    echo(f"Sales chart:  {_display(result.chart)}")
    others = sorted(set(result.transcript.saved.values()) - {result.slip, result.chart})
    if others:
        echo("Also saved: " + ", ".join(_display(p) for p in others))
    echo("Bot API calls checked against the reference: no violations")
    note = "" if elapsed < TARGET_SECONDS else f" (over the {TARGET_SECONDS:.0f} s target)"
    echo(f"Finished in {elapsed:.1f} s{note}.")
    return 0


def main(argv: list[str]) -> int:
    """`python -m devtools demo [--interactive] [--verbose] [--output DIR]`: 0 when it played."""
    argv = list(argv)
    if argv[:1] == ["--"]:  # `python -m devtools demo -- --interactive` hands the "--" on
        argv = argv[1:]
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")  # emoji on a terminal that cannot show them
    started = time.monotonic()

    def echo(line: str) -> None:
        print(line, flush=True)

    try:
        return asyncio.run(_run(args, started, echo))
    except DemoError as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.verbose:
            logger.exception("demo crashed")
        print(f"\ndemo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if not args.verbose:
            print("(run with --verbose for the traceback)", file=sys.stderr)
        return 1


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _first(exc: BaseException) -> str:
    """The first line of a stand-in assertion (the rest is the whole chat, too long here)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = [
    "DemoEnv",
    "DemoError",
    "StoryResult",
    "Transcript",
    "demo_environment",
    "interactive",
    "main",
    "play_story",
]
