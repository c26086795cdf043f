"""The seller's reports as pure functions: the revenue chart and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from PIL import Image

from bot.shop.sales import (
    CHART_SIZE,
    CSV_COLUMNS,
    REPORT_FIRST_DAY,
    REPORT_LAST_DAY,
    fill_days,
    orders_csv,
    sales_chart,
    short_rupiah,
    within_report_span,
)
from storage import Charge, Order, OrderItem


def _order(order_id: str, status: str, items: tuple[OrderItem, ...], **kw: object) -> Order:
    subtotal = sum(i.total for i in items)
    fee = int(kw.pop("delivery_fee", 0))  # type: ignore[call-overload]
    values: dict[str, object] = {
        "id": order_id,
        "customer_id": 1001,
        "chat_id": 1001,
        "status": status,
        "subtotal": subtotal,
        "delivery_fee": fee,
        "gross_amount": subtotal + fee,
        "fulfilment": "pickup",
        "address": None,
        "latitude": None,
        "longitude": None,
        "note": None,
        "customer_name": "Budi",
        "customer_phone": "+6281234567890",
        "customer_email": "",
        "language": "id",
        "expires_at": None,
        "created_at": datetime(2026, 11, 25, 8, 30, tzinfo=UTC),  # 15:30 WIB
        "updated_at": datetime(2026, 11, 25, 8, 30, tzinfo=UTC),
        "paid_at": None,
        "seller_notified_at": None,
        "fulfilled_at": None,
        "last_checked_at": None,
        "items": items,
        "charge": None,
    }
    values.update(kw)
    return Order(**values)  # type: ignore[arg-type]


def test_short_rupiah_labels() -> None:
    assert short_rupiah(950, "id") == "Rp950"
    assert short_rupiah(18_000, "id") == "Rp18rb"
    assert short_rupiah(18_500, "id") == "Rp18,5rb"
    assert short_rupiah(1_250_000, "id") == "Rp1,2jt"  # one decimal is enough on a bar
    assert short_rupiah(1_250_000, "en") == "Rp1.2M"
    assert short_rupiah(2_000_000, "id") == "Rp2jt"


def test_fill_days_keeps_empty_days() -> None:
    filled = fill_days([("2026-11-02", 5000)], date(2026, 11, 1), date(2026, 11, 3))
    assert filled == [(date(2026, 11, 1), 0), (date(2026, 11, 2), 5000), (date(2026, 11, 3), 0)]


def test_chart_is_a_png_with_bars() -> None:
    days = fill_days(
        [("2026-11-01", 18_000), ("2026-11-03", 1_250_000)], date(2026, 11, 1), date(2026, 11, 7)
    )
    data = sales_chart(days, "Pendapatan per hari · 1–7 Nov 2026", "id")
    assert data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == CHART_SIZE
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert (46, 125, 50) in colours  # the bar colour is there


def test_chart_of_nothing_and_of_a_long_range() -> None:
    quiet = sales_chart(fill_days([], date(2026, 11, 1), date(2026, 11, 1)), "x", "en")
    Image.open(io.BytesIO(quiet)).load()
    year = fill_days(
        [(f"2026-{m:02d}-15", m * 100_000) for m in range(1, 13)],
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    Image.open(io.BytesIO(sales_chart(year, "x", "id"))).load()


def test_csv_opens_in_excel_and_parses() -> None:
    paid_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    orders = [
        _order(
            "WB-261125-AAAAAA",
            "paid",
            (OrderItem(1, "Kopi susu", 18_000, 2), OrderItem(2, "Roti; bakar", 12_500, 1)),
            delivery_fee=10_000,
            fulfilment="delivery",
            address="Jl. Melati 1\nRT 02",
            paid_at=paid_at,
            charge=Charge("t1", "1234567890", "indomaret", None, paid_at),
        ),
        _order(
            "WB-261125-BBBBBB",
            "expired",
            (OrderItem(1, "Kopi susu", 18_000, 1),),
            customer_name='=HYPERLINK("x")',
            note="@tanpa gula",
        ),
    ]
    data = orders_csv(orders, "id")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    header = rows[0]
    assert len(header) == len(CSV_COLUMNS)
    total = header.index("Total")
    assert [int(r[total]) for r in rows[1:]] == [58_500, 18_000]
    first = dict(zip(header, rows[1], strict=True))
    assert first["Dibuat (WIB)"] == "2026-11-25 15:30"
    assert first["Dibayar (WIB)"] == "2026-11-25 16:00"
    assert first["Status"] == "lunas"
    assert first["HP"] == "0812-3456-7890"
    assert first["Alamat"] == "Jl. Melati 1\nRT 02"
    assert first["Barang"] == "2x Kopi susu, 1x Roti; bakar"
    assert first["Ongkir"] == "10000"
    assert first["Kode bayar"] == "1234567890"
    second = dict(zip(header, rows[2], strict=True))
    assert second["Pembeli"] == '\'=HYPERLINK("x")'  # a formula cannot run
    assert second["Catatan"] == "'@tanpa gula"


def test_csv_headers_follow_the_language() -> None:
    data = orders_csv([], "en")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Order id" and "Total" in rows[0]


def test_reports_cover_a_sane_span_of_days() -> None:
    assert within_report_span(date(2026, 11, 1), date(2026, 11, 30))
    assert within_report_span(REPORT_FIRST_DAY, REPORT_LAST_DAY)
    assert not within_report_span(date(1, 1, 1), date(2026, 11, 30))
    assert not within_report_span(date(2026, 11, 1), date(9999, 12, 31))
