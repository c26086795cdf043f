"""Shop settings: defaults, stored overrides, and the round trip."""

from dataclasses import replace
from datetime import timedelta

from bot.rules.shop import new_shop, shop_from, shop_values

DEFAULTS = new_shop("Warung Bu Siti Yang Sangat Panjang", timedelta(hours=2))


def test_defaults_apply_when_nothing_is_stored() -> None:
    shop = shop_from({}, DEFAULTS)
    assert shop.name == "Warung Bu Siti Yang Sangat Panjang"
    assert shop.payment_expiry == timedelta(hours=2)
    assert shop.pickup and not shop.delivery and shop.is_open
    assert shop.cashier_label == "Warung Bu Siti Yang "  # Midtrans' 20-character label


def test_stored_values_round_trip() -> None:
    shop = replace(
        shop_from({}, DEFAULTS),
        name="Kopi Kita",
        delivery=True,
        delivery_fee=8_000,
        is_open=False,
        closed_message="Buka lagi besok jam 7",
        payment_expiry=timedelta(days=1),
    )
    assert shop_from(shop_values(shop), DEFAULTS) == shop
