"""Every SQL statement of the bot, as methods of ``Tx``: one open transaction on one connection.

``Store.run(fn)`` hands a ``Tx`` to ``fn`` inside the database worker thread and commits once ``fn``
returns (or rolls back if it raises), so several writes form one transaction and cost one thread
hop. Methods are synchronous on purpose: they never await, so nothing interleaves mid-transaction.

A ``Tx`` is bound to one shop: every statement reads and writes only rows of ``shop_id`` (the
single-shop bot is shop 1). The SQL is written once with ``?`` placeholders; ``storage.dialect``
adapts it to the backend (SQLite's sqlite3 or PostgreSQL's psycopg, whose rows look alike).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from storage.dialect import SINGLE_SHOP, SQLITE, Dialect
from storage.models import (
    Charge,
    CheckoutDeadline,
    Customer,
    HistoryEntry,
    NewOrder,
    Order,
    OrderItem,
    OutboxMessage,
    PaymentEvent,
    Product,
    SalesReport,
    ShopRow,
)

WIB = timezone(timedelta(hours=7), "WIB")

WORK_CHANNEL = "warung_work"
"""The PostgreSQL channel that new inbox and outbox rows are announced on (``storage.wakeups``)."""


class OutOfStock(Exception):
    """A line asked for more than the product has left (or the product is gone or hidden)."""

    def __init__(self, product_id: int, name: str) -> None:
        super().__init__(f"product {product_id} ({name}) is out of stock")
        self.product_id = product_id
        self.name = name


class TokenTaken(Exception):
    """Another (not deleted) shop of the directory already has this bot token."""


class TooManyPending(Exception):
    """The customer already has as many unpaid orders as the shop allows; nothing was written."""

    def __init__(self, customer_id: int, pending: int) -> None:
        super().__init__(f"customer {customer_id} has {pending} unpaid orders")
        self.customer_id = customer_id
        self.pending = pending


@dataclass(frozen=True)
class PendingLimit:
    """At most ``limit`` orders of one customer in ``statuses`` (the unpaid ones)."""

    statuses: tuple[str, ...]
    limit: int


@dataclass(frozen=True)
class CheckBand:
    """Orders created in (``created_after``, ``created_until``] (None: no bound) are due for a
    status check once last checked (or created) at or before ``checked_before``."""

    created_after: datetime | None
    created_until: datetime | None
    checked_before: datetime


def ts(moment: datetime) -> str:
    """Times are stored as UTC ISO strings, so they sort and compare as text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _flag(value: object) -> object:
    """Flags are stored as 0/1 in both backends (PostgreSQL will not put a boolean there)."""
    return int(value) if isinstance(value, bool) else value


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _req_dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


_PRODUCT_COLUMNS = "id, name, price, stock, description, photo_file_id, visible, deleted"
_ORDER_COLUMNS = (
    "id, customer_id, chat_id, status, subtotal, delivery_fee, gross_amount, fulfilment, address,"
    " latitude, longitude, note, customer_name, customer_phone, customer_email, language,"
    " expires_at, created_at, updated_at, paid_at, seller_notified_at, fulfilled_at,"
    " last_checked_at"
)
_EDITABLE_PRODUCT_FIELDS = {"name", "price", "stock", "description", "photo_file_id", "visible"}
_ORDER_TIMESTAMPS = {"paid_at", "seller_notified_at", "fulfilled_at", "last_checked_at"}


def _product(row: Any) -> Product:
    return Product(
        id=row["id"],
        name=row["name"],
        price=row["price"],
        stock=row["stock"],
        description=row["description"],
        photo_file_id=row["photo_file_id"],
        visible=bool(row["visible"]),
        deleted=bool(row["deleted"]),
    )


def _outbox_message(row: Any) -> OutboxMessage:
    keys = row.keys()
    return OutboxMessage(
        row["id"],
        row["chat_id"],
        row["method"],
        json.loads(row["payload"]),
        row["attempts"],
        _req_dt(row["next_attempt_at"]),
        row["dedupe_key"],
        _dt(row["sent_at"]) if "sent_at" in keys else None,
        _dt(row["failed_at"]) if "failed_at" in keys else None,
    )


_SHOP_COLUMNS = (
    "id, shop_key, owner_user_id, bot_username, bot_token_sealed, token_hash,"
    " webhook_secret_sealed, midtrans_server_key_sealed, midtrans_environment, status,"
    " status_reason, created_at, updated_at, owner_language"
)

SHOP_DATA_TABLES = (
    "inbox",
    "order_items",
    "charges",
    "order_history",
    "payment_events",
    "orders",
    "customers",
    "products",
    "outbox",
    "admins",
    "bot_state",
    "checkout_deadlines",
    "alerts",
    "shop_settings",
)
"""Every table holding a shop's data (a ``shop_id`` column), children before parents: what
``directory_delete_shop`` empties. A test checks it names every such table of the schema."""


def _shop_row(row: Any) -> ShopRow:
    return ShopRow(
        id=int(row["id"]),
        shop_key=row["shop_key"],
        owner_user_id=int(row["owner_user_id"]),
        bot_username=row["bot_username"],
        bot_token_sealed=row["bot_token_sealed"],
        token_hash=row["token_hash"],
        webhook_secret_sealed=row["webhook_secret_sealed"],
        midtrans_server_key_sealed=row["midtrans_server_key_sealed"],
        midtrans_environment=row["midtrans_environment"],
        status=row["status"],
        status_reason=row["status_reason"],
        created_at=_req_dt(row["created_at"]),
        updated_at=_req_dt(row["updated_at"]),
        owner_language=row["owner_language"],
    )


def _checkout_deadline(row: Any) -> CheckoutDeadline:
    return CheckoutDeadline(
        user_id=int(row["user_id"]),
        chat_id=int(row["chat_id"]),
        language=row["language"],
        due_at=_req_dt(row["due_at"]),
    )


def _customer(row: Any) -> Customer:
    return Customer(
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
        language=row["language"],
        address=row["address"],
    )


class Cursor(Protocol):
    """What ``Tx`` uses of a cursor: sqlite3's and psycopg's (with ``storage.postgres`` rows)."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...


class Tx:
    """Repository operations inside one transaction. Obtain one only through ``Store.run``."""

    def __init__(
        self, conn: Connection, shop_id: int = SINGLE_SHOP, dialect: Dialect = SQLITE
    ) -> None:
        self.conn = conn
        self.shop_id = shop_id
        self.dialect = dialect

    def _run(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return self.conn.execute(self.dialect.sql(sql), params)

    def _wake_workers(self, kind: str) -> tuple[str, tuple[object, ...]]:
        """Platform mode: the clause and parameters that make an INSERT tell the workers
        (``storage.wakeups``) that this shop has work of ``kind`` ("inbox" or "outbox"), in the
        same statement. PostgreSQL delivers the NOTIFY only if the transaction commits, once
        per distinct payload; on SQLite both are empty."""
        clause = self.dialect.wake_workers()
        return clause, ((WORK_CHANNEL, f"{self.shop_id} {kind}") if clause else ())

    def for_shop(self, shop_id: int) -> Tx:
        """This same transaction seen as another shop (the directory writes a new shop's first
        rows, its owner, in the transaction that creates the shop)."""
        return Tx(self.conn, shop_id, self.dialect)

    # --- shop settings -------------------------------------------------------------------

    def shop_settings(self) -> dict[str, str]:
        rows = self._run(
            "SELECT key, value FROM shop_settings WHERE shop_id = ?", (self.shop_id,)
        ).fetchall()
        return {row["key"]: row["value"] for row in rows}

    def set_shop_setting(self, key: str, value: str) -> None:
        self._run(
            "INSERT INTO shop_settings (shop_id, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (shop_id, key) DO UPDATE SET value = excluded.value",
            (self.shop_id, key, value),
        )

    # --- products ------------------------------------------------------------------------

    def add_product(
        self,
        name: str,
        price: int,
        stock: int | None,
        now: datetime,
        description: str = "",
        photo_file_id: str | None = None,
    ) -> Product:
        row = self._run(
            "INSERT INTO products (shop_id, name, price, stock, description, photo_file_id,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (self.shop_id, name, price, stock, description, photo_file_id, ts(now), ts(now)),
        ).fetchone()
        product = self.product(int(row[0]))
        assert product is not None
        return product

    def product(self, product_id: int) -> Product | None:
        row = self._run(
            f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE shop_id = ? AND id = ? AND deleted = 0",
            (self.shop_id, product_id),
        ).fetchone()
        return _product(row) if row else None

    def products(self, *, include_hidden: bool = False) -> list[Product]:
        where = "deleted = 0" if include_hidden else "deleted = 0 AND visible = 1"
        rows = self._run(
            f"SELECT {_PRODUCT_COLUMNS} FROM products WHERE shop_id = ? AND {where} ORDER BY id",
            (self.shop_id,),
        ).fetchall()
        return [_product(row) for row in rows]

    def update_product(self, product_id: int, now: datetime, **fields: object) -> Product | None:
        unknown = set(fields) - _EDITABLE_PRODUCT_FIELDS
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if fields:
            assignments = ", ".join(f"{name} = ?" for name in fields)
            self._run(
                f"UPDATE products SET {assignments}, updated_at = ?"
                " WHERE shop_id = ? AND id = ? AND deleted = 0",
                (*(_flag(v) for v in fields.values()), ts(now), self.shop_id, product_id),
            )
        return self.product(product_id)

    def delete_product(self, product_id: int, now: datetime) -> bool:
        """Soft delete: past orders keep pointing at the product."""
        cursor = self._run(
            "UPDATE products SET deleted = 1, visible = 0, updated_at = ?"
            " WHERE shop_id = ? AND id = ? AND deleted = 0",
            (ts(now), self.shop_id, product_id),
        )
        return cursor.rowcount == 1

    # --- customers -----------------------------------------------------------------------

    def customer(self, user_id: int) -> Customer | None:
        row = self._run(
            "SELECT user_id, chat_id, name, phone, email, language, address FROM customers"
            " WHERE shop_id = ? AND user_id = ?",
            (self.shop_id, user_id),
        ).fetchone()
        return _customer(row) if row else None

    def save_customer(
        self,
        user_id: int,
        chat_id: int,
        now: datetime,
        *,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        language: str | None = None,
        address: str | None = None,
    ) -> Customer:
        """Insert or update; ``None`` leaves a field as it was."""
        self._run(
            "INSERT INTO customers (shop_id, user_id, chat_id, name, phone, email, language,"
            " address, created_at, updated_at) VALUES (?, ?, ?, COALESCE(?, ''), ?, ?,"
            " COALESCE(?, 'id'), ?, ?, ?) ON CONFLICT (shop_id, user_id) DO UPDATE SET"
            " chat_id = excluded.chat_id,"
            " name = COALESCE(?, customers.name), phone = COALESCE(?, customers.phone),"
            " email = COALESCE(?, customers.email), language = COALESCE(?, customers.language),"
            " address = COALESCE(?, customers.address),"
            " updated_at = excluded.updated_at",
            (
                self.shop_id,
                user_id,
                chat_id,
                name,
                phone,
                email,
                language,
                address,
                ts(now),
                ts(now),
                name,
                phone,
                email,
                language,
                address,
            ),
        )
        customer = self.customer(user_id)
        assert customer is not None
        return customer

    # --- orders --------------------------------------------------------------------------

    def create_order(self, order: NewOrder, pending_limit: PendingLimit | None = None) -> Order:
        """Insert the order and its lines and reserve stock; OutOfStock rolls all of it back.

        With ``pending_limit``, the customer's unpaid orders are counted in this same
        transaction and TooManyPending is raised before anything is written: two checkouts at
        the same moment cannot both pass a check made before either was stored.
        """
        if pending_limit is not None:
            pending = self.count_orders(
                customer_id=order.customer_id, statuses=pending_limit.statuses
            )
            if pending >= pending_limit.limit:
                raise TooManyPending(order.customer_id, pending)
        self.save_customer(order.customer_id, order.chat_id, order.created_at)
        self._run(
            "INSERT INTO orders (shop_id, id, customer_id, chat_id, status, subtotal,"
            " delivery_fee, gross_amount, fulfilment, address, latitude, longitude, note,"
            " customer_name, customer_phone, customer_email, language, expires_at, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.shop_id,
                order.id,
                order.customer_id,
                order.chat_id,
                order.status,
                order.subtotal,
                order.delivery_fee,
                order.gross_amount,
                order.fulfilment,
                order.address,
                order.latitude,
                order.longitude,
                order.note,
                order.customer_name,
                order.customer_phone,
                order.customer_email,
                order.language,
                ts(order.expires_at) if order.expires_at else None,
                ts(order.created_at),
                ts(order.created_at),
            ),
        )
        for line, item in enumerate(order.items, start=1):
            self._run(
                "INSERT INTO order_items (shop_id, order_id, line, product_id, name, price,"
                " quantity) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self.shop_id,
                    order.id,
                    line,
                    item.product_id,
                    item.name,
                    item.price,
                    item.quantity,
                ),
            )
            if item.product_id is not None:
                self._reserve(item)
        self.add_history(order.id, None, order.status, "checkout", order.created_at)
        created = self.order(order.id)
        assert created is not None
        return created

    def _reserve(self, item: OrderItem) -> None:
        cursor = self._run(
            "UPDATE products SET stock = CASE WHEN stock IS NULL THEN NULL ELSE stock - ? END"
            " WHERE shop_id = ? AND id = ? AND deleted = 0 AND visible = 1"
            " AND (stock IS NULL OR stock >= ?)",
            (item.quantity, self.shop_id, item.product_id, item.quantity),
        )
        if cursor.rowcount != 1:
            raise OutOfStock(item.product_id or 0, item.name)

    def release_stock(self, order_id: str) -> None:
        """Give an order's reserved units back (expire, cancel, reversal, failed charge)."""
        self._run(
            "UPDATE products SET stock = stock + (SELECT COALESCE(SUM(quantity), 0)"
            " FROM order_items WHERE order_items.shop_id = ? AND order_items.order_id = ? AND"
            " order_items.product_id = products.id)"
            " WHERE shop_id = ? AND stock IS NOT NULL AND id IN"
            " (SELECT product_id FROM order_items WHERE shop_id = ? AND order_id = ?)",
            (self.shop_id, order_id, self.shop_id, self.shop_id, order_id),
        )

    def order(self, order_id: str, *, details: bool = True) -> Order | None:
        """One order; ``details=False`` leaves out its lines and charge (one query, not three)."""
        row = self._run(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE shop_id = ? AND id = ?",
            (self.shop_id, order_id),
        ).fetchone()
        if row is None:
            return None
        return self._order(row, with_details=details)

    def _order(self, row: Any, *, with_details: bool = True) -> Order:
        items: tuple[OrderItem, ...] = ()
        charge = None
        if with_details:
            items = tuple(
                OrderItem(r["product_id"], r["name"], r["price"], r["quantity"])
                for r in self._run(
                    "SELECT product_id, name, price, quantity FROM order_items"
                    " WHERE shop_id = ? AND order_id = ? ORDER BY line",
                    (self.shop_id, row["id"]),
                )
            )
            charge = self.charge(row["id"])
        return Order(
            id=row["id"],
            customer_id=row["customer_id"],
            chat_id=row["chat_id"],
            status=row["status"],
            subtotal=row["subtotal"],
            delivery_fee=row["delivery_fee"],
            gross_amount=row["gross_amount"],
            fulfilment=row["fulfilment"],
            address=row["address"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            note=row["note"],
            customer_name=row["customer_name"],
            customer_phone=row["customer_phone"],
            customer_email=row["customer_email"],
            language=row["language"],
            expires_at=_dt(row["expires_at"]),
            created_at=_req_dt(row["created_at"]),
            updated_at=_req_dt(row["updated_at"]),
            paid_at=_dt(row["paid_at"]),
            seller_notified_at=_dt(row["seller_notified_at"]),
            fulfilled_at=_dt(row["fulfilled_at"]),
            last_checked_at=_dt(row["last_checked_at"]),
            items=items,
            charge=charge,
        )

    def orders(
        self,
        *,
        customer_id: int | None = None,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[Order]:
        where, params = self._order_filter(customer_id, statuses, since, until)
        direction = "DESC" if newest_first else "ASC"
        rows = self._run(
            f"SELECT {_ORDER_COLUMNS} FROM orders {where}"
            f" ORDER BY created_at {direction}, id {direction} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [self._order(row) for row in rows]

    def count_orders(
        self,
        *,
        customer_id: int | None = None,
        statuses: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        where, params = self._order_filter(customer_id, statuses, since, until)
        row = self._run(f"SELECT COUNT(*) FROM orders {where}", params).fetchone()
        return int(row[0])

    def _order_filter(
        self,
        customer_id: int | None,
        statuses: Sequence[str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[str, tuple[object, ...]]:
        clauses: list[str] = ["shop_id = ?"]
        params: list[object] = [self.shop_id]
        if customer_id is not None:
            clauses.append("customer_id = ?")
            params.append(customer_id)
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(ts(since))
        if until is not None:
            clauses.append("created_at < ?")
            params.append(ts(until))
        return "WHERE " + " AND ".join(clauses), tuple(params)

    def set_order_status(
        self,
        order_id: str,
        expected: str,
        new: str,
        reason: str,
        now: datetime,
        **stamps: datetime,
    ) -> bool:
        """Move an order from ``expected`` to ``new``; False if it was no longer ``expected``."""
        unknown = set(stamps) - _ORDER_TIMESTAMPS
        if unknown:
            raise ValueError(f"unknown timestamps: {sorted(unknown)}")
        assignments = "".join(f", {name} = ?" for name in stamps)
        cursor = self._run(
            f"UPDATE orders SET status = ?, updated_at = ?{assignments}"
            " WHERE shop_id = ? AND id = ? AND status = ?",
            (new, ts(now), *(ts(v) for v in stamps.values()), self.shop_id, order_id, expected),
        )
        if cursor.rowcount != 1:
            return False
        self.add_history(order_id, expected, new, reason, now)
        return True

    def stamp_order(self, order_id: str, **stamps: datetime) -> None:
        unknown = set(stamps) - _ORDER_TIMESTAMPS
        if unknown or not stamps:
            raise ValueError(f"unknown timestamps: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in stamps)
        self._run(
            f"UPDATE orders SET {assignments} WHERE shop_id = ? AND id = ?",
            (*(ts(v) for v in stamps.values()), self.shop_id, order_id),
        )

    def add_history(
        self, order_id: str, from_status: str | None, to_status: str, reason: str, at: datetime
    ) -> None:
        self._run(
            "INSERT INTO order_history (shop_id, order_id, from_status, to_status, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.shop_id, order_id, from_status, to_status, reason, ts(at)),
        )

    def history(self, order_id: str) -> list[HistoryEntry]:
        rows = self._run(
            "SELECT from_status, to_status, reason, at FROM order_history"
            " WHERE shop_id = ? AND order_id = ? ORDER BY id",
            (self.shop_id, order_id),
        ).fetchall()
        return [
            HistoryEntry(r["from_status"], r["to_status"], r["reason"], _req_dt(r["at"]))
            for r in rows
        ]

    def orders_due_for_check(
        self,
        pending_statuses: Sequence[str],
        expired_before: datetime,
        quiet_since: datetime,
        limit: int = 100,
    ) -> list[Order]:
        """Pending orders past their expiry (plus grace) or not heard of for a while."""
        marks = ", ".join("?" for _ in pending_statuses)
        rows = self._run(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE shop_id = ? AND status IN ({marks})"
            " AND ((expires_at IS NOT NULL AND expires_at < ?)"
            " OR COALESCE(last_checked_at, created_at) < ?)"
            " ORDER BY COALESCE(last_checked_at, created_at) LIMIT ?",
            (self.shop_id, *pending_statuses, ts(expired_before), ts(quiet_since), limit),
        ).fetchall()
        return [self._order(row) for row in rows]

    def check_times(self, statuses: Sequence[str]) -> list[tuple[str, datetime, datetime | None]]:
        """(id, created_at, last_checked_at) of every order in ``statuses``, least recently
        checked first: what the status poller needs to choose whom to ask, in one query."""
        marks = ", ".join("?" for _ in statuses)
        rows = self._run(
            "SELECT id, created_at, last_checked_at FROM orders"
            f" WHERE shop_id = ? AND status IN ({marks})"
            " ORDER BY COALESCE(last_checked_at, created_at), id",
            (self.shop_id, *statuses),
        ).fetchall()
        return [(r["id"], _req_dt(r["created_at"]), _dt(r["last_checked_at"])) for r in rows]

    def orders_due_for_poll(self, statuses: Sequence[str], bands: Sequence[CheckBand]) -> list[str]:
        """Ids of orders in ``statuses`` whose turn to be polled has come, least recently
        checked first: an order is due when its creation time falls in a band and its last
        check (or its creation) is at or before that band's ``checked_before``. The bands come
        from the poller's rule, so only the due orders leave the database, however many are
        pending."""
        marks = ", ".join("?" for _ in statuses)
        checked = "COALESCE(last_checked_at, created_at)"
        clauses: list[str] = []
        params: list[object] = [self.shop_id, *statuses]
        for band in bands:
            clause = [f"{checked} <= ?"]
            params.append(ts(band.checked_before))
            if band.created_after is not None:
                clause.append("created_at > ?")
                params.append(ts(band.created_after))
            if band.created_until is not None:
                clause.append("created_at <= ?")
                params.append(ts(band.created_until))
            clauses.append("(" + " AND ".join(clause) + ")")
        if not clauses:
            return []
        rows = self._run(
            "SELECT id FROM orders"
            f" WHERE shop_id = ? AND status IN ({marks}) AND ({' OR '.join(clauses)})"
            f" ORDER BY {checked}, id",
            tuple(params),
        ).fetchall()
        return [row["id"] for row in rows]

    def paid_orders_awaiting_seller(self, status: str, paid_before: datetime) -> list[Order]:
        """Paid orders whose reversal window has passed and whose seller was not told yet."""
        rows = self._run(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE shop_id = ? AND status = ?"
            " AND seller_notified_at IS NULL AND paid_at IS NOT NULL AND paid_at <= ?"
            " ORDER BY paid_at",
            (self.shop_id, status, ts(paid_before)),
        ).fetchall()
        return [self._order(row) for row in rows]

    # --- charges -------------------------------------------------------------------------

    def save_charge(
        self,
        order_id: str,
        transaction_id: str,
        payment_code: str,
        expires_at: datetime | None,
        raw_response: dict[str, object],
        now: datetime,
        store: str = "indomaret",
    ) -> None:
        self._run(
            "INSERT INTO charges (shop_id, order_id, transaction_id, payment_code, store,"
            " expires_at, raw_response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (shop_id, order_id) DO NOTHING",
            (
                self.shop_id,
                order_id,
                transaction_id,
                payment_code,
                store,
                ts(expires_at) if expires_at else None,
                json.dumps(raw_response, ensure_ascii=False),
                ts(now),
            ),
        )
        if expires_at is not None:
            self._run(
                "UPDATE orders SET expires_at = ? WHERE shop_id = ? AND id = ?",
                (ts(expires_at), self.shop_id, order_id),
            )

    def charge(self, order_id: str) -> Charge | None:
        row = self._run(
            "SELECT transaction_id, payment_code, store, expires_at, created_at FROM charges"
            " WHERE shop_id = ? AND order_id = ?",
            (self.shop_id, order_id),
        ).fetchone()
        if row is None:
            return None
        return Charge(
            row["transaction_id"],
            row["payment_code"],
            row["store"],
            _dt(row["expires_at"]),
            _req_dt(row["created_at"]),
        )

    # --- payment events ------------------------------------------------------------------

    def record_payment_event(
        self,
        *,
        order_id: str | None,
        source: str,
        transaction_status: str | None,
        status_code: str | None,
        gross_amount: str | None,
        verified: bool,
        applied: bool,
        outcome: str,
        raw: str,
        now: datetime,
    ) -> int:
        row = self._run(
            "INSERT INTO payment_events (shop_id, order_id, source, transaction_status,"
            " status_code, gross_amount, verified, applied, outcome, raw, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                self.shop_id,
                order_id,
                source,
                transaction_status,
                status_code,
                gross_amount,
                int(verified),
                int(applied),
                outcome,
                raw,
                ts(now),
            ),
        ).fetchone()
        return int(row[0])

    def prune_unverified_events(self, keep: int) -> None:
        """Drop all but the latest ``keep`` unverified payment events (anyone can send them)."""
        self._run(
            "DELETE FROM payment_events WHERE shop_id = ? AND verified = 0 AND id <= ("
            "SELECT id FROM payment_events WHERE shop_id = ? AND verified = 0"
            " ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (self.shop_id, self.shop_id, keep),
        )

    def payment_events(
        self, order_id: str | None = None, *, verified_only: bool = False
    ) -> list[PaymentEvent]:
        """Payment events, oldest first; ``verified_only`` leaves out what anyone could have
        sent (what a seller is shown)."""
        sql = (
            "SELECT id, order_id, source, transaction_status, verified, applied, outcome,"
            " received_at FROM payment_events WHERE shop_id = ?"
        )
        params: tuple[object, ...] = (self.shop_id,)
        if order_id is not None:
            sql += " AND order_id = ?"
            params = (self.shop_id, order_id)
        if verified_only:
            sql += " AND verified = 1"
        rows = self._run(sql + " ORDER BY id", params).fetchall()
        return [
            PaymentEvent(
                r["id"],
                r["order_id"],
                r["source"],
                r["transaction_status"],
                bool(r["verified"]),
                bool(r["applied"]),
                r["outcome"],
                _req_dt(r["received_at"]),
            )
            for r in rows
        ]

    # --- outbox --------------------------------------------------------------------------

    def enqueue(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, object],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> bool:
        """Queue one Bot API call; a repeated ``dedupe_key`` is ignored (False)."""
        wake, wake_params = self._wake_workers("outbox")
        cursor = self._run(
            "INSERT INTO outbox (shop_id, chat_id, dedupe_key, method, payload, created_at,"
            " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT (shop_id, dedupe_key) DO NOTHING{wake}",
            (
                self.shop_id,
                chat_id,
                dedupe_key,
                method,
                json.dumps(payload, ensure_ascii=False),
                ts(now),
                ts(now),
                *wake_params,
            ),
        )
        return cursor.rowcount == 1

    def due_messages(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        """The oldest undelivered message of each chat, if it is due and not claimed by a
        sender: keeps order per chat."""
        # Walks undelivered rows oldest first and stops at ``limit``: a row is a head when no
        # older undelivered row of its chat exists (both lookups on the partial indexes of
        # migration 3), so the cost follows ``limit``, not the length of the queue.
        rows = self._run(
            "SELECT o.id, o.chat_id, o.method, o.payload, o.attempts, o.next_attempt_at,"
            " o.dedupe_key FROM outbox o"
            f"{self.dialect.index_hint('outbox_pending_by_id')} WHERE o.shop_id = ?"
            " AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
            " AND (o.claimed_until IS NULL OR o.claimed_until <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.shop_id = o.shop_id"
            " AND p.chat_id = o.chat_id AND p.id < o.id"
            " AND p.sent_at IS NULL AND p.failed_at IS NULL) ORDER BY o.id LIMIT ?",
            (self.shop_id, ts(now), ts(now), limit),
        ).fetchall()
        return [_outbox_message(r) for r in rows]

    def claim_due_messages(
        self,
        now: datetime,
        until: datetime,
        limit: int = 100,
        exclude_chats: Sequence[int] = (),
    ) -> list[OutboxMessage]:
        """Take the due head rows (``due_messages``) for sending, each claimed until ``until``:
        a second sender cannot take a claimed row; ``exclude_chats`` are skipped.

        The outcome of the send (``mark_sent``, ``mark_retry``, ``mark_failed``, ``release``)
        clears the claim; a sender that dies holding one leaves it to run out at ``until``, or
        to ``release_claims`` by the next bot that holds the instance lock.
        """
        marks = ", ".join("?" for _ in exclude_chats)
        skip = f" AND o.chat_id NOT IN ({marks})" if exclude_chats else ""
        rows = self._run(
            "UPDATE outbox SET claimed_until = ? WHERE id IN (SELECT o.id FROM outbox o"
            f"{self.dialect.index_hint('outbox_pending_by_id')} WHERE o.shop_id = ?"
            " AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
            " AND (o.claimed_until IS NULL OR o.claimed_until <= ?)"
            f"{skip}"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.shop_id = o.shop_id"
            " AND p.chat_id = o.chat_id AND p.id < o.id"
            " AND p.sent_at IS NULL AND p.failed_at IS NULL) ORDER BY o.id LIMIT ?)"
            " RETURNING id, chat_id, method, payload, attempts, next_attempt_at, dedupe_key",
            (ts(until), self.shop_id, ts(now), ts(now), *exclude_chats, limit),
        ).fetchall()
        return sorted((_outbox_message(r) for r in rows), key=lambda message: message.id)

    def release(self, message_id: int) -> None:
        """End a claim without an outcome (the send was cut off at stop): due again at once."""
        self._run(
            "UPDATE outbox SET claimed_until = NULL WHERE shop_id = ? AND id = ?",
            (self.shop_id, message_id),
        )

    def release_claims(self) -> int:
        """Clear every claim: only for a bot holding the instance lock, whose predecessor died
        mid-send (its claims would otherwise hold those rows until they run out)."""
        cursor = self._run(
            "UPDATE outbox SET claimed_until = NULL"
            " WHERE shop_id = ? AND claimed_until IS NOT NULL",
            (self.shop_id,),
        )
        return cursor.rowcount

    def outbox_messages(self, chat_id: int | None = None) -> list[OutboxMessage]:
        """Every outbox row (of one chat), oldest first, with when it was sent or given up."""
        where, params = "WHERE shop_id = ?", [self.shop_id]
        if chat_id is not None:
            where, params = "WHERE shop_id = ? AND chat_id = ?", [self.shop_id, chat_id]
        rows = self._run(
            "SELECT id, chat_id, method, payload, attempts, next_attempt_at, dedupe_key,"
            f" sent_at, failed_at FROM outbox {where} ORDER BY id",
            params,
        ).fetchall()
        return [_outbox_message(r) for r in rows]

    def next_outbox_due(self) -> datetime | None:
        row = self._run(
            "SELECT MIN(next_attempt_at) FROM outbox"
            " WHERE shop_id = ? AND sent_at IS NULL AND failed_at IS NULL",
            (self.shop_id,),
        ).fetchone()
        return _dt(row[0])

    def next_head_due(self, exclude_chats: Sequence[int] = ()) -> datetime | None:
        """When the earliest head message (oldest undelivered of its chat) falls due.

        A message queued behind its chat's head cannot go first, so its own due time is no
        reason to wake up; chats being sent to right now are left out with ``exclude_chats``.
        """
        marks = ", ".join("?" for _ in exclude_chats)
        where = f" WHERE o.chat_id NOT IN ({marks})" if exclude_chats else ""
        due = self.dialect.greatest("o.next_attempt_at", "COALESCE(o.claimed_until, '')")
        # A head claimed by another sender is due when its claim runs out, not before.
        row = self._run(
            f"SELECT MIN({due}) FROM outbox o JOIN (SELECT chat_id, MIN(id) AS id FROM outbox"
            " WHERE shop_id = ? AND sent_at IS NULL AND failed_at IS NULL GROUP BY chat_id) head"
            f" ON head.id = o.id{where}",
            (self.shop_id, *exclude_chats),
        ).fetchone()
        return _dt(row[0])

    def mark_sent(self, message_id: int, now: datetime) -> None:
        self._run(
            "UPDATE outbox SET sent_at = ?, attempts = attempts + 1, claimed_until = NULL"
            " WHERE shop_id = ? AND id = ?",
            (ts(now), self.shop_id, message_id),
        )

    def mark_retry(self, message_id: int, next_attempt_at: datetime, error: str) -> None:
        self._run(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
            " claimed_until = NULL WHERE shop_id = ? AND id = ?",
            (ts(next_attempt_at), error[:500], self.shop_id, message_id),
        )

    def mark_failed(self, message_id: int, now: datetime, error: str) -> None:
        self._run(
            "UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ?,"
            " claimed_until = NULL WHERE shop_id = ? AND id = ?",
            (ts(now), error[:500], self.shop_id, message_id),
        )

    def outbox_counts(self) -> dict[str, int]:
        row = self._run(
            "SELECT COUNT(sent_at), COUNT(failed_at),"
            " SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END)"
            " FROM outbox WHERE shop_id = ?",
            (self.shop_id,),
        ).fetchone()
        return {"sent": int(row[0] or 0), "failed": int(row[1] or 0), "pending": int(row[2] or 0)}

    # --- admins, alerts, bot state -------------------------------------------------------

    def admins(self) -> dict[int, bool]:
        """Admin user ids mapped to whether they are the owner."""
        rows = self._run(
            "SELECT user_id, is_owner FROM admins WHERE shop_id = ?", (self.shop_id,)
        ).fetchall()
        return {r["user_id"]: bool(r["is_owner"]) for r in rows}

    def add_admin(self, user_id: int, now: datetime, *, owner: bool = False) -> bool:
        cursor = self._run(
            "INSERT INTO admins (shop_id, user_id, is_owner, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (shop_id, user_id) DO NOTHING",
            (self.shop_id, user_id, int(owner), ts(now)),
        )
        return cursor.rowcount == 1

    def remove_admin(self, user_id: int) -> bool:
        cursor = self._run(
            "DELETE FROM admins WHERE shop_id = ? AND user_id = ? AND is_owner = 0",
            (self.shop_id, user_id),
        )
        return cursor.rowcount == 1

    def raise_alert_once(self, key: str, now: datetime) -> bool:
        """True the first time ``key`` is raised, False ever after (until cleared)."""
        cursor = self._run(
            "INSERT INTO alerts (shop_id, key, raised_at) VALUES (?, ?, ?)"
            " ON CONFLICT (shop_id, key) DO NOTHING",
            (self.shop_id, key, ts(now)),
        )
        return cursor.rowcount == 1

    def clear_alert(self, key: str) -> None:
        self._run("DELETE FROM alerts WHERE shop_id = ? AND key = ?", (self.shop_id, key))

    def bot_state(self, kind: str) -> dict[str, str]:
        rows = self._run(
            "SELECT key, data FROM bot_state WHERE shop_id = ? AND kind = ?", (self.shop_id, kind)
        )
        return {r["key"]: r["data"] for r in rows}

    def put_bot_state(self, kind: str, key: str, data: str) -> None:
        self._run(
            "INSERT INTO bot_state (shop_id, kind, key, data) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (shop_id, kind, key) DO UPDATE SET data = excluded.data",
            (self.shop_id, kind, key, data),
        )

    def drop_bot_state(self, kind: str, key: str) -> None:
        self._run(
            "DELETE FROM bot_state WHERE shop_id = ? AND kind = ? AND key = ?",
            (self.shop_id, kind, key),
        )

    # --- checkout deadlines: when an unfinished checkout times out ------------------------

    def set_checkout_deadline(
        self, user_id: int, chat_id: int, language: str, due_at: datetime
    ) -> None:
        self._run(
            "INSERT INTO checkout_deadlines (shop_id, user_id, chat_id, language, due_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop_id, user_id) DO UPDATE SET"
            " chat_id = excluded.chat_id, language = excluded.language, due_at = excluded.due_at",
            (self.shop_id, user_id, chat_id, language, ts(due_at)),
        )

    def drop_checkout_deadline(self, user_id: int) -> None:
        self._run(
            "DELETE FROM checkout_deadlines WHERE shop_id = ? AND user_id = ?",
            (self.shop_id, user_id),
        )

    def checkout_deadline(self, user_id: int) -> CheckoutDeadline | None:
        row = self._run(
            "SELECT user_id, chat_id, language, due_at FROM checkout_deadlines"
            " WHERE shop_id = ? AND user_id = ?",
            (self.shop_id, user_id),
        ).fetchone()
        return _checkout_deadline(row) if row else None

    def checkout_deadlines_due(self, now: datetime, limit: int = 100) -> list[CheckoutDeadline]:
        """The deadlines passed by ``now``, earliest first."""
        rows = self._run(
            "SELECT user_id, chat_id, language, due_at FROM checkout_deadlines"
            " WHERE shop_id = ? AND due_at <= ? ORDER BY due_at LIMIT ?",
            (self.shop_id, ts(now), limit),
        ).fetchall()
        return [_checkout_deadline(row) for row in rows]

    def take_checkout_deadline(self, user_id: int, now: datetime) -> bool:
        """Remove the user's deadline if it has passed by ``now``; False if there is none, or it
        was moved later meanwhile (or another sweep took it)."""
        cursor = self._run(
            "DELETE FROM checkout_deadlines WHERE shop_id = ? AND user_id = ? AND due_at <= ?",
            (self.shop_id, user_id, ts(now)),
        )
        return cursor.rowcount == 1

    # --- reports -------------------------------------------------------------------------

    def sales(
        self, statuses: Iterable[str], since: datetime, until: datetime, top: int = 5
    ) -> SalesReport:
        """Paid orders by their payment time (WIB days), revenue and best sellers."""
        statuses = tuple(statuses)
        marks = ", ".join("?" for _ in statuses)
        window = (self.shop_id, *statuses, ts(since), ts(until))
        base = (
            f"FROM orders WHERE shop_id = ? AND status IN ({marks})"
            " AND paid_at >= ? AND paid_at < ?"
        )
        count, revenue = self._run(
            f"SELECT COUNT(*), COALESCE(SUM(gross_amount), 0) {base}", window
        ).fetchone()
        top_rows = self._run(
            "SELECT i.name, SUM(i.quantity) AS qty, SUM(i.quantity * i.price) AS rev"
            " FROM order_items i JOIN orders o ON o.shop_id = i.shop_id AND o.id = i.order_id"
            f" WHERE o.shop_id = ? AND o.status IN ({marks}) AND o.paid_at >= ? AND o.paid_at < ?"
            " GROUP BY i.name ORDER BY rev DESC, qty DESC LIMIT ?",
            (*window, top),
        ).fetchall()
        by_day: dict[str, int] = {}
        for paid_at, amount in self._run(f"SELECT paid_at, gross_amount {base}", window):
            day = _req_dt(paid_at).astimezone(WIB).date().isoformat()
            by_day[day] = by_day.get(day, 0) + int(amount)
        return SalesReport(
            paid_count=int(count),
            revenue=int(revenue),
            top_products=tuple((r[0], int(r[1]), int(r[2])) for r in top_rows),
            revenue_by_day=tuple(sorted(by_day.items())),
        )

    # --- inbox (platform mode, PostgreSQL only): Telegram updates taken by the edge ---------

    def inbox_add(self, update_id: int, payload: str, now: datetime) -> bool:
        """Keep an update for the worker; False when it is already there (Telegram's retry)."""
        wake, wake_params = self._wake_workers("inbox")
        cursor = self._run(
            "INSERT INTO inbox (shop_id, update_id, payload, received_at) VALUES (?, ?, ?, ?)"
            f" ON CONFLICT (shop_id, update_id) DO NOTHING{wake}",
            (self.shop_id, update_id, payload, ts(now), *wake_params),
        )
        return cursor.rowcount == 1

    def inbox_claim(
        self, now: datetime, lease: timedelta, limit: int = 100
    ) -> list[tuple[int, str]]:
        """The oldest unhandled updates no live lease holds, leased to the caller until
        ``now + lease`` (a worker that dies leaves them to the next one), in update_id order."""
        rows = self._run(
            "UPDATE inbox SET claimed_until = ? WHERE shop_id = ? AND update_id IN ("
            " SELECT update_id FROM inbox WHERE shop_id = ? AND handled_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < ?)"
            " ORDER BY update_id LIMIT ? FOR UPDATE SKIP LOCKED)"
            " RETURNING update_id, payload",
            (ts(now + lease), self.shop_id, self.shop_id, ts(now), limit),
        ).fetchall()
        return sorted((int(row[0]), str(row[1])) for row in rows)

    def inbox_done(self, update_ids: Sequence[int], now: datetime) -> None:
        for update_id in update_ids:
            self._run(
                "UPDATE inbox SET handled_at = ?, claimed_until = NULL"
                " WHERE shop_id = ? AND update_id = ?",
                (ts(now), self.shop_id, update_id),
            )

    def inbox_pending_count(self) -> int:
        row = self._run(
            "SELECT COUNT(*) FROM inbox WHERE shop_id = ? AND handled_at IS NULL", (self.shop_id,)
        ).fetchone()
        return int(row[0])

    # --- shops directory (platform mode, PostgreSQL only) ---------------------------------
    # These ``directory_`` methods are not bound to this Tx's shop: they read and write the
    # directory of every hosted shop (``shops``), whichever shop's view runs them. Secrets come
    # and go sealed (bot.platform.shops seals and opens them).

    def directory_new_shop_id(self) -> int:
        """A fresh shop id, never given before (the id is sealed into the shop's secrets, so it
        is needed before the row is written)."""
        row = self._run("SELECT nextval(pg_get_serial_sequence('shops', 'id'))").fetchone()
        return int(row[0])

    def directory_add_shop(self, shop: ShopRow) -> ShopRow:
        """Insert ``shop`` (its id from ``directory_new_shop_id``); TokenTaken when another
        shop that is not deleted has the same token hash."""
        if shop.token_hash is not None and self.directory_shop_by_token_hash(shop.token_hash):
            raise TokenTaken(shop.bot_username)
        self._run(
            f"INSERT INTO shops ({_SHOP_COLUMNS}) VALUES ({', '.join('?' * 14)})",
            (
                shop.id,
                shop.shop_key,
                shop.owner_user_id,
                shop.bot_username,
                shop.bot_token_sealed,
                shop.token_hash,
                shop.webhook_secret_sealed,
                shop.midtrans_server_key_sealed,
                shop.midtrans_environment,
                shop.status,
                shop.status_reason,
                ts(shop.created_at),
                ts(shop.updated_at),
                shop.owner_language,
            ),
        )
        found = self.directory_shop(shop.id)
        assert found is not None
        return found

    def directory_shop(self, shop_id: int) -> ShopRow | None:
        """The shop with this id, whatever its status (deleted included)."""
        row = self._run(f"SELECT {_SHOP_COLUMNS} FROM shops WHERE id = ?", (shop_id,)).fetchone()
        return _shop_row(row) if row else None

    def directory_shop_by_key(self, shop_key: str) -> ShopRow | None:
        """The shop whose webhook and notification paths carry ``shop_key`` (not deleted)."""
        row = self._run(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE shop_key = ? AND status <> 'deleted'",
            (shop_key,),
        ).fetchone()
        return _shop_row(row) if row else None

    def directory_shop_by_token_hash(self, token_hash: str) -> ShopRow | None:
        row = self._run(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE token_hash = ? AND status <> 'deleted'",
            (token_hash,),
        ).fetchone()
        return _shop_row(row) if row else None

    def directory_shops_of_owner(self, owner_user_id: int) -> list[ShopRow]:
        """The shops a Telegram user owns (not deleted), oldest first."""
        rows = self._run(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE owner_user_id = ? AND status <> 'deleted'"
            " ORDER BY id",
            (owner_user_id,),
        ).fetchall()
        return [_shop_row(row) for row in rows]

    def directory_active_shops(self, partition: int, partitions: int) -> list[ShopRow]:
        """The active shops of one partition: shop id modulo ``partitions`` is ``partition``."""
        rows = self._run(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE status = 'active' AND id % ? = ? ORDER BY id",
            (partitions, partition),
        ).fetchall()
        return [_shop_row(row) for row in rows]

    def directory_shops_with_work(
        self, owned: Sequence[int], partitions: int, now: datetime
    ) -> list[int]:
        """Active shops of the ``owned`` partitions with an unhandled update in the inbox or an
        outbox message due: what a worker looks at for shops it has not loaded (or evicted)."""
        if not owned:
            return []
        rows = self._run(
            "SELECT s.id FROM shops s WHERE s.status = 'active'"
            f" AND s.id % ? IN ({', '.join('?' for _ in owned)}) AND ("
            " EXISTS (SELECT 1 FROM inbox i WHERE i.shop_id = s.id AND i.handled_at IS NULL"
            "  AND (i.claimed_until IS NULL OR i.claimed_until < ?))"
            " OR EXISTS (SELECT 1 FROM outbox o WHERE o.shop_id = s.id AND o.sent_at IS NULL"
            "  AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
            "  AND (o.claimed_until IS NULL OR o.claimed_until < ?)))"
            " ORDER BY s.id",
            (partitions, *owned, ts(now), ts(now), ts(now)),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def directory_release_claims(self, partition: int, partitions: int) -> int:
        """Clear the inbox and outbox claims of one partition's shops: only for the worker that
        has just taken the partition's lock, so whoever claimed them is gone (dead, or done with
        the partition). Their rows are due again at once instead of when the claims run out.
        Returns how many claims were cleared."""
        inbox = self._run(
            "UPDATE inbox SET claimed_until = NULL WHERE handled_at IS NULL"
            " AND claimed_until IS NOT NULL AND shop_id % ? = ?",
            (partitions, partition),
        )
        outbox = self._run(  # failed rows hold no claim; saying so lets the pending index serve
            "UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND failed_at IS NULL"
            " AND claimed_until IS NOT NULL AND shop_id % ? = ?",
            (partitions, partition),
        )
        return inbox.rowcount + outbox.rowcount

    def directory_shops_with_payments_due(
        self,
        owned: Sequence[int],
        partitions: int,
        pending_statuses: Sequence[str],
        expired_before: datetime,
        quiet_since: datetime,
        paid_status: str,
        paid_before: datetime,
    ) -> list[int]:
        """Active shops of the ``owned`` partitions with an order ``orders_due_for_check``
        would return, or a paid order whose seller ``paid_orders_awaiting_seller`` would tell: a
        worker loads them for their reconciliation even when no update or message wakes them."""
        if not owned:
            return []
        marks = ", ".join("?" for _ in pending_statuses)
        rows = self._run(
            "SELECT s.id FROM shops s WHERE s.status = 'active'"
            f" AND s.id % ? IN ({', '.join('?' for _ in owned)}) AND ("
            " EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = s.id"
            f"  AND o.status IN ({marks}) AND ((o.expires_at IS NOT NULL AND o.expires_at < ?)"
            "  OR COALESCE(o.last_checked_at, o.created_at) < ?))"
            " OR EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = s.id AND o.status = ?"
            "  AND o.seller_notified_at IS NULL AND o.paid_at IS NOT NULL AND o.paid_at <= ?))"
            " ORDER BY s.id",
            (
                partitions,
                *owned,
                *pending_statuses,
                ts(expired_before),
                ts(quiet_since),
                paid_status,
                ts(paid_before),
            ),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def directory_shops_with_checkouts_due(
        self, owned: Sequence[int], partitions: int, now: datetime
    ) -> list[int]:
        """Active shops of the ``owned`` partitions with a checkout deadline passed by ``now``
        (``checkout_deadlines_due``): a worker loads them so their customers are told."""
        if not owned:
            return []
        rows = self._run(
            "SELECT s.id FROM shops s WHERE s.status = 'active'"
            f" AND s.id % ? IN ({', '.join('?' for _ in owned)})"
            " AND EXISTS (SELECT 1 FROM checkout_deadlines d WHERE d.shop_id = s.id"
            "  AND d.due_at <= ?)"
            " ORDER BY s.id",
            (partitions, *owned, ts(now)),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def directory_set_status(
        self,
        shop_id: int,
        status: str,
        now: datetime,
        *,
        reason: str = "",
        from_statuses: Sequence[str],
    ) -> bool:
        """Move the shop to ``status`` if it is in one of ``from_statuses``; False otherwise."""
        marks = ", ".join("?" for _ in from_statuses)
        cursor = self._run(
            "UPDATE shops SET status = ?, status_reason = ?, updated_at = ?"
            f" WHERE id = ? AND status IN ({marks})",
            (status, reason, ts(now), shop_id, *from_statuses),
        )
        return cursor.rowcount == 1

    def directory_set_owner_language(self, owner_user_id: int, language: str) -> int:
        """Remember ``language`` as the language of every live shop of this owner; the number
        of rows it changed. ``updated_at`` stays: a worker reloads a shop whose row changed,
        and the language is nothing a shop's bot uses."""
        cursor = self._run(
            "UPDATE shops SET owner_language = ?"
            " WHERE owner_user_id = ? AND status <> 'deleted' AND owner_language <> ?",
            (language, owner_user_id, language),
        )
        return int(cursor.rowcount)

    def directory_replace_secrets(self, shop_id: int, now: datetime, **sealed: str) -> bool:
        """Replace some of a live shop's sealed fields (``bot_token_sealed``, ``token_hash``,
        ``webhook_secret_sealed``, ``midtrans_server_key_sealed``) and the plain
        ``bot_username``/``midtrans_environment`` that go with them. TokenTaken when the new
        token hash is another shop's. False when the shop is deleted or unknown."""
        allowed = {
            "bot_token_sealed",
            "token_hash",
            "webhook_secret_sealed",
            "midtrans_server_key_sealed",
            "bot_username",
            "midtrans_environment",
        }
        unknown = set(sealed) - allowed
        if unknown or not sealed:
            raise ValueError(f"cannot replace {sorted(unknown) or 'nothing'}")
        if "token_hash" in sealed:
            other = self.directory_shop_by_token_hash(sealed["token_hash"])
            if other is not None and other.id != shop_id:
                raise TokenTaken(other.bot_username)
        names = sorted(sealed)
        assignments = ", ".join(f"{name} = ?" for name in names)
        cursor = self._run(
            f"UPDATE shops SET {assignments}, updated_at = ? WHERE id = ? AND status <> 'deleted'",
            (*(sealed[name] for name in names), ts(now), shop_id),
        )
        return cursor.rowcount == 1

    def directory_delete_shop(self, shop_id: int, now: datetime) -> bool:
        """Delete every row of the shop's data in every table, clear its secrets and token
        hash (the token may join the platform again) and keep its row as ``deleted``."""
        cursor = self._run(
            "UPDATE shops SET status = 'deleted', status_reason = '', bot_token_sealed = NULL,"
            " token_hash = NULL, webhook_secret_sealed = NULL, midtrans_server_key_sealed = NULL,"
            " updated_at = ? WHERE id = ? AND status <> 'deleted'",
            (ts(now), shop_id),
        )
        if cursor.rowcount != 1:
            return False
        for table in SHOP_DATA_TABLES:
            self._run(f"DELETE FROM {table} WHERE shop_id = ?", (shop_id,))
        return True

    # --- the leader's housekeeping (platform mode): across every shop ----------------------

    def directory_shops_due_for_webhook_check(
        self, checked_before: datetime, limit: int
    ) -> list[ShopRow]:
        """Active shops whose webhook was last checked (or, never checked, that were created)
        before ``checked_before``, the longest unchecked first."""
        rows = self._run(
            f"SELECT {_SHOP_COLUMNS} FROM shops WHERE status = 'active'"
            " AND COALESCE(webhook_checked_at, created_at) < ?"
            " ORDER BY COALESCE(webhook_checked_at, created_at), id LIMIT ?",
            (ts(checked_before), limit),
        ).fetchall()
        return [_shop_row(row) for row in rows]

    def directory_stamp_webhook_check(self, shop_id: int, now: datetime) -> None:
        """The shop's webhook was checked at ``now`` (its ``updated_at`` stays: nothing of the
        shop changed, and workers reload a shop whose ``updated_at`` moved)."""
        self._run("UPDATE shops SET webhook_checked_at = ? WHERE id = ?", (ts(now), shop_id))

    def directory_purge_inbox(self, handled_before: datetime, limit: int) -> int:
        """Forget at most ``limit`` updates of any shop handled before ``handled_before`` (older
        than Telegram would still retry); unhandled ones stay whatever their age."""
        cursor = self._run(
            "DELETE FROM inbox WHERE (shop_id, update_id) IN ("
            " SELECT shop_id, update_id FROM inbox"
            " WHERE handled_at IS NOT NULL AND handled_at < ? LIMIT ?)",
            (ts(handled_before), limit),
        )
        return cursor.rowcount

    def directory_purge_deleted_shops(self) -> int:
        """Rows of deleted shops written after their deletion (an update or notification the
        edge took as the shop was being deleted): removed from every data table."""
        removed = 0
        for table in SHOP_DATA_TABLES:
            cursor = self._run(
                f"DELETE FROM {table} WHERE shop_id IN"
                " (SELECT id FROM shops WHERE status = 'deleted')"
            )
            removed += max(cursor.rowcount, 0)
        return removed
