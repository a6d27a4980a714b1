"""The SQLite store: an append-only, hash-chained event log plus projections.

Every event's hash covers its sequence number, time stamp, kind, payload bytes and the hash of
its predecessor, so changing, deleting or reordering any event breaks the chain. Projections
are derived tables that `fsck` rebuilds from the events and compares.

Reads use the stdlib `sqlite3` (fast CLI start); schema creation uses sqlite-utils.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

GENESIS = "sha256:" + "0" * 64
SCHEMA_VERSION = "1"


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode("utf-8")
    return "sha256:" + hashlib.sha256(text).hexdigest()


def event_hash(seq: int, recorded_at: str, kind: str, payload: str, prev: str) -> str:
    return sha256(f"{seq}\n{recorded_at}\n{kind}\n{prev}\n{payload}")


def utcnow() -> datetime:
    return datetime.now(UTC)


@frozen
class Event:
    seq: int
    recorded_at: str
    kind: str
    payload: str
    prev: str
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.payload)

    @property
    def recorded(self) -> datetime:
        return datetime.fromisoformat(self.recorded_at)


def create_schema(db) -> None:
    """Create every table and trigger on a sqlite_utils.Database (file or in memory)."""
    with db.conn:
        db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
        db["events"].create({"seq": int, "recorded_at": str, "kind": str, "payload": str, "prev": str, "hash": str},
                            pk="seq", not_null={"recorded_at", "kind", "payload", "prev", "hash"}, if_not_exists=True)
        db["entities"].create({"kind": str, "key": str, "data": str, "sha256": str, "seq": int},
                              pk=("kind", "key"), if_not_exists=True)
        db["uses"].create({"reference": str, "on": str, "year": int, "actor": str, "power": str, "amount": str,
                           "budget_key": str, "unit": str, "matter": str, "grants": str, "jti": str, "seq": int},
                          pk="reference", if_not_exists=True)
        db["use_grants"].create({"reference": str, "grant": str, "year": int, "amount": str},
                                pk=("reference", "grant"), if_not_exists=True)
        db["use_grants"].create_index(["grant", "year"], if_not_exists=True)
        db["refusals"].create({"reference": str, "on": str, "year": int, "actor": str, "power": str, "amount": str,
                               "codes": str, "grants": str, "seq": int}, pk="reference", if_not_exists=True)
        db["uses"].create_index(["year"], if_not_exists=True)
        for name, table in (("events", "events"),):
            db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {table} "
                            "BEGIN SELECT RAISE(ABORT, 'het gebeurtenissenlog is alleen-toevoegen'); END")
            db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {table} "
                            "BEGIN SELECT RAISE(ABORT, 'het gebeurtenissenlog is alleen-toevoegen'); END")
        db["grant_index"].create({"grant": str, "decision": str, "recipient": str}, pk="grant", if_not_exists=True)
        db["grant_index"].create_index(["recipient"], if_not_exists=True)
        db["grant_index"].create_index(["decision"], if_not_exists=True)
        db.conn.execute("CREATE INDEX IF NOT EXISTS entities_appointment_position ON entities "
                        "(json_extract(data, '$.position')) WHERE kind = 'appointment'")
        db["meta"].insert({"key": "schema", "value": SCHEMA_VERSION}, replace=True)
        for extra in EXTRA_TABLES:
            extra(db)


# Projections added by other modules (keys, attestations, duties) register their tables here.
EXTRA_TABLES: list = []


def init_file(path: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    create_schema(db)
    db.conn.close()


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode={'ro' if readonly else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    if not readonly:
        conn.execute("PRAGMA synchronous=FULL")
    return conn


class Store:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.writes = 0  # commits through this connection (PRAGMA data_version only sees other connections')

    def version(self) -> tuple[int, int]:
        """Changes whenever anything was committed, by this connection or another one."""
        return (self.conn.execute("PRAGMA data_version").fetchone()[0], self.writes)

    # -- reading ----------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def events(self, until: str | None = None, kinds: tuple[str, ...] | None = None) -> Iterator[Event]:
        sql, args = "SELECT seq, recorded_at, kind, payload, prev, hash FROM events", []
        where = []
        if until is not None:
            where.append("recorded_at <= ?")
            args.append(until)
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args += list(kinds)
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self.conn.execute(sql + " ORDER BY seq", args):
            yield Event(*row)

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- writing ----------------------------------------------------------------------------
    def transaction(self) -> Transaction:
        return Transaction(self)


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT: one writer at a time, appends see a stable head."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self.appended: list[Event] = []

    def __enter__(self) -> Transaction:
        delay = 0.01
        for _ in range(200):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        else:
            self.conn.execute("BEGIN IMMEDIATE")
        self.seq, self.prev = self.store.head()
        row = self.conn.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self.last_stamp = row[0] if row else ""
        self.stamp: str | None = None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
            self.store.writes += 1
        else:
            self.conn.execute("ROLLBACK")

    def append(self, kind: str, payload: dict[str, Any], recorded_at: datetime | None = None) -> Event:
        self.seq += 1
        if recorded_at is not None or self.stamp is None:
            stamp = (recorded_at or utcnow()).astimezone(UTC).isoformat(timespec="microseconds")
            # Time stamps never go backwards, so "as known at T" is a prefix of the log; and one
            # transaction is one moment, so no moment ever sees half of an import.
            self.stamp = max(stamp, self.last_stamp)
        stamp = self.last_stamp = self.stamp
        body = canonical(payload)
        h = event_hash(self.seq, stamp, kind, body, self.prev)
        self.conn.execute("INSERT INTO events (seq, recorded_at, kind, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                          (self.seq, stamp, kind, body, self.prev, h))
        event = Event(self.seq, stamp, kind, body, self.prev, h)
        self.prev = h
        self.appended.append(event)
        return event

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)
