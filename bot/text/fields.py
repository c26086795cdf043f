"""Pure parsers for the single values people type: prices, quantities and stock, phone numbers,
e-mail, names, durations, date ranges and ``a | b`` command arguments.

Deterministic and side-effect free; a value that is unclear is refused (None), never guessed.
Money is always an ``int`` of Rupiah. Typed orders live in ``bot.text.typed_orders``.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta
from fractions import Fraction
from typing import Final, Literal

from bot.text.number_words import (
    MAX_NUMBER_PHRASE,
    NUMBER_WORDS,
    PREFIX_ONLY_WORDS,
    UNIT_WORDS,
)

__all__ = [
    "DEFAULT_MAX_STOCK",
    "MAX_PRICE",
    "UNLIMITED",
    "Stock",
    "duration_seconds",
    "parse_date_range",
    "parse_duration",
    "parse_email",
    "parse_person_name",
    "parse_phone",
    "parse_price",
    "parse_quantity",
    "parse_stock",
    "split_command_args",
    "visible_length",
]

MAX_PRICE: Final = 1_000_000_000
UNLIMITED: Final = "unlimited"
Stock = int | Literal["unlimited"]

# --------------------------------------------------------------------------------------------
# Money.

_PRICE_PREFIX_RE: Final = re.compile(r"^(?:rp\.?|idr)\s*")
_PRICE_SUFFIX_RE: Final = re.compile(r"\s*(?:[.,]-|=|rupiah|(?<=[a-z])\.)$")
_PRICE_TOKEN_RE: Final = re.compile(r"\d[\d.,]*|[a-z]+|\S")
_MULTIPLIERS: Final = {
    "rb": 1_000,
    "ribu": 1_000,
    "k": 1_000,
    "rebu": 1_000,
    "jt": 1_000_000,
    "juta": 1_000_000,
}


def _plain_amount(number: str) -> int | None:
    """Whole Rupiah from "18000", "18.000", "18,000", "18.000,00"; None for "18.5"."""
    if number.isdigit():
        return int(number) if len(number) <= 12 else None
    match = re.fullmatch(r"(\d+(?:([.,])\d{3})*)(?:([.,])(\d{1,2}))?", number)
    if match is None:
        return None
    whole, group_sep, decimal_sep, decimals = match.groups()
    if decimal_sep is not None:
        if group_sep is None and "." not in whole and "," not in whole:
            return None  # "18.50": a decimal of Rupiah or a typo, never guess
        if decimal_sep == group_sep or int(decimals) != 0:
            return None
    if group_sep is not None:
        head = whole.split(group_sep)[0]
        if len(head) > 3 or head.startswith("0"):
            return None
    digits = whole.replace(".", "").replace(",", "")
    return int(digits) if len(digits) <= 12 else None


def _scaled_amount(number: str, multiplier: int) -> Fraction | None:
    """Number before "rb"/"jt": a single "." or "," is a decimal point ("1,5jt", "2.5k")."""
    if number.isdigit():
        return Fraction(int(number)) if len(number) <= 12 else None
    match = re.fullmatch(r"(\d{1,12})[.,](\d{1,9})", number)
    if match is not None:
        whole, fraction = match.groups()
        return Fraction(int(whole)) + Fraction(int(fraction), 10 ** len(fraction))
    plain = _plain_amount(number)
    return None if plain is None else Fraction(plain)


def parse_price(text: str) -> int | None:
    """Seller-typed price to whole Rupiah; None when unclear, non-positive, or absurd.

    Accepts "18000", "18.000", "Rp 18.000,-", "18rb", "18 ribu", "18K", "1,5jt", "1 juta 250
    ribu" and "18rb 500". A lone decimal without a multiplier ("18.5") is refused.
    """
    folded = _ascii(text)
    if folded is None:
        return None
    cleaned = " ".join(folded.strip().lower().split())
    cleaned = _PRICE_PREFIX_RE.sub("", cleaned)
    cleaned = _PRICE_SUFFIX_RE.sub("", cleaned).strip()
    if not cleaned:
        return None
    tokens = _PRICE_TOKEN_RE.findall(cleaned)
    if not tokens or not tokens[0][0].isdigit():
        return None
    total = Fraction(0)
    previous_multiplier: int | None = None
    numbers_only = all(token[0].isdigit() for token in tokens)
    if numbers_only and len(tokens) > 1:
        # "18 000": digit groups separated by spaces.
        if all(len(token) == 3 and token.isdigit() for token in tokens[1:]) and (
            tokens[0].isdigit() and len(tokens[0]) <= 3
        ):
            return _bounded(int("".join(tokens)))
        return None
    position = 0
    while position < len(tokens):
        number = tokens[position]
        if not number[0].isdigit():
            return None
        follower = tokens[position + 1] if position + 1 < len(tokens) else None
        if follower is not None and follower in _MULTIPLIERS:
            multiplier = _MULTIPLIERS[follower]
            if previous_multiplier is not None and multiplier >= previous_multiplier:
                return None
            amount = _scaled_amount(number, multiplier)
            if amount is None:
                return None
            total += amount * multiplier
            previous_multiplier = multiplier
            position += 2
            continue
        if follower is not None:
            return None
        plain = _plain_amount(number)
        if plain is None:
            return None
        if previous_multiplier is not None and plain >= previous_multiplier:
            return None
        total += plain
        position += 1
    if total.denominator != 1:
        return None
    return _bounded(int(total))


def _ascii(text: str) -> str | None:
    """NFKC-fold seller input (full-width digits, odd spaces); anything still non-ASCII is junk."""
    folded = unicodedata.normalize("NFKC", text)
    return folded if folded.isascii() else None


def _bounded(amount: int) -> int | None:
    return amount if 0 < amount <= MAX_PRICE else None


# --------------------------------------------------------------------------------------------
# Stock and quantities typed by the seller.

_UNLIMITED_WORDS: Final = frozenset(
    {
        "unlimited", "tak terbatas", "tidak terbatas", "tanpa batas", "tdk terbatas", "∞", "-",
        "—", "–", "inf", "infinite", "infinity", "no limit", "bebas", "selalu ada",
    }
)  # fmt: skip
_SOLD_OUT_WORDS: Final = frozenset({"habis", "sold out", "soldout", "kosong", "stok habis"})
DEFAULT_MAX_STOCK: Final = 1_000_000


def parse_quantity(text: str, max_value: int = DEFAULT_MAX_STOCK) -> int | None:
    """A non-negative count ("20", "1.000", "dua puluh", "20 pcs"); None if unclear or too big."""
    folded = _ascii(text)
    if folded is None:
        return None
    cleaned = " ".join(folded.strip().lower().split())
    with_unit = re.fullmatch(r"(.+?)\s*([a-z]+)", cleaned)
    if with_unit is not None and with_unit.group(2) in UNIT_WORDS:
        cleaned = with_unit.group(1)
    value: int | None
    if re.fullmatch(r"\d[\d.,]*", cleaned):
        value = _plain_amount(cleaned)
    elif re.fullmatch(r"[a-z]+(?: [a-z]+)*", cleaned):
        value = NUMBER_WORDS.get(tuple(cleaned.split()))
    else:
        return None
    if value is None or not 0 <= value <= max_value:
        return None
    return value


def parse_stock(text: str, max_value: int = DEFAULT_MAX_STOCK) -> Stock | None:
    """Seller-typed stock: a count, ``UNLIMITED`` ("tak terbatas", "-", "∞"), or 0 for "habis"."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _UNLIMITED_WORDS:
        return UNLIMITED
    if cleaned in _SOLD_OUT_WORDS:
        return 0
    return parse_quantity(text, max_value)


# --------------------------------------------------------------------------------------------
# Contacts.

_PHONE_ALLOWED_RE: Final = re.compile(r"\+?[\d\s().\-/]+")
_MOBILE_SECOND_DIGITS: Final = frozenset("1235789")


def parse_phone(text: str) -> str | None:
    """Indonesian mobile number in E.164 ("+62812..."), or None.

    Only mobiles are accepted (national number 8xx with 9-12 digits, i.e. 10-13 digits with the
    leading 0) because the shop contacts customers by SMS/WhatsApp. Accepted prefixes: "0",
    "62", "+62", "0062", a stray "0" after 62 ("+62 0812"), or a bare "812...". Landlines,
    toll-free 0800 and other countries are refused.
    """
    folded = _ascii(text)
    if folded is None:
        return None
    raw = folded.strip()
    if not raw or len(raw) > 40 or _PHONE_ALLOWED_RE.fullmatch(raw) is None:
        return None
    if "+" in raw[1:]:
        return None
    digits = "".join(char for char in raw if char.isdigit())
    if raw.startswith("+"):
        if not digits.startswith("62"):
            return None
        national = digits[2:]
    elif digits.startswith("0062"):
        national = digits[4:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if national.startswith("0"):
        national = national[1:]
    if not (9 <= len(national) <= 12 and national[0] == "8"):
        return None
    if national[1] not in _MOBILE_SECOND_DIGITS:
        return None
    return "+62" + national


_EMAIL_ATOM: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL_RE: Final = re.compile(rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*")
_EMAIL_LABEL_RE: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_email(text: str) -> str | None:
    """A plausible ASCII address with the domain lowercased (the local part keeps its case).

    Deliberately simple: one "@", dot-atom local part, at least two domain labels and an
    alphabetic TLD. Quoted local parts, IP literals and non-ASCII addresses are refused.
    """
    raw = text.strip()
    if raw.count("@") != 1 or len(raw) > 254 or not raw.isascii():
        return None
    local, domain = raw.split("@")
    domain = domain.lower().rstrip(".")
    if not (1 <= len(local) <= 64) or _EMAIL_LOCAL_RE.fullmatch(local) is None:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253:
        return None
    if not all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels):
        return None
    if not (labels[-1].isalpha() and len(labels[-1]) >= 2):
        return None
    return f"{local}@{domain}"


# --------------------------------------------------------------------------------------------
# Durations and dates.

_DURATION_UNITS: Final = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "detik", "dtk"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "menit", "mnt"), 60),
    **dict.fromkeys(("h", "hour", "hours", "jam", "j"), 3600),
    **dict.fromkeys(("d", "day", "days", "hari"), 86400),
    **dict.fromkeys(("w", "week", "weeks", "minggu", "mgg", "pekan"), 604800),
}
_DURATION_SE: Final = {"sejam": 3600, "sehari": 86400, "seminggu": 604800, "semenit": 60}
_DURATION_TOKEN_RE: Final = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+|\S")
_DURATION_JOINERS: Final = frozenset({"dan", "and", "lebih"})


def parse_duration(text: str) -> timedelta | None:
    """Reminder/expiry lengths: "2h", "2 jam", "30 menit", "1 minggu", "1h30m", "1,5 jam", "sejam".

    The one duration parser: the seller's ``/setexpiry`` and the durations in `.env` both use
    it. A bare number has no unit and is refused; range checks belong to the caller. A length
    beyond what ``timedelta`` holds is None too (``duration_seconds`` tells it apart).
    """
    seconds = duration_seconds(text)
    if seconds is None:
        return None
    try:
        return timedelta(microseconds=round(seconds * 1_000_000))
    except OverflowError:
        return None


def duration_seconds(text: str) -> Fraction | None:
    """The exact length in seconds that ``parse_duration`` reads, however large; None if unclear."""
    folded = _ascii(text)
    if folded is None:
        return None
    cleaned = folded.strip().lower()
    if not cleaned or len(cleaned) > 100:
        return None
    tokens = [part for part in _DURATION_TOKEN_RE.findall(cleaned) if part != ","]
    total = Fraction(0)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token in _DURATION_JOINERS and position > 0:
            position += 1
            continue
        if token in _DURATION_SE:
            total += _DURATION_SE[token]
            position += 1
            continue
        amount, position = _duration_amount(tokens, position)
        if amount is None or position >= len(tokens) or tokens[position] not in _DURATION_UNITS:
            return None
        total += amount * _DURATION_UNITS[tokens[position]]
        position += 1
    if not tokens:
        return None
    return total


def _duration_amount(tokens: list[str], position: int) -> tuple[Fraction | None, int]:
    """The number starting at ``position`` (digits, "1,5", words, "setengah") and where it ends."""
    word = tokens[position]
    if word[0].isdigit():
        if len(word) > 12:
            return None, position
        return Fraction(word.replace(",", ".")), position + 1
    if word == "setengah":
        return Fraction(1, 2), position + 1
    for length in range(min(MAX_NUMBER_PHRASE, len(tokens) - position), 0, -1):
        phrase = tuple(tokens[position : position + length])
        value = NUMBER_WORDS.get(phrase, PREFIX_ONLY_WORDS.get(phrase))
        if value is not None:
            end = position + length
            if end < len(tokens) and tokens[end] == "setengah":
                return Fraction(value) + Fraction(1, 2), end + 1
            return Fraction(value), end
    return None, position


_COMMAND_RE: Final = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?(?=\s|$)")
_DATE_RE: Final = (
    r"(\d{4}-\d{1,2}-\d{1,2}|\d{4}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{1,2}[/-]\d{4})"
)
_RANGE_RE: Final = re.compile(
    rf"{_DATE_RE}(?:\s*(?:\.\.|-|–|—|to|sampai|sd|s/d|s\.d\.?|hingga|until)?\s*{_DATE_RE})?"
)
_RELATIVE_RE: Final = re.compile(r"(\d{1,4})\s*(d|day|days|hari|w|week|weeks|minggu)")


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def _parse_date_piece(piece: str) -> tuple[date, date] | None:
    """A day as (day, day) or a month as (first, last); day-first for "01/11/2026"."""
    try:
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", piece)
        if iso is not None:
            year, month, day = iso.groups()
            if day is None:
                return _month_bounds(int(year), int(month))
            single = date(int(year), int(month), int(day))
            return single, single
        local = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", piece)
        if local is not None:
            day, month, year = local.groups()
            single = date(int(year), int(month), int(day))
            return single, single
        month_year = re.fullmatch(r"(\d{1,2})[/-](\d{4})", piece)
        if month_year is not None:
            month, year = month_year.groups()
            return _month_bounds(int(year), int(month))
    except ValueError:
        return None
    return None


def parse_date_range(text: str, today: date) -> tuple[date, date] | None:
    """Inclusive (start, end) for report commands; a leading "/export" is ignored.

    Accepts "today"/"hari ini", "kemarin"/"yesterday", "7d"/"30 hari"/"2w" (ending today),
    "minggu ini", "bulan ini", "bulan lalu", "2026-11" (whole month), one ISO or day-first date,
    or two of them. A start after the end is refused rather than silently swapped.
    """
    folded = _ascii(text)
    if folded is None:
        return None
    cleaned = " ".join(_COMMAND_RE.sub("", folded).strip().lower().split())
    if not cleaned:
        return None
    if cleaned in {"today", "hari ini", "hariini", "hr ini"}:
        return today, today
    if cleaned in {"kemarin", "yesterday", "kmrn", "kmrin"}:
        yesterday = today - timedelta(days=1)
        return yesterday, yesterday
    if cleaned in {"minggu ini", "this week", "pekan ini"}:
        return today - timedelta(days=today.weekday()), today
    if cleaned in {"bulan ini", "this month"}:
        return today.replace(day=1), today
    if cleaned in {"bulan lalu", "last month", "bulan kemarin"}:
        last_of_previous = today.replace(day=1) - timedelta(days=1)
        return _month_bounds(last_of_previous.year, last_of_previous.month)
    if cleaned in {"tahun ini", "this year"}:
        return date(today.year, 1, 1), today
    relative = _RELATIVE_RE.fullmatch(cleaned)
    if relative is not None:
        count, unit = int(relative.group(1)), relative.group(2)
        days = count * (1 if unit in {"d", "day", "days", "hari"} else 7)
        if days < 1:
            return None
        try:
            return today - timedelta(days=days - 1), today
        except OverflowError:
            return None
    match = _RANGE_RE.fullmatch(cleaned)
    if match is None:
        return None
    first = _parse_date_piece(match.group(1))
    if first is None:
        return None
    if match.group(2) is None:
        return first
    second = _parse_date_piece(match.group(2))
    if second is None or first[0] > second[1]:
        return None
    return first[0], second[1]


# --------------------------------------------------------------------------------------------
# Names.

_BLANK_LETTERS: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")
"""Characters Unicode files as letters or symbols that draw nothing: the Hangul fillers, the
blank Braille pattern and two Khmer vowels; a favourite of "invisible" Telegram names."""
PERSON_NAME_MIN: Final = 2
PERSON_NAME_MAX: Final = 50


def visible_length(text: str) -> int:
    """How many characters of ``text`` draw something: letters, digits, punctuation, symbols.

    Spaces (Zs), zero-width and other format characters (Cf: U+200B, U+200D, U+2060, U+FEFF),
    controls, unassigned and private-use code points, combining marks on their own (Mn, Me) and
    the blank letters above do not count, so a name made only of them is empty to the eye.
    """
    return sum(
        1 for char in text if unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS
    )


def parse_person_name(text: str) -> str | None:
    """A customer's name as typed, spaces tidied: 2..50 characters on one line with at least two
    that show; None for a command, an empty-looking or an overlong name."""
    name = " ".join(text.split())
    if name.startswith("/") or any(unicodedata.category(char) == "Cc" for char in name):
        return None
    if not PERSON_NAME_MIN <= len(name) <= PERSON_NAME_MAX:
        return None
    return name if visible_length(name) >= PERSON_NAME_MIN else None


# --------------------------------------------------------------------------------------------
# Commands.


def split_command_args(text: str, sep: str = "|") -> list[str]:
    """Arguments after "/cmd" (or "/cmd@bot") split on ``sep``, stripped; empty fields stay "".

    No arguments at all gives ``[]`` so handlers can tell "/add" from "/add |".
    """
    if not sep:
        raise ValueError("separator must not be empty")
    rest = _COMMAND_RE.sub("", text, count=1).strip()
    if not rest:
        return []
    return [field.strip() for field in rest.split(sep)]
