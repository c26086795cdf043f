"""`make demo` is the newcomer's first run: the whole story must play, in-process and as a command.

The transcript is asserted on with the bot's own catalogue texts, so a wording change in the
catalogue does not break these tests, while a missing push or button does.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.messages import pushes
from bot.shop.fulfilment import customer_text
from bot.text import phrases
from devtools import demo
from devtools.demo import SHOP_NAME, DemoEnv, DemoError, demo_environment, interactive, play_story
from devtools.telegram import parse_entities

REPO = Path(__file__).resolve().parents[2]


def _first_line(html_text: str) -> str:
    """What the transcript shows of a message: its first line, as the user reads it."""
    plain, _ = parse_entities(html_text, "HTML")
    return plain.splitlines()[0]


CODE_TITLE = _first_line(
    phrases.t("id", "paycode.message", code="", amount="", expiry="", order_id="")
)
PAID_TITLE = _first_line(phrases.t("id", "push.paid", order_id="", summary="", fulfilment=""))


def _decode(png: bytes) -> set[str]:
    return {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


async def test_scripted_story_transcript_and_files(tmp_path: Path) -> None:
    echoed: list[str] = []
    out = tmp_path / "out"
    started = time.monotonic()
    async with demo_environment(tmp_path / "work") as env:
        result = await play_story(env, out, echoed.append)
    elapsed = time.monotonic() - started
    text = result.text
    assert text == "\n".join(echoed)
    paid, expired = result.paid_order, result.expired_order
    assert paid.charge is not None and expired.charge is not None
    code = paid.charge.payment_code

    # The seller adds products; the customer types an order and checks out.
    assert "👤 Siti: /add Kopi susu | 18000 | 20" in text
    assert "👤 Budi: 2 kopi susu, 1 roti bakar" in text
    assert f"[ {phrases.t('id', 'button.typed_confirm')} ]" in text
    assert "Rp48.500" in text  # 2 × Rp18.000 + Rp12.500
    assert paid.gross_amount == 48_500
    # The payment code message, the code itself, and the slip photo.
    assert CODE_TITLE in text
    assert code in text
    assert f"{result.slip.name}]" in text
    # Midtrans' 'pending' notification right after the charge reaches the listener.
    pending = "right after the charge, Midtrans sandbox → bot listener: signed 'pending'"
    assert pending in text
    assert text.index(pending) < text.index("signed 'settlement'")
    # The sandbox settles over HTTP; the customer's paid push, then the seller's push.
    assert "answered HTTP 200" in text
    paid_push = _first_line(pushes.customer_paid(paid).params["text"])
    seller_push = _first_line(pushes.seller_paid(paid, 1).params["text"])
    assert paid_push in text
    assert seller_push in text
    assert f"[ {phrases.t('id', 'push.button.fulfil')} ]" in text
    # The seller marks it fulfilled and the customer is told.
    assert _first_line(customer_text(paid, SHOP_NAME)) in text
    assert text.index(paid_push) < text.index(seller_push)
    # The second order expires: the push with the order-again button.
    assert _first_line(pushes.customer_expired(expired).params["text"]) in text
    assert f"[ {phrases.t('id', 'push.button.reorder')} ]" in text
    # The seller's /sales 7d answer with its chart.
    assert "👤 Siti: /sales 7d" in text
    assert "[photo: saved to" in text and "sales-7d" in text

    # Files: the slip is a lossless PNG whose barcodes hold the payment code; the chart decodes.
    assert result.slip.parent == out and result.slip.exists()
    slip_png = result.slip.read_bytes()
    assert slip_png.startswith(b"\x89PNG")
    assert _decode(slip_png) == {code}
    assert result.chart.exists()
    with Image.open(result.chart) as chart:
        assert chart.format == "PNG" and chart.width > 100
    assert result.violations == []
    assert elapsed < 30, f"the story took {elapsed:.1f}s"


async def test_interactive_customer_orders_taps_by_number_and_pays(tmp_path: Path) -> None:
    lines: list[str] = []

    def number_of(button: str) -> Callable[[], Awaitable[str]]:
        """Read the number the transcript printed next to a button, as a person would."""

        async def pick() -> str:
            for line in reversed(lines):
                found = re.search(rf"\[ (\d+): {re.escape(button)} \]", line)
                if found:
                    return found.group(1)
            raise AssertionError(f"no numbered {button!r} button:\n" + "\n".join(lines))

        return pick

    def after(marker: str, then: str) -> Callable[[], Awaitable[str]]:
        async def wait() -> str:
            for _ in range(200):
                if any(marker in line for line in lines):
                    return then
                await asyncio.sleep(0.05)
            raise AssertionError(f"{marker!r} never showed:\n" + "\n".join(lines))

        return wait

    def said(text: str) -> Callable[[], Awaitable[str]]:
        async def line() -> str:
            return text

        return line

    script: list[Callable[[], Awaitable[str]]] = [
        said("pay"),  # nothing ordered yet: a hint, no crash
        said("/start"),
        said("2 kopi susu, 1 roti bakar"),
        number_of(phrases.t("id", "button.typed_confirm")),
        number_of(phrases.t("id", "button.checkout")),
        said("Budi Santoso"),
        said("share phone"),
        number_of(phrases.t("id", "button.skip")),  # email
        number_of(phrases.t("id", "button.skip")),  # note
        number_of(phrases.t("id", "button.pay")),
        after(CODE_TITLE, "pay"),
        after(PAID_TITLE, "quit"),
    ]
    steps = iter(script)

    async def read_line() -> str | None:
        step = next(steps, None)
        return None if step is None else await step()

    async with demo_environment(tmp_path / "work") as env:
        await interactive(env, tmp_path / "out", read_line, lines.append)
        orders = await env.latest_order(1001)
        assert env.standin.violations == []
    text = "\n".join(lines)
    assert "no order yet" in text
    assert CODE_TITLE in text
    assert orders is not None and orders.status == "paid"
    assert PAID_TITLE in text
    assert list((tmp_path / "out").glob("*.png"))


@pytest.mark.slow  # still part of `make test` and CI: this is the newcomer's path
def test_python_m_devtools_demo_exits_0_within_60s(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "devtools", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        # The repository on the path as `make demo` has it (it runs from the checkout).
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Finished in" in done.stdout
    assert elapsed < 60
    saved = sorted(p.name for p in (tmp_path / "demo-output").glob("*.png"))
    assert {"slip.png", "sales-7d.png"} <= set(saved), saved
    assert "demo-output/slip.png" in done.stdout


async def test_a_missing_step_fails_with_a_clear_message(tmp_path: Path) -> None:
    async with demo_environment(tmp_path / "work") as env:
        # Midtrans can no longer reach the listener: the first notification (the 'pending' one
        # right after the charge) must say so, not hang.
        env.sandbox.notification_url = env.sandbox.notification_url + "-nowhere"
        with pytest.raises(DemoError, match="did not accept the pending notification"):
            await play_story(env, tmp_path / "out", lambda line: None)


def test_main_exits_1_and_names_the_failed_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(env: DemoEnv, out_dir: Path, echo: Callable[[str], None]) -> None:
        raise DemoError("the customer's paid push did not arrive within 15s")

    monkeypatch.setattr(demo, "play_story", broken)
    assert demo.main(["--output", str(tmp_path / "out")]) == 1
    assert "demo failed: the customer's paid push did not arrive" in capsys.readouterr().err
