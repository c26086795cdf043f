"""The typed-order parser: "2 kopi susu, 1 roti bakar" against the catalogue, with typos, number
words in Indonesian and English, units and chat padding.

Deterministic and side-effect free, so the handler stays thin and the rules can be tested
exhaustively. Single values (price, phone, dates...) are parsed in ``bot.text.fields``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import islice, pairwise
from typing import Final, Literal

from bot.text.fields import MAX_PRICE
from bot.text.number_words import (
    MAX_NUMBER_PHRASE,
    NUMBER_WORDS,
    PREFIX_ONLY_WORDS,
    UNIT_WORDS,
)

__all__ = [
    "AMBIGUITY_MARGIN",
    "DEFAULT_MAX_QUANTITY",
    "DEFAULT_MAX_SEGMENTS",
    "FUZZY_THRESHOLD",
    "SUGGEST_THRESHOLD",
    "Ambiguity",
    "CatalogueItem",
    "InvalidQuantity",
    "InvalidReason",
    "OrderParse",
    "ParsedLine",
    "UnknownItem",
    "is_order_like",
    "normalise_name",
    "parse_order",
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

InvalidReason = Literal["zero", "negative", "too_many", "fraction"]

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
    """A segment whose quantity cannot be ordered (0, negative, a fraction, above the maximum)."""

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
_DECIMAL_COMMA_RE: Final = re.compile(r"(?:^|[,;|\uff0c\uff1b\u3001])\s*\d+(,)\d{1,2}(?![\d.,])")
"""The comma of a leading decimal quantity ("0,5 kopi": half a coffee, not 0 and 5 coffees)."""
_SOFT_SPLIT_RE: Final = re.compile(
    r"\s*[+&\uff0b\uff06]\s*|\s+(?:dan|and|sama|serta|plus)\s+", re.IGNORECASE
)
_BULLET_RE: Final = re.compile(r"^\s*[-•*·▪►>]\s+")
_NUMBERED_RE: Final = re.compile(r"^\s*(\d{1,2})[.)]\s+")
_TOKEN_RE: Final = re.compile(r"[^\W\d_]+|\d+|[×*✕✖]")
_MINUS_SIGNS: Final = frozenset("-\u2212\u2013")
_FRACTION_RE: Final = re.compile(
    r"\d*\s*[\u00bc-\u00be\u2150-\u215f\u2189]"
    r"|\d+\s*[/\u2044\u2215]\s*\d+"
    r"|(?<![\d.,])\d+[.,]\d{1,2}(?![\d.,])"
)
"""A fraction where a quantity goes: "½", "1½", "⅔", "1/2", "1⁄2", "0,5", "1.5" (not "18.000").
NFKD turns "½" into "1⁄2", which would otherwise read as the digits 12."""


_NUMBER_TOKENS: Final = frozenset(
    token for phrase in NUMBER_WORDS for token in phrase if token not in {"a", "and"}
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
    fraction: bool = False  # part of "½", "1/2" and the like

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
    fractions = [match.span() for match in _FRACTION_RE.finditer(text)]
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
        fraction = any(lo < match.end() and start < hi for lo, hi in fractions)
        found.append(_Token(norm, start, match.end(), negative, fraction))
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
    for length in range(1, min(MAX_NUMBER_PHRASE, stop - start) + 1):
        phrase = tuple(token.norm for token in tokens[start : start + length])
        value = NUMBER_WORDS.get(phrase)
        if value is None and prefix:
            value = PREFIX_ONLY_WORDS.get(phrase)
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
    earliest = max(lo + 1, hi - MAX_NUMBER_PHRASE - 2)
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


def _stray_fraction(tokens: Sequence[_Token], exact: _Reading | None) -> bool:
    """A fraction outside the product's own name ("Ayam ½ ekor" keeps its ½): only whole units
    can be ordered, and reading "½" as 12 would charge for twelve."""
    inside = range(exact.lo, exact.hi) if exact is not None else range(0)
    return any(token.fraction and i not in inside for i, token in enumerate(tokens))


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
        if _stray_fraction(tokens, exact[0] if exact else None):
            return InvalidQuantity(text.strip()[:MAX_PHRASE_CHARS], "fraction")
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


def _hard_chunks(line: str) -> list[str]:
    """``line`` split at commas, semicolons and bars, except a leading decimal's comma."""
    kept = {match.start(1) for match in _DECIMAL_COMMA_RE.finditer(line)}
    chunks: list[str] = []
    start = 0
    for match in _HARD_SPLIT_RE.finditer(line):
        if match.start() not in kept:
            chunks.append(line[start : match.start()])
            start = match.end()
    chunks.append(line[start:])
    return chunks


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
        for chunk in _hard_chunks(line):
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
        for segment in _hard_chunks(line):
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
