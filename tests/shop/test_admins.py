"""The claim gate on its own: guesses per account and in all, the code's size."""

from __future__ import annotations

import logging

import pytest

from bot.shop.admins import (
    CLAIM_CODE_DIGITS,
    MAX_GUESSES_IN_ALL,
    MAX_GUESSES_PER_ACCOUNT,
    ClaimGate,
    ClaimVerdict,
    new_claim_code,
)


def test_claim_codes_are_long_and_fresh() -> None:
    codes = {new_claim_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(code) == CLAIM_CODE_DIGITS and code.isdigit() for code in codes)
    # The figure the ClaimGate docstring states: a stranger's chance per start of the bot.
    assert MAX_GUESSES_IN_ALL / 10**CLAIM_CODE_DIGITS <= 1e-8


def test_each_account_has_a_few_guesses() -> None:
    gate = ClaimGate("1234567890")
    for _ in range(MAX_GUESSES_PER_ACCOUNT):
        assert gate.check(1, "0000000000") is ClaimVerdict.WRONG
    assert gate.check(1, "1234567890") is ClaimVerdict.LOCKED
    assert gate.check(2, "1234567890") is ClaimVerdict.RIGHT


def test_all_accounts_together_close_the_claim_and_the_log_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = ClaimGate("1234567890")
    caplog.set_level(logging.WARNING)
    user = 100
    for n in range(MAX_GUESSES_IN_ALL):
        user = 100 + n // MAX_GUESSES_PER_ACCOUNT
        assert gate.check(user, str(n)) is ClaimVerdict.WRONG
    assert gate.closed
    assert gate.check(user + 1, "1234567890") is ClaimVerdict.CLOSED
    assert gate.check(user + 2, "nope") is ClaimVerdict.CLOSED
    closing = [r.getMessage() for r in caplog.records if "closed" in r.getMessage()]
    assert closing == [
        f"/claim closed after {MAX_GUESSES_IN_ALL} wrong guesses from "
        f"{MAX_GUESSES_IN_ALL // MAX_GUESSES_PER_ACCOUNT} accounts; restart the bot for a new "
        "claim code"
    ]
