"""Field parsers (price, quantity, stock, phone, email, durations, dates, arguments) and the
phone display: table-driven examples plus property tests for round trips."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.fields import (
    UNLIMITED,
    parse_date_range,
    parse_duration,
    parse_email,
    parse_person_name,
    parse_phone,
    parse_price,
    parse_quantity,
    parse_stock,
    split_command_args,
    visible_length,
)
from bot.text.formatting import display_phone

# --------------------------------------------------------------------------------------------
# Money.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18000", 18000),
        ("18.000", 18000),
        ("18,000", 18000),
        ("Rp18.000", 18000),
        ("Rp 18.000", 18000),
        ("Rp. 18.000", 18000),
        ("rp18000", 18000),
        ("IDR 18000", 18000),
        ("Rp 18.000,-", 18000),
        ("18.000,00", 18000),
        ("18,000.00", 18000),
        ("18.000 rupiah", 18000),
        ("18 000", 18000),
        ("18rb", 18000),
        ("18 rb", 18000),
        ("18rb.", 18000),
        ("18 ribu", 18000),
        ("18k", 18000),
        ("18K", 18000),
        ("2.5k", 2500),
        ("1,5jt", 1_500_000),
        ("1.5 juta", 1_500_000),
        ("2jt", 2_000_000),
        ("1jt 250rb", 1_250_000),
        ("1 juta 250 ribu", 1_250_000),
        ("18rb 500", 18500),
        ("18.500", 18500),
        ("1.250.000", 1_250_000),
        ("1.000.000.000", 1_000_000_000),
        ("1", 1),
        # Refused.
        ("abc", None),
        ("", None),
        ("Rp", None),
        ("-5", None),
        ("-5000", None),
        ("0", None),
        ("0rb", None),
        ("18.5", None),
        ("18,5", None),
        ("18.50", None),
        ("18000.5", None),
        ("18.000,50", None),
        ("1.2345", None),
        ("18.000.5", None),
        ("1,2345rb", None),
        ("1000000001", None),
        ("2000jt", None),
        ("9" * 5000, None),
        ("18rb 20rb", None),
        ("500 18rb", None),
        ("18 5", None),
        ("18 dollar", None),
        ("2m", None),
    ],
)
def test_parse_price(text: str, expected: int | None) -> None:
    assert parse_price(text) == expected


@settings(max_examples=300)
@given(st.integers(min_value=1, max_value=10**9))
def test_price_round_trips(amount: int) -> None:
    dotted = f"{amount:,}".replace(",", ".")
    assert parse_price(str(amount)) == amount
    assert parse_price(dotted) == amount
    assert parse_price(f"{amount:,}") == amount
    assert parse_price(f"Rp {dotted}") == amount
    assert parse_price(f"Rp{dotted}") == amount  # what format_rupiah prints
    assert parse_price(f"Rp{dotted},-") == amount
    if amount % 1000 == 0:
        assert parse_price(f"{amount // 1000}rb") == amount
        assert parse_price(f"{amount // 1000}K") == amount


@given(st.text(max_size=40))
def test_price_never_raises_and_stays_in_range(text: str) -> None:
    result = parse_price(text)
    assert result is None or 1 <= result <= 10**9


# --------------------------------------------------------------------------------------------
# Quantities and stock.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", 20),
        (" 20 ", 20),
        ("0", 0),
        ("dua puluh", 20),
        ("Dua Puluh Lima", 25),
        ("nol", 0),
        ("1.000", 1000),
        ("20 pcs", 20),
        ("20pcs", 20),
        ("tiga porsi", 3),
        ("-5", None),
        ("2.5", None),
        ("abc", None),
        ("", None),
        ("20 kopi", None),
        ("2000000", None),
    ],
)
def test_parse_quantity(text: str, expected: int | None) -> None:
    assert parse_quantity(text) == expected


def test_parse_quantity_respects_max_value() -> None:
    assert parse_quantity("50", max_value=50) == 50
    assert parse_quantity("51", max_value=50) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", 20),
        ("dua puluh", 20),
        ("unlimited", UNLIMITED),
        ("Tak Terbatas", UNLIMITED),
        ("tidak terbatas", UNLIMITED),
        ("-", UNLIMITED),
        ("∞", UNLIMITED),
        ("habis", 0),
        ("Sold out", 0),
        ("0", 0),
        ("-3", None),
        ("banyak", None),
    ],
)
def test_parse_stock(text: str, expected: object) -> None:
    assert parse_stock(text) == expected


# --------------------------------------------------------------------------------------------
# Phones.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 789", "+628123456789"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+62-812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(0812) 3456 7890", "+6281234567890"),
        ("+62 (0)812 3456 7890", "+6281234567890"),
        ("+62 0812 3456 7890", "+6281234567890"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("0812.3456.7890", "+6281234567890"),
        ("812 3456 7890", "+6281234567890"),
        ("0812345678", "+62812345678"),
        ("0812345678901", "+62812345678901"),
        ("0895 1234 5678", "+6289512345678"),
        # Refused.
        ("081234567", None),  # 9 digits: too short
        ("08123456789012", None),  # 14 digits: too long
        ("021-555-1234", None),  # Jakarta landline
        ("0800 123 4567", None),  # toll-free
        ("+1 812 345 6789", None),
        ("0812abc7890", None),
        ("0812-3456-7890 ext 2", None),
        ("++62 812 3456 7890", None),
        ("62+812 3456 7890", None),
        ("", None),
        ("٠٨١٢٣٤٥٦٧٨٩٠", None),
        ("０８１２-３４５６-７８９０", "+6281234567890"),
    ],
)
def test_parse_phone(text: str, expected: str | None) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+6281234567890", "0812-3456-7890"),
        ("+628123456789", "0812-3456-789"),
        ("+62812345678", "0812-345-678"),
        ("+62812345678901", "0812-3456-78901"),
        ("not a phone", "not a phone"),
    ],
)
def test_display_phone(phone: str, shown: str) -> None:
    assert display_phone(phone) == shown


@st.composite
def mobile_numbers(draw: st.DrawFn) -> str:
    second = draw(st.sampled_from("1235789"))
    rest = draw(st.text(alphabet="0123456789", min_size=7, max_size=10))
    return "8" + second + rest


@given(mobile_numbers(), st.sampled_from(["0", "62", "+62", "+62 ", "0062", ""]), st.data())
def test_phone_round_trips(national: str, prefix: str, data: st.DataObject) -> None:
    separator = data.draw(st.sampled_from(["", " ", "-", "."]))
    groups = [national[:3], national[3:7], national[7:]]
    typed = prefix + separator.join(group for group in groups if group)
    normalised = parse_phone(typed)
    assert normalised == "+62" + national
    shown = display_phone(normalised)
    assert shown.startswith("08") and shown.count("-") == 2
    assert parse_phone(shown) == normalised


# --------------------------------------------------------------------------------------------
# Email.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("budi@example.com", "budi@example.com"),
        ("  Budi.Santoso@Example.CO.ID ", "Budi.Santoso@example.co.id"),
        ("a+tag@mail.example.org", "a+tag@mail.example.org"),
        ("x@xn--p1ai.com", "x@xn--p1ai.com"),
        ("budi@example", None),
        ("budi@example.c", None),
        ("budi@@example.com", None),
        ("bu di@example.com", None),
        (".budi@example.com", None),
        ("budi.@example.com", None),
        ("bu..di@example.com", None),
        ("budi@-example.com", None),
        ("budi@example..com", None),
        ("budi@example.123", None),
        ("bùdi@example.com", None),
        ("@example.com", None),
        ("budi@", None),
        ("", None),
        ("a" * 65 + "@example.com", None),
    ],
)
def test_parse_email(text: str, expected: str | None) -> None:
    assert parse_email(text) == expected


# --------------------------------------------------------------------------------------------
# Durations.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("2 jam", timedelta(hours=2)),
        ("2 JAM", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("30 menit", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("1 hari", timedelta(days=1)),
        ("90s", timedelta(seconds=90)),
        ("45 detik", timedelta(seconds=45)),
        ("1w", timedelta(days=7)),
        ("1 minggu", timedelta(days=7)),
        ("2 weeks", timedelta(days=14)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1 jam 30 menit", timedelta(hours=1, minutes=30)),
        ("1 jam dan 30 menit", timedelta(hours=1, minutes=30)),
        ("1,5 jam", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("setengah jam", timedelta(minutes=30)),
        ("satu setengah jam", timedelta(hours=1, minutes=30)),
        ("sejam", timedelta(hours=1)),
        ("dua jam", timedelta(hours=2)),
        ("an hour", timedelta(hours=1)),
        ("0m", timedelta(0)),
        ("30", None),
        ("-2h", None),
        ("2 jam lagi", None),
        ("jam", None),
        ("abc", None),
        ("", None),
        ("9" * 50 + " minggu", None),
    ],
)
def test_parse_duration(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


@given(st.text(max_size=30))
def test_duration_never_raises(text: str) -> None:
    result = parse_duration(text)
    assert result is None or result >= timedelta(0)


# --------------------------------------------------------------------------------------------
# Date ranges.

TODAY = date(2026, 11, 15)  # a Sunday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/export 2026-11-01 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11-01 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11-01 - 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11-01 sampai 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-11-01 s/d 2026-11-30", (date(2026, 11, 1), date(2026, 11, 30))),
        ("01/11/2026 - 15/11/2026", (date(2026, 11, 1), date(2026, 11, 15))),
        ("2026-11-05", (date(2026, 11, 5), date(2026, 11, 5))),
        ("today", (TODAY, TODAY)),
        ("Hari ini", (TODAY, TODAY)),
        ("kemarin", (date(2026, 11, 14), date(2026, 11, 14))),
        ("yesterday", (date(2026, 11, 14), date(2026, 11, 14))),
        ("7d", (date(2026, 11, 9), TODAY)),
        ("30d", (date(2026, 10, 17), TODAY)),
        ("7 hari", (date(2026, 11, 9), TODAY)),
        ("1d", (TODAY, TODAY)),
        ("2w", (date(2026, 11, 2), TODAY)),
        ("2026-11", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
        ("2028-02", (date(2028, 2, 1), date(2028, 2, 29))),
        ("11/2026", (date(2026, 11, 1), date(2026, 11, 30))),
        ("2026-10 2026-11", (date(2026, 10, 1), date(2026, 11, 30))),
        ("/export@WarungBot 2026-11", (date(2026, 11, 1), date(2026, 11, 30))),
        ("bulan ini", (date(2026, 11, 1), TODAY)),
        ("bulan lalu", (date(2026, 10, 1), date(2026, 10, 31))),
        ("minggu ini", (date(2026, 11, 9), TODAY)),
        ("tahun ini", (date(2026, 1, 1), TODAY)),
        # Refused.
        ("", None),
        ("/export", None),
        ("0d", None),
        ("2026-11-30 2026-11-01", None),
        ("2026-02-30", None),
        ("2026-13", None),
        ("garbage", None),
        ("2026-11-01 garbage", None),
    ],
)
def test_parse_date_range(text: str, expected: tuple[date, date] | None) -> None:
    assert parse_date_range(text, TODAY) == expected


def test_last_month_in_january() -> None:
    assert parse_date_range("bulan lalu", date(2027, 1, 10)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


@given(st.text(max_size=40), st.dates())
def test_date_range_never_raises_and_is_ordered(text: str, today: date) -> None:
    result = parse_date_range(text, today)
    assert result is None or result[0] <= result[1]


# --------------------------------------------------------------------------------------------
# Command arguments.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/add Kopi susu | 18000 | 20", ["Kopi susu", "18000", "20"]),
        ("/add@WarungBot Kopi susu|18000", ["Kopi susu", "18000"]),
        ("/add a || b", ["a", "", "b"]),
        ("/add |", ["", ""]),
        ("/add", []),
        ("/add   ", []),
        ("Kopi susu | 18000", ["Kopi susu", "18000"]),
        ("solo", ["solo"]),
    ],
)
def test_split_command_args(text: str, expected: list[str]) -> None:
    assert split_command_args(text) == expected


def test_split_command_args_custom_separator() -> None:
    assert split_command_args("/stock Kopi susu ; 20", sep=";") == ["Kopi susu", "20"]
    with pytest.raises(ValueError):
        split_command_args("/x a", sep="")


# --------------------------------------------------------------------------------------------
# Names.

INVISIBLE_NAMES = [
    "\u200b\u200b\u200b",  # zero-width spaces (Cf)
    "\u200d\u2060\ufeff",  # joiner, word joiner, BOM (Cf)
    "\u3164\u3164",  # Hangul fillers: letters that draw nothing
    "\u2800\u2800",  # blank Braille patterns
    "\u0301\u0301",  # combining marks with nothing to sit on (Mn)
    "\u00a0\u2003\u3000",  # spaces only (Zs)
    "\u200e\u200f\u202e",  # direction marks and overrides (Cf)
    "\ue000\ue001",  # private use (Co)
]


@pytest.mark.parametrize("name", INVISIBLE_NAMES)
def test_invisible_names_are_refused(name: str) -> None:
    assert visible_length(name) == 0
    assert parse_person_name(name) is None
    assert parse_person_name("A" + name) is None  # one letter that shows is not a name


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("  Budi   Santoso ", "Budi Santoso"),
        ("Siti\u200bNur", "Siti\u200bNur"),  # a stray zero-width space inside is harmless
        ("José", "José"),
        ("Ni Putu Ayu", "Ni Putu Ayu"),
        ("王小明", "王小明"),
        ("👩\u200d🍳 Ani", "👩\u200d🍳 Ani"),  # an emoji joined with ZWJ keeps its joiner
    ],
)
def test_person_names_as_typed(typed: str, name: str) -> None:
    assert parse_person_name(typed) == name


@pytest.mark.parametrize("typed", ["B", "/start", "x" * 51, "Budi\x07"])
def test_person_names_refused(typed: str) -> None:
    assert parse_person_name(typed) is None
