"""README.md and .env.example stay true to the code: every setting the bot reads is in both, with
the bot's own default, and every module of the tree is in README's Code map.

Why: four branches changed settings and modules in parallel and their README edits were merged
by hand; an operator reads the table and `.env.example`, a newcomer the Code map, and neither can
tell a stale line from a true one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
MAPPED_FOLDERS = ("bot", "storage", "devtools")


class _Recording(Mapping[str, str]):
    """An environment that remembers every name the bot asks it for."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values = dict(values or {})
        self.asked: list[str] = []

    def __getitem__(self, name: str) -> str:
        self.asked.append(name)
        return self.values[name]

    def get(self, name: str, default: object = None) -> str:  # type: ignore[override]
        self.asked.append(name)
        return self.values.get(name, "" if default is None else str(default))

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def _load(values: Mapping[str, str]) -> Settings:
    return load_settings(values, require_telegram=False, cpu_count=2)


def settings_read() -> list[str]:
    """The names load_settings reads, in its order (asked of the environment, not grepped)."""
    env = _Recording()
    _load(env)
    return list(dict.fromkeys(env.asked))


def platform_settings_read() -> list[str]:
    """The names ``load_platform_settings`` reads (the bot's and the platform's own), in its
    order, asked of the environment with valid values for the required ones."""
    import base64

    from bot.platform.config import load_platform_settings

    env = _Recording(
        {
            "DATABASE_URL": "postgresql://warung@127.0.0.1/warung",
            "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(bytes(32)).decode(),
            "PLATFORM_LOOKUP_KEY": base64.b64encode(bytes(16)).decode(),
            "PUBLIC_BASE_URL": "https://warung.example.com",
            "PLATFORM_BOT_TOKEN": "123456789:" + "A" * 35,
        }
    )
    load_platform_settings(env)
    return list(dict.fromkeys(env.asked))


def env_example() -> dict[str, str]:
    found = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE, flags=re.MULTILINE)
    return {name: value.strip() for name, value in found}


def readme_settings_table() -> dict[str, str]:
    """Setting name -> its Default cell; a row like `A` / `B` with `1` / `2` gives A=1, B=2."""
    section = README.split("| Setting | Default | Meaning |", 1)[1].split("\n\n", 1)[0]
    table: dict[str, str] = {}
    for row in section.splitlines()[1:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        parts = cells[1].split(" / ")
        if len(parts) != len(names):
            parts = [cells[1]] * len(names)
        table.update(zip(names, parts, strict=True))
    return table


def code_map_modules() -> tuple[set[str], set[str]]:
    """Module paths the Code map names, as (spelt out, by stem): spelt out is `bot/app.py` at
    the left margin, `orders.py` under a folder line, `menu.py` on a folder's line; by stem is
    any word on a folder's own line (`phrases/  the catalogue (common, customer, ...)`)."""
    block = README.split("## Code map", 1)[1].split("```", 2)[1]
    spelt: set[str] = set()
    stems: set[str] = set()
    top = folder = ""
    folder_line = False
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        first, _, rest = stripped.partition(" ")
        if indent <= 2:
            if indent == 0:
                top = first if first.endswith("/") else first.rsplit("/", 1)[0] + "/"
            folder_line = first.endswith("/")
            folder = (top if indent == 0 else top + first) if folder_line else top
            if first.endswith(".py"):
                spelt.add(first if indent == 0 else top + first)
        else:  # a continuation of the line above
            rest = stripped
        spelt.update(folder + name for name in re.findall(r"\b(\w+\.py)\b", rest))
        if folder_line:
            stems.update(folder + word + ".py" for word in re.findall(r"\b\w+\b", rest))
    return spelt, stems


def test_every_setting_is_in_the_readme_table_and_env_example() -> None:
    read = settings_read()
    assert len(read) > 30, read  # the recording sees load_settings' reads
    table, example = readme_settings_table(), env_example()
    assert [n for n in read if n not in table] == [], "settings missing from README's table"
    assert [n for n in read if n not in example] == [], "settings missing from .env.example"
    assert [n for n in table if n not in read] == [], "README's table names unknown settings"
    assert [n for n in example if n not in read] == [], ".env.example names unknown settings"


def test_env_example_values_are_the_defaults() -> None:
    defaults = _load({})
    differ = [
        name for name, value in env_example().items() if value and _load({name: value}) != defaults
    ]
    assert differ == [], ".env.example values that are not the bot's defaults"
    assert _load(env_example()) == defaults


def test_readme_defaults_are_the_defaults() -> None:
    """Each Default cell that is one plain value (`5m`, `sandbox`) is what the bot uses."""
    defaults = _load({})
    checked, differ = [], []
    for name, cell in readme_settings_table().items():
        plain = re.fullmatch(r"`([^`]*)`", cell)
        if plain is None:
            continue  # "(required)", "empty", "by environment", "random per start", ...
        checked.append(name)
        if _load({name: plain.group(1)}) != defaults:
            differ.append(f"{name}={plain.group(1)}")
    assert differ == [], "README's Default column disagrees with bot/config.py"
    assert len(checked) > 20, checked


def test_every_module_is_in_the_code_map() -> None:
    spelt, stems = code_map_modules()
    modules = sorted(
        str(path.relative_to(ROOT))
        for folder in MAPPED_FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "__init__.py"
    )
    assert len(modules) > 50, modules
    missing = [m for m in modules if m not in spelt | stems]
    assert missing == [], "modules missing from README's Code map"
    stale = sorted(m for m in spelt if not (ROOT / m).is_file())
    assert stale == [], "README's Code map names files that do not exist"


def test_every_platform_setting_is_in_its_readme_table_and_env_example() -> None:
    """The names load_platform_settings reads beyond the bot's own: in README's "Platform
    setting" table and, commented out, in .env.example."""
    names = [n for n in platform_settings_read() if n not in settings_read()]
    table = README.split("| Platform setting | Default | Meaning |", 1)[1].split("\n\n", 1)[0]
    in_table = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)`", table, flags=re.MULTILINE))
    commented = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))
    assert "PLATFORM_BOT_TOKEN" in names and len(names) >= 5, names
    assert [n for n in names if n not in in_table] == [], "missing from README's platform table"
    assert [n for n in names if n not in commented] == [], "missing from .env.example"
