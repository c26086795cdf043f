"""The order state machine and pricing, exhaustively: no I/O, so every case is cheap."""

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.orders import (
    FINAL,
    INDOMARET_MAX_AMOUNT,
    RELEASES_STOCK,
    TRANSITIONS,
    CartProblem,
    Event,
    OrderStatus,
    PricedProduct,
    event_from_midtrans,
    new_order_id,
    next_status,
    quote,
    quote_fingerprint,
    releases_stock,
)

S = OrderStatus
EXPECTED = {
    (S.AWAITING_PAYMENT, Event.SETTLEMENT): S.PAID,
    (S.AWAITING_PAYMENT, Event.CAPTURE): S.PAID,
    (S.AWAITING_PAYMENT, Event.EXPIRE): S.EXPIRED,
    (S.AWAITING_PAYMENT, Event.CANCEL): S.CANCELLED,
    (S.AWAITING_PAYMENT, Event.DENY): S.FAILED,
    (S.AWAITING_PAYMENT, Event.FAILURE): S.FAILED,
    (S.AWAITING_PAYMENT, Event.CHARGE_REFUSED): S.FAILED,
    (S.PAID, Event.DENY): S.REVERSED,
    (S.PAID, Event.REFUND): S.REFUNDED,
    (S.PAID, Event.PARTIAL_REFUND): S.REFUNDED,
    (S.PAID, Event.FULFIL): S.FULFILLED,
    (S.FULFILLED, Event.DENY): S.REVERSED,
    (S.FULFILLED, Event.REFUND): S.REFUNDED,
    (S.FULFILLED, Event.PARTIAL_REFUND): S.REFUNDED,
}


@pytest.mark.parametrize(("status", "event"), list(itertools.product(S, Event)))
def test_every_status_event_pair(status: OrderStatus, event: Event) -> None:
    assert next_status(status, event) == EXPECTED.get((status, event))


def test_table_is_the_expected_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED


def test_final_states_never_move() -> None:
    for status, event in itertools.product(FINAL, Event):
        assert next_status(status, event) is None


def test_nothing_moves_back_to_awaiting_payment() -> None:
    assert S.AWAITING_PAYMENT not in TRANSITIONS.values()


RANK = {S.AWAITING_PAYMENT: 0, S.PAID: 1, S.FULFILLED: 2}


@given(st.lists(st.sampled_from(list(Event)), max_size=30))
def test_any_event_sequence_only_moves_forward(events: list[Event]) -> None:
    status = S.AWAITING_PAYMENT
    for event in events:
        moved = next_status(status, event)
        if moved is None:
            continue
        assert moved not in RANK or RANK[moved] > RANK[status]
        status = moved


def test_stock_is_released_on_expire_cancel_failure_reversal_only() -> None:
    assert RELEASES_STOCK == {S.EXPIRED, S.CANCELLED, S.FAILED, S.REVERSED}


@pytest.mark.parametrize(("current", "event"), list(TRANSITIONS))
def test_stock_goes_back_only_for_goods_not_handed_over(current: OrderStatus, event: Event) -> None:
    new = TRANSITIONS[(current, event)]
    expected = new in {S.EXPIRED, S.CANCELLED, S.FAILED} or (
        new is S.REVERSED and current is S.PAID
    )
    assert releases_stock(current, new) is expected


def test_the_quote_fingerprint_changes_with_anything_priced() -> None:
    products = _products()
    base = quote({1: 2, 2: 1}, products, 8_000)
    assert quote_fingerprint(base) == quote_fingerprint(quote({1: 2, 2: 1}, _products(), 8_000))
    dearer = dict(products)
    dearer[1] = PricedProduct(1, products[1].name, products[1].price + 1, None, True)
    renamed = dict(products)
    renamed[1] = PricedProduct(1, "Kopi hitam", products[1].price, None, True)
    for other in (
        quote({1: 2, 2: 1}, dearer, 8_000),  # a price
        quote({1: 2, 2: 1}, renamed, 8_000),  # what the line says
        quote({1: 3, 2: 1}, products, 8_000),  # a quantity
        quote({1: 2, 2: 1}, products, 9_000),  # the delivery fee
        quote({1: 2}, products, 8_000),  # a line gone
    ):
        assert quote_fingerprint(other) != quote_fingerprint(base)


@pytest.mark.parametrize(
    ("status", "fraud", "event"),
    [
        ("settlement", None, Event.SETTLEMENT),
        ("SETTLEMENT", None, Event.SETTLEMENT),
        ("pending", None, Event.PENDING),
        ("expire", None, Event.EXPIRE),
        ("deny", None, Event.DENY),
        ("capture", "accept", Event.CAPTURE),
        ("capture", "challenge", None),
        ("authorize", None, None),
        ("fulfil", None, None),
        ("charge_refused", None, None),
        ("", None, None),
    ],
)
def test_midtrans_status_mapping(status: str, fraud: str | None, event: Event | None) -> None:
    assert event_from_midtrans(status, fraud) == event


def _products() -> dict[int, PricedProduct]:
    return {
        1: PricedProduct(1, "Kopi susu", 18_000, 5, True),
        2: PricedProduct(2, "Roti bakar", 12_500, None, True),
        3: PricedProduct(3, "Es teh", 5_000, 0, False),
        4: PricedProduct(4, "Tumpeng", 2_500_000, None, True),
    }


def test_quote_sums_lines_and_fee() -> None:
    result = quote({1: 2, 2: 1}, _products(), delivery_fee=10_000)
    assert result.ok
    assert result.subtotal == 48_500
    assert result.total == 58_500
    assert [line.total for line in result.lines] == [36_000, 12_500]


@pytest.mark.parametrize(
    ("cart", "problem"),
    [
        ({}, CartProblem.EMPTY),
        ({3: 1}, CartProblem.UNAVAILABLE),
        ({99: 1}, CartProblem.UNAVAILABLE),
        ({1: 6}, CartProblem.NOT_ENOUGH_STOCK),
        ({1: 0}, CartProblem.BAD_QUANTITY),
        ({2: -1}, CartProblem.BAD_QUANTITY),
        ({2: 1000}, CartProblem.BAD_QUANTITY),
        ({2: 0, 1: 0}, CartProblem.BAD_QUANTITY),
        ({4: 3}, CartProblem.TOTAL_TOO_HIGH),
    ],
)
def test_quote_problems(cart: dict[int, int], problem: CartProblem) -> None:
    result = quote(cart, _products())
    assert not result.ok
    assert problem in [p for p, _ in result.problems]


def test_quote_below_indomaret_minimum() -> None:
    products = {5: PricedProduct(5, "Permen", 1_000, None, True)}
    assert quote({5: 9}, products).problems == ((CartProblem.TOTAL_TOO_LOW, ""),)
    assert quote({5: 10}, products).ok


@given(st.dictionaries(st.integers(1, 4), st.integers(-5, 120), max_size=4), st.integers(0, 50_000))
def test_quote_total_is_consistent(cart: dict[int, int], fee: int) -> None:
    result = quote(cart, _products(), delivery_fee=fee)
    assert result.total == sum(line.price * line.quantity for line in result.lines) + (
        fee if result.lines else 0
    )
    if result.ok:
        assert 10_000 <= result.total <= INDOMARET_MAX_AMOUNT


def test_order_id_is_midtrans_safe_and_unique() -> None:
    now = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    ids = {new_order_id(now) for _ in range(2000)}
    assert len(ids) == 2000
    for order_id in ids:
        assert order_id.startswith("WB-261126-")  # 20:00 UTC is the next day in WIB
        assert len(order_id) <= 50
        assert all(c.isalnum() or c in "-_~." for c in order_id)
