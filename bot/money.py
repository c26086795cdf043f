"""Money formatting. Amounts are always int Rupiah (Indonesia has no minor unit in use)."""

from __future__ import annotations


def format_rupiah(amount: int) -> str:
    """Format ``amount`` the way Indonesians write prices: ``Rp162.500`` (dots group thousands).

    Only ints are accepted, so a float or Decimal that slipped through is caught here instead of
    being printed as ``Rp162,500.0``.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be int Rupiah, got {type(amount).__name__}")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
