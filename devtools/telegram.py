"""A local stand-in of the Telegram Bot API, for the test suite and the offline demo.

Why: the bot runs real python-telegram-bot over real HTTP (JSON, form and multipart bodies, long
polling), and every call is checked against the official Bot API reference
(``devtools/telegram-bot-api/api.min.json``). A call Telegram would refuse ("message is too
long", ``BUTTON_DATA_INVALID``, "can't parse entities") is refused here too, in Telegram's error
shape, and recorded in ``standin.violations``. The stand-in is stricter than Telegram in one way:
unknown parameters and unknown fields inside objects are refused instead of silently ignored.

Usage::

    standin = TelegramStandin()
    async with standin.serve() as base_url:
        app = (Application.builder().token(standin.token).base_url(base_url)
               .base_file_url(standin.base_file_url).build())
        ...  # add handlers, app.initialize(), updater.start_polling(poll_interval=0, timeout=1)
        budi = standin.user(1001, first_name="Budi")
        replies = await budi.ask("/start")           # send, wait until the bot goes quiet
        budi.tap("Lihat menu")                        # inline button on the latest keyboard
        menu = await standin.wait_for_message(budi, contains="Menu")
        assert standin.violations == []

Main API (see each docstring):

- ``TelegramStandin(schema_path=None, token=None, bot_username="warung_test_bot",
  strict_chats=True)``; ``serve(host, port)`` yields the PTB ``base_url``; ``base_file_url``,
  ``token``, ``app`` (Starlette), ``calls`` (every call except getUpdates), ``violations``.
- Chats: ``user(user_id, first_name, ...) -> FakeUser``, ``group(chat_id, title)``,
  ``messages(chat)``, ``last_message(chat)``, ``transcript(chat)``, ``reply_keyboard(chat)``,
  ``file_bytes(file_id)``, ``commands()``, ``callback_answer(query_id)``,
  ``unanswered_callbacks``, ``pending_updates``, ``enqueue(update)``, ``calls_to(method)``.
- Waiting: ``wait_for_message(chat, predicate, contains=, timeout=)``, ``next_reply(chat)``,
  ``wait_idle()``, ``wait_for_call(method)``, ``wait_for_answer(query_id)``.
- Faults: ``fail(method, status, times, retry_after, for_seconds)``, ``slow(method, seconds)``,
  ``block(chat_id)``, ``unblock(chat_id)``, ``clear_faults()``.
- Many bots on one server (platform mode): ``add_bot(token=None, username=, first_name=)``
  returns another ``TelegramStandin`` with its own identity, users, chats, updates, webhook
  (``webhook_url``, ``webhook_secret``) and faults (so ``retry_after`` is per token);
  ``revoke()`` makes the old token answer 401 and returns the new one (calls still made with
  the old one are recorded in the bot's ``calls``, status 401, no parameters); ``bots``,
  ``bot_for``; ``webhook_failing(message)`` makes getWebhookInfo report a delivery error.
  Unknown and revoked tokens answer 401 "Unauthorized". With one bot and no ``token`` given the
  stand-in answers to any token, as before.
- ``FakeUser``: ``send_text``, ``send_contact``, ``send_location``, ``send_photo``,
  ``send_document``, ``tap``, ``tap_data``, ``press`` (reply keyboard), ``block_bot``,
  ``unblock_bot``; awaitables ``ask(text)`` and ``choose(button_text)`` return the reply.

Chats are strict like Telegram: the bot may only write to users who wrote first (any FakeUser
action, or ``user(..., started=True)``) and to registered groups; other chat ids answer
"chat not found" or 403. ``wait_for_message`` and ``next_reply`` only look at bot messages
after the user's latest action in that chat and consume what they return. ``next_reply`` and
``wait_idle`` call the bot done after 50 ms without API calls: a heuristic. Unknown methods
answer 404 "Not Found" (as Telegram does; PTB raises EndPointNotFound). The bot's user id is
the number before the colon of the token it uses. Photos are kept as Telegram keeps them: JPEG
sizes up to 1280 px, so getFile downloads a recompressed copy; documents keep their bytes.
"""

# The waiting helpers take a ``timeout`` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl

from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devtools.serving import serve_in_loop

__all__ = [
    "DEFAULT_SCHEMA_PATH",
    "BotMessage",
    "Call",
    "EntityParseError",
    "FakeUser",
    "Fault",
    "InlineButton",
    "TelegramStandin",
    "UploadedFile",
    "Violation",
    "parse_entities",
]

log = logging.getLogger(__name__)

DEFAULT_SCHEMA_PATH = Path(__file__).parent / "telegram-bot-api/api.min.json"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
PHOTO_MAX_SIDE = 1280
PHOTO_SIZE_STEPS = (90, 320, 800)
DOWNLOAD_LIMIT = 20 * 1024 * 1024

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_PRIMITIVES = {"Integer", "Float", "Boolean", "String", "InputFile"}
_INLINE_BUTTON_PLAIN = {"text", "icon_custom_emoji_id", "style"}
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_MEMBER_STATUSES = {"member", "administrator", "creator"}
_DEEP_LINK_RE = re.compile(r"https://(?:t|telegram)\.me/([A-Za-z0-9_]{5,32})(?:\?start=([^&#]*))?")
_START_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DEFAULT_UPDATES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}
_BLOCKED = "Forbidden: bot was blocked by the user"

JSON = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part, kept so tests can look at what the bot uploaded."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One Bot API call as received; ``params`` are typed (ints, bools, decoded JSON)."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float  # time.monotonic() when the request arrived
    status: int = 200
    description: str | None = None  # Telegram's error description when refused
    result: Any = None


@dataclass(frozen=True)
class Violation:
    """A call real Telegram would refuse (or that the stand-in refuses as a likely bug)."""

    method: str
    description: str
    params: dict[str, Any]


class InlineButton(NamedTuple):
    """An inline button: its label and its callback_data (or URL for link buttons)."""

    text: str
    data: str


@dataclass
class BotMessage:
    """A message the bot sent, as the user sees it now (edits update it in place)."""

    chat_id: int
    message_id: int
    kind: Literal["text", "photo", "document", "other"]
    text: str  # text or caption after entity parsing, what the user reads
    raw: str  # text or caption exactly as sent
    parse_mode: str | None
    method: str
    date: int
    entities: list[JSON] = field(default_factory=list)
    inline_keyboard: list[list[InlineButton]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None  # set when this message showed one
    removes_keyboard: bool = False
    reply_markup: JSON | None = None  # the inline keyboard markup echoed by Telegram
    photo: bytes | None = None  # bytes the bot uploaded (Telegram keeps a recompressed copy)
    document: bytes | None = None
    filename: str | None = None
    file_id: str | None = None  # largest photo size, or the document
    media: JSON | list[JSON] | None = None  # PhotoSize list / Document / other payload
    edited: bool = False
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[InlineButton]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        """Labels of all inline buttons, handy in assertions."""
        return [button.text for button in self.buttons]

    def __str__(self) -> str:
        flags = " (edited)" if self.edited else ""
        flags += " (deleted)" if self.deleted else ""
        head = f"#{self.message_id} {self.kind}{flags}"
        lines = [f"{head}: {self.text}" if self.text else head]
        for row in self.inline_keyboard:
            lines.append("  " + " ".join(f"[{b.text} -> {b.data}]" for b in row))
        if self.reply_keyboard:
            for texts in self.reply_keyboard:
                lines.append("  " + " ".join(f"<{t}>" for t in texts))
        return "\n".join(lines)


@dataclass
class Fault:
    """An injected failure (or delay) for the next matching calls."""

    method: str | None  # None: any method but getUpdates; "*": every method
    status: int  # 0: no failure, only the delay
    remaining: int | None = None
    retry_after: int | None = None
    until: float | None = None
    delay: float = 0.0


class _ApiError(Exception):
    """A refusal in Telegram's error shape; ``violation`` marks bot mistakes."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        violation: bool = False,
        parameters: JSON | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.violation = violation
        self.parameters = parameters


def _bad(description: str, *, violation: bool = True) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}", violation=violation)


# --------------------------------------------------------------------------------------------
# Entity parsing (HTML, MarkdownV2, Markdown), as Telegram does before counting characters


class EntityParseError(ValueError):
    """Raised with Telegram's wording when formatted text cannot be parsed."""


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]*)|#(\d*)|([A-Za-z]*));?")
"""As tdlib's ``decode_html_entity``: the ``;`` is optional ("&amp" shows "&"), a named entity is
one of four, a numeric one is shorter than 10 characters; anything else stays literal (a cut
"&am" shows as typed)."""


@dataclass
class _OpenTag:
    name: str
    type: str
    start: int  # UTF-16 offset in the plain text
    byte: int
    attrs: dict[str, str]


def _html_unescape(text: str, start: int) -> tuple[str | None, int]:
    """Decode one &entity; at ``start``; unknown entities stay literal, like Telegram."""
    match = _HTML_ENTITY_RE.match(text, start)
    if match is None:
        return None, start
    hexa, decimal, name = match.groups()
    if name is not None:
        decoded = _HTML_NAMED.get(name)
    else:
        digits = hexa if hexa is not None else decimal
        short = len(match.group().rstrip(";")) < 10
        code = int(digits, 16 if hexa is not None else 10) if digits and short else 0
        ok = 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        decoded = chr(code) if ok else None
    return (decoded, match.end()) if decoded is not None else (None, start)


def _html_attrs(text: str, i: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Read attributes up to '>' and return them with the index after it."""
    attrs: dict[str, str] = {}
    n = len(text)
    unclosed = EntityParseError(
        f"Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
    )
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise unclosed
        if text[i] == ">":
            return attrs, i + 1
        if text[i] == "/" and text.startswith("/>", i):
            return attrs, i + 2
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        if i >= n:
            raise unclosed
        name = text[name_start:i].lower()
        value = ""
        if text[i] == "=":
            i += 1
            if i >= n:
                raise unclosed
            if text[i] in "\"'":
                end = text.find(text[i], i + 1)
                if end < 0:
                    raise unclosed
                raw, i = text[i + 1 : end], end + 1
            else:
                value_start = i
                while i < n and not text[i].isspace() and text[i] != ">":
                    i += 1
                raw = text[value_start:i]
            value = _html_unescape_all(raw)
        attrs[name] = value


def _html_unescape_all(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            decoded, end = _html_unescape(text, i)
            if decoded is not None:
                out.append(decoded)
                i = end
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _parse_html(text: str) -> tuple[str, list[JSON]]:
    out: list[str] = []
    pos = 0  # UTF-16 length of out
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded, end = _html_unescape(text, i)
            if decoded is not None:
                out.append(decoded)
                pos += _u16(decoded)
                i = end
                continue
        if ch != "<":
            out.append(ch)
            pos += _u16(ch)
            i += 1
            continue
        start = i
        offset = _byte_offset(text, start)
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            top = stack.pop()
            if name and name != top.name:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            _close_html_tag(top, pos, stack, entities)
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] not in "/>":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs, i = _html_attrs(text, j, start)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        if name == "tg-time" and not _INT_RE.fullmatch(attrs.get("unix", "")):
            raise EntityParseError(
                f'Tag "tg-time" must have attribute "unix" at byte offset {offset}'
            )
        stack.append(_OpenTag(name, _HTML_TAGS[name], pos, offset, attrs))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_html_tag(tag: _OpenTag, pos: int, stack: list[_OpenTag], entities: list[JSON]) -> None:
    length = pos - tag.start
    language = tag.attrs.get("class", "")
    if (
        tag.name == "code"
        and stack
        and stack[-1].name == "pre"
        and language.startswith("language-")
    ):
        stack[-1].attrs["language"] = language.removeprefix("language-")
        return
    if length <= 0:
        return
    entity: JSON = {"type": tag.type, "offset": tag.start, "length": length}
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return
        user_id = _as_int(href.removeprefix("tg://user?id=")) if href.startswith("tg://") else None
        if user_id is not None:
            entity["type"] = "text_mention"
            entity["user"] = {"id": user_id, "is_bot": False, "first_name": ""}
        else:
            entity["url"] = href
    elif tag.name == "pre" and tag.attrs.get("language"):
        entity["language"] = tag.attrs["language"]
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "tg-time":
        entity["unix_time"] = int(tag.attrs["unix"])
        if tag.attrs.get("format"):
            entity["date_time_format"] = tag.attrs["format"]
    entities.append(entity)


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "`": "Code",
    "```": "Pre",
    "[": "TextUrl",
}
_MDV2_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
    "`": "code",
    "```": "pre",
}


def _mdv2_token(text: str, i: int) -> str | None:
    for mark in ("```", "__", "||", "*", "_", "~", "`", "["):
        if text.startswith(mark, i):
            return mark
    return None


def _parse_markdown_v2(text: str) -> tuple[str, list[JSON]]:
    out: list[str] = []
    pos = 0
    stack: list[tuple[str, int, int, str]] = []  # mark, utf16 start, byte offset, language
    entities: list[JSON] = []
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal pos
        out.append(chunk)
        pos += _u16(chunk)

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) < 127:
            emit(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("`", "```")
        if in_code:
            closing = stack[-1][0]
            if text.startswith(closing, i):
                _, start, _, language = stack.pop()
                if pos > start:
                    entity: JSON = {
                        "type": _MDV2_TYPES[closing],
                        "offset": start,
                        "length": pos - start,
                    }
                    if language:
                        entity["language"] = language
                    entities.append(entity)
                i += len(closing)
            else:
                emit(ch)
                i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            if not text.startswith("(", i + 1):
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            end = i + 2
            url: list[str] = []
            while end < n and text[end] != ")":
                if text[end] == "\\" and end + 1 < n:
                    end += 1
                url.append(text[end])
                end += 1
            if end >= n:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, i)}"
                )
            _, start, _, _ = stack.pop()
            if pos > start:
                entities.append(
                    {
                        "type": "text_link",
                        "offset": start,
                        "length": pos - start,
                        "url": "".join(url),
                    }
                )
            i = end + 1
            continue
        mark = _mdv2_token(text, i)
        if mark is not None:
            open_tokens = [entry[0] for entry in stack]
            if mark != "[" and stack and stack[-1][0] == mark:
                _, start, _, _ = stack.pop()
                if pos > start:
                    entities.append(
                        {"type": _MDV2_TYPES[mark], "offset": start, "length": pos - start}
                    )
                i += len(mark)
                continue
            if mark in open_tokens and mark != "[":
                top = stack[-1]
                raise EntityParseError(
                    f"Can't find end of {_MDV2_NAMES[top[0]]} entity at byte offset {top[2]}"
                )
            language = ""
            mark_offset = _byte_offset(text, i)
            i += len(mark)
            if mark == "```":
                newline = text.find("\n", i)
                fence_end = text.find("```", i)
                if 0 <= newline < (fence_end if fence_end >= 0 else n):
                    language = text[i:newline].strip()
                    if language:
                        i = newline + 1
            stack.append((mark, pos, mark_offset, language))
            continue
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # block quotation marker
            continue
        if ch in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if stack:
        mark, _, byte, _ = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[mark]} entity at byte offset {byte}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_markdown(text: str) -> tuple[str, list[JSON]]:
    out: list[str] = []
    pos = 0
    entities: list[JSON] = []
    i, n = 0, len(text)
    types = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            pos += 1
            i += 2
            continue
        mark = "```" if text.startswith("```", i) else ch if ch in "*_`[" else None
        if mark is None:
            out.append(ch)
            pos += _u16(ch)
            i += 1
            continue
        offset = _byte_offset(text, i)
        closer = "]" if mark == "[" else mark
        end = text.find(closer, i + len(mark))
        if end < 0:
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")
        inner = text[i + len(mark) : end]
        entity: JSON = {"offset": pos, "length": _u16(inner)}
        if mark == "[":
            if not text.startswith("(", end + 1) or text.find(")", end + 1) < 0:
                out.append(text[i : end + 1])
                pos += _u16(text[i : end + 1])
                i = end + 1
                continue
            close = text.find(")", end + 1)
            entity.update(type="text_link", url=text[end + 2 : close])
            i = close + 1
        else:
            entity["type"] = types[mark]
            i = end + len(mark)
        out.append(inner)
        pos += _u16(inner)
        if entity["length"]:
            entities.append(entity)
    return "".join(out), entities


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    """Return (plain text, entities) for a parse mode, or raise EntityParseError like Telegram."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise ValueError(f"unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------------------------
# Schema checks


class _Schema:
    """The Bot API reference, used to refuse calls that real Telegram would not accept."""

    def __init__(self, data: JSON) -> None:
        self.methods: dict[str, dict[str, JSON]] = {
            name: {f["name"]: f for f in spec.get("fields", [])}
            for name, spec in data["methods"].items()
        }
        self.returns: dict[str, list[str]] = {
            name: list(spec.get("returns", [])) for name, spec in data["methods"].items()
        }
        self.types: dict[str, JSON] = data["types"]
        self.version = str(data.get("version", ""))
        self._lower = {name.lower(): name for name in self.methods}

    def canonical(self, method: str) -> str | None:
        """Telegram method names are case-insensitive."""
        return self._lower.get(method.lower())

    def check(self, value: Any, types: list[str], path: str, *, top: bool) -> str | None:
        """Return an error for a value that fits none of ``types``, else None."""
        errors: list[tuple[int, str]] = []
        for type_name in types:
            error = self._check_one(value, type_name, path, top=top)
            if error is None:
                return None
            errors.append((self._fit(value, type_name), error))
        errors.sort(key=lambda item: -item[0])
        return errors[0][1] if errors else None

    def _fit(self, value: Any, type_name: str) -> int:
        """How many keys of an object value a type knows (to report the likeliest type)."""
        if isinstance(value, str) and value[:1] == "{":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        spec = self.types.get(type_name)
        if not isinstance(value, dict) or spec is None:
            return 0
        names = {f["name"] for f in spec.get("fields", [])}
        return len(names & set(value))

    def _check_one(self, value: Any, type_name: str, path: str, *, top: bool) -> str | None:
        if type_name.startswith("Array of "):
            inner = type_name.removeprefix("Array of ")
            if top and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return f"can't parse {path} JSON array"
            if not isinstance(value, list):
                return f'field "{path}" must be an Array'
            for index, item in enumerate(value):
                error = self.check(item, [inner], f"{path}[{index}]", top=False)
                if error is not None:
                    return error
            return None
        if type_name == "Integer":
            ok = _is_int(value) or (
                top and isinstance(value, str) and bool(_INT_RE.fullmatch(value))
            )
            return None if ok else f'field "{path}" must be an Integer'
        if type_name == "Float":
            ok = (_is_int(value) or isinstance(value, float)) or (
                top and isinstance(value, str) and bool(_FLOAT_RE.fullmatch(value))
            )
            return None if ok else f'field "{path}" must be a Float'
        if type_name == "Boolean":
            ok = isinstance(value, bool) or (
                top and isinstance(value, str) and value.lower() in ("true", "false", "1", "0")
            )
            return None if ok else f'field "{path}" must be a Boolean'
        if type_name == "String":
            ok = isinstance(value, str) or (top and (_is_int(value) or isinstance(value, float)))
            return None if ok else f'field "{path}" must be a String'
        if type_name == "InputFile":
            return None if isinstance(value, UploadedFile) else f'field "{path}" must be a file'
        spec = self.types.get(type_name)
        if spec is None:
            return None
        if top and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return f"can't parse {path} JSON object"
        if not isinstance(value, dict):
            return f'field "{path}" must be an Object ({type_name})'
        if spec.get("subtypes"):
            return self.check(value, list(spec["subtypes"]), path, top=False)
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for key in value:
            if key not in fields:
                return f'unknown field "{path}.{key}" in {type_name}'
        for name, spec_field in fields.items():
            if name not in value:
                if spec_field["required"]:
                    return f'field "{path}.{name}" is required in {type_name}'
                continue
            error = self.check(value[name], spec_field["types"], f"{path}.{name}", top=False)
            if error is not None:
                return error
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: Any) -> int | None:
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    return None


# --------------------------------------------------------------------------------------------
# Chats, files, users


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: Literal["photo", "document"]
    filename: str | None = None
    mime_type: str | None = None
    sizes: list[JSON] | None = None  # for photos: the whole PhotoSize set it belongs to
    original: bytes | None = None  # for photos: the bytes before recompression


@dataclass
class _Chat:
    id: int
    type: str
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    title: str | None = None
    started: bool = False
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, BotMessage] = field(default_factory=dict)
    user_message_ids: set[int] = field(default_factory=set)
    reply_keyboard: list[list[JSON]] | None = None
    log: list[str] = field(default_factory=list)
    members: dict[int, str] = field(default_factory=dict)  # groups: user id -> member status

    def to_json(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass
class _Event:
    chat_id: int
    message_id: int
    kind: Literal["sent", "edited", "deleted"]


@dataclass
class _CallbackQuery:
    id: str
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: JSON | None = None


class FakeUser:
    """A simulated Telegram user whose actions become updates, exactly as Telegram sends them."""

    def __init__(
        self,
        standin: TelegramStandin,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        phone_number: str | None,
    ) -> None:
        self.standin = standin
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number or f"628{user_id % 10**9:09d}"

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    @property
    def chat_id(self) -> int:
        """The private chat with the bot has the user's id."""
        return self.id

    def to_json(self) -> JSON:
        """The Bot API User object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    # -- actions (enqueue one update each and return the Message / callback id) --

    def send_text(self, text: str, *, chat: int | None = None) -> JSON:
        """Type a message; a leading /command gets its bot_command entity ("/start payload")."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(command)}]
        return self.standin._user_message(self, content, f"{self.first_name}: {text}", chat)

    def send_contact(
        self, phone_number: str | None = None, first_name: str | None = None, *, own: bool = True
    ) -> JSON:
        """Share a contact; by default the user's own (as the request_contact button does)."""
        contact: JSON = {
            "phone_number": phone_number or self.phone_number,
            "first_name": first_name or self.first_name,
        }
        if own:
            contact["user_id"] = self.id
        line = f"{self.first_name} shares contact {contact['phone_number']}"
        return self.standin._user_message(self, {"contact": contact}, line, None)

    def send_location(self, latitude: float, longitude: float) -> JSON:
        """Share a location pin."""
        content = {"location": {"latitude": latitude, "longitude": longitude}}
        line = f"{self.first_name} shares location {latitude},{longitude}"
        return self.standin._user_message(self, content, line, None)

    def send_photo(self, data: bytes, caption: str | None = None) -> JSON:
        """Send a photo; Telegram stores JPEG sizes, so getFile returns a recompressed copy."""
        sizes = self.standin._store_photo(data)
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
        line = f"{self.first_name} sends a photo ({len(data)} bytes)" + (
            f": {caption}" if caption else ""
        )
        return self.standin._user_message(self, content, line, None)

    def send_document(
        self, data: bytes, file_name: str, mime_type: str | None = None, caption: str | None = None
    ) -> JSON:
        """Send a file as a document (bytes kept as they are)."""
        stored = self.standin._store_document(data, file_name, mime_type)
        content: JSON = {"document": self.standin._document_json(stored)}
        if caption:
            content["caption"] = caption
        line = f"{self.first_name} sends document {file_name}"
        return self.standin._user_message(self, content, line, None)

    def tap(self, button_text: str, message: BotMessage | int | None = None) -> str:
        """Tap the inline button whose label contains ``button_text``; return the query id.

        Without ``message`` the latest bot message with an inline keyboard in this chat is used.
        An exact label wins over a partial one; an ambiguous or missing label fails the test.
        """
        target = self.standin._tap_target(self.chat_id, message)
        exact = [b for b in target.buttons if b.text == button_text]
        found = exact or [b for b in target.buttons if button_text in b.text]
        if len(found) != 1:
            problem = "no button" if not found else "several buttons"
            raise AssertionError(
                f"{problem} matching {button_text!r} on message #{target.message_id} "
                f"in chat {target.chat_id}; buttons: {target.button_texts}"
            )
        callback_data = self.standin._callback_data_of(target, found[0].text)
        if callback_data is None:
            raise AssertionError(f"button {found[0].text!r} is not a callback button")
        return self.standin._callback(self, target, callback_data, found[0].text)

    def tap_data(self, callback_data: str, message: BotMessage | int | None = None) -> str:
        """Send a callback query with any data (e.g. stale or forged) from a bot message."""
        target = self.standin._tap_target(self.chat_id, message)
        return self.standin._callback(self, target, callback_data, callback_data)

    def press(self, button_text: str) -> JSON:
        """Press a reply-keyboard button: its text, or the contact/location it requests."""
        keyboard = self.standin._chats[self.chat_id].reply_keyboard
        if not keyboard:
            raise AssertionError(f"no reply keyboard is shown in chat {self.chat_id}")
        buttons = [b for row in keyboard for b in row]
        exact = [b for b in buttons if b["text"] == button_text]
        found = exact or [b for b in buttons if button_text in b["text"]]
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} reply buttons match {button_text!r}; "
                f"buttons: {[b['text'] for b in buttons]}"
            )
        button = found[0]
        if button.get("request_contact"):
            return self.send_contact()
        if button.get("request_location"):
            return self.send_location(-6.2, 106.816666)
        return self.send_text(button["text"])

    def open_link(self, url: str) -> JSON:
        """Open a t.me link as the Telegram app does: a deep link to this bot
        (``https://t.me/<bot>?start=<payload>``) opens the private chat and sends
        ``/start <payload>``. Anything else a real client would not turn into a /start (another
        bot, a bad payload) is recorded as a violation and fails the test."""
        payload = self.standin._deep_link_payload(url)
        return self.send_text(f"/start {payload}" if payload else "/start")

    def follow(self, button_text: str, message: BotMessage | int | None = None) -> JSON:
        """Tap the URL button whose label contains ``button_text`` (a deep link to this bot)."""
        chat_id = message.chat_id if isinstance(message, BotMessage) else self.chat_id
        target = self.standin._tap_target(chat_id, message)
        found = [b for b in target.buttons if button_text in b.text]
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} buttons match {button_text!r}; buttons: {target.button_texts}"
            )
        for row in (target.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == found[0].text and "url" in button:
                    return self.open_link(str(button["url"]))
        raise AssertionError(f"button {found[0].text!r} is not a URL button")

    def block_bot(self) -> JSON:
        """Block the bot: later sends answer 403 and a my_chat_member update is sent."""
        self.standin.block(self.chat_id)
        return self.standin._member_update(self, "member", "kicked")

    def unblock_bot(self) -> JSON:
        """Unblock the bot again."""
        self.standin.unblock(self.chat_id)
        return self.standin._member_update(self, "kicked", "member")

    # -- awaitables --

    async def ask(
        self, text: str, *, quiet: float = 0.05, timeout: float = 5.0
    ) -> list[BotMessage]:
        """Send a text and return the bot's messages once it has gone quiet."""
        self.send_text(text)
        return await self.standin.next_reply(self, quiet=quiet, timeout=timeout)

    async def choose(
        self,
        button_text: str,
        message: BotMessage | int | None = None,
        *,
        quiet: float = 0.05,
        timeout: float = 5.0,
    ) -> list[BotMessage]:
        """Tap an inline button and return the new or edited bot messages."""
        self.tap(button_text, message)
        return await self.standin.next_reply(self, quiet=quiet, timeout=timeout)

    def messages(self) -> list[BotMessage]:
        """The bot's messages in this user's private chat."""
        return self.standin.messages(self)

    @property
    def last_message(self) -> BotMessage:
        """The latest bot message in this user's private chat."""
        return self.standin.last_message(self)


# --------------------------------------------------------------------------------------------
# The stand-in


class TelegramStandin:
    """The fake Bot API server: Starlette app, recorder, chat model and fault injector."""

    def __init__(
        self,
        *,
        schema_path: Path | None = None,
        token: str | None = None,
        bot_username: str = "warung_test_bot",
        bot_first_name: str = "Warung Test",
        strict_chats: bool = True,
        record_polls: bool = False,
        server: TelegramStandin | None = None,
    ) -> None:
        """``server``: another bot whose HTTP server this one shares (``add_bot`` passes it)."""
        if server is not None:
            self.schema: _Schema | None = server.schema
        else:
            path = schema_path or (DEFAULT_SCHEMA_PATH if DEFAULT_SCHEMA_PATH.exists() else None)
            self.schema = _Schema(json.loads(path.read_text(encoding="utf-8"))) if path else None
        if token is not None and not _TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like 123456:ABC-def")
        self._fixed_token = token
        self.token = token or "123456789:TEST-standin_token"
        self._bots: _Bots = server._bots if server is not None else _Bots(self)
        if token is not None:
            self._bots.register(token, self)
        self.bot_user: JSON = {
            "id": int(self.token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.strict_chats = strict_chats
        self.record_polls = record_polls
        self.base_url: str | None = None
        self.base_file_url: str | None = None
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self.faults: list[Fault] = []
        self.webhook_url = ""
        self.webhook_secret: str | None = None  # secret_token of the webhook, as set
        self.webhook_allowed_updates: list[str] | None = None
        self.webhook_last_error: tuple[int, str] | None = None  # (Unix time, message)
        self.poll_count = 0
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, FakeUser] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = 0
        self._updates: list[JSON] = []
        self._next_update_id = 500_000_001
        self._delivered_upto = 0
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._closing = False
        self._events: list[_Event] = []
        self._cursor: dict[int, int] = {}
        self._callbacks: dict[str, _CallbackQuery] = {}
        self._commands: dict[str, list[JSON]] = {}
        self._changed = asyncio.Event()
        self._last_activity = time.monotonic()
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )
        self._handlers: dict[str, Callable[[JSON, dict[str, UploadedFile]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback,
            "setMyCommands": self._set_commands,
            "deleteMyCommands": self._delete_commands,
            "getMyCommands": self._get_commands,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }

    # ---- serving --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Run the app with uvicorn in this loop; yield the base_url for PTB's builder."""
        async with serve_in_loop(self.app, host, port) as bound_port:
            root = f"http://{host}:{bound_port}"
            self._bots.base_url = f"{root}/bot"
            self._bots.base_file_url = f"{root}/file/bot"
            for bot in self._bots.all():
                bot._closing = False
                bot.base_url, bot.base_file_url = self._bots.base_url, self._bots.base_file_url
            try:
                yield f"{root}/bot"
            finally:
                for bot in self._bots.all():
                    bot._closing = True
                    bot._notify()

    # ---- many bots ------------------------------------------------------------------------

    def add_bot(
        self,
        token: str | None = None,
        *,
        username: str | None = None,
        first_name: str = "Toko Test",
    ) -> TelegramStandin:
        """Another bot on the same server, as BotFather makes one: its own token (generated
        when not given), getMe identity, users and chats, updates, webhook and faults.

        From the first ``add_bot`` on, the server answers 401 to any token it does not know:
        the bot this stand-in was built as keeps the token it has (given, or the last one
        used), no longer adopting whatever token arrives.
        """
        self._bots.pin_first()
        if token is None:
            token = self._bots.new_token()
        elif not _TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like 123456:ABC-def")
        if self._bots.find(token) is not None:
            raise ValueError("that token already belongs to a bot of this stand-in")
        bot_id = token.split(":", 1)[0]
        bot = TelegramStandin(
            token=token,
            bot_username=username or f"toko{bot_id}_bot",
            bot_first_name=first_name,
            strict_chats=self.strict_chats,
            record_polls=self.record_polls,
            server=self,
        )
        bot.base_url, bot.base_file_url = self._bots.base_url, self._bots.base_file_url
        return bot

    @property
    def bots(self) -> list[TelegramStandin]:
        """Every bot this server answers for, the first one first."""
        return self._bots.all()

    def revoke(self) -> str:
        """Revoke this bot's token as BotFather's /revoke does: the old token answers 401
        "Unauthorized" from now on; the bot (id, users, chats) lives on under the new token,
        which is returned. Its webhook stays set, as on Telegram."""
        self._bots.pin_first()
        new_token = self._bots.new_token(bot_id=int(self.token.split(":", 1)[0]))
        self._bots.revoked[self.token] = self
        self._bots.unregister(self.token)
        self._fixed_token = self.token = new_token
        self._bots.register(new_token, self)
        return new_token

    def bot_for(self, token: str) -> TelegramStandin | None:
        """The bot a token belongs to now (None when unknown or revoked)."""
        return self._bots.find(token)

    # ---- chat model -----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Budi",
        language_code: str | None = "id",
        username: str | None = None,
        *,
        last_name: str | None = None,
        phone_number: str | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Create (or return) a simulated user and its private chat with the bot."""
        if user_id in self._users:
            return self._users[user_id]
        user = FakeUser(
            self,
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone_number=phone_number,
        )
        self._users[user_id] = user
        self._chats[user_id] = _Chat(
            user_id,
            "private",
            first_name=first_name,
            last_name=last_name,
            username=username,
            started=started,
        )
        return user

    def group(
        self,
        chat_id: int,
        title: str = "Warung Admin",
        kind: str = "group",
        members: dict[FakeUser, str] | None = None,
    ) -> int:
        """Register a group (or "supergroup") the bot is a member of; returns its id.

        ``members`` maps users to their status ("member", "administrator", "creator"); only
        members can write or tap buttons there, as on Telegram (``join`` and ``leave`` later).
        """
        chat = self._chats.setdefault(chat_id, _Chat(chat_id, kind, title=title, started=True))
        for user, status in (members or {}).items():
            chat.members[user.id] = status
        return chat_id

    def join(self, group_id: int, user: FakeUser, status: str = "member") -> None:
        """``user`` joins a group (or has their status changed: "administrator", "creator")."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(_MEMBER_STATUSES)}")
        self._chats[group_id].members[user.id] = status
        self._chats[group_id].log.append(f"{user.first_name} is now {status}")

    def leave(self, group_id: int, user: FakeUser) -> None:
        """``user`` leaves a group: getChatMember answers "left" and they can no longer write."""
        self._chats[group_id].members.pop(user.id, None)
        self._chats[group_id].log.append(f"{user.first_name} left")

    def messages(self, chat: int | FakeUser, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, in their current (edited) state."""
        found = self._chats.get(_chat_id(chat))
        if found is None:
            return []
        return [m for m in found.messages.values() if include_deleted or not m.deleted]

    def last_message(self, chat: int | FakeUser) -> BotMessage:
        """The latest bot message in a chat (fails the test when there is none)."""
        messages = self.messages(chat)
        if not messages:
            raise AssertionError(f"the bot has sent nothing to chat {_chat_id(chat)}")
        return messages[-1]

    def transcript(self, chat: int | FakeUser) -> str:
        """A readable log of a chat: user actions and bot messages, sends and edits."""
        found = self._chats.get(_chat_id(chat))
        return "\n".join(found.log) if found else ""

    def reply_keyboard(self, chat: int | FakeUser) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown in a chat."""
        found = self._chats.get(_chat_id(chat))
        if found is None or found.reply_keyboard is None:
            return None
        return [[b["text"] for b in row] for row in found.reply_keyboard]

    def file_bytes(self, file_id: str) -> bytes:
        """The stored bytes of a file_id (photos: Telegram's recompressed JPEG)."""
        return self._files[file_id].data

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """Commands set with setMyCommands for a scope and language."""
        return self._commands.get(_commands_key(scope, language_code), [])

    def callback_answer(self, query_id: str) -> JSON | None:
        """The answerCallbackQuery parameters for a tap, or None if not answered yet."""
        return self._callbacks[query_id].answer

    @property
    def unanswered_callbacks(self) -> list[str]:
        """Taps the bot never answered (the user's button keeps spinning)."""
        return [q.id for q in self._callbacks.values() if not q.answered]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    def enqueue(self, update: JSON) -> JSON:
        """Queue a raw update (an update_id is assigned) for the bot's next getUpdates."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        self._updates.append(update)
        self._touch()
        return update

    # ---- faults ---------------------------------------------------------------------------

    def fail(
        self,
        method: str | None,
        status: int,
        times: int | None = None,
        retry_after: int | None = None,
        for_seconds: float | None = None,
    ) -> Fault:
        """Make the next calls of ``method`` fail (None: all but getUpdates; "*": all).

        Without ``times`` or ``for_seconds`` the fault stays until ``clear_faults()``.
        """
        until = time.monotonic() + for_seconds if for_seconds is not None else None
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(method, status, times, retry_after, until)
        self.faults.append(fault)
        return fault

    def slow(
        self,
        method: str | None,
        seconds: float,
        times: int | None = None,
        for_seconds: float | None = None,
    ) -> Fault:
        """Delay matching calls; they still take effect even if the client gave up."""
        until = time.monotonic() + for_seconds if for_seconds is not None else None
        fault = Fault(method, 0, times, None, until, delay=seconds)
        self.faults.append(fault)
        return fault

    def block(self, chat_id: int) -> None:
        """Calls that target this chat answer 403 "bot was blocked by the user"."""
        self._chat(chat_id).blocked = True

    def unblock(self, chat_id: int) -> None:
        """Undo ``block``."""
        self._chat(chat_id).blocked = False

    def clear_faults(self) -> None:
        """Drop all injected faults and blocks."""
        self.faults.clear()
        for chat in self._chats.values():
            chat.blocked = False

    # ---- waiting --------------------------------------------------------------------------

    async def wait_for_message(
        self,
        chat: int | FakeUser,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        contains: str | None = None,
        timeout: float = 5.0,
    ) -> BotMessage:
        """Wait for a new or edited bot message after the user's last action, and consume it."""
        cid = _chat_id(chat)
        deadline = time.monotonic() + timeout
        while True:
            start = self._cursor.get(cid, 0)
            for index in range(start, len(self._events)):
                event = self._events[index]
                if event.chat_id != cid or event.kind == "deleted":
                    continue
                message = self._chats[cid].messages[event.message_id]
                if contains is not None and contains not in message.text:
                    continue
                if predicate is None or predicate(message):
                    self._cursor[cid] = index + 1
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no matching bot message in chat {cid} within {timeout}s; "
                    f"transcript:\n{self.transcript(cid)}"
                )
            await self._wait_change(remaining)

    async def next_reply(
        self, chat: int | FakeUser, *, quiet: float = 0.05, timeout: float = 5.0
    ) -> list[BotMessage]:
        """Messages sent or edited since the last action, once the bot has been quiet a while."""
        cid = _chat_id(chat)
        start = self._cursor.get(cid, 0)
        deadline = time.monotonic() + timeout
        while True:
            events = [e for e in self._events[start:] if e.chat_id == cid]
            now = time.monotonic()
            idle_for = now - self._last_activity
            if events and idle_for >= quiet:
                break
            if now >= deadline:
                if events:
                    break
                raise AssertionError(
                    f"the bot sent nothing to chat {cid} within {timeout}s; "
                    f"transcript:\n{self.transcript(cid)}"
                )
            wait = quiet - idle_for if events else deadline - now
            await self._wait_change(max(min(wait, deadline - now), 0.002))
        self._cursor[cid] = len(self._events)
        chat_messages = self._chats[cid].messages
        seen: dict[int, BotMessage] = {}
        for event in events:
            message = chat_messages[event.message_id]
            if not message.deleted:
                seen.setdefault(event.message_id, message)
        return list(seen.values())

    async def wait_idle(self, *, quiet: float = 0.05, timeout: float = 5.0) -> None:
        """Wait until every update was fetched and no call came for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            pending = any(u["update_id"] > self._delivered_upto for u in self._updates)
            idle_for = now - self._last_activity
            if not pending and idle_for >= quiet:
                return
            if now >= deadline:
                raise AssertionError(f"the bot did not go idle within {timeout}s")
            wait = deadline - now if pending else quiet - idle_for
            await self._wait_change(max(min(wait, deadline - now), 0.002))

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        start: int = 0,
        timeout: float = 5.0,
    ) -> Call:
        """Wait for a recorded call of ``method`` (from index ``start`` of ``calls``)."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[start:]:
                if call.method == method and (predicate is None or predicate(call)):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {method} call within {timeout}s")
            await self._wait_change(remaining)

    async def wait_for_answer(self, query_id: str, *, timeout: float = 5.0) -> JSON:
        """Wait until the bot answers a tap; return the answerCallbackQuery parameters."""
        deadline = time.monotonic() + timeout
        while not self._callbacks[query_id].answered:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"callback query {query_id} was not answered in {timeout}s")
            await self._wait_change(remaining)
        return self._callbacks[query_id].answer or {}

    async def _wait_change(self, timeout: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._notify()

    # ---- HTTP -----------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        bot = self._bots.find(token)
        if bot is None:
            owner = self._bots.revoked.get(token)
            if owner is not None:  # kept in the bot's record: a test sees who still calls
                owner._refused_revoked(request.path_params["method"])
            return _error_response(401, "Unauthorized")
        return await bot._serve_call(request, token)

    def _refused_revoked(self, name: str) -> None:
        method = (self.schema.canonical(name) if self.schema else None) or name
        if method != "getUpdates" or self.record_polls:
            call = Call(method, {}, {}, time.monotonic(), 401, "Unauthorized")
            self.calls.append(call)
            self._touch()

    async def _serve_call(self, request: Request, token: str) -> Response:
        name = request.path_params["method"]
        if token != self.token:  # the bot's id is the number before the colon, as on Telegram
            self.token = token
            self.bot_user["id"] = int(token.split(":", 1)[0])
        canonical = self.schema.canonical(name) if self.schema else name
        method = canonical or name
        polling = method == "getUpdates"
        if not polling:
            self._touch()
        try:
            params, files = await _read_params(request)
        except _ApiError as exc:
            self._record(Call(method, {}, {}, time.monotonic()), exc, append=not polling)
            return _error_response(exc.status, exc.description)
        call = Call(method, _decode_markup(params), files, time.monotonic())
        if polling:
            self.poll_count += 1
        if not polling or self.record_polls:
            self.calls.append(call)
        try:
            result = await self._dispatch(name, canonical, params, files, call)
        except _ApiError as exc:
            self._record(call, exc)
            return _error_response(exc.status, exc.description, exc.parameters)
        except Exception as exc:  # a stand-in bug must fail the tests, not hang them
            log.exception("Telegram stand-in crashed on %s", method)
            self._record(
                call, _ApiError(500, f"Internal Server Error: stand-in: {exc!r}", violation=True)
            )
            return _error_response(500, "Internal Server Error")
        finally:
            if not polling:
                self._touch()
        call.result = result
        if isinstance(result, Response):
            call.status = result.status_code
            return result
        return JSONResponse({"ok": True, "result": result})

    def _record(self, call: Call, exc: _ApiError, *, append: bool = False) -> None:
        call.status = exc.status
        call.description = exc.description
        if append:
            self.calls.append(call)
        if exc.violation:
            self.violations.append(Violation(call.method, exc.description, call.params))
            log.warning("Telegram stand-in refused %s: %s", call.method, exc.description)

    async def _dispatch(
        self,
        name: str,
        canonical: str | None,
        params: JSON,
        files: dict[str, UploadedFile],
        call: Call,
    ) -> Any:
        fault = self._take_fault(canonical or name)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                raise _fault_error(fault)
        if self.schema is not None:
            if canonical is None:
                raise _ApiError(404, "Not Found", violation=True)
            params = self._validate(canonical, params, files)
            call.params = params
        method = canonical or name
        self._check_content(method, params)
        if "chat_id" in params:
            params = {**params, "chat_id": self._check_chat(method, params["chat_id"])}
        handler = self._handlers.get(method)
        if handler is not None:
            return await handler(params, files)
        return self._fallback(method, params)

    def _take_fault(self, method: str) -> Fault | None:
        now = time.monotonic()
        for fault in list(self.faults):
            if fault.until is not None and now >= fault.until:
                self.faults.remove(fault)
                continue
            matches = (
                fault.method == "*"
                or (fault.method is None and method != "getUpdates")
                or (fault.method is not None and fault.method.lower() == method.lower())
            )
            if not matches:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    async def _download(self, request: Request) -> Response:
        bot = self._bots.find(request.path_params["token"])
        if bot is None:
            return _error_response(401, "Unauthorized")
        stored = bot._files_by_path.get(request.path_params["path"])
        if stored is None:
            return _error_response(404, "Not Found")
        media_type = stored.mime_type or (
            "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
        )
        return Response(stored.data, media_type=media_type)

    # ---- validation -----------------------------------------------------------------------

    def _validate(self, method: str, params: JSON, files: dict[str, UploadedFile]) -> JSON:
        assert self.schema is not None
        fields = self.schema.methods[method]
        attached = {
            value.removeprefix("attach://")
            for value in _strings(params)
            if value.startswith("attach://")
        }
        for key in params:
            if key not in fields:
                raise _bad(f'unknown parameter "{key}" for method {method}')
        for key in files:
            spec = fields.get(key)
            if key in attached:
                continue
            if spec is None or "InputFile" not in spec["types"]:
                raise _bad(f'unexpected file "{key}" for method {method}')
        for key, spec in fields.items():
            if spec["required"] and key not in params and key not in files:
                if key == "text":
                    raise _bad("message text is empty")
                raise _bad(f'parameter "{key}" is required for method {method}')
        typed: JSON = {}
        for key, value in params.items():
            types = fields[key]["types"]
            if isinstance(value, str) and value.startswith("attach://"):
                if value.removeprefix("attach://") not in files:
                    raise _bad(f'file "{value}" is not attached')
                typed[key] = value
                continue
            error = self.schema.check(value, types, key, top=True)
            if error is not None:
                raise _bad(error)
            typed[key] = _typed(value, types)
        for key, upload in files.items():
            if key in fields and key not in typed:
                typed[key] = f"<file {upload.filename or key}, {len(upload.data)} bytes>"
        return typed

    def _check_content(self, method: str, params: JSON) -> None:
        """Telegram's limits that the reference only states in prose."""
        parse_mode = params.get("parse_mode")
        if parse_mode is not None and str(parse_mode).lower() not in (
            "html",
            "markdown",
            "markdownv2",
            "",
        ):
            raise _bad("unsupported parse_mode")
        if method in ("sendMessage", "editMessageText") and "text" in params:
            plain, _ = _parse_for(str(params["text"]), params)
            if not plain.strip():
                raise _bad("message text is empty")
            if len(plain) > TEXT_LIMIT:
                raise _bad("message is too long")
        if "caption" in params and params["caption"] is not None:
            plain, _ = _parse_for(str(params["caption"]), params)
            if len(plain) > CAPTION_LIMIT:
                raise _bad("message caption is too long")
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            _check_markup(markup)
        if (
            method == "answerCallbackQuery"
            and len(str(params.get("text", ""))) > CALLBACK_ANSWER_LIMIT
        ):
            raise _bad("MESSAGE_TOO_LONG")
        if method == "sendChatAction" and params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        if method == "setMyCommands":
            commands = _typed(params.get("commands"), ["Array of BotCommand"])
            if not isinstance(commands, list) or len(commands) > 100:
                raise _bad("BOT_COMMANDS_TOO_MUCH")
            for command in commands:
                if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                    raise _bad("BOT_COMMAND_INVALID")
                if not 1 <= len(str(command.get("description", ""))) <= 256:
                    raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")

    def _check_chat(self, method: str, chat_ref: Any) -> int:
        """Resolve chat_id and refuse chats Telegram would: unknown, blocked, never started."""
        chat_id = _as_int(chat_ref)
        if chat_id is None:
            username = str(chat_ref).removeprefix("@").lower()
            matches = [c for c in self._chats.values() if (c.username or "").lower() == username]
            if not matches:
                raise _bad("chat not found", violation=False)
            chat_id = matches[0].id
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise _bad("chat not found", violation=False)
            chat = self._chat(chat_id)
            chat.started = True
        if chat.blocked:
            raise _ApiError(403, _BLOCKED)
        if chat.type == "private" and not chat.started and method != "getChat":
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat_id

    # ---- method handlers ------------------------------------------------------------------

    def webhook_failing(self, message: str, at: float | None = None) -> None:
        """Telegram could not deliver to the webhook (as it reports in getWebhookInfo's
        ``last_error_date`` and ``last_error_message``), at Unix time ``at`` (default: now).
        The stand-in delivers nothing itself: tests relay updates to the edge."""
        self.webhook_last_error = (int(time.time() if at is None else at), message)

    async def _true(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        return True

    async def _get_me(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        return dict(self.bot_user)

    async def _set_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        url = str(params.get("url", ""))
        secret = params.get("secret_token")
        if url:
            _check_webhook_url(url)
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        self.webhook_url = url
        self.webhook_secret = str(secret) if secret is not None and url else None
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.webhook_allowed_updates = [str(a) for a in allowed]
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._notify()
        return True

    async def _delete_webhook(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.webhook_allowed_updates:
                info["allowed_updates"] = list(self.webhook_allowed_updates)
            if self.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_last_error
        return info

    async def _get_updates(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset"))
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout = max(_as_int(params.get("timeout")) or 0, 0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting is terminated with 409
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            self._updates = [u for u in self._updates if self._allowed(u)]
            batch = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                break
            await self._wait_change(remaining)
        if batch:
            self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            self._notify()
        return batch

    def _allowed(self, update: JSON) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _DEFAULT_UPDATES_EXCLUDED

    async def _send_message(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        raw = str(params["text"])
        plain, entities = _parse_for(raw, params)
        message = self._new_message("text", "sendMessage", params, raw, plain, entities)
        return self._message_json(message)

    async def _send_photo(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        upload, reused = self._input_file(params, files, "photo")
        if reused is not None:
            if reused.kind != "photo":
                raise _bad("can't use file of type Document as Photo", violation=False)
            sizes, original = reused.sizes or [], reused.original or reused.data
        else:
            assert upload is not None
            sizes, original = self._store_photo(upload.data, bot_upload=True), upload.data
        raw = str(params.get("caption", ""))
        plain, entities = _parse_for(raw, params)
        message = self._new_message("photo", "sendPhoto", params, raw, plain, entities)
        message.photo, message.media = original, sizes
        message.file_id = sizes[-1]["file_id"]
        return self._message_json(message)

    async def _send_document(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        upload, stored = self._input_file(params, files, "document")
        if stored is None:
            assert upload is not None
            name = upload.filename or "document"
            stored = self._store_document(upload.data, name, upload.content_type)
        raw = str(params.get("caption", ""))
        plain, entities = _parse_for(raw, params)
        message = self._new_message("document", "sendDocument", params, raw, plain, entities)
        message.document, message.filename = stored.data, stored.filename
        message.file_id, message.media = stored.file_id, self._document_json(stored)
        return self._message_json(message)

    def _input_file(
        self, params: JSON, files: dict[str, UploadedFile], key: str
    ) -> tuple[UploadedFile | None, _StoredFile | None]:
        """An upload (multipart part or attach://) or an already stored file_id."""
        value = params.get(key)
        if key in files:
            return files[key], None
        if isinstance(value, str) and value.startswith("attach://"):
            return files[value.removeprefix("attach://")], None
        if isinstance(value, str) and value in self._files:
            return None, self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _bad("failed to get HTTP URL content", violation=False)
        raise _bad("wrong file identifier/HTTP URL specified", violation=False)

    async def _edit_text(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        message = self._edit_target(params)
        if message is None:
            return True
        if message.kind != "text":
            raise _bad("there is no text in the message to edit", violation=False)
        raw = str(params["text"])
        plain, entities = _parse_for(raw, params)
        markup = params.get("reply_markup")
        self._apply_edit(message, "editMessageText", plain, entities, markup, raw, params)
        return self._message_json(message)

    async def _edit_caption(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        message = self._edit_target(params)
        if message is None:
            return True
        if message.kind == "text":
            raise _bad("there is no caption in the message to edit", violation=False)
        raw = str(params.get("caption", ""))
        plain, entities = _parse_for(raw, params)
        markup = params.get("reply_markup")
        self._apply_edit(message, "editMessageCaption", plain, entities, markup, raw, params)
        return self._message_json(message)

    async def _edit_markup(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        message = self._edit_target(params)
        if message is None:
            return True
        markup = params.get("reply_markup")
        self._apply_edit(
            message, "editMessageReplyMarkup", message.text, message.entities, markup, None, params
        )
        return self._message_json(message)

    def _edit_target(self, params: JSON) -> BotMessage | None:
        if params.get("inline_message_id"):
            return None
        chat_id, message_id = _as_int(params.get("chat_id")), _as_int(params.get("message_id"))
        if chat_id is None or message_id is None:
            raise _bad("message identifier is not specified")
        message = self._chats[chat_id].messages.get(message_id)
        if message is None or message.deleted:
            if message_id in self._chats[chat_id].user_message_ids:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found", violation=False)
        return message

    def _apply_edit(
        self,
        message: BotMessage,
        method: str,
        plain: str,
        entities: list[JSON],
        markup: Any,
        raw: str | None,
        params: JSON,
    ) -> None:
        new_markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if (
            plain == message.text
            and entities == message.entities
            and new_markup == message.reply_markup
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
                violation=False,
            )
        message.text, message.entities = plain, entities
        if raw is not None:
            message.raw, message.parse_mode = raw, params.get("parse_mode")
        message.reply_markup = new_markup
        message.inline_keyboard = _inline_buttons(new_markup)
        message.edited, message.edits = True, message.edits + 1
        message.edit_date = int(time.time())
        self._chats[message.chat_id].log.append(f"bot edits {message}")
        self._event(message.chat_id, message.message_id, "edited")

    async def _delete_message(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        chat = self._chats[int(params["chat_id"])]
        self._delete(chat, int(params["message_id"]))
        return True

    async def _delete_messages(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        chat = self._chats[int(params["chat_id"])]
        for message_id in params["message_ids"]:
            with contextlib.suppress(_ApiError):
                self._delete(chat, int(message_id))
        return True

    def _delete(self, chat: _Chat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.user_message_ids:
                chat.user_message_ids.discard(message_id)
                chat.log.append(f"bot deletes the user's message #{message_id}")
                return
            raise _bad("message to delete not found", violation=False)
        message.deleted = True
        chat.log.append(f"bot deletes #{message_id}")
        self._event(chat.id, message_id, "deleted")

    async def _answer_callback(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        query = self._callbacks.get(str(params["callback_query_id"]))
        if query is None or query.answered:
            raise _bad(
                "query is too old and response timeout expired or query ID is invalid",
                violation=False,
            )
        query.answered, query.answer = True, dict(params)
        if params.get("text"):
            alert = "alert" if params.get("show_alert") else "toast"
            self._chats[query.chat_id].log.append(f"bot {alert}: {params['text']}")
        return True

    async def _set_commands(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands[key] = list(params["commands"])
        return True

    async def _delete_commands(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        self._commands.pop(key, None)
        return True

    async def _get_commands(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        key = _commands_key(params.get("scope"), str(params.get("language_code", "")))
        return self._commands.get(key, [])

    async def _send_chat_action(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        return True

    async def _get_file(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        stored = self._files.get(str(params["file_id"]))
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable", violation=False)
        if len(stored.data) > DOWNLOAD_LIMIT:
            raise _bad("file is too big", violation=False)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        chat_id = _as_int(params["chat_id"])
        chat = self._chats[chat_id] if chat_id is not None else None
        if chat is None:
            raise _bad("chat not found", violation=False)
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: JSON, files: dict[str, UploadedFile]) -> Any:
        """A ChatMember as Telegram gives it: "left" for known users not in the group."""
        chat = self._chats[int(params["chat_id"])]
        user_id = _as_int(params["user_id"])
        user = self._users.get(user_id) if user_id is not None else None
        if user is None:
            raise _bad("user not found", violation=False)
        if chat.type == "private":
            status = "member" if chat.id == user.id else "left"
        else:
            status = chat.members.get(user.id, "left")
        member: JSON = {"status": status, "user": user.to_json()}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                {
                    key: False
                    for key in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
            member.update(can_manage_chat=True, can_invite_users=True)
        return member

    def _deep_link_payload(self, url: str) -> str:
        """The start payload of a deep link to this bot; a violation when it is not one."""
        match = _DEEP_LINK_RE.fullmatch(url)
        problem = ""
        if match is None:
            problem = f"not a t.me link: {url!r}"
        elif match.group(1).lower() != str(self.bot_user["username"]).lower():
            problem = f"deep link to another bot: {url!r}"
        elif match.group(2) is not None and not _START_PAYLOAD_RE.fullmatch(match.group(2)):
            problem = f"start payload must be 1-64 of A-Z a-z 0-9 _ -: {url!r}"
        if problem:
            self.violations.append(Violation("deep link", problem, {"url": url}))
            raise AssertionError(problem)
        assert match is not None
        return match.group(2) or ""

    def _fallback(self, method: str, params: JSON) -> Any:
        """Other valid methods: a generic answer of the type they return."""
        returns = self.schema.returns.get(method, ["Boolean"]) if self.schema else ["Boolean"]
        if "Message" in returns and "chat_id" in params:
            payload: JSON = {}
            if method == "sendLocation":
                payload["location"] = {
                    "latitude": params["latitude"],
                    "longitude": params["longitude"],
                }
            elif method == "sendContact":
                payload["contact"] = {
                    key: params[key]
                    for key in ("phone_number", "first_name", "last_name")
                    if key in params
                }
            raw = str(params.get("caption", ""))
            plain, entities = _parse_for(raw, params)
            message = self._new_message("other", method, params, raw, plain, entities)
            message.media = payload or None
            return self._message_json(message)
        if "Boolean" in returns or not returns:
            return True
        raise _ApiError(501, f"Not Implemented: the stand-in does not implement {method}")

    # ---- building messages ----------------------------------------------------------------

    def _chat(self, chat_id: int) -> _Chat:
        if chat_id not in self._chats:
            kind = "private" if chat_id > 0 else "group"
            first_name = f"User {chat_id}" if kind == "private" else None
            title = None if kind == "private" else f"Group {chat_id}"
            self._chats[chat_id] = _Chat(chat_id, kind, first_name=first_name, title=title)
        return self._chats[chat_id]

    def _new_message(
        self,
        kind: Literal["text", "photo", "document", "other"],
        method: str,
        params: JSON,
        raw: str,
        plain: str,
        entities: list[JSON],
    ) -> BotMessage:
        chat = self._chats[int(params["chat_id"])]
        message = BotMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            kind=kind,
            text=plain,
            raw=raw,
            parse_mode=params.get("parse_mode"),
            method=method,
            date=int(time.time()),
            entities=entities,
        )
        chat.next_message_id += 1
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            if markup.get("inline_keyboard"):
                message.reply_markup = {"inline_keyboard": markup["inline_keyboard"]}
                message.inline_keyboard = _inline_buttons(markup)
            elif "keyboard" in markup:
                rows = [
                    [b if isinstance(b, dict) else {"text": str(b)} for b in row]
                    for row in markup["keyboard"]
                ]
                chat.reply_keyboard = rows
                message.reply_keyboard = [[b["text"] for b in row] for row in rows]
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
                message.removes_keyboard = True
        chat.messages[message.message_id] = message
        chat.log.append(f"bot: {message}")
        self._event(chat.id, message.message_id, "sent")
        return message

    def _event(
        self, chat_id: int, message_id: int, kind: Literal["sent", "edited", "deleted"]
    ) -> None:
        self._events.append(_Event(chat_id, message_id, kind))
        self._touch()

    def _message_json(self, message: BotMessage) -> JSON:
        chat = self._chats[message.chat_id]
        data: JSON = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": chat.to_json(),
            "date": message.date,
        }
        if message.kind == "text":
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        else:
            if message.kind == "photo":
                data["photo"] = message.media
            elif message.kind == "document":
                data["document"] = message.media
            elif isinstance(message.media, dict):
                data.update(message.media)
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        if message.edit_date:
            data["edit_date"] = message.edit_date
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    def _new_file_ids(self, prefix: str) -> tuple[str, str]:
        self._file_counter += 1
        n = self._file_counter
        return f"{prefix}{n:06d}{secrets.token_urlsafe(12)}", f"AQAD{n:06d}"

    def _register(self, stored: _StoredFile) -> None:
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored

    def _store_photo(self, data: bytes, *, bot_upload: bool = False) -> list[JSON]:
        """Keep JPEG sizes of a photo like Telegram; refuse what Telegram cannot process."""
        try:
            versions = _photo_versions(data)
        except _ApiError:
            if bot_upload:
                raise
            raise ValueError("send_photo needs bytes of a real image") from None
        sizes: list[JSON] = []
        stored_group: list[_StoredFile] = []
        for width, height, jpeg in versions:
            file_id, unique_id = self._new_file_ids("AgACAgUAAxk")
            stored = _StoredFile(
                file_id,
                unique_id,
                jpeg,
                f"photos/file_{self._file_counter}.jpg",
                "photo",
                mime_type="image/jpeg",
                original=data,
            )
            self._register(stored)
            stored_group.append(stored)
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "file_size": len(jpeg),
                    "width": width,
                    "height": height,
                }
            )
        for stored in stored_group:
            stored.sizes = sizes
        return sizes

    def _store_document(self, data: bytes, file_name: str, mime_type: str | None) -> _StoredFile:
        file_id, unique_id = self._new_file_ids("BQACAgUAAxk")
        suffix = Path(file_name).suffix or ""
        stored = _StoredFile(
            file_id,
            unique_id,
            data,
            f"documents/file_{self._file_counter}{suffix}",
            "document",
            filename=file_name,
            mime_type=mime_type or "application/octet-stream",
        )
        self._register(stored)
        return stored

    def _document_json(self, stored: _StoredFile) -> JSON:
        data: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            data["file_name"] = stored.filename
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    # ---- user side ------------------------------------------------------------------------

    def _require_member(self, chat: _Chat, user: FakeUser) -> None:
        if chat.type != "private" and chat.members.get(user.id) not in _MEMBER_STATUSES:
            raise AssertionError(
                f"{user.first_name} is not a member of {chat.title or chat.id}: "
                "call standin.join(group, user) first"
            )

    def _user_message(self, user: FakeUser, content: JSON, line: str, chat_id: int | None) -> JSON:
        chat = self._chats[chat_id if chat_id is not None else user.chat_id]
        self._require_member(chat, user)
        chat.started = True
        message_id = chat.next_message_id
        chat.next_message_id += 1
        chat.user_message_ids.add(message_id)
        message: JSON = {
            "message_id": message_id,
            "from": user.to_json(),
            "chat": chat.to_json(),
            "date": int(time.time()),
            **content,
        }
        chat.log.append(line)
        self._cursor[chat.id] = len(self._events)
        self.enqueue({"message": message})
        return message

    def _tap_target(self, chat_id: int, message: BotMessage | int | None) -> BotMessage:
        chat = self._chats[chat_id]
        if isinstance(message, BotMessage):
            chat = self._chats[message.chat_id]
            message = message.message_id
        if message is not None:
            found = chat.messages.get(message)
            if found is None or found.deleted:
                raise AssertionError(f"bot message #{message} is not in chat {chat.id}")
            return found
        for candidate in reversed(self.messages(chat.id)):
            if candidate.inline_keyboard:
                return candidate
        raise AssertionError(
            f"no bot message with an inline keyboard in chat {chat.id}; "
            f"transcript:\n{self.transcript(chat.id)}"
        )

    def _callback_data_of(self, message: BotMessage, text: str) -> str | None:
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == text:
                    data = button.get("callback_data")
                    return str(data) if data is not None else None
        return None

    def _callback(self, user: FakeUser, message: BotMessage, data: str, label: str) -> str:
        query_id = str(zlib.crc32(f"{user.id}".encode()) * 10**6 + len(self._callbacks) + 1)
        self._callbacks[query_id] = _CallbackQuery(
            query_id, message.chat_id, message.message_id, data
        )
        chat = self._chats[message.chat_id]
        self._require_member(chat, user)
        chat.started = True
        chat.log.append(f"{user.first_name} taps [{label}] on #{message.message_id}")
        self._cursor[chat.id] = len(self._events)
        self.enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_json(),
                    "message": self._message_json(message),
                    "chat_instance": str(zlib.crc32(f"{chat.id}:{self.bot_user['id']}".encode())),
                    "data": data,
                }
            }
        )
        return query_id

    def _member_update(self, user: FakeUser, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            state: JSON = {"status": status, "user": dict(self.bot_user)}
            if status == "kicked":
                state["until_date"] = 0
            return state

        chat = self._chats[user.chat_id]
        chat.log.append(f"{user.first_name} {'blocks' if new == 'kicked' else 'unblocks'} the bot")
        return self.enqueue(
            {
                "my_chat_member": {
                    "chat": chat.to_json(),
                    "from": user.to_json(),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )


# --------------------------------------------------------------------------------------------
# Helpers


def _chat_id(chat: int | FakeUser) -> int:
    return chat.chat_id if isinstance(chat, FakeUser) else int(chat)


def _commands_key(scope: Any, language_code: str) -> str:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + language_code


def _strings(params: JSON) -> Iterator[str]:
    for value in params.values():
        if isinstance(value, str):
            yield value
            if value[:1] in "[{":
                yield from re.findall(r'"(attach://[^"]+)"', value)


def _typed(value: Any, types: list[str]) -> Any:
    """Turn form strings into the declared types so tests can compare params naturally."""
    if not isinstance(value, str):
        return value
    if "Integer" in types and _INT_RE.fullmatch(value):
        return int(value)
    if "Boolean" in types and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if "Float" in types and _FLOAT_RE.fullmatch(value):
        return float(value)
    if any(t not in _PRIMITIVES for t in types) and value[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _decode_markup(params: JSON) -> JSON:
    decoded = dict(params)
    markup = decoded.get("reply_markup")
    if isinstance(markup, str):
        with contextlib.suppress(ValueError):
            decoded["reply_markup"] = json.loads(markup)
    return decoded


def _parse_for(raw: str, params: JSON) -> tuple[str, list[JSON]]:
    """Parse text or caption with the call's parse_mode, refusing like Telegram does."""
    explicit = params.get("entities") or params.get("caption_entities")
    if explicit and not params.get("parse_mode"):
        return raw, list(explicit) if isinstance(explicit, list) else []
    try:
        return parse_entities(raw, params.get("parse_mode"))
    except EntityParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    except ValueError:
        raise _bad("unsupported parse_mode") from None


def _inline_buttons(markup: Any) -> list[list[InlineButton]]:
    if not isinstance(markup, dict):
        return []
    rows: list[list[InlineButton]] = []
    for row in markup.get("inline_keyboard", []):
        buttons = []
        for button in row:
            value = button.get("callback_data", button.get("url", ""))
            buttons.append(InlineButton(str(button.get("text", "")), str(value)))
        rows.append(buttons)
    return rows


def _check_markup(markup: JSON) -> None:
    for row in markup.get("inline_keyboard", []) or []:
        for button in row:
            if not isinstance(button, dict):
                continue
            actions = set(button) - _INLINE_BUTTON_PLAIN
            if not actions:
                raise _bad("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise _bad(f"inline keyboard button must use exactly one of {sorted(actions)}")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise _bad("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    for row in markup.get("keyboard", []) or []:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not str(text or "").strip():
                raise _bad("keyboard button text must be non-empty")


def _photo_versions(data: bytes) -> list[tuple[int, int, bytes]]:
    """JPEG sizes as Telegram keeps them: small previews plus one at most 1280 px."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.copy()
    except Exception:
        raise _bad("IMAGE_PROCESS_FAILED") from None
    width, height = image.size
    if width + height > 10000 or max(width, height) > 20 * min(width, height):
        raise _bad("PHOTO_INVALID_DIMENSIONS")
    if image.mode != "RGB":
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    longest = max(width, height)
    limits = [step for step in PHOTO_SIZE_STEPS if step < longest] + [min(longest, PHOTO_MAX_SIDE)]
    versions = []
    for limit in limits:
        scale = limit / longest
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, format="JPEG", quality=87)
        versions.append((size[0], size[1], buffer.getvalue()))
    return versions


class _Bots:
    """The bots one stand-in server answers for, by token; revoked tokens are remembered."""

    def __init__(self, first: TelegramStandin) -> None:
        self.first = first
        self.by_token: dict[str, TelegramStandin] = {}
        self.revoked: dict[str, TelegramStandin] = {}  # revoked token -> its bot
        self.base_url: str | None = None
        self.base_file_url: str | None = None
        self._next_id = 7_000_000_001

    def all(self) -> list[TelegramStandin]:
        bots = [self.first]
        bots.extend(b for b in self.by_token.values() if b is not self.first)
        return bots

    def register(self, token: str, bot: TelegramStandin) -> None:
        self.by_token[token] = bot

    def unregister(self, token: str) -> None:
        self.by_token.pop(token, None)

    def pin_first(self) -> None:
        """The first bot stops adopting unknown tokens: it keeps the one it has now."""
        first = self.first
        if first._fixed_token is None:
            first._fixed_token = first.token
            self.register(first.token, first)

    def find(self, token: str) -> TelegramStandin | None:
        if token in self.revoked:
            return None
        bot = self.by_token.get(token)
        if bot is None and self.first._fixed_token is None and _TOKEN_RE.fullmatch(token):
            return self.first  # one bot, no token given: it answers to any token (the default)
        return bot

    def new_token(self, bot_id: int | None = None) -> str:
        """A token shaped as BotFather's: the bot id, a colon, 35 characters."""
        if bot_id is None:
            taken = {int(t.split(":", 1)[0]) for t in self.by_token}
            taken.add(int(self.first.token.split(":", 1)[0]))
            while self._next_id in taken:
                self._next_id += 1
            bot_id, self._next_id = self._next_id, self._next_id + 1
        return f"{bot_id}:AA{secrets.token_urlsafe(25)[:33]}"


_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_PORTS = {80, 88, 443, 8443}


def _check_webhook_url(url: str) -> None:
    """Refuse webhook URLs Telegram refuses: not HTTPS, or on a port it does not call."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() != "https" or not rest:
        raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    port_text = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    port = int(port_text) if port_text.isdigit() else (443 if not port_text else -1)
    if port not in _WEBHOOK_PORTS:
        raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _fault_error(fault: Fault) -> _ApiError:
    status = fault.status
    if status == 429:
        seconds = fault.retry_after or 1
        return _ApiError(
            429,
            f"Too Many Requests: retry after {seconds}",
            parameters={"retry_after": seconds},
        )
    if status == 403:
        return _ApiError(403, _BLOCKED)
    if status == 400:
        return _ApiError(400, "Bad Request: injected fault")
    return _ApiError(status, _PHRASES.get(status, "Error"))


def _error_response(status: int, description: str, parameters: JSON | None = None) -> Response:
    """Telegram's error JSON, or an nginx HTML page for gateway errors like a proxy sends."""
    if status in (502, 503, 504):
        page = _NGINX_PAGE.format(status=status, phrase=_PHRASES[status])
        return Response(page, status_code=status, media_type="text/html")
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


async def _read_params(request: Request) -> tuple[JSON, dict[str, UploadedFile]]:
    """Accept what Telegram accepts: query string, urlencoded form, JSON or multipart."""
    params: JSON = dict(request.query_params)
    files: dict[str, UploadedFile] = {}
    content_type = request.headers.get("content-type", "").lower()
    if request.method != "POST":
        return params, files
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_part_size=50 * 1024 * 1024) as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    files[key] = UploadedFile(key, value.filename, value.content_type, data)
                else:
                    params[key] = value
        return params, files
    body = await request.body()
    if not body:
        return params, files
    if content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except ValueError:
            raise _bad("can't parse JSON request body") from None
        if not isinstance(decoded, dict):
            raise _bad("JSON request body must be an object")
        params.update(decoded)
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params, files
