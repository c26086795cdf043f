"""Pure text parsing for what customers and sellers type: orders, money, stock, contacts, dates.

Everything here is deterministic and side-effect free so handlers can stay thin and the rules can
be tested exhaustively. Money is always an ``int`` of Rupiah.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher
from fractions import Fraction
from functools import lru_cache
from itertools import islice, pairwise
from typing import Final, Literal

__all__ = [
    "AMBIGUITY_MARGIN",
    "DEFAULT_MAX_QUANTITY",
    "DEFAULT_MAX_SEGMENTS",
    "DEFAULT_MAX_STOCK",
    "FUZZY_THRESHOLD",
    "MAX_PRICE",
    "SUGGEST_THRESHOLD",
    "UNLIMITED",
    "Ambiguity",
    "CatalogueItem",
    "InvalidQuantity",
    "InvalidReason",
    "OrderParse",
    "ParsedLine",
    "Stock",
    "UnknownItem",
    "display_phone",
    "duration_seconds",
    "is_order_like",
    "normalise_name",
    "parse_date_range",
    "parse_duration",
    "parse_email",
    "parse_order",
    "parse_phone",
    "parse_price",
    "parse_quantity",
    "parse_stock",
    "split_command_args",
]

# --------------------------------------------------------------------------------------------
# Tunables (module constants so tests and callers can refer to them by name).

FUZZY_THRESHOLD: Final = 0.80
"""Minimum similarity for a typo to count as a match ("kopi susuu" ~ 0.95, "kopsus" ~ 0.73)."""
AMBIGUITY_MARGIN: Final = 0.05
"""Two fuzzy candidates closer than this are reported as ambiguous instead of picking one."""
SUGGEST_THRESHOLD: Final = 0.50
"""Minimum similarity for an item to be offered as a "did you mean" for an unknown phrase."""
MAX_CANDIDATES: Final = 4
MAX_SUGGESTIONS: Final = 3
DEFAULT_MAX_QUANTITY: Final = 99
DEFAULT_MAX_SEGMENTS: Final = 30
MAX_PHRASE_CHARS: Final = 100
MAX_PRICE: Final = 1_000_000_000
UNLIMITED: Final = "unlimited"

InvalidReason = Literal["zero", "negative", "too_many"]
Stock = int | Literal["unlimited"]

# --------------------------------------------------------------------------------------------
# Public result types.


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """A product as the parser sees it: an id plus every name a customer may use for it."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One resolved cart line; quantities of repeated products are already summed."""

    item_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A phrase that fits several products equally well; the bot must ask, never guess."""

    phrase: str
    quantity: int
    candidate_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class UnknownItem:
    """A phrase that matches nothing sold; ``suggestions`` are weak look-alikes, best first."""

    phrase: str
    quantity: int
    suggestions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class InvalidQuantity:
    """A segment whose quantity cannot be ordered (0, negative, or above the maximum)."""

    phrase: str
    reason: InvalidReason


@dataclass(frozen=True, slots=True)
class OrderParse:
    """Everything understood from one message; ``skipped`` counts segments beyond the bound."""

    lines: tuple[ParsedLine, ...]
    ambiguous: tuple[Ambiguity, ...] = ()
    unknown: tuple[UnknownItem, ...] = ()
    invalid: tuple[InvalidQuantity, ...] = ()
    skipped: int = 0

    @property
    def ok(self) -> bool:
        """True when the cart can be shown as-is without asking the customer anything."""
        return bool(self.lines) and not (
            self.ambiguous or self.unknown or self.invalid or self.skipped
        )


# --------------------------------------------------------------------------------------------
# Vocabulary.

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

_SE_UNITS: Final = {
    "se" + unit: 1
    for unit in (
        "gelas", "porsi", "bungkus", "buah", "biji", "botol", "piring", "mangkok", "mangkuk",
        "potong", "cangkir", "kotak", "tusuk", "ekor", "kaleng", "lembar",
    )
}  # fmt: skip

FILLER_WORDS: Final = frozenset(
    {
        "mau", "pesan", "pesen", "order", "beli", "minta", "tolong", "saya", "aku", "gue", "gw",
        "kak", "ka", "kakak", "bang", "mas", "mbak", "mba", "min", "admin", "pak", "bu", "ya",
        "yah", "yaa", "dong", "deh", "aja", "saja", "ok", "oke", "okay", "lagi", "juga", "tambah",
        "please", "pls", "plz", "i", "want", "would", "like", "to", "get", "me", "halo", "hallo",
        "hai", "hi", "hello", "permisi", "selamat", "pagi", "siang", "sore", "malam", "terima",
        "kasih", "makasih", "thanks", "thank", "you", "thx", "tq", "buat", "untuk", "for",
    }
)  # fmt: skip
"""Chat padding stripped from the edges of a segment ("mau pesan 2 kopi ya kak")."""

_SOFT_SEPARATOR_WORDS: Final = frozenset({"dan", "and", "sama", "serta", "plus"})
_HARD_SPLIT_RE: Final = re.compile(r"[,;|\uff0c\uff1b\u3001]")
_SOFT_SPLIT_RE: Final = re.compile(
    r"\s*[+&\uff0b\uff06]\s*|\s+(?:dan|and|sama|serta|plus)\s+", re.IGNORECASE
)
_BULLET_RE: Final = re.compile(r"^\s*[-•*·▪►>]\s+")
_NUMBERED_RE: Final = re.compile(r"^\s*(\d{1,2})[.)]\s+")
_TOKEN_RE: Final = re.compile(r"[^\W\d_]+|\d+|[×*✕✖]")
_MINUS_SIGNS: Final = frozenset("-\u2212\u2013")


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


_NUMBER_WORDS: Final = _build_number_words()
_PREFIX_ONLY_WORDS: Final[dict[tuple[str, ...], int]] = {("a",): 1, ("an",): 1}
_MAX_NUMBER_PHRASE: Final = max(len(phrase) for phrase in _NUMBER_WORDS)
_NUMBER_TOKENS: Final = frozenset(
    token for phrase in _NUMBER_WORDS for token in phrase if token not in {"a", "and"}
)
"""Tokens that signal a quantity; a name phrase still containing one cannot be a fuzzy match."""

# --------------------------------------------------------------------------------------------
# Normalisation and tokens.


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str
    start: int
    end: int
    negative: bool = False

    @property
    def is_digit(self) -> bool:
        return self.norm.isascii() and self.norm.isdigit()


def _normalise_word(raw: str) -> str:
    """Lowercase, accent-free, alphanumeric-only form of one word, so "Kopí" == "kopi"."""
    if raw in {"×", "*", "✕", "✖"}:
        return "x"
    if raw.isdecimal():
        digits = "".join(str(unicodedata.decimal(char)) for char in raw)
        return digits.lstrip("0") or "0"
    decomposed = unicodedata.normalize("NFKD", raw)
    return "".join(char for char in decomposed.casefold() if char.isalnum())


def _tokens(text: str, limit: int | None = None) -> list[_Token]:
    """Word and digit runs with their spans; a minus glued to a number marks it negative."""
    found: list[_Token] = []
    iterator: Iterator[re.Match[str]] = _TOKEN_RE.finditer(text)
    if limit is not None:
        iterator = islice(iterator, limit)
    for match in iterator:
        norm = _normalise_word(match.group())
        if not norm:
            continue
        start = match.start()
        negative = (
            match.group().isdecimal()
            and start > 0
            and text[start - 1] in _MINUS_SIGNS
            and (start == 1 or not text[start - 2].isalnum())
        )
        found.append(_Token(norm, start, match.end(), negative))
    return found


def normalise_name(text: str) -> str:
    """Canonical form used for matching, so sellers can detect duplicate product names."""
    return " ".join(token.norm for token in _tokens(text))


def _digit_value(norm: str) -> int:
    """Value of a digit token; absurdly long numbers saturate instead of tripping int limits."""
    return int(norm) if len(norm) <= 9 else MAX_PRICE + 1


# --------------------------------------------------------------------------------------------
# Catalogue index.


@dataclass(frozen=True, slots=True)
class _Name:
    item_id: int
    order: int
    tokens: tuple[str, ...]
    key: str
    compact: str


@dataclass(frozen=True, slots=True)
class _Index:
    names: tuple[_Name, ...]
    by_key: dict[str, tuple[int, ...]]
    order: dict[int, int]
    max_tokens: int
    has_soft_separators: bool
    vocabulary: frozenset[str]


def _build_index(catalogue: tuple[CatalogueItem, ...]) -> _Index:
    names: list[_Name] = []
    by_key: dict[str, list[int]] = {}
    order: dict[int, int] = {}
    soft = False
    for position, item in enumerate(catalogue):
        order.setdefault(item.id, position)
        for raw in (item.name, *item.aliases):
            tokens = tuple(token.norm for token in _tokens(raw))
            if not tokens:
                continue
            key = " ".join(tokens)
            names.append(_Name(item.id, position, tokens, key, "".join(tokens)))
            ids = by_key.setdefault(key, [])
            if item.id not in ids:
                ids.append(item.id)
            if _SOFT_SPLIT_RE.search(raw) or _SOFT_SEPARATOR_WORDS.intersection(tokens):
                soft = True
    return _Index(
        names=tuple(names),
        by_key={key: tuple(ids) for key, ids in by_key.items()},
        order=order,
        max_tokens=max((len(name.tokens) for name in names), default=1),
        has_soft_separators=soft,
        vocabulary=frozenset(token for name in names for token in name.tokens),
    )


@lru_cache(maxsize=32)
def _cached_index(catalogue: tuple[CatalogueItem, ...]) -> _Index:
    return _build_index(catalogue)


def _index_for(catalogue: Sequence[CatalogueItem]) -> _Index:
    """Index the catalogue once per distinct catalogue; handlers call the parser per message."""
    frozen = tuple(catalogue)
    try:
        return _cached_index(frozen)
    except TypeError:  # unhashable field values from a careless caller: just build it
        return _build_index(frozen)


# --------------------------------------------------------------------------------------------
# Similarity.


@lru_cache(maxsize=65536)
def _ratio(left: str, right: str) -> float:
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


def _directed(source: tuple[str, ...], target: tuple[str, ...]) -> float:
    """Average of each source word's best look-alike in the target."""
    return sum(max(_ratio(word, other) for other in target) for word in source) / len(source)


def _similarity(phrase: tuple[str, ...], name: _Name) -> tuple[float, float]:
    """(full score, partial score) of a phrase against one name.

    The full score averages a character ratio (forgives missing spaces) with a word score taken
    in both directions (so extra or missing words cost a lot). The partial score only asks that
    every typed word resembles some word of the name; it feeds suggestions, never matches.
    """
    compact = "".join(phrase)
    char = _ratio(compact, name.compact)
    forward = _directed(phrase, name.tokens)
    backward = _directed(name.tokens, phrase)
    return (char + min(forward, backward)) / 2, forward


# --------------------------------------------------------------------------------------------
# Quantities inside a segment.


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way to read a segment: an optional quantity and the token range left for the name."""

    quantity: int | None
    negative: bool
    lo: int
    hi: int
    priority: int


def _number_at(
    tokens: Sequence[_Token], start: int, stop: int, *, prefix: bool
) -> list[tuple[int, bool, int]]:
    """All (value, negative, end) number phrases that begin at ``start`` and end before stop."""
    found: list[tuple[int, bool, int]] = []
    if start >= stop:
        return found
    first = tokens[start]
    if first.is_digit:
        found.append((_digit_value(first.norm), first.negative, start + 1))
        return found
    if first.norm in _SE_UNITS:
        found.append((1, False, start + 1))
        return found
    for length in range(1, min(_MAX_NUMBER_PHRASE, stop - start) + 1):
        phrase = tuple(token.norm for token in tokens[start : start + length])
        value = _NUMBER_WORDS.get(phrase)
        if value is None and prefix:
            value = _PREFIX_ONLY_WORDS.get(phrase)
        if value is not None:
            found.append((value, False, start + length))
    return found


def _prefix_readings(tokens: Sequence[_Token], lo: int, hi: int) -> list[tuple[int, bool, int]]:
    """Quantities written before the name: "2", "2x", "x2", "dua puluh", "2 porsi", "a cup of"."""
    results: list[tuple[int, bool, int]] = []
    starts = [lo]
    if lo < hi and tokens[lo].norm == "x":
        starts.append(lo + 1)
    for start in starts:
        for value, negative, end in _number_at(tokens, start, hi, prefix=True):
            ends = {end}
            if end < hi and tokens[end].norm == "x":
                ends.add(end + 1)
            for candidate in sorted(ends):
                if candidate < hi and tokens[candidate].norm in UNIT_WORDS:
                    ends.add(candidate + 1)
                    if candidate + 1 < hi and tokens[candidate + 1].norm == "of":
                        ends.add(candidate + 2)
            results.extend((value, negative, candidate) for candidate in sorted(ends))
    return results


def _suffix_readings(tokens: Sequence[_Token], lo: int, hi: int) -> list[tuple[int, bool, int]]:
    """Quantities written after the name: "2", "x2", "2x", "(2)", "dua", "10 tusuk"."""
    results: list[tuple[int, bool, int]] = []
    earliest = max(lo + 1, hi - _MAX_NUMBER_PHRASE - 2)
    for start in range(earliest, hi):
        for value, negative, end in _number_at(tokens, start, hi, prefix=False):
            tail = [token.norm for token in tokens[end:hi]]
            if len(tail) > 1 or (tail and tail[0] != "x" and tail[0] not in UNIT_WORDS):
                continue
            results.append((value, negative, start))
            if start - 1 > lo and tokens[start - 1].norm == "x":
                results.append((value, negative, start - 1))
    return results


def _strip_fillers(tokens: Sequence[_Token], lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and tokens[lo].norm in FILLER_WORDS:
        lo += 1
    while hi > lo and tokens[hi - 1].norm in FILLER_WORDS:
        hi -= 1
    return lo, hi


def _readings(tokens: Sequence[_Token]) -> list[_Reading]:
    """Every plausible split of a segment into quantity and name, most literal first."""
    count = len(tokens)
    lead, trail = _strip_fillers(tokens, 0, count)
    trail_only = count
    while trail_only > 0 and tokens[trail_only - 1].norm in FILLER_WORDS:
        trail_only -= 1
    # Padding may be part of a real name ("Kopi Mas"), so unstripped ranges are tried too.
    ranges = dict.fromkeys([(0, count), (lead, count), (0, trail_only), (lead, trail)])
    seen: set[tuple[int | None, bool, int, int]] = set()
    readings: list[_Reading] = []

    def add(quantity: int | None, negative: bool, lo: int, hi: int) -> None:
        for span in dict.fromkeys([(lo, hi), _strip_fillers(tokens, lo, hi)]):
            key = (quantity, negative, *span)
            if key not in seen:
                seen.add(key)
                readings.append(_Reading(quantity, negative, span[0], span[1], len(readings)))

    for lo, hi in ranges:
        if lo >= hi:
            continue
        add(None, False, lo, hi)
        for value, negative, end in _prefix_readings(tokens, lo, hi):
            add(value, negative, end, hi)
        for value, negative, start in _suffix_readings(tokens, lo, hi):
            add(value, negative, lo, start)
    return readings


# --------------------------------------------------------------------------------------------
# Resolving one segment.


@dataclass(frozen=True, slots=True)
class _Match:
    item_id: int
    quantity: int
    segment: str


_Outcome = _Match | Ambiguity | UnknownItem | InvalidQuantity


def _phrase(text: str, tokens: Sequence[_Token], lo: int, hi: int) -> str:
    if lo >= hi:
        return text.strip()[:MAX_PHRASE_CHARS]
    return text[tokens[lo].start : tokens[hi - 1].end][:MAX_PHRASE_CHARS]


def _has_stray_number(words: tuple[str, ...], name: _Name | None = None) -> bool:
    allowed = frozenset(name.tokens) if name is not None else frozenset()
    return any((word.isdigit() or word in _NUMBER_TOKENS) and word not in allowed for word in words)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _ranked(
    index: _Index, scores: dict[int, float], limit: int, floor: float = 0.0
) -> tuple[int, ...]:
    ordered = sorted(
        (item for item, score in scores.items() if score >= floor),
        key=lambda item: (-scores[item], index.order[item]),
    )
    return tuple(ordered[:limit])


def _score_items(
    index: _Index, words: tuple[str, ...]
) -> tuple[dict[int, float], dict[int, float]]:
    """Best full and partial score per item over its name and aliases."""
    full: dict[int, float] = {}
    partial: dict[int, float] = {}
    size = len("".join(words))
    for name in index.names:
        if _has_stray_number(words, name):
            continue
        # Length alone bounds the character ratio: skip names of a wildly different size.
        bound = 2 * min(size, len(name.compact)) / (size + len(name.compact))
        if bound < 0.3 and not set(words) & set(name.tokens):
            continue
        score, forward = _similarity(words, name)
        full[name.item_id] = max(full.get(name.item_id, 0.0), score)
        partial[name.item_id] = max(partial.get(name.item_id, 0.0), forward)
    return full, partial


class _Resolver:
    """Resolves segments against one catalogue index."""

    def __init__(self, index: _Index, max_quantity: int) -> None:
        self.index = index
        self.max_quantity = max_quantity

    def words(self, tokens: Sequence[_Token], reading: _Reading) -> tuple[str, ...]:
        return tuple(token.norm for token in tokens[reading.lo : reading.hi])

    def exact(
        self, tokens: Sequence[_Token], readings: list[_Reading]
    ) -> tuple[_Reading, tuple[int, ...]] | None:
        """Longest exact catalogue name wins, so "Paket 2 ayam" keeps its 2."""
        best: tuple[_Reading, tuple[int, ...]] | None = None
        for reading in readings:
            if reading.lo >= reading.hi:
                continue
            ids = self.index.by_key.get(" ".join(self.words(tokens, reading)))
            if ids is None:
                continue
            if best is None or reading.hi - reading.lo > best[0].hi - best[0].lo:
                best = (reading, ids)
        return best

    def resolve(self, text: str, tokens: Sequence[_Token]) -> _Outcome | None:
        """Turn one segment into a match, ambiguity, unknown, invalid quantity, or nothing.

        Order of preference: exact name (longest wins), whole-word containment, then fuzzy.
        """
        if not tokens:
            return None
        if len(tokens) > self.index.max_tokens + 8:
            return UnknownItem(text.strip()[:MAX_PHRASE_CHARS], 1)
        readings = _readings(tokens)
        named = [reading for reading in readings if reading.lo < reading.hi]
        exact = self.exact(tokens, named)
        if exact is not None:
            reading, ids = exact
            if len(ids) == 1:
                return self.finish(text, tokens, reading, ids[0])
            return self.finish(text, tokens, reading, None, ambiguous=ids)
        lead, trail = _strip_fillers(tokens, 0, len(tokens))
        if lead >= trail:
            return None  # only greetings and padding ("halo kak", "makasih"): nothing ordered
        clean = [r for r in named if not _has_stray_number(self.words(tokens, r))]
        if not clean:
            bare = [r for r in readings if r.quantity is not None and r.lo >= r.hi]
            if bare:  # "2", "-1", "3 porsi": a quantity with no product
                return self.finish(text, tokens, bare[-1], None)
            return UnknownItem(text.strip()[:MAX_PHRASE_CHARS], 1)
        return (
            self.contained(text, tokens, clean)
            or self.fuzzy(text, tokens, clean)
            or self.unknown(text, tokens, clean)
        )

    def contained(
        self, text: str, tokens: Sequence[_Token], clean: list[_Reading]
    ) -> _Outcome | None:
        """Whole-word containment: "susu" in only "Kopi susu" matches; "kopi" in two asks."""
        found: tuple[_Reading, list[_Name]] | None = None
        for reading in clean:
            words = self.words(tokens, reading)
            hits = [name for name in self.index.names if _contains(name.tokens, words)]
            if hits and (found is None or reading.hi - reading.lo > found[0].hi - found[0].lo):
                found = (reading, hits)
        if found is None:
            return None
        reading, hits = found
        # Best first = the name with the least left unsaid, then the seller's menu order.
        hits.sort(key=lambda name: (len(name.tokens), len(name.compact), name.order))
        ids = tuple(dict.fromkeys(name.item_id for name in hits))
        if len(ids) == 1:
            return self.finish(text, tokens, reading, ids[0])
        return self.finish(text, tokens, reading, None, ambiguous=ids)

    def fuzzy(self, text: str, tokens: Sequence[_Token], clean: list[_Reading]) -> _Outcome | None:
        """Typos and missing spaces; near-ties between products become an ambiguity."""
        best: tuple[float, int, _Reading, dict[int, float]] | None = None
        for reading in clean:
            words = self.words(tokens, reading)
            if len(words) > self.index.max_tokens + 2:
                continue
            full, _ = _score_items(self.index, words)
            top = max(full.values(), default=0.0)
            length = reading.hi - reading.lo
            if best is None or (top, length) > (best[0], best[1]):
                best = (top, length, reading, full)
        if best is None or best[0] < FUZZY_THRESHOLD:
            return None
        top, _, reading, full = best
        floor = max(FUZZY_THRESHOLD, top - AMBIGUITY_MARGIN)
        close = _ranked(self.index, full, MAX_CANDIDATES, floor)
        if len(close) == 1:
            return self.finish(text, tokens, reading, close[0])
        return self.finish(text, tokens, reading, None, ambiguous=close)

    def unknown(self, text: str, tokens: Sequence[_Token], clean: list[_Reading]) -> _Outcome:
        """Report the tightest reading ("2 nasi goreng" -> "nasi goreng" x2) with look-alikes."""
        reading = min(clean, key=lambda r: (r.quantity is None, r.hi - r.lo, r.priority))
        full, partial = _score_items(self.index, self.words(tokens, reading))
        hints = {item: max(full[item], partial[item] * 0.9) for item in full}
        suggestions = _ranked(self.index, hints, MAX_SUGGESTIONS, SUGGEST_THRESHOLD)
        return self.finish(text, tokens, reading, None, suggestions=suggestions)

    def finish(
        self,
        text: str,
        tokens: Sequence[_Token],
        reading: _Reading,
        item_id: int | None,
        *,
        ambiguous: tuple[int, ...] = (),
        suggestions: tuple[int, ...] = (),
    ) -> _Outcome:
        """Validate the quantity, then package the outcome."""
        quantity = 1 if reading.quantity is None else reading.quantity
        whole = text.strip()[:MAX_PHRASE_CHARS]
        if reading.negative and quantity != 0:
            return InvalidQuantity(whole, "negative")
        if quantity == 0:
            return InvalidQuantity(whole, "zero")
        if quantity > self.max_quantity:
            return InvalidQuantity(whole, "too_many")
        if item_id is not None:
            return _Match(item_id, quantity, whole)
        phrase = _phrase(text, tokens, reading.lo, reading.hi)
        if ambiguous:
            return Ambiguity(phrase, quantity, ambiguous[:MAX_CANDIDATES])
        return UnknownItem(phrase, quantity, suggestions)

    def resolve_run_on(self, text: str, tokens: Sequence[_Token]) -> list[_Outcome] | None:
        """Split "2 kopi susu 1 roti bakar" (no separators) when every piece is recognised."""
        digits = [i for i, token in enumerate(tokens) if token.is_digit]
        if len(digits) < 2:
            return None
        before = [i for i in digits if i > 0 and not tokens[i - 1].is_digit]
        after = [i + 1 for i in digits if i + 1 < len(tokens) and not tokens[i + 1].is_digit]
        for cuts in (before, after):
            bounds = [0, *cuts, len(tokens)]
            pieces = [tokens[a:b] for a, b in pairwise(bounds) if a < b]
            if len(pieces) < 2:
                continue
            outcomes: list[_Outcome] = []
            for piece in pieces:
                outcome = self.resolve(text[piece[0].start : piece[-1].end], piece)
                if outcome is None or isinstance(outcome, UnknownItem):
                    break
                outcomes.append(outcome)
            else:
                return outcomes
        return None


# --------------------------------------------------------------------------------------------
# Splitting a message into segments.


def _lines(text: str) -> list[str]:
    """Lines without bullets; "1. ... 2. ..." numbering is dropped only when it counts 1, 2, 3."""
    lines = [line for line in text.splitlines() if line.strip()]
    lines = [_BULLET_RE.sub("", line) for line in lines]
    numbers = [_NUMBERED_RE.match(line) for line in lines]
    marked = [match for match in numbers if match is not None]
    if len(lines) >= 2 and len(marked) >= 2:
        values = [int(match.group(1)) for match in marked]
        if values == list(range(1, len(values) + 1)):
            lines = [_NUMBERED_RE.sub("", line) for line in lines]
    return lines


def _soft_spans(chunk: str) -> list[tuple[int, int]]:
    """Spans between "+", "&", "dan", "and", "sama", "serta", "plus"."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SOFT_SPLIT_RE.finditer(chunk):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(chunk)))
    return spans


def _soft_pieces(chunk: str) -> list[str]:
    return [chunk[start:end] for start, end in _soft_spans(chunk)]


def _segments(text: str, index: _Index, resolver: _Resolver, limit: int) -> Iterator[str]:
    """Yield raw segments, re-joining soft-separated pieces that together form a catalogue name.

    Re-joining ("Roti dan selai", "A&W") is only attempted when some name needs it, and only for
    the first ``limit`` segments, so hostile input cannot make it expensive.
    """
    produced = 0
    for line in _lines(text):
        for chunk in _HARD_SPLIT_RE.split(line):
            spans = _soft_spans(chunk)
            i = 0
            while i < len(spans):
                taken = i
                if index.has_soft_separators and produced < limit:
                    for j in range(min(len(spans) - 1, i + 4), i, -1):
                        candidate = chunk[spans[i][0] : spans[j][1]]
                        tokens = _tokens(candidate, index.max_tokens + 9)
                        if resolver.exact(tokens, _readings(tokens)) is not None:
                            taken = j
                            break
                piece = chunk[spans[i][0] : spans[taken][1]]
                if piece.strip():
                    yield piece
                    produced += 1
                i = taken + 1


# --------------------------------------------------------------------------------------------
# Orders.


def parse_order(
    text: str,
    catalogue: Sequence[CatalogueItem],
    *,
    max_quantity: int = DEFAULT_MAX_QUANTITY,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> OrderParse:
    """Read a free-text order into cart lines, asking (ambiguous) rather than guessing."""
    index = _index_for(catalogue)
    resolver = _Resolver(index, max_quantity)
    outcomes: list[_Outcome] = []
    skipped = 0
    seen = 0
    for segment in _segments(text, index, resolver, max_segments):
        tokens = _tokens(segment, index.max_tokens + 9)
        if not tokens:
            continue
        seen += 1
        if seen > max_segments:
            skipped += 1
            continue
        outcome = resolver.resolve(segment, tokens)
        if outcome is not None and not isinstance(outcome, _Match | InvalidQuantity):
            run_on = resolver.resolve_run_on(segment, tokens)
            if run_on is not None:
                outcomes.extend(run_on)
                continue
        if outcome is not None:
            outcomes.append(outcome)
    return _assemble(outcomes, skipped, max_quantity)


def _assemble(outcomes: list[_Outcome], skipped: int, max_quantity: int) -> OrderParse:
    """Sum repeated products (first mention keeps its place) and sort outcomes into buckets."""
    totals: dict[int, int] = {}
    phrases: dict[int, list[str]] = {}
    ambiguous: list[Ambiguity] = []
    unknown: list[UnknownItem] = []
    invalid: list[InvalidQuantity] = []
    for outcome in outcomes:
        if isinstance(outcome, _Match):
            totals[outcome.item_id] = totals.get(outcome.item_id, 0) + outcome.quantity
            phrases.setdefault(outcome.item_id, []).append(outcome.segment)
        elif isinstance(outcome, Ambiguity):
            ambiguous.append(outcome)
        elif isinstance(outcome, UnknownItem):
            unknown.append(outcome)
        else:
            invalid.append(outcome)
    lines: list[ParsedLine] = []
    for item_id, quantity in totals.items():
        if quantity > max_quantity:
            joined = " + ".join(phrases[item_id])[:MAX_PHRASE_CHARS]
            invalid.append(InvalidQuantity(joined, "too_many"))
        else:
            lines.append(ParsedLine(item_id, quantity))
    return OrderParse(tuple(lines), tuple(ambiguous), tuple(unknown), tuple(invalid), skipped)


_NOT_ORDER_CONTEXT: Final = frozenset(
    {
        "jam", "pukul", "menit", "detik", "hari", "minggu", "bulan", "tahun", "tanggal", "tgl",
        "rb", "ribu", "k", "jt", "juta", "rp", "persen", "km", "meter", "m", "h", "d", "s", "no",
        "nomor", "nomer", "nmr", "hp", "wa", "am", "pm", "menitan", "jaman", "lantai", "meja",
        "jl", "jln", "jalan", "gang", "gg", "blok", "rt", "rw", "kode", "pos", "lt", "kamar",
        "alamat", "ongkir", "harga", "rekening", "rek", "norek", "resi", "ref", "invoice",
    }
)  # fmt: skip
_ORDER_LIKE_PARSE_LIMIT: Final = 300


def is_order_like(text: str, catalogue: Sequence[CatalogueItem]) -> bool:
    """Cheap guess whether a free message is an order attempt (cart reply) or chat (help reply).

    True when it names a product, or pairs a small number with a word ("2 nasi", "teh x2"); for
    short texts a typo that still resolves to a product ("kopi susuu") also counts.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("/"):
        return False
    index = _index_for(catalogue)
    tokens = _tokens(stripped, 200)
    words = [token.norm for token in tokens]
    for size in range(1, index.max_tokens + 1):
        for start in range(len(words) - size + 1):
            if " ".join(words[start : start + size]) in index.by_key:
                return True
    for line in _lines(stripped[:2000]):
        for segment in _HARD_SPLIT_RE.split(line):
            for piece in _soft_pieces(segment):
                if _quantity_next_to_word(_tokens(piece, 40), index):
                    return True
    if len(stripped) <= _ORDER_LIKE_PARSE_LIMIT:
        parsed = parse_order(stripped, catalogue)
        return bool(parsed.lines or parsed.ambiguous)
    return False


def _quantity_next_to_word(tokens: list[_Token], index: _Index) -> bool:
    words = [token.norm for token in tokens]
    if not words or _NOT_ORDER_CONTEXT.intersection(words):
        return False
    if "x" in words and any(word.isdigit() for word in words):
        return True
    first, last = tokens[0], tokens[-1]
    if first.is_digit and len(first.norm) <= 3 and len(words) > 1:
        follower = words[1]
        if follower.isalpha() and follower not in _NOT_ORDER_CONTEXT:
            return True
    if last.is_digit and len(last.norm) <= 3 and len(words) > 1:
        leader = words[-2]
        if leader.isalpha() and leader not in _NOT_ORDER_CONTEXT:
            return True
    for value, _negative, end in _number_at(tokens, 0, len(tokens), prefix=False):
        if 0 < value and end < len(words):
            follower = words[end]
            if follower in UNIT_WORDS or any(
                _ratio(follower, known) >= FUZZY_THRESHOLD for known in index.vocabulary
            ):
                return True
    return False


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
        value = _NUMBER_WORDS.get(tuple(cleaned.split()))
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


def display_phone(phone: str) -> str:
    """Local, readable form ("0812-3456-7890") of a stored number; unparseable input is echoed."""
    normalised = parse_phone(phone)
    if normalised is None:
        return phone
    local = "0" + normalised[3:]
    head, rest = local[:4], local[4:]
    middle = 3 if len(rest) == 6 else 4
    return f"{head}-{rest[:middle]}-{rest[middle:]}"


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
    for length in range(min(_MAX_NUMBER_PHRASE, len(tokens) - position), 0, -1):
        phrase = tuple(tokens[position : position + length])
        value = _NUMBER_WORDS.get(phrase, _PREFIX_ONLY_WORDS.get(phrase))
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
