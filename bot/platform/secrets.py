"""Secrets at rest for platform mode: shop bot tokens, webhook secrets, Midtrans server keys.

Why: one database holds the keys to thousands of sellers' bots and Midtrans accounts, so a dump
of it must not be enough to use them. Each value is sealed with AES-GCM under a master key the
database never sees. The sealed text names the key that sealed it, so master keys can rotate:
several are known (old ones still open what they sealed), the newest seals. The shop id and the
field name are the associated data: a sealed value copied to another shop's row, or from the
token column to the key column, no longer opens.

A bot token must be unique across shops, but sealed values cannot be compared (each seal uses a
fresh nonce), so the store also keeps ``token_hash``: an HMAC-SHA256 under a lookup key of its
own. That key does not rotate with the master keys (changing it means rehashing every token,
which ``SecretBox.open`` makes possible). Pure: no I/O, no logging.

Sealed form (ASCII, fits a TEXT column): ``v1.<key id>.<base64url(nonce || ciphertext+tag)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "FIELDS",
    "KeyRing",
    "SecretBox",
    "SecretError",
    "parse_key_ring",
    "token_hash",
]

VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random per seal
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
FIELDS = frozenset({"bot_token", "webhook_secret", "midtrans_server_key"})
"""The fields sealed today; a field name is part of the associated data."""


class SecretError(ValueError):
    """A sealed value cannot be opened (unknown key id, wrong shop or field, tampered, or not a
    sealed value at all), or a key is unusable. The message never carries secret material."""


@dataclass(frozen=True, repr=False)
class KeyRing:
    """The master keys by id, and the id of the newest (the one that seals)."""

    keys: Mapping[str, bytes]
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise SecretError(f"the current key id {self.current!r} is not among the keys")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise SecretError(f"key id {key_id!r}: use 1-32 letters, digits, - or _")
            if len(key) != KEY_BYTES:
                raise SecretError(f"key {key_id!r} must be {KEY_BYTES} bytes, not {len(key)}")

    def __repr__(self) -> str:
        return f"KeyRing(ids={sorted(self.keys)!r}, current={self.current!r})"


def parse_key_ring(text: str) -> KeyRing:
    """A key ring from a setting: ``id:base64key`` entries separated by commas, newest first
    (``2025b:Zm9v...,2025a:YmFy...``). Generate a key with ``openssl rand -base64 32``."""
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    if not entries:
        raise SecretError("no master key given: write id:base64key, newest first")
    keys: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id:
            raise SecretError("each master key is written id:base64key")
        if key_id in keys:
            raise SecretError(f"key id {key_id!r} is given twice")
        try:
            keys[key_id] = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SecretError(f"key {key_id!r} is not valid base64") from None
    return KeyRing(keys, current=entries[0].partition(":")[0].strip())


def _associated(shop_id: int | str, field: str) -> bytes:
    if field not in FIELDS:
        raise SecretError(f"unknown secret field {field!r}")
    return f"warung-secret/{VERSION}/shop={shop_id}/field={field}".encode()


class SecretBox:
    """Seals and opens one shop's secrets with the key ring."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in ring.keys.items()}

    def __repr__(self) -> str:
        return f"SecretBox({self._ring!r})"

    def seal(self, plaintext: str, *, shop_id: int | str, field: str) -> str:
        """Seal under the current key with a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        key_id = self._ring.current
        sealed = self._ciphers[key_id].encrypt(
            nonce, plaintext.encode("utf-8"), _associated(shop_id, field)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{VERSION}.{key_id}.{body}"

    def open(self, sealed: str, *, shop_id: int | str, field: str) -> str:
        """The plaintext; SecretError when it was sealed for another shop or field, under a key
        this ring does not know, or was changed."""
        version, key_id, body = _split(sealed)
        if version != VERSION:
            raise SecretError(f"unknown sealed-value version {version!r}")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SecretError(f"sealed with key {key_id!r}, which is not among the master keys")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise SecretError("the sealed value is damaged") from None
        if len(raw) < NONCE_BYTES + 16:
            raise SecretError("the sealed value is damaged")
        try:
            plain = cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(shop_id, field)
            )
        except InvalidTag:
            raise SecretError(
                f"the sealed {field} does not open for shop {shop_id} (another shop's or "
                "field's value, or changed)"
            ) from None
        return plain.decode("utf-8")

    def needs_reseal(self, sealed: str) -> bool:
        """True when the value was sealed under an older key (a rotation job reseals it)."""
        return _split(sealed)[1] != self._ring.current

    def reseal(self, sealed: str, *, shop_id: int | str, field: str) -> str:
        """Open under whichever known key sealed it, seal again under the current key."""
        return self.seal(
            self.open(sealed, shop_id=shop_id, field=field), shop_id=shop_id, field=field
        )


def _split(sealed: str) -> tuple[str, str, str]:
    parts = sealed.split(".")
    if len(parts) != 3 or not all(parts):
        raise SecretError("not a sealed value")
    return parts[0], parts[1], parts[2]


def token_hash(token: str, lookup_key: bytes) -> str:
    """HMAC-SHA256 of a bot token, hex: equal tokens, equal hashes; without the lookup key a
    leaked hash cannot be checked against guesses. Surrounding blanks do not count."""
    if len(lookup_key) < 16:
        raise SecretError("the token lookup key must be at least 16 bytes")
    return hmac.new(lookup_key, token.strip().encode("utf-8"), hashlib.sha256).hexdigest()
