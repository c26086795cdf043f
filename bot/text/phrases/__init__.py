"""The text catalogue: every user-facing string, in Indonesian (default) and English.

Strings are grouped by area, one module each (``customer``, ``admin``, ``push``, ``slip``, ...).
Every module defines two dicts, ``ID`` and ``EN``, with the same keys and the same
``{placeholders}``; ``tests/text/test_texts.py`` checks that. Values are ``str.format`` templates.
Texts go out with ``parse_mode=HTML``: callers escape user-provided values (``html.escape``)
before formatting them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from bot.text.phrases import common, customer, groups, platform, push, seller, slip

DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")
AREAS: tuple[ModuleType, ...] = (common, customer, seller, push, slip, groups, platform)


def _merge(attr: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in AREAS:
        table: Mapping[str, str] = getattr(area, attr)
        for key, value in table.items():
            if key in merged:
                raise RuntimeError(f"text key {key!r} is defined twice ({area.__name__})")
            merged[key] = value
    return merged


CATALOGUE: dict[str, dict[str, str]] = {"id": _merge("ID"), "en": _merge("EN")}


def language_for(code: str | None) -> str:
    """Pick the catalogue language for a Telegram ``language_code`` (English only when asked)."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(lang: str, key: str, /, **values: object) -> str:
    """Look up ``key`` in ``lang`` (falling back to Indonesian) and fill its placeholders."""
    table = CATALOGUE.get(lang, CATALOGUE[DEFAULT_LANGUAGE])
    template = table.get(key)
    if template is None:
        template = CATALOGUE[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template
