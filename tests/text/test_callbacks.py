"""Button data: what our buttons carry fits Telegram, and forged numbers are recognised."""

import pytest

from bot.text import callbacks


@pytest.mark.parametrize(
    "data",
    ["p:12:3", "o:0", "ov:WB-261125-7KQ2ZD", "cs:5:0", "m", "as:delivery", "p:-1:1", "x:abc"],
)
def test_ordinary_data_is_not_forged(data: str) -> None:
    assert not callbacks.has_forged_number(data)


@pytest.mark.parametrize(
    "data",
    [
        "p:99999999999999999999999:1",
        "a:1:99999999999999999999999",
        "o:9223372036854775808",  # SQLite's largest integer plus one
        "cs:-99999999999999999999:1",
        f"p:{2**53}:1",
    ],
)
def test_numbers_no_button_carries_are_forged(data: str) -> None:
    assert callbacks.has_forged_number(data)


def test_data_is_checked_against_telegrams_64_bytes() -> None:
    assert callbacks.data("p", 1, 2) == "p:1:2"
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.data("p", "x" * 70)
