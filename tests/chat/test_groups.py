"""Groups: shopping stays in private chats, the seller's staff group works on purpose, and one
person's checkouts never race each other (issue 13, items 1 and 2). Real bot, Telegram stand-in,
Midtrans sandbox, SQLite file."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.rules.orders import OrderStatus
from bot.shop.checkout import CheckoutOutcome, place_order
from devtools.telegram import BotMessage, FakeUser
from storage import Order, Tx
from tests.conftest import Harness
from tests.support.checkout import draft_as_seen

GROUP = -100_555_000_1
STAFF = -100_555_000_2
DEEP_LINK = "https://t.me/warung_test_bot?start=menu"


async def _placed(h: Harness, user: FakeUser, cart: dict[int, int]) -> Order:
    draft = await draft_as_seen(h.runtime.services, user.id, cart)
    result = await place_order(h.runtime.services, draft)
    assert result.outcome is CheckoutOutcome.PLACED and result.order is not None, result
    return result.order


async def _pending(h: Harness, user: FakeUser) -> list[Order]:
    return await h.store.run(
        Tx.orders, customer_id=user.id, statuses=[OrderStatus.AWAITING_PAYMENT]
    )


async def _summary(h: Harness, user: FakeUser, text: str) -> BotMessage:
    """A typed order up to the summary with remembered details; the summary message."""
    await user.ask(text)
    await user.choose("Masukkan ke keranjang")
    asked = (await user.choose("Checkout"))[-1]
    assert "Pakai data ini" in asked.text, asked.text
    await user.choose("Ya, lanjut")
    summary = (await user.choose("Lewati"))[-1]
    assert "Ringkasan pesanan" in summary.text
    return summary


def _redirect_ok(message: BotMessage) -> None:
    assert "hanya lewat chat pribadi" in message.text, message.text
    assert message.buttons == [("💬 Buka chat pribadi", DEEP_LINK)]


async def test_shop_commands_and_buttons_in_a_group_point_to_the_private_chat(
    harness: Harness,
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    group = h.standin.group(GROUP, "Arisan RT 5", members={budi: "member"})

    for command in ("/start", "/menu@warung_test_bot", "/keranjang", "/pesanan", "/orders"):
        budi.send_text(command, chat=group)
        _redirect_ok(await h.standin.wait_for_message(group, contains="chat pribadi"))
    # A button in the group (forged or from an old message) is answered the same way.
    query = budi.tap_data("co", h.standin.last_message(group))
    assert (await h.standin.wait_for_answer(query))[
        "text"
    ] == "Belanja lewat chat pribadi dengan bot."
    _redirect_ok(await h.standin.wait_for_message(group, contains="chat pribadi"))
    assert not any("Kopi susu" in m.text for m in h.standin.messages(group))  # no menu there

    # The button opens the private chat with /start menu: the greeting and the menu.
    budi.follow("Buka chat pribadi", h.standin.last_message(group))
    menu = await h.standin.wait_for_message(budi, contains="Kopi susu")
    assert "Rp18.000" in menu.text
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


async def test_pay_tapped_in_private_and_group_at_once_makes_one_order(harness: Harness) -> None:
    """The issue's race: one cart, two taps in two chats, two pending orders already, limit 3."""
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    group = h.standin.group(GROUP, "Arisan RT 5", members={budi: "member"})
    await _placed(h, budi, {kopi.id: 1})
    await _placed(h, budi, {kopi.id: 1})
    await budi.ask("/start")
    summary = await _summary(h, budi, "2 kopi susu")
    assert "Total: Rp36.000" in summary.text
    budi.send_text("/start", chat=group)
    redirect = await h.standin.wait_for_message(group, contains="chat pribadi")

    budi.tap("Bayar di Indomaret", summary)  # both taps queued before the bot sees either
    budi.tap_data("ok", redirect)
    await h.standin.wait_for_message(budi, lambda m: m.kind == "photo", timeout=10)
    _redirect_ok(await h.standin.wait_for_message(group, contains="chat pribadi"))
    await h.standin.wait_idle()

    pending = await _pending(h, budi)
    assert len(pending) == 3  # two before, one from this cart
    newest = pending[0]
    assert [(i.name, i.quantity) for i in newest.items] == [("Kopi susu", 2)]
    assert newest.gross_amount == 36_000  # what the summary showed
    assert not any("Kode pembayaran" in m.text for m in h.standin.messages(group))
    assert (await h.store.run(Tx.product, kopi.id)).stock == 16
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


async def test_concurrent_checkouts_never_pass_the_pending_limit(harness: Harness) -> None:
    """Two pending orders, limit 3, two checkouts racing: the transaction lets one through."""
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    await _placed(h, budi, {kopi.id: 1})
    await _placed(h, budi, {kopi.id: 1})
    svc = h.runtime.services
    draft = await draft_as_seen(svc, budi.id, {kopi.id: 1})
    results = await asyncio.gather(*(place_order(svc, draft) for _ in range(3)))
    outcomes = sorted(r.outcome for r in results)
    assert outcomes == sorted(
        [CheckoutOutcome.PLACED, CheckoutOutcome.TOO_MANY_PENDING, CheckoutOutcome.TOO_MANY_PENDING]
    )
    assert len(await _pending(h, budi)) == 3
    assert (await h.store.run(Tx.product, kopi.id)).stock == 17  # refused ones reserved nothing
    assert len(h.sandbox.charge_requests) == 3  # no charge for a refused order


# --- the staff group -----------------------------------------------------------------------


async def _paid_and_confirmed(h: Harness, order: Order) -> None:
    await h.settle(order.id)
    for _ in range(200):
        found = await h.store.run(Tx.order, order.id)
        if found is not None and found.status == OrderStatus.PAID:
            break
        await asyncio.sleep(0.02)
    await h.runtime.services.payments.confirm_sales(h.clock() + timedelta(seconds=5))


async def _seller_push_chats(h: Harness, order: Order) -> list[int]:
    rows = await h.store.run(Tx.outbox_messages)
    return sorted(r.chat_id for r in rows if r.dedupe_key == f"{order.id}:seller_paid:{r.chat_id}")


async def test_staff_group_links_gets_paid_orders_and_only_admins_fulfil(
    harness: Harness,
) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000, 20)
    siti, budi = h.admin(), h.standin.user(1001, "Budi", started=True)
    ani = h.standin.user(1002, "Ani", started=True)  # staff, but not a shop admin
    staff = h.standin.group(
        STAFF, "Staf Warung", "supergroup", members={siti: "creator", ani: "member"}
    )

    ani.send_text("/linkgroup", chat=staff)
    refused = await h.standin.wait_for_message(staff, contains="admin toko")
    assert "Hanya admin toko yang bisa menautkan" in refused.text
    siti.send_text("/linkgroup@warung_test_bot", chat=staff)
    linked = await h.standin.wait_for_message(staff, contains="grup staf")
    assert "Staf Warung sekarang grup staf toko" in linked.text
    assert [c.params["user_id"] for c in h.standin.calls_to("getChatMember")] == [siti.id]

    card = (await siti.ask("/shop"))[-1]
    assert "Grup staf: Staf Warung — pesanan lunas dikirim ke grup dan ke admin" in card.text

    first = await _placed(h, budi, {kopi.id: 1})
    await _paid_and_confirmed(h, first)
    in_group = await h.standin.wait_for_message(staff, contains="Pesanan baru lunas")
    assert first.id in in_group.text and "Budi Santoso" in in_group.text
    await h.standin.wait_for_message(siti, contains="Pesanan baru lunas")
    assert await _seller_push_chats(h, first) == sorted([STAFF, siti.id])

    # Ani taps "mark fulfilled" in the group: an alert, and nothing changes.
    query = ani.tap("Tandai selesai", in_group)
    answer = await h.standin.wait_for_answer(query)
    assert answer["text"] == "Hanya admin toko yang bisa menandai pesanan selesai."
    assert answer["show_alert"] is True
    assert (await h.store.run(Tx.order, first.id)).status == OrderStatus.PAID
    assert h.standin.last_message(staff).button_texts == ["✅ Tandai selesai"]
    # Siti does it: the push says who, loses its button, and the customer hears.
    siti.tap("Tandai selesai", in_group)
    done = await h.standin.wait_for_message(staff, contains="oleh Siti")
    assert done.message_id == in_group.message_id
    assert "ditandai selesai" in done.text and done.buttons == []
    await h.standin.wait_for_message(budi, contains="sudah siap")
    assert (await h.store.run(Tx.order, first.id)).status == OrderStatus.FULFILLED

    # Group only: the next paid order goes to the group and not to Siti's private chat.
    only = (await siti.choose("Kirim hanya ke grup", card))[-1]
    assert "pesanan lunas dikirim hanya ke grup" in only.text
    second = await _placed(h, budi, {kopi.id: 1})
    await _paid_and_confirmed(h, second)
    await h.standin.wait_for_message(staff, contains=second.id)
    assert await _seller_push_chats(h, second) == [STAFF]

    # Unlinked: pushes go back to the admins' private chats.
    siti.send_text("/unlinkgroup", chat=staff)
    assert "dilepas" in (await h.standin.wait_for_message(staff, contains="dilepas")).text
    third = await _placed(h, budi, {kopi.id: 1})
    await _paid_and_confirmed(h, third)
    await h.standin.wait_for_message(siti, contains=third.id)
    assert await _seller_push_chats(h, third) == [siti.id]
    assert "Grup staf: belum ada" in (await siti.ask("/shop"))[-1].text
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


async def test_linking_needs_a_member_and_a_person(harness: Harness) -> None:
    h = harness
    siti = h.admin()
    other = h.standin.group(STAFF, "Grup Lama", "supergroup", members={siti: "administrator"})
    siti.send_text("/linkgroup", chat=other)
    h.standin.leave(other, siti)  # left before the bot read the command
    refused = await h.standin.wait_for_message(other, contains="anggota")
    assert "harus menjadi anggota grup ini" in refused.text
    assert "belum ada" in (await siti.ask("/shop"))[-1].text

    # An anonymous admin posts as the group itself: Telegram hides who it is.
    h.standin.enqueue(
        {
            "message": {
                "message_id": 99,
                "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                "sender_chat": {"id": STAFF, "type": "supergroup", "title": "Grup Lama"},
                "chat": {"id": STAFF, "type": "supergroup", "title": "Grup Lama"},
                "date": 1,
                "text": "/linkgroup",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
            }
        }
    )
    anonymous = await h.standin.wait_for_message(other, contains="anonim")
    assert "Tetap anonim" in anonymous.text
    how = (await siti.ask("/linkgroup"))[-1]
    assert "kirim /linkgroup di grup itu" in how.text and "@warung_test_bot" in how.text
    assert "Belum ada grup staf" in (await siti.ask("/unlinkgroup"))[-1].text
    assert h.standin.violations == []
