"""The typed-order parser: table-driven examples for every rule plus property tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.text.typed_orders import (
    Ambiguity,
    CatalogueItem,
    InvalidQuantity,
    InvalidReason,
    OrderParse,
    ParsedLine,
    UnknownItem,
    is_order_like,
    normalise_name,
    parse_order,
)

KOPI_SUSU, KOPI_HITAM, ROTI_BAKAR, ES_TEH, ES_TEH_MANIS = 1, 2, 3, 4, 5
PAKET_2_AYAM, SEVEN_UP, NASI_UDUK, TEH_BOTOL = 6, 7, 8, 9

MENU = (
    CatalogueItem(KOPI_SUSU, "Kopi susu"),
    CatalogueItem(KOPI_HITAM, "Kopi hitam"),
    CatalogueItem(ROTI_BAKAR, "Roti bakar"),
    CatalogueItem(ES_TEH, "Es teh"),
    CatalogueItem(ES_TEH_MANIS, "Es teh manis"),
    CatalogueItem(PAKET_2_AYAM, "Paket 2 ayam"),
    CatalogueItem(SEVEN_UP, "7 Up"),
    CatalogueItem(NASI_UDUK, "Nasi uduk", aliases=("nasduk",)),
    CatalogueItem(TEH_BOTOL, "Teh botol"),
)


def lines(*pairs: tuple[int, int]) -> tuple[ParsedLine, ...]:
    return tuple(ParsedLine(item, quantity) for item, quantity in pairs)


# --------------------------------------------------------------------------------------------
# Orders: examples.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 kopi susu, 1 roti bakar", [(KOPI_SUSU, 2), (ROTI_BAKAR, 1)]),
        ("kopi susu 2", [(KOPI_SUSU, 2)]),
        ("dua kopi susu", [(KOPI_SUSU, 2)]),
        ("2x kopi susu", [(KOPI_SUSU, 2)]),
        ("2 x kopi susu", [(KOPI_SUSU, 2)]),
        ("x2 kopi susu", [(KOPI_SUSU, 2)]),
        ("kopi susu x2", [(KOPI_SUSU, 2)]),
        ("kopi susu x 2", [(KOPI_SUSU, 2)]),
        ("kopi susu 2x", [(KOPI_SUSU, 2)]),
        ("kopi susu *2", [(KOPI_SUSU, 2)]),
        ("kopi susu ×2", [(KOPI_SUSU, 2)]),
        ("Kopi Susu (2)", [(KOPI_SUSU, 2)]),
        ("KOPI SUSU", [(KOPI_SUSU, 1)]),
        ("kopi susu", [(KOPI_SUSU, 1)]),
        ("  kopi    susu  ", [(KOPI_SUSU, 1)]),
        ("Kopí Súsu", [(KOPI_SUSU, 1)]),
        ("kopi-susu", [(KOPI_SUSU, 1)]),
        ("kopi susu dua", [(KOPI_SUSU, 2)]),
        ("sepuluh es teh dan tiga roti bakar", [(ES_TEH, 10), (ROTI_BAKAR, 3)]),
        ("satu kopi hitam", [(KOPI_HITAM, 1)]),
        ("sebelas es teh", [(ES_TEH, 11)]),
        ("dua belas es teh", [(ES_TEH, 12)]),
        ("sembilan belas es teh", [(ES_TEH, 19)]),
        ("dua puluh es teh", [(ES_TEH, 20)]),
        ("dua puluh lima es teh", [(ES_TEH, 25)]),
        ("sembilan puluh sembilan es teh", [(ES_TEH, 99)]),
        ("one kopi susu", [(KOPI_SUSU, 1)]),
        ("twelve kopi susu", [(KOPI_SUSU, 12)]),
        ("twenty kopi susu", [(KOPI_SUSU, 20)]),
        ("twenty one kopi hitam", [(KOPI_HITAM, 21)]),
        ("twenty-one kopi hitam", [(KOPI_HITAM, 21)]),
        ("kopi hitam three", [(KOPI_HITAM, 3)]),
        ("a kopi susu", [(KOPI_SUSU, 1)]),
        ("an es teh", [(ES_TEH, 1)]),
        ("a dozen roti bakar", [(ROTI_BAKAR, 12)]),
        ("selusin roti bakar", [(ROTI_BAKAR, 12)]),
        ("segelas es teh", [(ES_TEH, 1)]),
        ("2 porsi nasi uduk", [(NASI_UDUK, 2)]),
        ("nasi uduk 2 porsi", [(NASI_UDUK, 2)]),
        ("kopi susu 3 pcs", [(KOPI_SUSU, 3)]),
        ("2 cups of kopi susu", [(KOPI_SUSU, 2)]),
        ("02 kopi susu", [(KOPI_SUSU, 2)]),
        ("２ kopi susu", [(KOPI_SUSU, 2)]),
        # Typos and case.
        ("kopi susuu", [(KOPI_SUSU, 1)]),
        ("roti bakr", [(ROTI_BAKAR, 1)]),
        ("kpi susu 2", [(KOPI_SUSU, 2)]),
        ("kopisusu", [(KOPI_SUSU, 1)]),
        ("Es Teh Manis", [(ES_TEH_MANIS, 1)]),
        ("es teh  MANIS x3", [(ES_TEH_MANIS, 3)]),
        # Whole-word containment that is unique.
        ("susu", [(KOPI_SUSU, 1)]),
        ("2 uduk", [(NASI_UDUK, 2)]),
        # Aliases.
        ("2 nasduk", [(NASI_UDUK, 2)]),
        # Names containing numbers: the longest catalogue match wins.
        ("paket 2 ayam", [(PAKET_2_AYAM, 1)]),
        ("3 paket 2 ayam", [(PAKET_2_AYAM, 3)]),
        ("paket 2 ayam x3", [(PAKET_2_AYAM, 3)]),
        ("7 up", [(SEVEN_UP, 1)]),
        ("7up", [(SEVEN_UP, 1)]),
        ("7-Up", [(SEVEN_UP, 1)]),
        ("7 up 2", [(SEVEN_UP, 2)]),
        ("2 7up", [(SEVEN_UP, 2)]),
        ("dua 7 up", [(SEVEN_UP, 2)]),
        # Unit words that belong to the name.
        ("teh botol 2", [(TEH_BOTOL, 2)]),
        ("2 teh botol", [(TEH_BOTOL, 2)]),
        # Summing repeats.
        ("kopi susu, kopi susu 3", [(KOPI_SUSU, 4)]),
        ("2 kopi susu\n1 roti bakar\nkopi susu x5", [(KOPI_SUSU, 7), (ROTI_BAKAR, 1)]),
        # Chat padding.
        ("mau pesan 2 kopi susu ya kak", [(KOPI_SUSU, 2)]),
        ("halo kak, 2 kopi susu, makasih", [(KOPI_SUSU, 2)]),
        ("i want to order 2 kopi susu please", [(KOPI_SUSU, 2)]),
        ("kopi susu 2 aja", [(KOPI_SUSU, 2)]),
        # Run-on lists without separators.
        ("2 kopi susu 1 roti bakar", [(KOPI_SUSU, 2), (ROTI_BAKAR, 1)]),
        ("kopi susu 2 roti bakar 1", [(KOPI_SUSU, 2), (ROTI_BAKAR, 1)]),
        ("kopi susu x2 roti bakar x3", [(KOPI_SUSU, 2), (ROTI_BAKAR, 3)]),
    ],
)
def test_order_examples(text: str, expected: list[tuple[int, int]]) -> None:
    result = parse_order(text, MENU)
    assert result == OrderParse(lines(*expected)), result
    assert result.ok


@pytest.mark.parametrize(
    "separator",
    [
        "\n",
        "\r\n",
        ",",
        ", ",
        ";",
        " ; ",
        "+",
        " + ",
        "&",
        " & ",
        " dan ",
        " and ",
        " DAN ",
        " sama ",
    ],
)
def test_every_separator(separator: str) -> None:
    result = parse_order(separator.join(["2 kopi susu", "es teh 3", "roti bakar"]), MENU)
    assert result.lines == lines((KOPI_SUSU, 2), (ES_TEH, 3), (ROTI_BAKAR, 1))
    assert result.ok


def test_bullets_and_numbered_lists_are_not_quantities() -> None:
    text = "1. kopi susu x2\n2. roti bakar\n3. es teh"
    assert parse_order(text, MENU).lines == lines((KOPI_SUSU, 2), (ROTI_BAKAR, 1), (ES_TEH, 1))
    assert parse_order("- kopi susu\n• 2 roti bakar", MENU).lines == lines(
        (KOPI_SUSU, 1), (ROTI_BAKAR, 2)
    )


def test_numbers_that_do_not_count_from_one_stay_quantities() -> None:
    text = "3. kopi susu\n2. roti bakar"
    assert parse_order(text, MENU).lines == lines((KOPI_SUSU, 3), (ROTI_BAKAR, 2))


def test_prefix_word_is_ambiguous_with_every_candidate() -> None:
    result = parse_order("kopi", MENU)
    assert result.lines == ()
    assert result.ambiguous == (Ambiguity("kopi", 1, (KOPI_SUSU, KOPI_HITAM)),)
    assert not result.ok


def test_ambiguity_keeps_quantity_and_original_phrase() -> None:
    result = parse_order("3 Kopi, 1 roti bakar", MENU)
    assert result.lines == lines((ROTI_BAKAR, 1))
    assert result.ambiguous == (Ambiguity("Kopi", 3, (KOPI_SUSU, KOPI_HITAM)),)


def test_ambiguity_lists_at_most_four_best_first() -> None:
    menu = [CatalogueItem(i, f"Es {flavour}") for i, flavour in enumerate("abcdefg", start=1)]
    menu[3:3] = [CatalogueItem(99, "Es")]  # exact match beats containment
    assert parse_order("es", menu).lines == lines((99, 1))
    del menu[3]
    (ambiguity,) = parse_order("es", menu).ambiguous
    assert ambiguity.candidate_ids == (1, 2, 3, 4)


def test_shorter_names_come_first_among_candidates() -> None:
    (ambiguity,) = parse_order("teh", MENU).ambiguous
    assert ambiguity.candidate_ids == (ES_TEH, TEH_BOTOL, ES_TEH_MANIS)


def test_duplicate_names_are_ambiguous() -> None:
    menu = [CatalogueItem(1, "Kopi susu"), CatalogueItem(2, "kopi  SUSU")]
    assert parse_order("2 kopi susu", menu).ambiguous == (Ambiguity("kopi susu", 2, (1, 2)),)


def test_close_typos_between_two_products_are_ambiguous() -> None:
    menu = [CatalogueItem(1, "Es jeruk"), CatalogueItem(2, "Es jeruks")]
    result = parse_order("es jeruka", menu)
    assert result.lines == ()
    assert result.ambiguous[0].candidate_ids in {(1, 2), (2, 1)}


def test_unknown_product() -> None:
    result = parse_order("2 nasi goreng", MENU)
    assert result.lines == ()
    (unknown,) = result.unknown
    assert (unknown.phrase, unknown.quantity) == ("nasi goreng", 2)
    assert unknown.suggestions == (NASI_UDUK,)


@pytest.mark.parametrize(
    ("text", "suggested"),
    [
        ("2 kopsus", KOPI_SUSU),  # no alias, so no silent guess
        ("kopi susu panas", KOPI_SUSU),  # an extra word is a different product
        ("kopii", KOPI_SUSU),
        ("roti bakar keju", ROTI_BAKAR),
    ],
)
def test_weak_matches_are_unknown_with_suggestions(text: str, suggested: int) -> None:
    result = parse_order(text, MENU)
    assert result.lines == () and result.ambiguous == ()
    (unknown,) = result.unknown
    assert suggested in unknown.suggestions


def test_unrelated_word_gets_no_suggestion() -> None:
    menu = [CatalogueItem(1, "Kopi susu")]
    assert parse_order("teh", menu).unknown == (UnknownItem("teh", 1),)


def test_alias_resolves_exactly() -> None:
    menu = [CatalogueItem(1, "Kopi susu", aliases=("kopsus", "ks"))]
    assert parse_order("2 kopsus, ks x3", menu).lines == lines((1, 5))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0 kopi susu", "zero"),
        ("kopi susu 0", "zero"),
        ("nol kopi susu", "zero"),
        ("-2 kopi susu", "negative"),
        ("kopi susu -2", "negative"),
        ("−2 kopi susu", "negative"),
        ("100 kopi susu", "too_many"),
        ("seratus kopi susu", "too_many"),
        ("99999999999999999999999999 kopi susu", "too_many"),
        ("-1", "negative"),
        ("0", "zero"),
    ],
)
def test_invalid_quantities(text: str, reason: InvalidReason) -> None:
    result = parse_order(text, MENU)
    assert result.invalid == (InvalidQuantity(text.strip(), reason),)
    assert result.lines == () and not result.ok


@pytest.mark.parametrize(
    "text",
    [
        "½ kopi susu",  # NFKC/NFKD make it "1⁄2": once read as 12
        "¼ kopi susu",  # once 14
        "⅔ kopi susu",  # once 23
        "kopi susu ½",
        "1½ kopi susu",
        "1/2 kopi susu",
        "1 / 2 kopi susu",
        "1⁄2 kopi susu",
        "kopi susu 3/4",
        "0,5 kopi susu",  # once 0 (refused) and 5 coffees
        "0.5 kopi susu",
        "1,5 roti bakar",
    ],
)
def test_fractions_are_refused(text: str) -> None:
    result = parse_order(text, MENU)
    assert result.invalid == (InvalidQuantity(text.strip(), "fraction"),)
    assert result.lines == () and not result.ok


def test_a_fraction_in_a_product_name_is_part_of_the_name() -> None:
    menu = (*MENU, CatalogueItem(50, "Ayam bakar ½ ekor"), CatalogueItem(51, "Aqua 1.5 L"))
    assert parse_order("2 ayam bakar ½ ekor", menu).lines == lines((50, 2))
    assert parse_order("aqua 1.5 l x3", menu).lines == lines((51, 3))
    result = parse_order("½ ayam bakar ½ ekor, 2 kopi susu", menu)
    assert result.lines == lines((KOPI_SUSU, 2))
    assert result.invalid == (InvalidQuantity("½ ayam bakar ½ ekor", "fraction"),)


def test_commas_still_separate_whole_quantities() -> None:
    assert parse_order("2 kopi susu,1 roti bakar", MENU).lines == lines(
        (KOPI_SUSU, 2), (ROTI_BAKAR, 1)
    )
    assert parse_order("kopi susu 2,21 roti bakar", MENU).lines == lines(
        (KOPI_SUSU, 2), (ROTI_BAKAR, 21)
    )
    assert parse_order("kopi susu 18.000", MENU).invalid == ()  # a price, not a fraction


def test_invalid_segment_does_not_spoil_the_rest() -> None:
    result = parse_order("0 kopi susu, 2 roti bakar", MENU)
    assert result.lines == lines((ROTI_BAKAR, 2))
    assert result.invalid == (InvalidQuantity("0 kopi susu", "zero"),)


def test_spaced_dash_is_not_a_minus() -> None:
    assert parse_order("kopi susu - 2", MENU).lines == lines((KOPI_SUSU, 2))


def test_max_quantity_parameter() -> None:
    assert parse_order("10 kopi susu", MENU, max_quantity=10).lines == lines((KOPI_SUSU, 10))
    result = parse_order("11 kopi susu", MENU, max_quantity=10)
    assert result.invalid == (InvalidQuantity("11 kopi susu", "too_many"),)


def test_summed_repeats_above_the_maximum_are_invalid() -> None:
    result = parse_order("60 kopi susu, kopi susu 50, 1 es teh", MENU)
    assert result.lines == lines((ES_TEH, 1))
    assert result.invalid == (InvalidQuantity("60 kopi susu + kopi susu 50", "too_many"),)


def test_huge_lists_are_bounded() -> None:
    result = parse_order(", ".join(["kopi susu"] * 45), MENU)
    assert result.lines == lines((KOPI_SUSU, 30))
    assert result.skipped == 15
    assert not result.ok
    small = parse_order("kopi susu, es teh, roti bakar", MENU, max_segments=2)
    assert (small.lines, small.skipped) == (lines((KOPI_SUSU, 1), (ES_TEH, 1)), 1)


def test_padding_only_messages_order_nothing() -> None:
    for text in ("", "   ", "halo kak", "terima kasih", "!!!", "-", "ok, makasih ya"):
        assert parse_order(text, MENU) == OrderParse(()), text


def test_quantity_without_product_is_unknown() -> None:
    assert parse_order("kopi susu, 2", MENU).unknown == (UnknownItem("2", 2),)


def test_soft_separators_inside_names_are_kept() -> None:
    menu = [
        CatalogueItem(1, "Roti dan selai"),
        CatalogueItem(2, "Roti"),
        CatalogueItem(3, "Selai"),
        CatalogueItem(4, "A&W Root Beer"),
    ]
    assert parse_order("2 roti dan selai", menu).lines == lines((1, 2))
    assert parse_order("2 roti & 3 selai", menu).lines == lines((2, 2), (3, 3))
    assert parse_order("a&w root beer x2 + roti", menu).lines == lines((4, 2), (2, 1))


def test_empty_catalogue_only_yields_unknowns() -> None:
    result = parse_order("2 kopi susu, es teh", [])
    assert result.lines == () and len(result.unknown) == 2


def test_very_long_segment_is_unknown_not_slow() -> None:
    result = parse_order("kopi " * 3000, MENU)
    assert result.lines == () and len(result.unknown) == 1
    assert len(result.unknown[0].phrase) <= 100


def test_large_catalogue_with_typos_stays_fast() -> None:
    import time

    meats = ["ayam", "bebek", "ikan", "sapi", "tahu", "tempe", "telur", "udang", "cumi", "lele"]
    styles = ["goreng", "bakar", "rebus", "geprek", "penyet", "balado", "kecap", "rica", "woku"]
    menu = [
        CatalogueItem(i, f"{meat} {style}")
        for i, (meat, style) in enumerate((m, s) for m in meats for s in styles)
    ]
    text = ", ".join(f"{i % 9 + 1} {meats[i % 10][:-1]} {styles[i % 9]}x" for i in range(30))
    started = time.perf_counter()
    result = parse_order(text, menu)
    assert time.perf_counter() - started < 2.0
    assert len(result.lines) + len(result.ambiguous) + len(result.unknown) > 0


def test_normalise_name() -> None:
    assert normalise_name("  Kopí   SUSU! ") == "kopi susu"
    assert normalise_name("7-Up") == normalise_name("7up") == "7 up"
    assert normalise_name("A&W") == "a w"


# --------------------------------------------------------------------------------------------
# is_order_like.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 kopi susu", True),
        ("kopi susu", True),
        ("mau es teh manis dong", True),
        ("kopi susuu", True),
        ("2 nasi goreng", True),  # an order attempt even if the shop does not sell it
        ("nasi goreng x2", True),
        ("dua kopi", True),
        ("halo kak", False),
        ("kapan buka?", False),
        ("buka jam 8?", False),
        ("alamat jl mawar 12", False),
        ("ongkirnya berapa ke jakarta", False),
        ("/start", False),
        ("", False),
    ],
)
def test_is_order_like(text: str, expected: bool) -> None:
    assert is_order_like(text, MENU) is expected


# --------------------------------------------------------------------------------------------
# Order properties.

FOOD_WORDS = [
    "ayam", "bebek", "ikan", "sapi", "tahu", "tempe", "telur", "nasi", "mie", "bakso", "soto",
    "sate", "rendang", "gado", "pecel", "lontong", "bubur", "roti", "pisang", "jagung", "keju",
    "coklat", "susu", "kopi", "teh", "jeruk", "es", "sirup", "goreng", "bakar", "rebus", "geprek",
    "penyet", "balado", "kecap", "manis", "pedas", "hijau", "hitam", "kampung", "spesial",
    "jumbo", "uduk", "kuah", "campur", "botol", "gelas", "porsi", "cup", "mas", "ya", "aja",
]  # fmt: skip
"""Includes unit and padding words on purpose: exact names must still win over stripping them."""

ID_NUMBER_WORDS = {
    1: "satu", 2: "dua", 3: "tiga", 4: "empat", 5: "lima", 6: "enam", 7: "tujuh", 8: "delapan",
    9: "sembilan", 10: "sepuluh", 11: "sebelas", 12: "dua belas", 13: "tiga belas",
    14: "empat belas", 15: "lima belas", 16: "enam belas", 17: "tujuh belas",
    18: "delapan belas", 19: "sembilan belas", 20: "dua puluh",
}  # fmt: skip
EN_NUMBER_WORDS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen",
    15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty",
}  # fmt: skip
DIGIT_FORMATS = [
    "{q} {n}", "{q}x {n}", "{q} x {n}", "x{q} {n}", "{n} {q}", "{n} x{q}", "{n} x {q}",
    "{n} {q}x", "{n} ({q})", "{n} *{q}", "{q} pcs {n}", "{n} {q} pcs",
]  # fmt: skip
PADDING = {"mas", "ya", "aja"}
WORD_FORMATS = ["{w} {n}", "{n} {w}"]
SEPARATORS = ["\n", ", ", ",", "; ", " + ", " & ", " dan ", " and ", " sama ", "\n\n"]

names = st.lists(st.sampled_from(FOOD_WORDS), min_size=1, max_size=3, unique=True).map(" ".join)
catalogues = st.lists(names, min_size=1, max_size=8, unique=True).map(
    lambda found: tuple(CatalogueItem(100 + i, name) for i, name in enumerate(found))
)


def _cased(draw: st.DrawFn, name: str) -> str:
    style = draw(st.sampled_from(["lower", "upper", "title", "capitalize"]))
    return str(getattr(name, style)())


@st.composite
def rendered_orders(
    draw: st.DrawFn,
) -> tuple[tuple[CatalogueItem, ...], str, tuple[ParsedLine, ...]]:
    """A catalogue, a subset with quantities typed in any supported style, and the expected cart."""
    catalogue = draw(catalogues)
    chosen = draw(st.lists(st.sampled_from(catalogue), min_size=1, unique=True))
    expected: list[ParsedLine] = []
    parts: list[str] = []
    for item in chosen:
        quantity = draw(st.integers(min_value=1, max_value=99))
        name = _cased(draw, item.name)
        if quantity == 1 and draw(st.booleans()):
            parts.append(name)
        elif quantity <= 20 and draw(st.booleans()):
            table = draw(st.sampled_from([ID_NUMBER_WORDS, EN_NUMBER_WORDS]))
            template = draw(st.sampled_from(WORD_FORMATS))
            parts.append(template.format(w=table[quantity], n=name))
        else:
            template = draw(st.sampled_from(DIGIT_FORMATS))
            parts.append(template.format(q=quantity, n=name))
        expected.append(ParsedLine(item.id, quantity))
    separator = draw(st.sampled_from(SEPARATORS))
    return catalogue, separator.join(parts), tuple(expected)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(rendered_orders())
def test_rendered_orders_parse_back_exactly(
    case: tuple[tuple[CatalogueItem, ...], str, tuple[ParsedLine, ...]],
) -> None:
    catalogue, text, expected = case
    result = parse_order(text, catalogue)
    assert result == OrderParse(expected), text
    assert result.ok


@settings(max_examples=150)
@given(catalogues, st.data())
def test_split_quantities_are_summed(
    catalogue: tuple[CatalogueItem, ...], data: st.DataObject
) -> None:
    item = data.draw(st.sampled_from(catalogue))
    parts = data.draw(st.lists(st.integers(min_value=1, max_value=20), min_size=2, max_size=4))
    text = ", ".join(f"{quantity} {item.name}" for quantity in parts)
    assert parse_order(text, catalogue).lines == (ParsedLine(item.id, sum(parts)),)


@settings(max_examples=150)
@given(catalogues, st.data())
def test_containment_is_unique_or_ambiguous_never_a_guess(
    catalogue: tuple[CatalogueItem, ...], data: st.DataObject
) -> None:
    words = sorted({word for item in catalogue for word in item.name.split()} - PADDING)
    assume(words)
    word = data.draw(st.sampled_from(words))
    containing = {item.id for item in catalogue if word in item.name.split()}
    assume(not any(item.name == word for item in catalogue))
    result = parse_order(f"2 {word}", catalogue)
    if len(containing) == 1:
        assert result.lines == (ParsedLine(containing.pop(), 2),)
    else:
        assert result.lines == ()
        (ambiguity,) = result.ambiguous
        assert set(ambiguity.candidate_ids) <= containing
        assert len(ambiguity.candidate_ids) == min(4, len(containing))


noise = st.text(
    alphabet=st.sampled_from(list("abcdeiklmnorstuxy0123456789 ,;+&-()\n×*.")),
    max_size=80,
)


@settings(max_examples=300)
@given(catalogues, st.one_of(st.text(max_size=120), noise), st.integers(1, 150))
def test_parse_never_raises_and_stays_inside_bounds(
    catalogue: tuple[CatalogueItem, ...], text: str, max_quantity: int
) -> None:
    result = parse_order(text, catalogue, max_quantity=max_quantity)
    known = {item.id for item in catalogue}
    assert all(line.item_id in known for line in result.lines)
    assert all(1 <= line.quantity <= max_quantity for line in result.lines)
    assert len({line.item_id for line in result.lines}) == len(result.lines)
    for ambiguity in result.ambiguous:
        assert 2 <= len(ambiguity.candidate_ids) <= 4
        assert set(ambiguity.candidate_ids) <= known
        assert 1 <= ambiguity.quantity <= max_quantity
    for unknown in result.unknown:
        assert 1 <= unknown.quantity <= max_quantity
        assert set(unknown.suggestions) <= known
    assert result.ok == bool(
        result.lines
        and not (result.ambiguous or result.unknown or result.invalid or result.skipped)
    )
    assert isinstance(is_order_like(text, catalogue), bool)


@settings(max_examples=150)
@given(catalogues, st.data())
def test_catalogue_words_with_junk_never_escape_the_catalogue(
    catalogue: tuple[CatalogueItem, ...], data: st.DataObject
) -> None:
    words = [word for item in catalogue for word in item.name.split()]
    pieces = data.draw(
        st.lists(
            st.one_of(
                st.sampled_from(words),
                st.sampled_from(["2", "x3", "-1", "0", "100", "dua", "dan", ",", "(4)", "kak"]),
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6),
            ),
            max_size=25,
        )
    )
    result = parse_order(" ".join(pieces), catalogue)
    known = {item.id for item in catalogue}
    assert all(line.item_id in known and 1 <= line.quantity <= 99 for line in result.lines)
