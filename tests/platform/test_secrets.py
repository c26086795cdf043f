"""Secrets at rest: a sealed value opens only for its shop and field, under a known key; keys
rotate; the token hash finds equal tokens without revealing them; nothing leaks into a log."""

from __future__ import annotations

import base64
import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logging_filter import install
from bot.platform.secrets import (
    FIELDS,
    KeyRing,
    SecretBox,
    SecretError,
    parse_key_ring,
    token_hash,
)

OLD = bytes(range(32))
NEW = bytes(range(32, 64))
LOOKUP = b"lookup-key-0123456789abcdef"
TOKEN = "7001234567:AAHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0jK"


def box(*, current: str = "k2") -> SecretBox:
    return SecretBox(KeyRing({"k1": OLD, "k2": NEW}, current=current))


@given(
    plaintext=st.text(max_size=300),
    shop_id=st.integers(min_value=1, max_value=2**63 - 1),
    field=st.sampled_from(sorted(FIELDS)),
)
def test_round_trip(plaintext: str, shop_id: int, field: str) -> None:
    sealed = box().seal(plaintext, shop_id=shop_id, field=field)
    assert sealed.isascii() and sealed.startswith("v1.k2.")
    assert box().open(sealed, shop_id=shop_id, field=field) == plaintext


def test_sealed_value_hides_the_plaintext_and_differs_each_time() -> None:
    first = box().seal(TOKEN, shop_id=1, field="bot_token")
    second = box().seal(TOKEN, shop_id=1, field="bot_token")
    assert first != second  # a fresh nonce per seal
    assert TOKEN not in first and TOKEN.split(":")[1] not in first


def test_moved_to_another_shop_or_field_does_not_open() -> None:
    sealed = box().seal(TOKEN, shop_id=1, field="bot_token")
    with pytest.raises(SecretError, match="does not open for shop 2"):
        box().open(sealed, shop_id=2, field="bot_token")
    with pytest.raises(SecretError, match="does not open"):
        box().open(sealed, shop_id=1, field="webhook_secret")


def test_changed_or_damaged_values_do_not_open() -> None:
    sealed = box().seal("SB-Mid-server-abc123", shop_id=5, field="midtrans_server_key")
    head, body = sealed.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    flipped = head + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    for bad in (flipped, "not sealed", "v1.k2.", "v1.k2.abc", "v9.k2." + body, sealed + "x"):
        with pytest.raises(SecretError):
            box().open(bad, shop_id=5, field="midtrans_server_key")


def test_key_rotation_old_values_open_and_reseal_under_the_newest() -> None:
    before = box(current="k1").seal(TOKEN, shop_id=3, field="bot_token")
    assert before.startswith("v1.k1.")
    rotated = box(current="k2")
    assert rotated.open(before, shop_id=3, field="bot_token") == TOKEN
    assert rotated.needs_reseal(before)
    after = rotated.reseal(before, shop_id=3, field="bot_token")
    assert after.startswith("v1.k2.") and not rotated.needs_reseal(after)
    only_new = SecretBox(KeyRing({"k2": NEW}, current="k2"))
    with pytest.raises(SecretError, match="not among the master keys"):
        only_new.open(before, shop_id=3, field="bot_token")
    assert only_new.open(after, shop_id=3, field="bot_token") == TOKEN


def test_the_same_key_under_another_id_does_not_open() -> None:
    sealed = box().seal(TOKEN, shop_id=3, field="bot_token")
    other = SecretBox(KeyRing({"k2": OLD}, current="k2"))
    with pytest.raises(SecretError):
        other.open(sealed, shop_id=3, field="bot_token")


def test_unknown_field_is_refused() -> None:
    with pytest.raises(SecretError, match="unknown secret field"):
        box().seal("x", shop_id=1, field="password")


def test_key_ring_setting_newest_first() -> None:
    text = f"k2:{base64.b64encode(NEW).decode()}, k1:{base64.b64encode(OLD).decode()}"
    ring = parse_key_ring(text)
    assert ring.current == "k2" and ring.keys == {"k2": NEW, "k1": OLD}
    assert base64.b64encode(NEW).decode() not in repr(ring) and "k1" in repr(ring)
    assert "Secret" in repr(SecretBox(ring)) and base64.b64encode(NEW).decode() not in repr(
        SecretBox(ring)
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "no master key"),
        ("k1", "id:base64key"),
        (":" + base64.b64encode(NEW).decode(), "id:base64key"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
        ("bad id:" + base64.b64encode(NEW).decode(), "letters, digits"),
        (f"k1:{base64.b64encode(NEW).decode()},k1:{base64.b64encode(OLD).decode()}", "twice"),
    ],
)
def test_key_ring_setting_mistakes_are_named(text: str, complaint: str) -> None:
    with pytest.raises(SecretError, match=complaint) as caught:
        parse_key_ring(text)
    assert base64.b64encode(NEW).decode() not in str(caught.value)


def test_token_hash_is_keyed_and_stable() -> None:
    assert token_hash(TOKEN, LOOKUP) == token_hash(f"  {TOKEN}\n", LOOKUP)
    assert token_hash(TOKEN, LOOKUP) != token_hash(TOKEN, LOOKUP + b"x")
    assert token_hash(TOKEN, LOOKUP) != token_hash(TOKEN[:-1] + "L", LOOKUP)
    assert TOKEN.split(":")[1] not in token_hash(TOKEN, LOOKUP)
    with pytest.raises(SecretError):
        token_hash(TOKEN, b"short")


def test_mask_learns_secrets_while_running() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.platform.mask")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler(stream))
    mask = install([], logger)
    logger.info("before: %s", "SB-Mid-server-OLDKEY123")
    mask.add(TOKEN, "SB-Mid-server-SHOPKEY999", "hook-secret-abcdef")
    logger.info("POST /bot%s/getMe", TOKEN)
    logger.info("key %s hook %s", "SB-Mid-server-SHOPKEY999", "hook-secret-abcdef")
    text = stream.getvalue()
    assert "SB-Mid-server-OLDKEY123" in text  # not registered: a plain string
    assert TOKEN.split(":")[1] not in text and "7001234567:***" in text
    assert "SHOPKEY999" not in text and "hook-secret-abcdef" not in text
