"""Versioned schema migrations, applied in order at start-up.

``PRAGMA user_version`` records how far a database file has come, so an older file upgrades in
place. Append new steps; never edit a step that has shipped. PostgreSQL has its own list
(``storage/migrations_pg.py``): its history starts at the shape migration 6 reached here.
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
    # 6: every row belongs to a shop (platform mode hosts many in one database; this file holds
    # shop 1). Keys become composite: the same order id or Telegram user in two shops are two
    # rows. SQLite cannot change a primary key in place, so each table is rebuilt and its rows
    # copied as shop 1 (foreign keys are off during a step and checked before its COMMIT).
    """
    CREATE TABLE shop_settings_v6 (
        shop_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (shop_id, key)
    );
    INSERT INTO shop_settings_v6 (shop_id, key, value) SELECT 1, key, value FROM shop_settings;
    CREATE TABLE products_v6 (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price > 0),
        stock INTEGER CHECK (stock IS NULL OR stock >= 0),
        description TEXT NOT NULL DEFAULT '',
        photo_file_id TEXT,
        visible INTEGER NOT NULL DEFAULT 1,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (shop_id, id)
    );
    INSERT INTO products_v6 (id, shop_id, name, price, stock, description, photo_file_id,
        visible, deleted, created_at, updated_at)
        SELECT id, 1, name, price, stock, description, photo_file_id, visible, deleted,
        created_at, updated_at FROM products;
    CREATE TABLE customers_v6 (
        shop_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        phone TEXT,
        email TEXT,
        language TEXT NOT NULL DEFAULT 'id',
        address TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (shop_id, user_id)
    );
    INSERT INTO customers_v6 (shop_id, user_id, chat_id, name, phone, email, language, address,
        created_at, updated_at)
        SELECT 1, user_id, chat_id, name, phone, email, language, address, created_at,
        updated_at FROM customers;
    CREATE TABLE orders_v6 (
        shop_id INTEGER NOT NULL,
        id TEXT NOT NULL,
        customer_id INTEGER NOT NULL,
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
        last_checked_at TEXT,
        PRIMARY KEY (shop_id, id),
        FOREIGN KEY (shop_id, customer_id) REFERENCES customers(shop_id, user_id)
    );
    INSERT INTO orders_v6 (shop_id, id, customer_id, chat_id, status, subtotal, delivery_fee,
        gross_amount, fulfilment, address, latitude, longitude, note, customer_name,
        customer_phone, customer_email, language, expires_at, created_at, updated_at, paid_at,
        seller_notified_at, fulfilled_at, last_checked_at)
        SELECT 1, id, customer_id, chat_id, status, subtotal, delivery_fee, gross_amount,
        fulfilment, address, latitude, longitude, note, customer_name, customer_phone,
        customer_email, language, expires_at, created_at, updated_at, paid_at,
        seller_notified_at, fulfilled_at, last_checked_at FROM orders;
    CREATE TABLE order_items_v6 (
        shop_id INTEGER NOT NULL,
        order_id TEXT NOT NULL,
        line INTEGER NOT NULL,
        product_id INTEGER,
        name TEXT NOT NULL,
        price INTEGER NOT NULL CHECK (price > 0),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (shop_id, order_id, line),
        FOREIGN KEY (shop_id, order_id) REFERENCES orders(shop_id, id) ON DELETE CASCADE,
        FOREIGN KEY (shop_id, product_id) REFERENCES products(shop_id, id)
    );
    INSERT INTO order_items_v6 (shop_id, order_id, line, product_id, name, price, quantity)
        SELECT 1, order_id, line, product_id, name, price, quantity FROM order_items;
    CREATE TABLE charges_v6 (
        shop_id INTEGER NOT NULL,
        order_id TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        payment_code TEXT NOT NULL,
        store TEXT NOT NULL DEFAULT 'indomaret',
        expires_at TEXT,
        raw_response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (shop_id, order_id),
        FOREIGN KEY (shop_id, order_id) REFERENCES orders(shop_id, id) ON DELETE CASCADE
    );
    INSERT INTO charges_v6 (shop_id, order_id, transaction_id, payment_code, store, expires_at,
        raw_response, created_at)
        SELECT 1, order_id, transaction_id, payment_code, store, expires_at, raw_response,
        created_at FROM charges;
    CREATE TABLE payment_events_v6 (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL,
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
    INSERT INTO payment_events_v6 (id, shop_id, order_id, source, transaction_status,
        status_code, gross_amount, verified, applied, outcome, raw, received_at)
        SELECT id, 1, order_id, source, transaction_status, status_code, gross_amount, verified,
        applied, outcome, raw, received_at FROM payment_events;
    CREATE TABLE order_history_v6 (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL,
        order_id TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        FOREIGN KEY (shop_id, order_id) REFERENCES orders(shop_id, id) ON DELETE CASCADE
    );
    INSERT INTO order_history_v6 (id, shop_id, order_id, from_status, to_status, reason, at)
        SELECT id, 1, order_id, from_status, to_status, reason, at FROM order_history;
    CREATE TABLE outbox_v6 (
        id INTEGER PRIMARY KEY,
        shop_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        dedupe_key TEXT,
        method TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        sent_at TEXT,
        failed_at TEXT,
        last_error TEXT,
        claimed_until TEXT,
        UNIQUE (shop_id, dedupe_key)
    );
    INSERT INTO outbox_v6 (id, shop_id, chat_id, dedupe_key, method, payload, created_at,
        attempts, next_attempt_at, sent_at, failed_at, last_error, claimed_until)
        SELECT id, 1, chat_id, dedupe_key, method, payload, created_at, attempts,
        next_attempt_at, sent_at, failed_at, last_error, claimed_until FROM outbox;
    CREATE TABLE admins_v6 (
        shop_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        is_owner INTEGER NOT NULL DEFAULT 0,
        added_at TEXT NOT NULL,
        PRIMARY KEY (shop_id, user_id)
    );
    INSERT INTO admins_v6 (shop_id, user_id, is_owner, added_at)
        SELECT 1, user_id, is_owner, added_at FROM admins;
    CREATE TABLE bot_state_v6 (
        shop_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (shop_id, kind, key)
    );
    INSERT INTO bot_state_v6 (shop_id, kind, key, data) SELECT 1, kind, key, data FROM bot_state;
    CREATE TABLE alerts_v6 (
        shop_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        PRIMARY KEY (shop_id, key)
    );
    INSERT INTO alerts_v6 (shop_id, key, raised_at) SELECT 1, key, raised_at FROM alerts;
    DROP TABLE order_history;
    DROP TABLE order_items;
    DROP TABLE charges;
    DROP TABLE orders;
    DROP TABLE customers;
    DROP TABLE products;
    DROP TABLE shop_settings;
    DROP TABLE payment_events;
    DROP TABLE outbox;
    DROP TABLE admins;
    DROP TABLE bot_state;
    DROP TABLE alerts;
    ALTER TABLE shop_settings_v6 RENAME TO shop_settings;
    ALTER TABLE products_v6 RENAME TO products;
    ALTER TABLE customers_v6 RENAME TO customers;
    ALTER TABLE orders_v6 RENAME TO orders;
    ALTER TABLE order_items_v6 RENAME TO order_items;
    ALTER TABLE charges_v6 RENAME TO charges;
    ALTER TABLE payment_events_v6 RENAME TO payment_events;
    ALTER TABLE order_history_v6 RENAME TO order_history;
    ALTER TABLE outbox_v6 RENAME TO outbox;
    ALTER TABLE admins_v6 RENAME TO admins;
    ALTER TABLE bot_state_v6 RENAME TO bot_state;
    ALTER TABLE alerts_v6 RENAME TO alerts;
    CREATE INDEX orders_by_status ON orders(shop_id, status, expires_at);
    CREATE INDEX orders_by_customer ON orders(shop_id, customer_id, created_at);
    CREATE INDEX payment_events_by_order ON payment_events(shop_id, order_id);
    CREATE INDEX payment_events_unverified ON payment_events(shop_id, id) WHERE verified = 0;
    CREATE INDEX order_history_by_order ON order_history(shop_id, order_id);
    CREATE INDEX outbox_due ON outbox(shop_id, sent_at, failed_at, next_attempt_at);
    CREATE INDEX outbox_pending ON outbox(shop_id, chat_id, id)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    CREATE INDEX outbox_pending_by_id ON outbox(shop_id, id)
        WHERE sent_at IS NULL AND failed_at IS NULL;
    """,
    # 7: when each unfinished checkout times out (bot/chat/customer/timeout.py). A row lives
    # while the customer has a checkout draft; a periodic sweep finds the due ones. Drafts
    # from before this step get their row at the customer's next update.
    """
    CREATE TABLE checkout_deadlines (
        shop_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        due_at TEXT NOT NULL,
        PRIMARY KEY (shop_id, user_id)
    );
    CREATE INDEX checkout_deadlines_due ON checkout_deadlines(shop_id, due_at);
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
    """Bring ``conn`` up to ``target``, one transaction per step; returns the version reached.

    Foreign keys are off while steps run (SQLite's way to rebuild a table: with them on,
    dropping the old table would cascade into its children) and every step is checked with
    ``PRAGMA foreign_key_check`` before it commits.
    """
    current = refuse_newer(conn)
    if current >= target:
        return current
    enforced = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version in range(current + 1, target + 1):
            _step(conn, version)
    finally:
        if enforced:
            conn.execute("PRAGMA foreign_keys = ON")
    return schema_version(conn)


def _step(conn: sqlite3.Connection, version: int) -> None:
    conn.execute("BEGIN")
    try:
        for statement in _statements(MIGRATIONS[version - 1]):
            conn.execute(statement)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"migration {version} broke foreign keys: {broken[:3]}")
        conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
