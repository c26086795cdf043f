"""The payment slip: a PNG the buyer shows (or has scanned) at the Indomaret cashier.

Speed matters (one slip per order, p50 budget 10 ms), so nothing goes through python-barcode's
ImageWriter or qrcode's image factory: the Code 39 module pattern and the QR matrix are turned
into tiny one-pixel-per-module images and scaled up with nearest-neighbour, all in C.

The canvas is drawn in mode ``L`` and given a palette at the end. Grey levels 0-127 are a ramp
from ink to white, 128-255 a ramp from the accent colour to white. Anti-aliased text blends within
one ramp, so it stays smooth, and a palette PNG is written unfiltered, several times faster than
RGB. Rule of the canvas: ink-ramp drawing goes on ``PAPER``, accent-ramp drawing on ``PAPER_A``
(both are white).
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources
from typing import Final, NamedTuple

import qrcode
from barcode.codex import Code39
from PIL import Image, ImageChops, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.rules.money import format_rupiah
from bot.text.formatting import format_wib
from bot.text.phrases import t

WIB: Final = timezone(timedelta(hours=7), "WIB")

# Palette indices (see the module docstring).
INK: Final = 0
MUTED: Final = 50
RULE: Final = 116
PAPER: Final = 127
ACCENT: Final = 128
SOFT: Final = 200  # light accent, for text on the accent band
TINT: Final = 242  # very light accent, for panels
PAPER_A: Final = 255

INK_RGB: Final = (17, 24, 39)
ACCENT_RGB: Final = (16, 82, 150)
WHITE: Final = (255, 255, 255)

BASE_WIDTH: Final = 1000
MARGIN: Final = 56
BAR_MODULE_MIN: Final = 3  # px per narrow Code 39 module; 3 survives JPEG and rescaling
BAR_QUIET: Final = 10  # modules of white on each side of the Code 39 symbol
BAR_HEIGHT: Final = 170
QR_MODULE: Final = 9
QR_QUIET: Final = 4
MAX_CODE_LENGTH: Final = 30
STEP_SIZE: Final = 26
STEP_LEADING: Final = 36
DISC: Final = 34
FOOTER: Final = 123  # footer band grey

_CODE_RE: Final = re.compile(r"[0-9A-Z]+")


def _lerp(a: tuple[int, int, int], b: tuple[int, int, int], f: float) -> list[int]:
    return [round(x + (y - x) * f) for x, y in zip(a, b, strict=True)]


def _build_palette() -> list[int]:
    palette: list[int] = []
    for i in range(128):
        palette += _lerp(INK_RGB, WHITE, i / 127)
    for i in range(128):
        palette += _lerp(ACCENT_RGB, WHITE, i / 127)
    return palette


_PALETTE: Final = _build_palette()


@lru_cache(maxsize=32)
def _sans(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled scalable font (Aileron): no system fonts are needed."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RuntimeError("Pillow was built without FreeType; the slip needs it")
    return font


@lru_cache(maxsize=32)
def _mono(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans Mono from python-barcode: even, unambiguous digits for the payment code."""
    path = resources.files("barcode") / "fonts" / "DejaVuSansMono.ttf"
    return ImageFont.truetype(io.BytesIO(path.read_bytes()), size)


def clean_text(text: str) -> str:
    """Drop control and format characters and collapse whitespace, so user text stays one line."""
    kept = [" " if unicodedata.category(ch).startswith("C") else ch for ch in text]
    return " ".join("".join(kept).split())


class Face(NamedTuple):
    """A font at a size; ``bold`` > 0 smears each glyph that many px to the right (faux bold,
    since the bundled fonts have no bold cut; unlike a stroke it keeps small letters open)."""

    family: str  # "sans" (Aileron) or "mono" (DejaVu Sans Mono)
    size: int
    bold: int = 0


def _faces(family: str, sizes: tuple[int, ...], bold: int = 0) -> tuple[Face, ...]:
    return tuple(Face(family, size, bold) for size in sizes)


NAME_FACES: Final = _faces("sans", (50, 46, 42, 38, 34), bold=1)
SUBTITLE_FACES: Final = _faces("sans", (24, 20))
LABEL_FACES: Final = _faces("sans", (30, 24), bold=1)
AMOUNT_FACES: Final = _faces("sans", (88, 76, 64, 52, 40), bold=3)
EXPIRY_FACES: Final = _faces("sans", (28, 24, 20), bold=1)
CODE_LABEL_FACES: Final = _faces("sans", (22, 18))
CODE_FACES: Final = _faces("mono", (64, 56, 48, 40), bold=2)
TITLE_FACES: Final = _faces("sans", (30, 24), bold=1)
STEP_FACE: Final = Face("sans", 26)
NUMBER_FACE: Final = Face("sans", 21, 1)
ORDER_FACES: Final = _faces("sans", (22, 18))


def _font(family: str, size: int) -> ImageFont.FreeTypeFont:
    return _mono(size) if family == "mono" else _sans(size)


@lru_cache(maxsize=2)
def _notdef(family: str) -> bytes:
    mask, offset = _font(family, 40).getmask2("\ue000")  # a private-use char no font has
    return bytes(mask) + repr((mask.size, offset)).encode()


@lru_cache(maxsize=4096)
def has_glyph(family: str, ch: str) -> bool:
    """Whether the font draws ``ch`` (Pillow's bundled Aileron covers little beyond ASCII)."""
    if ch.isspace():
        return True
    mask, offset = _font(family, 40).getmask2(ch)
    return bytes(mask) + repr((mask.size, offset)).encode() != _notdef(family)


# Punctuation that Aileron lacks, mapped to a look-alike it has.
_SANS_SUBSTITUTES: Final = str.maketrans({"—": "-", "–": "-", "•": "·", "×": "x", "\u00a0": " "})


def _prefer_sans(text: str, face: Face) -> tuple[str, Face]:
    """Keep a sans face if it can draw ``text`` (after punctuation look-alikes), else use
    DejaVu Sans Mono, which covers Latin with accents, Greek and Cyrillic."""
    if face.family != "sans" or all(has_glyph("sans", ch) for ch in text):
        return text, face
    mapped = text.translate(_SANS_SUBSTITUTES)
    if all(has_glyph("sans", ch) for ch in mapped):
        return mapped, face
    return text, face._replace(family="mono")


@lru_cache(maxsize=4096)
def _glyph(face: Face, ch: str) -> tuple[Image.Image | None, int, int]:
    """One glyph's coverage mask and its offset from the pen on the baseline.

    Pillow's basic layout rasterises every glyph of every string afresh (about 20 us each); with
    this cache a slip's ~300 characters cost a paste each.
    """
    font = _font(face.family, face.size)
    left, top, right, bottom = (int(v) for v in font.getbbox(ch, anchor="ls"))
    if right <= left or bottom <= top:
        return None, 0, 0
    plain = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(plain).text((-left, -top), ch, font=font, fill=255, anchor="ls")
    mask = Image.new("L", (plain.width + face.bold, plain.height), 0)
    for shift in range(face.bold + 1):
        layer = Image.new("L", mask.size, 0)
        layer.paste(plain, (shift, 0))
        mask = ImageChops.lighter(mask, layer)
    return mask, left, top


@lru_cache(maxsize=8192)
def _advance(face: Face, ch: str) -> float:
    return _font(face.family, face.size).getlength(ch) + face.bold


@lru_cache(maxsize=8192)
def _kern(face: Face, pair: str) -> float:
    font = _font(face.family, face.size)
    return font.getlength(pair) - font.getlength(pair[0]) - font.getlength(pair[1])


def text_width(text: str, face: Face) -> float:
    """Width in px of ``text`` as ``_draw_text`` sets it (advances plus pair kerning)."""
    width = 0.0
    prev = ""
    for ch in text:
        width += _advance(face, ch)
        if prev:
            width += _kern(face, prev + ch)
        prev = ch
    return width


def _draw_text(
    img: Image.Image,
    xy: tuple[float, float],
    text: str,
    face: Face,
    fill: int,
    align: str = "left",
) -> None:
    """Set ``text`` with its baseline at ``xy[1]``, from cached glyphs (see ``_glyph``)."""
    x, baseline = xy
    if align != "left":
        width = text_width(text, face)
        x -= width / 2 if align == "centre" else width
    prev = ""
    for ch in text:
        if prev:
            x += _kern(face, prev + ch)
        mask, dx, dy = _glyph(face, ch)
        if mask is not None:
            img.paste(fill, (round(x) + dx, round(baseline) + dy), mask)
        x += _advance(face, ch)
        prev = ch


def fit_text(text: str, face: Face, max_width: float) -> str:
    """Cut ``text`` with an ellipsis so it is at most ``max_width`` px wide."""
    if text_width(text, face) <= max_width:
        return text
    lo, hi = 0, len(text)  # the longest fitting prefix length is in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if text_width(text[:mid].rstrip() + "…", face) <= max_width:
            lo = mid
        else:
            hi = mid
    return text[:lo].rstrip() + "…" if lo else ""


def wrap_text(text: str, face: Face, max_width: float) -> list[str]:
    """Greedy word wrap; a single word wider than the line is cut with an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, face) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = fit_text(word, face, max_width)
    if line:
        lines.append(line)
    return lines


def fit(text: str, faces: tuple[Face, ...], max_width: float) -> tuple[str, Face]:
    """The first (largest) face in which ``text`` fits, else the last one with ``text`` cut.

    Text the sans font cannot draw switches to the mono font (see ``_prefer_sans``).
    """
    shown, face = text, faces[-1]
    for candidate in faces:
        shown, face = _prefer_sans(text, candidate)
        if text_width(shown, face) <= max_width:
            return shown, face
    return fit_text(shown, face, max_width), face


def group_code(code: str, size: int = 4) -> str:
    """``25709650945026`` -> ``2570 9650 9450 26``: easier to read out and to type."""
    return " ".join(code[i : i + size] for i in range(0, len(code), size))


def code39_modules(code: str) -> str:
    """The Code 39 pattern (``1`` = bar module) for exactly ``code``: no check character."""
    return str(Code39(code, add_checksum=False).build()[0])


@lru_cache(maxsize=256)
def _qr_matrix(code: str) -> tuple[tuple[bool, ...], ...]:
    qr = qrcode.QRCode(border=0, error_correction=ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def _barcode_image(code: str, module: int, height: int) -> Image.Image:
    pattern = code39_modules(code)
    row = bytes(INK if bit == "1" else PAPER for bit in pattern)
    strip = Image.frombytes("L", (len(row), 1), row)
    return strip.resize((len(row) * module, height), Image.Resampling.NEAREST)


def _qr_image(code: str, module: int) -> Image.Image:
    matrix = _qr_matrix(code)
    n = len(matrix)
    data = bytes(INK if dark else PAPER for row in matrix for dark in row)
    small = Image.frombytes("L", (n, n), data)
    return small.resize((n * module, n * module), Image.Resampling.NEAREST)


@lru_cache(maxsize=8)
def _disc(diameter: int) -> Image.Image:
    """An anti-aliased filled circle as a paste mask (ImageDraw's ellipse is jagged)."""
    big = Image.new("L", (diameter * 4, diameter * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, diameter * 4 - 1, diameter * 4 - 1), fill=255)
    return big.resize((diameter, diameter), Image.Resampling.LANCZOS)


def _validate(amount: int, payment_code: str, expires_at: datetime) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValueError("amount must be int Rupiah")
    if amount < 0:
        raise ValueError("amount must not be negative")
    if not isinstance(payment_code, str) or not _CODE_RE.fullmatch(payment_code):
        raise ValueError("payment_code must be digits or capital letters A-Z only")
    if len(payment_code) > MAX_CODE_LENGTH:
        raise ValueError(f"payment_code is longer than {MAX_CODE_LENGTH} characters")
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")


def render_slip(
    *,
    shop_name: str,
    amount: int,
    payment_code: str,
    expires_at: datetime,
    order_id: str,
    lang: str = "id",
) -> bytes:
    """Render the Indomaret payment slip as PNG bytes.

    The barcode (Code 39, no check character) and the QR code both hold exactly
    ``payment_code``, which is what the cashier's scanner must read. Raises ValueError for a
    payment code that is not ``[0-9A-Z]+`` (at most 30 characters), a negative or non-int
    amount, or a naive ``expires_at``.
    """
    _validate(amount, payment_code, expires_at)
    shop = clean_text(shop_name)
    order = clean_text(order_id)
    amount_text = format_rupiah(amount)

    # Width: normally BASE_WIDTH; long codes widen the canvas so bars never drop below 3 px.
    modules = len(code39_modules(payment_code)) + 2 * BAR_QUIET
    width = max(BASE_WIDTH, modules * BAR_MODULE_MIN + 16)
    module = BAR_MODULE_MIN + 1 if modules * (BAR_MODULE_MIN + 1) + 32 <= width else BAR_MODULE_MIN
    inner = width - 2 * MARGIN

    # Lay out the "how to pay" column first: it decides the height.
    qr = _qr_image(payment_code, QR_MODULE)
    steps_x = MARGIN + qr.width + 48
    text_x = steps_x + DISC + 18
    step_width = width - MARGIN - text_x
    steps: list[tuple[list[str], Face]] = []
    for key in ("slip.step1", "slip.step2", "slip.step3"):
        step, face = _prefer_sans(t(lang, key, amount=amount_text), STEP_FACE)
        steps.append((wrap_text(step, face, step_width), face))
    section_top = 760 + QR_QUIET * QR_MODULE  # the rule above is the end of the quiet zone
    steps_bottom = section_top + 62 + sum(len(lines) * STEP_LEADING + 16 for lines, _ in steps)
    footer_top = max(steps_bottom, section_top + qr.height + QR_QUIET * QR_MODULE)
    height = footer_top + 72

    img = Image.new("L", (width, height), PAPER)
    draw = ImageDraw.Draw(img)

    # Header band: shop name and what this is.
    draw.rectangle((0, 0, width, 139), fill=ACCENT)
    shown, face = fit(shop, NAME_FACES, inner)
    _draw_text(img, (MARGIN, 80), shown, face, PAPER_A)
    shown, face = fit(t(lang, "slip.subtitle"), SUBTITLE_FACES, inner)
    _draw_text(img, (MARGIN, 116), shown, face, SOFT)

    # Where and how much.
    shown, face = fit(t(lang, "slip.pay_at"), LABEL_FACES, inner)
    draw.rectangle((MARGIN - 4, 166, MARGIN + text_width(shown, face) + 4, 212), PAPER_A)
    _draw_text(img, (MARGIN, 200), shown, face, ACCENT)
    shown, face = fit(amount_text, AMOUNT_FACES, inner)
    _draw_text(img, (MARGIN - 2, 296), shown, face, INK)

    # Expiry panel.
    when = t(lang, "slip.expires", when=format_wib(expires_at, lang))
    shown, face = fit(when, EXPIRY_FACES, inner - 48)
    draw.rounded_rectangle((MARGIN, 326, width - MARGIN, 390), radius=12, fill=TINT)
    _draw_text(img, (MARGIN + 24, 368), shown, face, ACCENT)

    # Payment code: big grouped digits, then the barcode of the exact code.
    centre = width / 2
    shown, face = fit(t(lang, "slip.code_label"), CODE_LABEL_FACES, inner)
    _draw_text(img, (centre, 452), shown, face, MUTED, align="centre")
    shown, face = fit(group_code(payment_code), CODE_FACES, inner)
    _draw_text(img, (centre, 526), shown, face, INK, align="centre")
    bars = _barcode_image(payment_code, module, BAR_HEIGHT)
    img.paste(bars, ((width - bars.width) // 2, 556))
    draw.rectangle((MARGIN, 758, width - MARGIN, 759), fill=RULE)

    # QR (its quiet zone is the white around it) and the steps.
    img.paste(qr, (MARGIN, section_top))
    shown, face = fit(t(lang, "slip.steps_title"), TITLE_FACES, width - MARGIN - steps_x)
    _draw_text(img, (steps_x, section_top + 30), shown, face, INK)
    disc = _disc(DISC)
    y = section_top + 84
    for number, (lines, face) in enumerate(steps, start=1):
        top = y - 25
        draw.rectangle((steps_x, top, steps_x + DISC - 1, top + DISC - 1), fill=PAPER_A)
        img.paste(ACCENT, (steps_x, top), disc)
        _draw_text(img, (steps_x + DISC / 2, top + 25), str(number), NUMBER_FACE, PAPER_A, "centre")
        for line in lines:
            _draw_text(img, (text_x, y), line, face, INK)
            y += STEP_LEADING
        y += 16

    # Footer: the order id, small, for support questions.
    draw.rectangle((0, footer_top, width, height), fill=FOOTER)
    draw.rectangle((0, footer_top, width, footer_top + 1), fill=RULE)
    shown, face = fit(t(lang, "slip.order", order_id=order), ORDER_FACES, inner)
    _draw_text(img, (MARGIN, footer_top + 45), shown, face, MUTED)

    img.putpalette(_PALETTE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()
