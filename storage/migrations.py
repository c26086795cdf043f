"""Versioned schema migrations, applied in order at start-up.

``PRAGMA user_version`` records how far a database file has come, so an older file upgrades in
place. Append new steps; never edit a step that has shipped. SQL stays portable where it costs
nothing (no SQLite-only column types), so a PostgreSQL backend can follow the same steps.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: catalogue, customers, orders, charges, payment events, outbox.
    """
    CREATE TABLE shop_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE products (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price > 0),
        stock INTEGER CHECK (stock IS NULL OR stock >= 0),
        description TEXT NOT NULL DEFAULT '',
        photo_file_id TEXT,
        visible INTEGER NOT NULL DEFAULT 1,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE customers (
        user_id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        phone TEXT,
        email TEXT,
        language TEXT NOT NULL DEFAULT 'id',
        address TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(user_id),
        chat_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        subtotal INTEGER NOT NULL,
        delivery_fee INTEGER NOT NULL DEFAULT 0,
        gross_amount INTEGER NOT NULL CHECK (gross_amount = subtotal + delivery_fee),
        fulfilment TEXT NOT NULL DEFAULT 'pickup',
        address TEXT,
        latitude REAL,
        longitude REAL,
        note TEXT,
        customer_name TEXT NOT NULL DEFAULT '',
        customer_phone TEXT NOT NULL DEFAULT '',
        customer_email TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT 'id',
        expires_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        paid_at TEXT,
        seller_notified_at TEXT,
        fulfilled_at TEXT,
        last_checked_at TEXT
    );
    CREATE INDEX orders_by_status ON orders(status, expires_at);
    CREATE INDEX orders_by_customer ON orders(customer_id, created_at);
    CREATE TABLE order_items (
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        line INTEGER NOT NULL,
        product_id INTEGER REFERENCES products(id),
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price > 0),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (order_id, line)
    );
    CREATE TABLE charges (
        order_id TEXT PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
        transaction_id TEXT NOT NULL,
        payment_code TEXT NOT NULL,
        store TEXT NOT NULL DEFAULT 'indomaret',
        expires_at TEXT,
        raw_response TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE payment_events (
        id INTEGER PRIMARY KEY,
        order_id TEXT,
        source TEXT NOT NULL,
        transaction_status TEXT,
        status_code TEXT,
        gross_amount TEXT,
        verified INTEGER NOT NULL,
        applied INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        raw TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX payment_events_by_order ON payment_events(order_id);
    CREATE TABLE order_history (
        id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX order_history_by_order ON order_history(order_id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        dedupe_key TEXT UNIQUE,
        method TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        sent_at TEXT,
        failed_at TEXT,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox(sent_at, failed_at, next_attempt_at);
    """,
    # 2: admins (owner claim), PTB conversation persistence, one-time operator alerts.
    """
    CREATE TABLE admins (
        user_id INTEGER PRIMARY KEY,
        is_owner INTEGER NOT NULL DEFAULT 0,
        added_at TEXT NOT NULL
    );
    CREATE TABLE bot_state (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE alerts (
        key TEXT PRIMARY KEY,
        raised_at TEXT NOT NULL
    );
    """,
    # 3: indexes over undelivered outbox rows only, so the sender's look for each chat's next
    # message costs what is queued, not the whole history (bench: 45 ms -> 0.1 ms per look
    # with 50,000 pushes queued behind Telegram's 30 messages/s).
    """
    CREATE INDEX outbox_pending ON outbox(chat_id, id)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    CREATE INDEX outbox_pending_by_id ON outbox(id)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    """,
    # 4: unverified payment events by id, so keeping only the latest of them costs a look at
    # those rows, not the whole table.
    """
    CREATE INDEX payment_events_unverified ON payment_events(id) WHERE verified = 0;
    """,
    # 5: a sender claims a row before sending it (until this time), so two senders cannot both
    # send it; the outcome of the send clears the claim.
    """
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    """,
)

LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


class SchemaTooNew(RuntimeError):
    """The file was written by a newer bot: an older one must not touch it (a downgrade)."""


def refuse_newer(conn: sqlite3.Connection) -> int:
    """The file's schema version; SchemaTooNew if this bot does not know it."""
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this bot ({LATEST_VERSION}); "
            "upgrade the bot (git pull, make install) or restore a backup made by this version"
        )
    return current


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring ``conn`` up to ``target``, one transaction per step; returns the version reached."""
    current = refuse_newer(conn)
    for version in range(current + 1, target + 1):
        script = MIGRATIONS[version - 1]
        conn.execute("BEGIN")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
