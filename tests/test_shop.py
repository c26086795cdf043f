"""Shop settings: environment defaults, stored overrides, and the round trip."""

from dataclasses import replace
from datetime import timedelta

from bot.config import load_settings
from bot.shop import shop_from, shop_values

SETTINGS = load_settings(
    {
        "TELEGRAM_BOT_TOKEN": "1:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "MIDTRANS_SERVER_KEY": "SB-Mid-server-abcdefgh",
        "SHOP_NAME": "Warung Bu Siti Yang Sangat Panjang",
        "PAYMENT_EXPIRY": "2h",
    }
)


def test_defaults_come_from_the_environment() -> None:
    shop = shop_from({}, SETTINGS)
    assert shop.name == "Warung Bu Siti Yang Sangat Panjang"
    assert shop.payment_expiry == timedelta(hours=2)
    assert shop.pickup and not shop.delivery and shop.is_open
    assert shop.cashier_label == "Warung Bu Siti Yang "  # Midtrans' 20-character label


def test_stored_values_round_trip() -> None:
    shop = replace(
        shop_from({}, SETTINGS),
        name="Kopi Kita",
        delivery=True,
        delivery_fee=8_000,
        is_open=False,
        closed_message="Buka lagi besok jam 7",
        payment_expiry=timedelta(days=1),
    )
    assert shop_from(shop_values(shop), SETTINGS) == shop
