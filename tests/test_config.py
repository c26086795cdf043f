"""Each bad setting stops start-up with one line naming it; the server key never shows."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, load_settings, read_environment

KEY = "SB-Mid-server-abcdefghijklmnop"
GOOD = {
    "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345",
    "MIDTRANS_SERVER_KEY": KEY,
}


def test_defaults() -> None:
    settings = load_settings(GOOD, cpu_count=2)
    assert settings.midtrans_base_url == "https://api.sandbox.midtrans.com"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.payment_expiry == timedelta(hours=24)
    assert settings.database_path == Path("data/warung.db")
    assert settings.notification_url is None
    assert settings.max_pending_orders == 3
    assert settings.confirm_notifications is True
    assert settings.payment_worker is True


def test_overrides() -> None:
    settings = load_settings(
        {
            **GOOD,
            "MIDTRANS_ENVIRONMENT": "production",
            "MIDTRANS_SERVER_KEY": "Mid-server-abcdefgh",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9000/bot",
            "PUBLIC_BASE_URL": "https://shop.example.com/",
            "ADMIN_IDS": "1, 2 3",
            "PAYMENT_EXPIRY": "2h",
            "CONFIRM_NOTIFICATIONS": "off",
            "PAYMENT_WORKER": "false",
        }
    )
    assert settings.midtrans_base_url == "https://api.midtrans.com"
    assert settings.telegram_base_file_url == "http://127.0.0.1:9000/file/bot"
    assert settings.notification_url == "https://shop.example.com/midtrans/notification"
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.payment_expiry == timedelta(hours=2)
    assert settings.confirm_notifications is False
    assert settings.payment_worker is False


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("TELEGRAM_BOT_TOKEN", "", "is not set"),
        ("TELEGRAM_BOT_TOKEN", "nonsense", "BotFather"),
        ("MIDTRANS_SERVER_KEY", "", "is not set"),
        ("MIDTRANS_SERVER_KEY", "bad key!", "server key"),
        ("MIDTRANS_ENVIRONMENT", "staging", "sandbox or production"),
        ("MIDTRANS_API_BASE_URL", "ftp://x", "http(s) URL"),
        ("PUBLIC_BASE_URL", "http://shop.example.com", "https"),
        ("LISTEN_PORT", "99999", "1 to 65535"),
        ("LISTEN_PORT", "eighty", "not valid"),
        ("NOTIFICATION_PATH", "midtrans", "starting with /"),
        ("ADMIN_IDS", "12,abc", "'abc'"),
        ("PAYMENT_EXPIRY", "10s", "20s and 180d"),
        ("PAYMENT_EXPIRY", "200d", "20s and 180d"),
        ("PAYMENT_EXPIRY", "tomorrow", "duration"),
        ("PAYMENT_EXPIRY", "99999999999d", "20s and 180d"),
        ("PAYMENT_EXPIRY", "10", "duration"),
        ("REVERSAL_WINDOW", "99999999999d", "0s and 1d"),
        ("RECONCILE_INTERVAL", "999999999999h", "1s and 1d"),
        ("RECONCILE_INTERVAL", "0s", "1s and 1d"),
        ("RECONCILE_GRACE", "9999999999 minggu", "0s and 30d"),
        ("ADMIN_IDS", "12,99999999999999999999", "not a Telegram user id"),
        ("ADMIN_IDS", "4503599627370496", "not a Telegram user id"),
        ("ADMIN_IDS", "0", "not a Telegram user id"),
        ("NOTIFICATION_PATH", "/telegram", "same path as TELEGRAM_WEBHOOK_PATH"),
        ("NOTIFICATION_PATH", "/telegram/", "same path as TELEGRAM_WEBHOOK_PATH"),
        ("TELEGRAM_WEBHOOK_PATH", "/healthz", "health check"),
        ("MIDTRANS_SERVER_KEY", "SB-Mid-client-abcdefghijklmnop", "client key"),
        ("MIDTRANS_SERVER_KEY", "Mid-client-abcdefghijklmnop", "client key"),
        ("PUBLIC_BASE_URL", "https://shop.example.com:8443", "port 8443"),
        ("PUBLIC_BASE_URL", "https://shop.example.com:8080/", "so use 443"),
        ("PUBLIC_BASE_URL", "https://shop.example.com:x", "not a number"),
        ("MAX_PENDING_ORDERS", "0", "at least 1"),
        ("CONFIRM_NOTIFICATIONS", "maybe", "true or false"),
        ("PAYMENT_WORKER", "two", "true or false"),
        ("LOG_LEVEL", "LOUD", "DEBUG"),
    ],
)
def test_each_bad_value_names_the_setting(name: str, value: str, words: str) -> None:
    env = {**GOOD, name: value}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"setting {name}: ")
    assert words in line
    assert f"example: {name}=" in line
    assert KEY not in line
    assert "client-abcdefghijklmnop" not in line


def test_the_same_path_for_both_is_refused_whichever_was_changed() -> None:
    with pytest.raises(ConfigError, match=r"^setting NOTIFICATION_PATH: .*TELEGRAM_WEBHOOK_PATH"):
        load_settings({**GOOD, "TELEGRAM_WEBHOOK_PATH": "/midtrans/notification"})


def test_public_base_url_on_443_is_accepted() -> None:
    for url in ("https://shop.example.com", "https://shop.example.com:443/"):
        settings = load_settings({**GOOD, "PUBLIC_BASE_URL": url})
        assert settings.telegram_webhook_url is not None


def test_largest_telegram_user_id_is_accepted() -> None:
    settings = load_settings({**GOOD, "ADMIN_IDS": "4503599627370495"})
    assert settings.admin_ids == frozenset({2**52 - 1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("1D", timedelta(days=1)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("2 jam", timedelta(hours=2)),
        ("1,5 jam", timedelta(minutes=90)),
        ("1 hari", timedelta(days=1)),
        ("180d", timedelta(days=180)),
    ],
)
def test_env_takes_the_duration_forms_of_setexpiry(text: str, expected: timedelta) -> None:
    """One parser: what the seller types after /setexpiry also works in `.env`."""
    from bot.text.fields import parse_duration

    assert parse_duration(text) == expected
    assert load_settings({**GOOD, "PAYMENT_EXPIRY": text}).payment_expiry == expected


def test_payment_worker_default_follows_the_cpus() -> None:
    assert load_settings(GOOD, cpu_count=1).payment_worker is False
    assert load_settings(GOOD, cpu_count=2).payment_worker is True
    assert load_settings({**GOOD, "PAYMENT_WORKER": "true"}, cpu_count=1).payment_worker is True
    assert load_settings({**GOOD, "PAYMENT_WORKER": "false"}, cpu_count=8).payment_worker is False


def test_payment_worker_is_off_on_one_cpu(tmp_path: Path) -> None:
    """A one-core machine (here: this process held to one CPU) gets no second process."""
    script = (
        "import os, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
        "from bot.config import load_settings;"
        f"s = load_settings({GOOD!r});"
        "print(s.payment_worker)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_production_refuses_a_sandbox_key() -> None:
    with pytest.raises(ConfigError, match=r"MIDTRANS_SERVER_KEY.*sandbox key"):
        load_settings({**GOOD, "MIDTRANS_ENVIRONMENT": "production"})


def test_server_key_is_hidden_in_repr() -> None:
    settings = load_settings(GOOD)
    assert KEY not in repr(settings)
    assert KEY not in str(settings.midtrans_server_key)
    assert settings.midtrans_server_key.get() == KEY
    assert repr(Secret("x")) == "Secret('***')"


def test_env_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SHOP_NAME=Warung Dari File\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    env = read_environment(env_file)
    assert env["SHOP_NAME"] == "Warung Dari File"
    assert env["LOG_LEVEL"] == "WARNING"


def test_run_without_token_prints_one_line(tmp_path: Path) -> None:
    """`make run` on a fresh clone: one line telling what to set, exit status 2, no traceback."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_midtrans_timing_settings() -> None:
    base = {
        "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123",
        "MIDTRANS_SERVER_KEY": "SB-Mid-server-abcdefgh",
    }
    defaults = load_settings(base)
    assert defaults.reversal_window == timedelta(minutes=5)  # Midtrans: reversals in 1-5 min
    assert defaults.notification_deadline == timedelta(seconds=5)
    assert (defaults.status_poll_interval, defaults.status_check_rate) == (timedelta(seconds=15), 5)
    changed = load_settings(
        {
            **base,
            "NOTIFICATION_DEADLINE": "3s",
            "STATUS_POLL_INTERVAL": "20s",
            "STATUS_CHECK_RATE": "2",
        }
    )
    assert changed.notification_deadline == timedelta(seconds=3)
    assert (changed.status_poll_interval, changed.status_check_rate) == (timedelta(seconds=20), 2)
    for name, value in [
        ("NOTIFICATION_DEADLINE", "15s"),
        ("NOTIFICATION_DEADLINE", "0s"),
        ("STATUS_CHECK_RATE", "0"),
        ("STATUS_CHECK_RATE", "fast"),
        ("STATUS_POLL_INTERVAL", "0s"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, name: value})
