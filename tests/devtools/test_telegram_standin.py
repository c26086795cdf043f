"""The Telegram stand-in behaves like the Bot API for real python-telegram-bot, and refuses
what Telegram refuses, so the rest of the suite can trust it."""

from __future__ import annotations

import asyncio
import html
import io
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from devtools.telegram import TelegramStandin, parse_entities


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandin]:
    stand_in = TelegramStandin()
    async with stand_in.serve():
        yield stand_in


@pytest.fixture
async def bot(standin: TelegramStandin) -> AsyncIterator[Bot]:
    async with Bot(
        standin.token, base_url=standin.base_url or "", base_file_url=standin.base_file_url or ""
    ) as client:
        yield client


@pytest.fixture
async def http(standin: TelegramStandin) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{standin.base_url}{standin.token}/") as client:
        yield client


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[None]:
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def png(width: int = 600, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(buffer, format="PNG")
    return buffer.getvalue()


MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Lihat menu", callback_data="menu")],
        [InlineKeyboardButton("Bantuan", callback_data="help")],
    ]
)


async def test_real_application_start_tap_and_photo(standin: TelegramStandin) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        name = html.escape(update.effective_user.first_name)
        await update.message.reply_text(
            f"Halo <b>{name}</b>! {' '.join(context.args or [])}",
            parse_mode="HTML",
            reply_markup=MENU,
        )

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Siap")
        back = InlineKeyboardMarkup([[InlineKeyboardButton("« Kembali", callback_data="back")]])
        await query.edit_message_text(f"Menu dipilih: {query.data}", reply_markup=back)

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        file = await update.message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        is_jpeg = bytes(data[:2]) == b"\xff\xd8"
        await update.message.reply_text(f"Foto diterima: jpeg={is_jpeg}")

    app = (
        Application.builder()
        .token("123:ABC")
        .base_url(standin.base_url or "")
        .base_file_url(standin.base_file_url or "")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(tapped))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    async with polling(app):
        budi = standin.user(1001, first_name="Budi <3")
        replies = await budi.ask("/start promo")
        assert [m.text for m in replies] == ["Halo Budi <3! promo"]
        assert replies[0].raw == "Halo <b>Budi &lt;3</b>! promo"
        assert replies[0].entities == [{"type": "bold", "offset": 5, "length": 7}]
        assert replies[0].button_texts == ["Lihat menu", "Bantuan"]

        query_id = budi.tap("menu")
        edited = await standin.wait_for_message(budi, contains="Menu dipilih")
        assert edited.text == "Menu dipilih: menu" and edited.edited
        assert edited.message_id == replies[0].message_id
        assert edited.inline_keyboard == [[("« Kembali", "back")]]
        assert (await standin.wait_for_answer(query_id))["text"] == "Siap"

        [reply] = await budi.choose("Kembali")  # same message, edited again
        assert reply.text == "Menu dipilih: back" and reply.edits == 2

        budi.send_photo(png(), caption="bukti")
        got = await standin.wait_for_message(budi)
        assert got.text == "Foto diterima: jpeg=True"

        budi.send_text("halo?")  # no handler for plain text: the bot stays silent
        await standin.wait_idle()
        assert standin.last_message(budi).text == "Foto diterima: jpeg=True"

        with pytest.raises(AssertionError, match=r"Lihat menu|Kembali"):
            budi.tap("Bayar")

    assert standin.violations == []
    assert standin.unanswered_callbacks == []
    assert [c.method for c in standin.calls][:2] == ["getMe", "deleteWebhook"]
    assert standin.bot_user["id"] == 123  # taken from the token, as on Telegram
    transcript = standin.transcript(budi)
    assert "Budi <3: /start promo" in transcript and "taps [Lihat menu]" in transcript


async def test_unknown_method_is_refused(standin: TelegramStandin, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendFoo", api_kwargs={"chat_id": 1})
    assert standin.violations[-1].method == "sendFoo"


async def test_unknown_and_missing_parameters_are_refused(
    standin: TelegramStandin, bot: Bot, http: httpx.AsyncClient
) -> None:
    budi = standin.user(1001, started=True)
    with pytest.raises(BadRequest, match=r'(?i)unknown parameter "colour"'):
        await bot.send_message(budi.id, "hai", api_kwargs={"colour": "red"})

    response = await http.post("sendMessage", data={"chat_id": str(budi.id)})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    response = await http.post("sendPhoto", json={"chat_id": budi.id, "caption": "x"})
    assert 'parameter "photo" is required' in response.json()["description"]
    response = await http.post(
        "sendMessage", json={"chat_id": "budi", "text": "x", "message_thread_id": "a"}
    )
    assert (
        response.json()["description"]
        == 'Bad Request: field "message_thread_id" must be an Integer'
    )
    assert len(standin.violations) == 4


async def test_text_and_caption_limits_count_after_entity_parsing(
    standin: TelegramStandin, bot: Bot
) -> None:
    chat = standin.user(1001, started=True).id
    await bot.send_message(chat, "x" * 4096)
    await bot.send_message(chat, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    assert standin.violations == []
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(chat, "x" * 4097)
    await bot.send_photo(chat, png(), caption="<i>" + "y" * 1024 + "</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(chat, png(), caption="y" * 1025)
    message = await bot.send_message(chat, "pendek")
    with pytest.raises(BadRequest, match="too long"):
        await bot.edit_message_text("z" * 4097, chat, message.message_id)
    assert [v.description for v in standin.violations] == [
        "Bad Request: message is too long",
        "Bad Request: message caption is too long",
        "Bad Request: message is too long",
    ]


async def test_callback_data_is_limited_in_bytes(standin: TelegramStandin, bot: Bot) -> None:
    chat = standin.user(1001, started=True).id
    name = "Ñoño Çiçek Ağaç Śliwka Żółć 🌸🌸🌸🌸🌸"  # a user's display name in the data
    data = f"order:{name}"
    assert len(data) <= 64 < len(data.encode()) == 65
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pesan", callback_data=data)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(chat, "Pilih", reply_markup=markup)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("Pesan", callback_data="x" * 64)]])
    await bot.send_message(chat, "Pilih", reply_markup=ok)
    assert [v.description for v in standin.violations] == ["Bad Request: BUTTON_DATA_INVALID"]
    assert (
        standin.calls_to("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0][
            "callback_data"
        ]
        == data
    )


async def test_bad_html_is_refused_like_telegram(standin: TelegramStandin, bot: Bot) -> None:
    chat = standin.user(1001, started=True).id
    with pytest.raises(BadRequest, match='parse entities: unsupported start tag "budi"'):
        await bot.send_message(chat, "Halo <Budi>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(chat, "Total < Rp10.000", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(chat, "<b>Tebal", parse_mode="HTML")
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_photo(chat, png(), caption="<foo>x</foo>", parse_mode="HTML")
    await bot.send_message(chat, f"Halo {html.escape('<Budi> & Co')}", parse_mode="HTML")
    assert standin.last_message(chat).text == "Halo <Budi> & Co"
    assert len(standin.violations) == 4


async def test_a_caption_cut_after_escaping_is_refused_like_telegram(
    standin: TelegramStandin, bot: Bot
) -> None:
    """``caption=text[:1024]`` of an escaped card: a cut inside the quantity line's tag is
    refused ("can't parse entities"); a cut inside "&amp;" is shown as Telegram shows it."""
    chat = standin.user(1001, started=True).id
    card = "<b>Roti bakar</b>\n" + html.escape("Roti & selai " * 80) + "\n\nJumlah: <b>2</b>"
    tail = card.rindex("Jumlah")
    refused = 0
    for cut in range(tail, len(card)):
        caption = card[:cut]
        if cut > tail + len("Jumlah: "):  # the cut falls inside "<b>2</b>"
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_photo(chat, png(), caption=caption, parse_mode="HTML")
            refused += 1
    assert refused == len("<b>2</b>") - 1
    photo = await bot.send_photo(chat, png(), caption="<b>x</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.edit_message_caption(
            chat, photo.message_id, caption=card[: tail + 10], parse_mode="HTML"
        )
    assert len(standin.violations) == refused + 1

    amp = card.index("&amp;")
    for cut, shown in ((amp + 3, "&am"), (amp + 4, "&"), (amp + 5, "&")):
        await bot.send_photo(chat, png(), caption=card[:cut], parse_mode="HTML")
        assert standin.last_message(chat).text.endswith("Roti " + shown), cut


def test_entity_parsers_match_telegram_wording() -> None:
    assert parse_entities("<a href='https://x.id'>x</a> &quot;", "HTML")[0] == 'x "'
    assert parse_entities("Harga Rp10\\.000 *murah*", "MarkdownV2") == (
        "Harga Rp10.000 murah",
        [{"type": "bold", "offset": 15, "length": 5}],
    )
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_entities("Harga Rp10.000", "MarkdownV2")
    assert parse_entities("😀 <b>x</b>", "HTML")[1] == [{"type": "bold", "offset": 3, "length": 1}]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_faults_answer_in_telegram_shape(
    standin: TelegramStandin, bot: Bot, http: httpx.AsyncClient
) -> None:
    chat = standin.user(1001, started=True).id
    standin.fail("sendMessage", 429, times=1, retry_after=3)
    response = await http.post("sendMessage", data={"chat_id": str(chat), "text": "x"})
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    standin.fail(None, 429, times=1, retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await bot.send_message(chat, "x")
    await bot.send_message(chat, "x")  # times=1 is used up

    standin.fail(None, 502, times=1)
    response = await http.post("sendMessage", data={"chat_id": str(chat), "text": "x"})
    assert response.status_code == 502 and "<title>502 Bad Gateway</title>" in response.text
    standin.fail(None, 500, for_seconds=0.2)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(chat, "x")
    await asyncio.sleep(0.25)
    await bot.send_message(chat, "x")

    standin.block(chat)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(chat, "x")
    standin.clear_faults()
    await bot.send_message(chat, "x")
    assert standin.violations == []


async def test_chats_are_strict_like_telegram(standin: TelegramStandin, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "x")
    standin.user(1001)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(1001, "x")
    with pytest.raises(InvalidToken):
        async with Bot("not-a-token", base_url=standin.base_url or "") as other:
            await other.get_me()


async def test_edits_remove_keyboard_and_refuse_no_change(
    standin: TelegramStandin, bot: Bot
) -> None:
    chat = standin.user(1001, started=True).id
    sent = await bot.send_message(chat, "Pilih", reply_markup=MENU)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Pilih", chat, sent.message_id, reply_markup=MENU)
    await bot.edit_message_text("Dipilih", chat, sent.message_id)
    message = standin.last_message(chat)
    assert message.text == "Dipilih" and message.inline_keyboard == [] and message.edited
    await bot.delete_message(chat, sent.message_id)
    assert standin.messages(chat) == []
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("lagi", chat, sent.message_id)
    assert standin.violations == []


async def test_photo_upload_and_file_download(standin: TelegramStandin, bot: Bot) -> None:
    chat = standin.user(1001, started=True).id
    image = png(2000, 500)
    sent = await bot.send_photo(chat, image, caption="Kode bayar")
    call = standin.calls_to("sendPhoto")[0]
    assert call.files["photo"].data == image
    assert call.params["chat_id"] == chat and call.params["caption"] == "Kode bayar"
    stored = standin.last_message(chat)
    assert stored.kind == "photo" and stored.photo == image and stored.text == "Kode bayar"
    assert [(p.width, p.height) for p in sent.photo] == [
        (90, 22),
        (320, 80),
        (800, 200),
        (1280, 320),
    ]

    file = await bot.get_file(sent.photo[-1].file_id)
    data = bytes(await file.download_as_bytearray())
    assert data == standin.file_bytes(sent.photo[-1].file_id)
    with Image.open(io.BytesIO(data)) as recompressed:
        assert recompressed.format == "JPEG" and recompressed.size == (1280, 320)

    document = await bot.send_document(chat, image, filename="kode.png")
    assert document.document is not None and document.document.file_name == "kode.png"
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == image

    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(chat, b"not an image")
    await bot.send_photo(chat, sent.photo[-1].file_id)  # re-send by file_id
    assert standin.last_message(chat).photo == image


async def test_get_updates_long_poll_offset_and_conflict(
    standin: TelegramStandin, http: httpx.AsyncClient
) -> None:
    budi = standin.user(1001, first_name="Budi")
    assert (await http.post("getUpdates", data={"timeout": "0"})).json() == {
        "ok": True,
        "result": [],
    }

    started = time.monotonic()
    poll = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.1)
    budi.send_text("/start abc")
    updates = (await poll).json()["result"]
    assert time.monotonic() - started < 1
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    update_id = updates[0]["update_id"]
    again = (await http.post("getUpdates", data={"offset": str(update_id)})).json()["result"]
    assert [u["update_id"] for u in again] == [update_id]
    after = await http.post("getUpdates", data={"offset": str(update_id + 1)})
    assert after.json()["result"] == []

    first = asyncio.create_task(http.post("getUpdates", data={"timeout": "3"}))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(http.post("getUpdates", data={"timeout": "0"}))
    assert (await first).status_code == 409
    assert (await second).status_code == 200


async def test_generated_updates_match_the_reference(standin: TelegramStandin, bot: Bot) -> None:
    schema = standin.schema
    assert schema is not None
    budi = standin.user(1001, first_name="Budi", username="budi_w")
    budi.send_text("/start")
    budi.send_contact()
    budi.send_location(-6.2, 106.8)
    budi.send_photo(png(), caption="slip")
    budi.send_document(b"%PDF-1.4", "slip.pdf", "application/pdf")
    await bot.send_message(budi.id, "<b>Menu</b>", parse_mode="HTML", reply_markup=MENU)
    budi.tap("Bantuan")
    budi.block_bot()
    updates = await bot.get_updates()
    assert len(updates) == 7  # five messages, the tap, the block
    for update in standin.pending_updates:
        assert schema.check(update, ["Update"], "update", top=False) is None, update
    assert schema.check(standin.bot_user, ["User"], "me", top=False) is None


async def test_groups_have_members_and_get_chat_member_answers_like_telegram(
    standin: TelegramStandin, bot: Bot
) -> None:
    schema = standin.schema
    assert schema is not None
    siti = standin.user(9000, first_name="Siti")
    budi = standin.user(1001, first_name="Budi")
    group = standin.group(-100500, "Staf Warung", "supergroup", members={siti: "creator"})
    with pytest.raises(AssertionError, match="not a member"):
        budi.send_text("halo", chat=group)  # Telegram delivers nothing from non-members
    standin.join(group, budi)
    budi.send_text("/menu@warung_test_bot", chat=group)

    owner = await bot.get_chat_member(group, siti.id)
    assert owner.status == "creator"
    member = await bot.get_chat_member(group, budi.id)
    assert member.status == "member"
    standin.join(group, budi, "administrator")
    assert (await bot.get_chat_member(group, budi.id)).status == "administrator"
    standin.leave(group, budi)
    assert (await bot.get_chat_member(group, budi.id)).status == "left"
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(group, 777)
    for call in standin.calls_to("getChatMember"):
        if call.status == 200:
            assert schema.check(call.result, ["ChatMember"], "member", top=False) is None
    assert standin.violations == []


async def test_deep_links_open_the_private_chat_with_a_start_payload(
    standin: TelegramStandin, bot: Bot
) -> None:
    siti = standin.user(9000, first_name="Siti")
    group = standin.group(-100500, "Staf Warung", members={siti: "member"})
    link = "https://t.me/warung_test_bot?start=menu"
    await bot.send_message(
        group,
        "Buka chat pribadi",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Buka", url=link)]]),
    )
    sent = siti.follow("Buka", standin.last_message(group))
    assert sent["chat"] == {"id": siti.id, "type": "private", "first_name": "Siti"}
    assert sent["text"] == "/start menu"
    # The private chat is open now: the bot may write first.
    await bot.send_message(siti.id, "Selamat datang")
    for bad in (
        "https://t.me/other_bot?start=menu",
        "https://t.me/warung_test_bot?start=bad payload",
        "https://example.com/?start=x",
    ):
        with pytest.raises(AssertionError):
            siti.open_link(bad)
    assert [v.method for v in standin.violations] == ["deep link"] * 3
