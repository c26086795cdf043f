"""The payment slip scans back to exactly the payment code, also after Telegram's recompression,
and user text never runs off the canvas."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from bot.messages import slip
from bot.messages.slip import render_slip
from bot.rules.money import format_rupiah
from bot.text.formatting import format_wib
from bot.text.phrases import t

EXPIRES = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)  # 15:30 WIB
LONG_NAME = "Toko Sembako dan Kelontong Keluarga Besar Haji Abdul Rahman Sejahtera Abadi Jaya"


def _render(code: str = "25709650945026", **overrides: object) -> Image.Image:
    values: dict[str, object] = {
        "shop_name": "Warung Bu Siti — Kopi & Roti",
        "amount": 162_500,
        "payment_code": code,
        "expires_at": EXPIRES,
        "order_id": "WB-20261125-000123",
        "lang": "id",
    }
    values.update(overrides)
    png = render_slip(**values)  # type: ignore[arg-type]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _telegram_photo(image: Image.Image, *, scale_first: bool = False) -> Image.Image:
    """What a buyer's phone shows after sendPhoto: JPEG quality 70, long side 1280 px."""

    def jpeg(img: Image.Image) -> Image.Image:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=70)
        buf.seek(0)
        out = Image.open(buf)
        out.load()
        return out

    def scale(img: Image.Image) -> Image.Image:
        factor = 1280 / max(img.size)
        size = (round(img.width * factor), round(img.height * factor))
        return img.resize(size, Image.Resampling.LANCZOS)

    return jpeg(scale(image)) if scale_first else scale(jpeg(image))


# What a cashier's scanner is set up for: plain Code 39 (no full-ASCII or Code 32 reinterpretation;
# zxing-cpp's auto mode would read a 6-character code such as 000000 as an Italian Code 32) and QR.
SCANNER_FORMATS = zxingcpp.barcode_formats_from_str("Code39Std,QRCode")


def _decoded(image: Image.Image) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"code39": [], "qr": []}
    for result in zxingcpp.read_barcodes(image.convert("L"), formats=SCANNER_FORMATS):
        if result.format == zxingcpp.BarcodeFormat.Code39:
            found["code39"].append(result.text)
        elif result.format == zxingcpp.BarcodeFormat.QRCode:
            found["qr"].append(result.text)
    return found


def _assert_scans_as(image: Image.Image, code: str) -> None:
    assert _decoded(image) == {"code39": [code], "qr": [code]}


def _assert_margins_clean(image: Image.Image, strip: int = 30) -> None:
    """Every row of the outer strips is one flat colour: no text or bars reach the edges."""
    for left in (0, image.width - strip):
        band = image.crop((left, 0, left + strip, image.height)).convert("L")
        flat = band.crop((0, 0, 1, band.height)).resize(band.size)
        assert ImageChops.difference(band, flat).getbbox() is None


# --- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (162_500, "Rp162.500"),
        (10_000, "Rp10.000"),
        (5_000_000, "Rp5.000.000"),
        (0, "Rp0"),
        (999, "Rp999"),
        (1_000, "Rp1.000"),
        (-5_000, "-Rp5.000"),
    ],
)
def test_format_rupiah(amount: int, text: str) -> None:
    assert format_rupiah(amount) == text


def test_format_rupiah_rejects_non_int() -> None:
    with pytest.raises(TypeError):
        format_rupiah(162500.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_rupiah(True)


# --- texts -------------------------------------------------------------------------------------


def test_expiry_is_shown_in_wib_with_local_month_names() -> None:
    assert t("id", "slip.expires", when=format_wib(EXPIRES, "id")) == (
        "Berlaku sampai 26 Nov 2026 15:30 WIB"
    )
    assert t("en", "slip.expires", when=format_wib(EXPIRES, "en")) == (
        "Valid until 26 Nov 2026 15:30 WIB"
    )
    may = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=9)))  # WIT -> 10:00 WIB
    assert format_wib(may, "id") == "1 Mei 2026 10:00"
    assert format_wib(may, "en") == "1 May 2026 10:00"
    new_year = datetime(2026, 12, 31, 17, 5, tzinfo=UTC)
    assert format_wib(new_year, "id") == "1 Jan 2027 00:05"


def test_month_names_exist_for_every_month() -> None:
    for lang in ("id", "en"):
        names = [t(lang, f"slip.month.{month}") for month in range(1, 13)]
        assert len(set(names)) == 12
    assert [t("id", f"slip.month.{m}") for m in (8, 10, 12)] == ["Agu", "Okt", "Des"]


def test_group_code_blocks_of_four() -> None:
    assert slip.group_code("25709650945026") == "2570 9650 9450 26"
    assert slip.group_code("123456789012") == "1234 5678 9012"


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["", "2570 9650", "2570-9650", "abc123", "12345\n", "١٢٣٤٥", "１２３", "1" * 31]
)
def test_rejects_bad_payment_codes(code: str) -> None:
    with pytest.raises(ValueError):
        _render(code)


def test_rejects_naive_expiry_and_negative_amount() -> None:
    with pytest.raises(ValueError):
        _render(expires_at=datetime(2026, 11, 26, 15, 30))
    with pytest.raises(ValueError):
        _render(amount=-1)


def test_code39_pattern_has_no_check_character() -> None:
    # start + 14 digits + stop, 15 modules each plus a 1-module gap: no 17th character.
    assert len(slip.code39_modules("25709650945026")) == 16 * 16 - 1


# --- scanning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
def test_slip_scans_to_exact_code(lang: str) -> None:
    image = _render(lang=lang)
    assert 800 <= image.width <= 1100
    _assert_scans_as(image, "25709650945026")
    _assert_margins_clean(image)


@pytest.mark.parametrize("scale_first", [False, True])
@pytest.mark.parametrize("code", ["25709650945026", "123456789012", "257096509450262211"])
def test_slip_scans_after_telegram_recompression(code: str, scale_first: bool) -> None:
    photo = _telegram_photo(_render(code), scale_first=scale_first)
    assert max(photo.size) == 1280
    _assert_scans_as(photo, code)


@pytest.mark.parametrize("code", ["AB12CD34EF56", "000000", "7", "Z" * 30])
def test_short_long_and_alphanumeric_codes_scan(code: str) -> None:
    image = _render(code)
    _assert_scans_as(image, code)
    _assert_scans_as(_telegram_photo(image), code)
    _assert_margins_clean(image)


def test_long_and_non_ascii_names_fit() -> None:
    for name in (LONG_NAME, "Kafé Ñoño — Ёлка & Σ", "W" * 200, "", "\n\t\u200b"):
        image = _render(shop_name=name, order_id="ORDER-" + "X" * 44, amount=5_000_000_000_000)
        assert image.width == slip.BASE_WIDTH
        _assert_margins_clean(image)
        _assert_scans_as(image, "25709650945026")


def test_fit_text_truncates_with_ellipsis() -> None:
    face = slip.Face("sans", 40)
    cut = slip.fit_text(LONG_NAME, face, 300)
    assert cut.endswith("…")
    assert slip.text_width(cut, face) <= 300
    assert slip.fit_text("Warung", face, 300) == "Warung"


# --- property ----------------------------------------------------------------------------------

shop_names = st.one_of(
    st.sampled_from(["Warung Bu Siti — Kopi & Roti", LONG_NAME, "Toko Ani", "Kafé Ñoño"]),
    st.text(
        alphabet=st.characters(exclude_categories=("Cs", "So", "Sk", "Co", "Cn")),
        max_size=120,
    ),
)
amounts = st.one_of(
    st.sampled_from([0, 10_000, 162_500, 5_000_000]), st.integers(min_value=0, max_value=10**15)
)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    code=st.text(alphabet="0123456789", min_size=12, max_size=18),
    amount=amounts,
    shop_name=shop_names,
    lang=st.sampled_from(["id", "en"]),
)
def test_any_code_scans_and_nothing_overflows(
    code: str, amount: int, shop_name: str, lang: str
) -> None:
    image = _render(code, amount=amount, shop_name=shop_name, lang=lang)
    assert slip.BASE_WIDTH <= image.width <= 1040
    _assert_margins_clean(image)
    _assert_scans_as(image, code)
    _assert_scans_as(_telegram_photo(image), code)
