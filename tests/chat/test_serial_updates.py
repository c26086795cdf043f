"""One person's updates run one at a time even across chats; different people run side by side
(issue 13, item 1). Updates are built from the JSON the Telegram stand-in sends."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Bot, Update

from bot.app import PerUserUpdateProcessor
from devtools.telegram import TelegramStandin

GROUP = -100_777


def _updates(standin: TelegramStandin, bot: Bot) -> dict[str, Update]:
    budi = standin.user(1001, "Budi")
    ani = standin.user(1002, "Ani")
    standin.group(GROUP, "Arisan", members={budi: "member", ani: "member"})
    raw = {
        "budi_private": {"message": budi.send_text("/start")},
        "budi_group": {"message": budi.send_text("/start", chat=GROUP)},
        "ani_private": {"message": ani.send_text("/start")},
    }
    return {
        name: Update.de_json({"update_id": n, **data}, bot)
        for n, (name, data) in enumerate(raw.items(), start=1)
    }


async def test_one_user_across_chats_is_serial_and_users_are_concurrent() -> None:
    standin = TelegramStandin()
    bot: Any = Bot(standin.token)
    updates = _updates(standin, bot)
    processor = PerUserUpdateProcessor()
    started: list[str] = []
    release, holding = asyncio.Event(), asyncio.Event()

    async def work(name: str, *, hold: bool = False) -> None:
        started.append(name)
        if hold:
            holding.set()
            await asyncio.wait_for(release.wait(), 5)

    first = asyncio.create_task(
        processor.do_process_update(updates["budi_private"], work("budi_private", hold=True))
    )
    await asyncio.wait_for(holding.wait(), 5)
    # Ani does not wait for Budi: her update runs to the end while Budi's is held.
    await asyncio.wait_for(
        processor.do_process_update(updates["ani_private"], work("ani_private")), 5
    )
    # Budi in the group waits for Budi in the private chat (the cart is his, in both chats):
    # it takes the group's lock, then queues on Budi's, which the first update holds.
    second = asyncio.create_task(
        processor.do_process_update(updates["budi_group"], work("budi_group"))
    )
    for _ in range(100):  # a few loop turns: it runs until it blocks on Budi's lock
        if processor._locks.get(("chat", GROUP), asyncio.Lock()).locked():
            break
        await asyncio.sleep(0)
    assert processor._locks[("chat", GROUP)].locked()
    assert started == ["budi_private", "ani_private"]
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 5)
    assert started == ["budi_private", "ani_private", "budi_group"]
    assert processor._locks == {}  # idle users and chats are forgotten
