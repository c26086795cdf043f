"""Callback data of inline buttons: short codes, so every button fits Telegram's 64 bytes.

Buttons carry ids only (product ids, order ids), never names, so their size does not depend on
what a seller calls a product. Order ids are at most 20 ASCII characters (``WB-YYMMDD-XXXXXX``).
"""

from __future__ import annotations

import re

# customer
MENU = "m"
PRODUCT = "p"  # p:<product_id>:<qty>  product card with a quantity stepper
ADD = "a"  # a:<product_id>:<qty>
CART = "c"
CART_SET = "cs"  # cs:<product_id>:<qty>  (0 removes)
CART_CLEAR = "cc"
CHECKOUT = "co"
TYPED_CONFIRM = "tc"  # put the parsed typed cart into the cart
TYPED_PICK = "tp"  # tp:<product_id>:<qty>  answer an ambiguity
FULFIL_PICKUP = "fp"
FULFIL_DELIVERY = "fd"
SKIP = "sk"
KEEP = "kp"  # keep the remembered details
CHANGE = "ch"  # change the remembered details
CONFIRM = "ok"
ABORT = "x"
MY_ORDERS = "o"  # o:<page>
ORDER_VIEW = "ov"  # ov:<order_id>
ORDER_RESEND = "or"  # or:<order_id>
ORDER_PNG = "od"  # od:<order_id>
ORDER_CANCEL = "ox"  # ox:<order_id>
ORDER_CANCEL_SURE = "oy"  # oy:<order_id>
REORDER = "ra"  # ra:<order_id>
# seller
ADMIN_FULFIL = "af"  # af:<order_id>
ADMIN_PRODUCTS = "ap"  # ap:<page>
ADMIN_PRODUCT = "aq"  # aq:<product_id>  the seller's product card
ADMIN_EDIT = "ae"  # ae:<product_id>:<field>  field: p price, s stock, n name, f photo, d text
ADMIN_TOGGLE = "ah"  # ah:<product_id>  hide / show
ADMIN_DELETE = "ad"  # ad:<product_id>  asks first
ADMIN_DELETE_SURE = "az"  # az:<product_id>
ADMIN_STEP = "an"  # an:<answer>  guided /add and edits: u unlimited, s skip, r remove photo
ADMIN_ORDERS = "ao"  # ao:<filter>:<page>
ADMIN_ORDER = "av"  # av:<order_id>
ADMIN_CANCEL = "ax"  # ax:<order_id>  asks first
ADMIN_CANCEL_SURE = "ay"  # ay:<order_id>
ADMIN_RECHECK = "ar"  # ar:<order_id>  Get Status from Midtrans
ADMIN_SHOP = "as"  # as:<setting>  toggles on the /shop card
# the platform bot (platform mode: its own bot, so these never meet a shop's buttons)
PLATFORM_SHOPS = "ls"  # /myshops again
PLATFORM_SHOP = "lc"  # lc:<shop_id>  the shop's card
PLATFORM_PAUSE = "lp"  # lp:<shop_id>
PLATFORM_RESUME = "lr"  # lr:<shop_id>
PLATFORM_DELETE = "ld"  # ld:<shop_id>  asks first, naming the shop
PLATFORM_DELETE_SURE = "lz"  # lz:<shop_id>
PLATFORM_ROTATE_KEY = "lk"  # lk:<shop_id>  asks for the new Midtrans server key
PLATFORM_NEW_BOT = "lt"  # lt:<shop_id>  asks for the token of the bot that replaces it


def data(*parts: object) -> str:
    """Join parts with ':' and check Telegram's 64-byte limit."""
    text = ":".join(str(part) for part in parts)
    if len(text.encode()) > 64:
        raise ValueError(f"callback data over 64 bytes: {text!r}")
    return text


MAX_NUMBER = 2**53
"""Every number a button of ours carries (ids, quantities, pages) is far below this; SQLite's
integers end at 2**63 - 1."""
_NUMBER_RE = re.compile(r"-?\d+")


def split(text: str) -> list[str]:
    return text.split(":")


def has_forged_number(text: str) -> bool:
    """Whether button data holds a number no button of ours could carry (forged or corrupted)."""
    return any(
        _NUMBER_RE.fullmatch(part) is not None and abs(int(part)) >= MAX_NUMBER
        for part in split(text[:256])
    )
