"""Secrets never reach a log line: a filter on the log handlers masks them in every record.

python-telegram-bot logs its API URL, and httpx logs each request URL; both carry the bot token
(``.../bot123456:AAE.../getMe``). Rather than silencing those loggers (and losing what they tell
at DEBUG), every record that passes a handler is rendered once, masked, and passed on as plain
text: message, arguments, exception text and stack alike. The Telegram token keeps its public
bot id (``123456:***``) so two bots can still be told apart in a log.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable

MASK = "***"
_MIN_SECRET = 6  # shorter strings would mask ordinary words


def secret_forms(secret: str) -> list[str]:
    """The ways a secret can show up in text: as is, and as HTTP Basic credentials."""
    if len(secret) < _MIN_SECRET:
        return []
    forms = [secret]
    if ":" in secret:  # a bot token: its part after the colon is the secret one
        forms.append(secret.split(":", 1)[1])
    else:  # a Midtrans server key travels as Basic base64("key:")
        forms.append(base64.b64encode(f"{secret}:".encode()).decode())
    return [form for form in forms if len(form) >= _MIN_SECRET]


class SecretMask(logging.Filter):
    """Replaces each secret with ``***`` in a record before any formatter sees it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._forms: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Mask these too from now on: platform mode learns a shop's token and keys while it
        runs (a pasted token is added before the first call that carries it)."""
        forms = set(self._forms) | {form for secret in secrets for form in secret_forms(secret)}
        # Longest first, so a whole token is replaced before its secret half is looked for.
        # A new list replaces the old one whole: a record being masked in another thread keeps
        # reading the list it started with.
        self._forms = sorted(forms, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                if ":" in form:  # whole token: keep the public bot id in front of the colon
                    text = text.replace(form, form.split(":", 1)[0] + ":" + MASK)
                else:
                    text = text.replace(form, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._forms:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg = self.mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def install(secrets: Iterable[str], logger: logging.Logger | None = None) -> SecretMask:
    """Put one ``SecretMask`` on every handler of ``logger`` (the root logger by default).

    A filter on a handler sees records of every logger that reaches it, which a filter on a
    logger does not (it sees only records logged on that very logger).
    """
    target = logger or logging.getLogger()
    mask = SecretMask(secrets)
    for handler in target.handlers:
        handler.addFilter(mask)
    return mask
