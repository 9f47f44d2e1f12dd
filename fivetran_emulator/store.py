"""SQLite persistence: groups, connections and creation events, with atomic read-modify-write.

One connection serves every request thread behind a lock, and every write runs inside
`BEGIN IMMEDIATE ... COMMIT`, so concurrent requests never lose updates. `UNIQUE(group_id, schema)` makes
exactly one of several parallel creates of the same schema win. With a file path the data survives
restarts; without one it lives in memory.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import ids
from .errors import ApiError
from .ratelimit import CreateLimit

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    group_id TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    card_token TEXT UNIQUE,
    record TEXT NOT NULL,
    UNIQUE (group_id, schema_name)
);
CREATE TABLE IF NOT EXISTS creations (at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    manager_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (manager_id, name)
);
"""


class Store:
    """The emulator's data. Every public method is one transaction."""

    def __init__(self, path: str | None = None) -> None:
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA busy_timeout = 5000")
        if path:
            self._db.execute("PRAGMA journal_mode = WAL")
        with self._transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (the process is stopping)."""
        with self._lock:
            self._db.close()

    # -- groups ----------------------------------------------------------------------------------------------
    def put_group(self, group_id: str, name: str, created_at: str) -> Record:
        """Add a group, or rename it if it exists (keeping its creation time)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO groups (id, name, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                (group_id, name, created_at),
            )
            return _group(db, group_id) or {}

    def get_group(self, group_id: str) -> Record | None:
        """The group `{id, name, created_at}`, or None."""
        with self._lock:
            return _group(self._db, group_id)

    def list_groups(self, after: int, limit: int) -> tuple[list[Record], int | None]:
        """Up to `limit` groups after position `after`; returns them and the next position (None at the end)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, name, created_at FROM groups WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit + 1),
            ).fetchall()
        items = [{"id": r[1], "name": r[2], "created_at": r[3]} for r in rows[:limit]]
        return items, (rows[limit - 1][0] if len(rows) > limit else None)

    # -- connections -----------------------------------------------------------------------------------------
    def create_connection(self, record: Record, limit: CreateLimit | None, now: float) -> Record:
        """Insert a new connection (its `id` is assigned here) after the rate-limit, group and schema checks.

        Raises `ApiError` 429 (limit reached), 404 (unknown group) or 409 (schema taken in the group).
        """
        with self._transaction() as db:
            if limit is not None:
                recent = [
                    row[0]
                    for row in db.execute(
                        "SELECT at FROM creations WHERE at > ? ORDER BY at", (limit.window_start(now),)
                    )
                ]
                wait = limit.retry_after(recent, now)
                if wait is not None:
                    raise ApiError(429, "TooManyRequests", limit.message(), {"Retry-After": str(wait)})
            group_id, schema = record["group_id"], record["schema"]
            if _group(db, group_id) is None:
                raise group_not_found(group_id)
            if db.execute(
                "SELECT 1 FROM connections WHERE group_id = ? AND schema_name = ?", (group_id, schema)
            ).fetchone():
                raise _schema_taken(schema, group_id)
            record = {**record, "id": _unused_id(db)}
            try:
                db.execute(
                    "INSERT INTO connections (id, group_id, schema_name, card_token, record) VALUES (?, ?, ?, ?, ?)",
                    (record["id"], group_id, schema, _token(record), json.dumps(record)),
                )
            except sqlite3.IntegrityError:
                # Unreachable while the lock serialises writers; kept so the constraint is the last word.
                raise _schema_taken(schema, group_id) from None
            db.execute("DELETE FROM creations WHERE at <= ?", (now - 86_400,))
            db.execute("INSERT INTO creations (at) VALUES (?)", (now,))
            return record

    def get_connection(self, connection_id: str) -> Record | None:
        """The stored connection (secrets unmasked), or None."""
        with self._lock:
            row = self._db.execute("SELECT record FROM connections WHERE id = ?", (connection_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def find_by_card_token(self, token: str) -> str | None:
        """The id of the connection whose Connect Card has this token, or None."""
        with self._lock:
            row = self._db.execute("SELECT id FROM connections WHERE card_token = ?", (token,)).fetchone()
        return row[0] if row else None

    def update_connection(self, connection_id: str, change: Callable[[Record], Record]) -> Record | None:
        """Atomically replace a connection with `change(current)`; None if it does not exist.

        `change` may raise `ApiError`; nothing is written then.
        """
        with self._transaction() as db:
            row = db.execute("SELECT record FROM connections WHERE id = ?", (connection_id,)).fetchone()
            if row is None:
                return None
            record = change(json.loads(row[0]))
            db.execute(
                "UPDATE connections SET record = ?, card_token = ? WHERE id = ?",
                (json.dumps(record), _token(record), connection_id),
            )
            return record

    def delete_connection(self, connection_id: str) -> bool:
        """Delete a connection; False if it did not exist."""
        with self._transaction() as db:
            return db.execute("DELETE FROM connections WHERE id = ?", (connection_id,)).rowcount > 0

    def list_connections(
        self, group_id: str | None, schema: str | None, after: int, limit: int
    ) -> tuple[list[Record], int | None]:
        """Connections in creation order after position `after`, filtered by exact group and schema.

        Returns up to `limit` records and the position to continue from (None on the last page).
        """
        sql = "SELECT seq, record FROM connections WHERE seq > ?"
        args: list[Any] = [after]
        if group_id is not None:
            sql += " AND group_id = ?"
            args.append(group_id)
        if schema is not None:
            sql += " AND schema_name = ?"
            args.append(schema)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY seq LIMIT ?", (*args, limit + 1)).fetchall()
        items = [json.loads(r[1]) for r in rows[:limit]]
        return items, (rows[limit - 1][0] if len(rows) > limit else None)

    # -- external secrets managers ------------------------------------------------------------------------------
    def put_secret(self, manager_id: str, name: str, value: str) -> None:
        """Store a secret in a customer's external secrets manager (the manager exists once it holds one)."""
        with self._transaction() as db:
            db.execute("INSERT INTO secrets (manager_id, name, value) VALUES (?, ?, ?) "
                       "ON CONFLICT (manager_id, name) DO UPDATE SET value = excluded.value", (manager_id, name, value))

    def get_secret(self, manager_id: str, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM secrets WHERE manager_id = ? AND name = ?",
                                   (manager_id, name)).fetchone()
        return row[0] if row else None

    def has_secrets_manager(self, manager_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM secrets WHERE manager_id = ?", (manager_id,)).fetchone() is not None

    # -- reset -----------------------------------------------------------------------------------------------
    def reset(self, keep_groups: list[tuple[str, str]], created_at: str) -> None:
        """Forget connections, creation history and every group except `keep_groups` (restored as given)."""
        with self._transaction() as db:
            db.execute("DELETE FROM connections")
            db.execute("DELETE FROM creations")
            db.execute("DELETE FROM secrets")
            keep = [group_id for group_id, _ in keep_groups]
            db.execute(f"DELETE FROM groups WHERE id NOT IN ({','.join('?' * len(keep))})", keep)
            for group_id, name in keep_groups:
                db.execute(
                    "INSERT INTO groups (id, name, created_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    (group_id, name, created_at),
                )


def _group(db: sqlite3.Connection, group_id: str) -> Record | None:
    row = db.execute("SELECT id, name, created_at FROM groups WHERE id = ?", (group_id,)).fetchone()
    return {"id": row[0], "name": row[1], "created_at": row[2]} if row else None


def _unused_id(db: sqlite3.Connection) -> str:
    for _ in range(20):
        candidate = ids.word_id()
        if not db.execute("SELECT 1 FROM connections WHERE id = ?", (candidate,)).fetchone():
            return candidate
    return ids.hex_id()


def _token(record: Record) -> str | None:
    card = record.get("connect_card")
    return card["token"] if isinstance(card, dict) else None


def group_not_found(group_id: str) -> ApiError:
    """The 404 for an unknown group id."""
    return ApiError(
        404,
        "NotFound_Group",
        f"Group with id '{group_id}' does not exist. Check 'group_id' (a group id equals its destination id; "
        "list groups with GET /v1/groups).",
    )


def _schema_taken(schema: str, group_id: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f"Connection with schema '{schema}' already exists in group '{group_id}'",
    )
