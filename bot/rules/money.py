"""Money formatting. Amounts are always int Rupiah (Indonesia has no minor unit in use)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def format_rupiah(amount: int) -> str:
    """Format ``amount`` the way Indonesians write prices: ``Rp162.500`` (dots group thousands).

    Only ints are accepted, so a float or Decimal that slipped through is caught here instead of
    being printed as ``Rp162,500.0``.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be int Rupiah, got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")


def parse_amount(value: object) -> int:
    """Rupiah as sent by Midtrans ("162500.00", "162500" or 162500) to an int."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
        if number.is_finite() and number == number.to_integral_value():
            return int(number)
    raise ValueError(f"not a whole Rupiah amount: {value!r}")
