"""The catalogue is complete in both languages and every template formats with its own fields."""

import string

from bot.text import phrases


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages() -> None:
    assert set(phrases.CATALOGUE["id"]) == set(phrases.CATALOGUE["en"])


def test_placeholders_match_between_languages() -> None:
    for key, template in phrases.CATALOGUE["id"].items():
        assert _fields(template) == _fields(phrases.CATALOGUE["en"][key]), key


def test_language_for_defaults_to_indonesian() -> None:
    assert phrases.language_for(None) == "id"
    assert phrases.language_for("id") == "id"
    assert phrases.language_for("ms") == "id"
    assert phrases.language_for("en-GB") == "en"


def test_lookup_formats_values() -> None:
    assert phrases.t("en", "button.back") == "« Back"
    assert "gangguan" in phrases.t("id", "error.generic")
