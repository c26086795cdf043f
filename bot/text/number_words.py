"""Number words people type in Indonesian and English ("dua", "sepuluh", "a dozen") and the
counting words that follow a quantity ("porsi", "gelas"): shared by the typed-order parser and
the field parsers. Pure data.
"""

from __future__ import annotations

from typing import Final

_ID_UNITS: Final = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
}
_EN_ONES: Final = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_EN_TEENS: Final = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS: Final = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

UNIT_WORDS: Final = frozenset(
    {
        "pcs", "pc", "piece", "pieces", "porsi", "prs", "gelas", "glass", "glasses", "cup",
        "cups", "bungkus", "bks", "buah", "bh", "biji", "botol", "btl", "bottle", "bottles",
        "piring", "plate", "plates", "mangkok", "mangkuk", "bowl", "bowls", "potong", "ptg",
        "slice", "slices", "item", "items", "box", "kotak", "cangkir", "pack", "pak", "pax",
        "tusuk", "ekor", "kaleng", "can", "cans", "sachet", "lembar", "bungkusan",
    }
)  # fmt: skip
"""Counting words that may follow a quantity ("2 porsi nasi uduk", "sate 10 tusuk")."""


def _build_number_words() -> dict[tuple[str, ...], int]:
    """Every Indonesian and English number phrase up to the hundreds, as token tuples."""
    table: dict[tuple[str, ...], int] = {("nol",): 0, ("zero",): 0}
    below_100: dict[tuple[str, ...], int] = {}
    for word, value in _ID_UNITS.items():
        below_100[(word,)] = value
    below_100[("sepuluh",)] = 10
    below_100[("sebelas",)] = 11
    for word, value in _ID_UNITS.items():
        if value >= 2:
            below_100[(word, "belas")] = 10 + value
            below_100[(word, "puluh")] = 10 * value
            for unit, unit_value in _ID_UNITS.items():
                below_100[(word, "puluh", unit)] = 10 * value + unit_value
    en_below_100: dict[tuple[str, ...], int] = {}
    for word, value in (_EN_ONES | _EN_TEENS | _EN_TENS).items():
        en_below_100[(word,)] = value
    for tens, tens_value in _EN_TENS.items():
        for unit, unit_value in _EN_ONES.items():
            en_below_100[(tens, unit)] = tens_value + unit_value
    table.update(below_100)
    table.update(en_below_100)
    id_hundreds = {("seratus",): 100} | {
        (word, "ratus"): 100 * value for word, value in _ID_UNITS.items() if value >= 2
    }
    for head, head_value in id_hundreds.items():
        table[head] = head_value
        for tail, tail_value in below_100.items():
            table[head + tail] = head_value + tail_value
    en_hundreds = {("a", "hundred"): 100} | {
        (word, "hundred"): 100 * value for word, value in _EN_ONES.items()
    }
    for head, head_value in en_hundreds.items():
        table[head] = head_value
        for tail, tail_value in en_below_100.items():
            table[head + tail] = head_value + tail_value
            table[(*head, "and", *tail)] = head_value + tail_value
    table[("seribu",)] = 1000
    table[("selusin",)] = 12
    table[("dozen",)] = 12
    table[("a", "dozen")] = 12
    return table


NUMBER_WORDS: Final = _build_number_words()
PREFIX_ONLY_WORDS: Final[dict[tuple[str, ...], int]] = {("a",): 1, ("an",): 1}
MAX_NUMBER_PHRASE: Final = max(len(phrase) for phrase in NUMBER_WORDS)
