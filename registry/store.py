"""The SQLite store: an append-only, hash-chained event log plus projections.

Every event's hash covers its sequence number, time stamp, kind, payload bytes and the hash of
its predecessor, so changing or reordering any event breaks the chain; cutting the log short
keeps a valid chain, which only a published checkpoint reveals (`checkpoints.py`). Projections
are derived tables that `fsck` rebuilds from the events and compares.

Readers open the file read-only (`mode=ro`), so a clerk without write permission, or a copy on a
read-only file system, can be read. Writers wait a bounded time for the lock, refuse a clock that
runs behind the log, and turn every SQLite failure into a library error naming its cause.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from delegations.texts import tr

from .errors import UnavailableError, from_sqlite

GENESIS = "sha256:" + "0" * 64
DEFAULT_WAIT = 10.0  # seconds a writer waits for the lock before it says the register is busy
CLOCK_SKEW = timedelta(seconds=60)  # how far the clock may run behind the last event
FILE_MODE = 0o600  # register, WAL and SHM (SQLite gives the -wal/-shm files the register's mode)


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode("utf-8")
    return "sha256:" + hashlib.sha256(text).hexdigest()


def event_hash(seq: int, recorded_at: str, kind: str, payload: str, prev: str) -> str:
    return sha256(f"{seq}\n{recorded_at}\n{kind}\n{prev}\n{payload}")


def utcnow() -> datetime:
    """The library's one clock (time.time(), so a test can move it)."""
    return datetime.fromtimestamp(time.time(), UTC)


def stamp_of(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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


def create_file(path: Path, mode: int = FILE_MODE) -> None:
    """An empty register file with exactly `mode`, whatever the umask, never through a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    # SQLite decodes %HH in a URI: escape what would end the path or start an escape.
    name = str(Path(path).absolute()).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return "file:" + name + "?" + query


def connect(path: Path, readonly: bool = False, wait: float = DEFAULT_WAIT, immutable: bool = False) -> sqlite3.Connection:
    params = {"mode": "ro" if readonly else "rw"}
    if immutable:
        params["immutable"] = "1"
    conn = sqlite3.connect(_uri(path, **params), uri=True, timeout=wait, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
    conn.execute("PRAGMA foreign_keys=ON")
    if not readonly:
        conn.execute("PRAGMA synchronous=FULL")
    return conn


def _probe(conn: sqlite3.Connection) -> None:
    conn.execute("SELECT 1 FROM events LIMIT 1").fetchall()


def _wal_is_empty(path: Path) -> bool:
    try:
        return os.stat(f"{path}-wal").st_size == 0
    except FileNotFoundError:
        return True


def open_connection(path: Path, readonly: bool, wait: float) -> tuple[sqlite3.Connection, bool]:
    """(connection, immutable). A reader that may not create the -shm file (no write permission on
    the directory, a full disk) reads the file as immutable when no -wal holds committed data that
    is not yet in the main file; with a -wal present, SQLite reads through it read-only."""
    conn = connect(path, readonly, wait)
    try:
        _probe(conn)
        return conn, False
    except sqlite3.OperationalError as exc:
        primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        conn.close()
        if not (readonly and primary in (8, 10, 13, 14) and _wal_is_empty(path)):
            raise
    conn = connect(path, readonly=True, wait=wait, immutable=True)
    _probe(conn)
    return conn, True


class ShmWatch:
    """The WAL index (-shm) of an open register in WAL mode, read with `pread` on an open descriptor.

    Not a memory mapping: SQLite may truncate the -shm file and build it again (the concurrency
    tests of several processes did), and touching a mapped page beyond the end of a truncated file
    kills the process (SIGBUS).
    A short read, or a -shm file that is no longer the one opened, means "ask the database"."""

    HEADER = 48  # the first copy of the WAL-index header; iChange, mxFrame, salts, checksums

    def __init__(self, fd: int, path: str, inode: int):
        self.fd, self.path, self.inode = fd, path, inode

    @classmethod
    def open(cls, store: Store) -> ShmWatch | bool:
        if store.immutable or not str(store.path) or str(store.path) == ".":
            return False
        try:
            # Only after the connection has read once and only in WAL mode.
            if store.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                return False
            path = f"{store.path}-shm"
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            return cls(fd, path, os.fstat(fd).st_ino)
        except (OSError, ValueError, sqlite3.Error):
            return False

    def header(self) -> bytes | None:
        try:
            if os.stat(self.path).st_ino != self.inode:
                return None  # replaced: never trust the old file's header
            data = os.pread(self.fd, self.HEADER, 0)
        except OSError:
            return None
        return data if len(data) == self.HEADER else None

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class Store:
    engine = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: Path | str = "", readonly: bool = False, immutable: bool = False,
                 wait: float = DEFAULT_WAIT):
        self.conn = conn
        # A file's path, or (PostgreSQL) the target whose str() is the URL shown in messages.
        self.path = Path(path) if isinstance(path, str | Path) and path else (path or Path(""))
        self.readonly = readonly
        self.immutable = immutable
        self.wait = wait
        self.writes = 0  # commits through this connection (PRAGMA data_version only sees other connections')
        self._watch: ShmWatch | bool | None = None  # None: not looked for yet; False: none (not WAL)
        self._seen: tuple[bytes | None, tuple[int, int]] = (None, (-1, -1))

    def version(self) -> tuple[int, int]:
        """Changes whenever anything was committed, by this connection or another one.

        A reader asks this before every check. `PRAGMA data_version` is one SQLite round trip; in
        WAL mode every commit (of any process) first rewrites the WAL-index header in the -shm file.
        So that header (one `pread`, see `ShmWatch`) is compared with the last one seen first, and
        the query runs only when it changed. The header is read *before* the query, so a commit that
        lands in between changes the header again and is seen by the next look: none is missed
        (tests/test_staleness.py)."""
        watch = self._watch
        if watch is None:
            watch = self._watch = ShmWatch.open(self)
        header = watch.header() if watch else None
        if header is not None and header == self._seen[0] and self.writes == self._seen[1][1]:
            return self._seen[1]
        if watch and header is None:  # truncated or replaced: look for the -shm file again next time
            watch.close()
            self._watch = None
        version = (self.conn.execute("PRAGMA data_version").fetchone()[0], self.writes)
        self._seen = (header, version)
        return version

    def close(self) -> None:
        watch = getattr(self, "_watch", None)
        if watch:
            watch.close()
        self._watch = False
        self.conn.close()

    # -- reading ----------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def hash_at(self, seq: int) -> str | None:
        if seq == 0:
            return GENESIS
        row = self.conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def events(self, until: str | None = None, kinds: tuple[str, ...] | None = None,
               until_seq: int | None = None, after_seq: int | None = None) -> Iterator[Event]:
        sql, args = "SELECT seq, recorded_at, kind, payload, prev, hash FROM events", []
        where = []
        if until is not None:
            where.append("recorded_at <= ?")
            args.append(until)
        if until_seq is not None:
            where.append("seq <= ?")
            args.append(until_seq)
        if after_seq is not None:
            where.append("seq > ?")
            args.append(after_seq)
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args += list(kinds)
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self.conn.execute(sql + " ORDER BY seq", args):
            yield Event(*row)

    def event(self, seq: int) -> Event | None:
        row = self.conn.execute("SELECT seq, recorded_at, kind, payload, prev, hash FROM events WHERE seq = ?",
                                (seq,)).fetchone()
        return Event(*row) if row else None

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one moment of the register (SQLite: a read transaction; PostgreSQL:
        REPEATABLE READ): a page of events and the head cannot come from two moments."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    # -- writing ----------------------------------------------------------------------------
    def transaction(self) -> Transaction:
        return Transaction(self)


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT: one writer at a time, appends see a stable head. One
    transaction is one moment: every event in it carries the same time stamp."""

    def __init__(self, store: Store):
        self.store = store
        self.conn = store.conn
        self.appended: list[Event] = []

    def __enter__(self) -> Transaction:
        store = self.store
        if store.readonly:
            raise UnavailableError(tr("{path}: the register was opened read-only; nothing was written", path=store.path),
                                   code="READ_ONLY")
        self._begin()
        try:
            self.seq, self.prev = store.head()
            row = self.conn.execute("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            self.last_stamp = row[0] if row else ""
            now = utcnow()
            if self.last_stamp and now < datetime.fromisoformat(self.last_stamp) - CLOCK_SKEW:
                # Stamps never go backwards (so "as known at T" is a prefix of the log): a clock far
                # behind would freeze every later event at the last stamp. Refuse instead.
                raise UnavailableError(tr("the system clock ({stamp_of}) is behind the register's last event ({last_stamp}); set the clock right; nothing was written", stamp_of=stamp_of(now), last_stamp=self.last_stamp), code="CLOCK_BEHIND")
            self.stamp = max(stamp_of(now), self.last_stamp)
        except BaseException:
            self._rollback()
            raise
        return self

    def _begin(self) -> None:
        deadline = time.monotonic() + self.store.wait
        delay = 0.01
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")  # the busy timeout waits up to `wait` inside SQLite
                return
            except sqlite3.OperationalError as exc:
                primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
                if primary not in (5, 6) or time.monotonic() >= deadline:
                    raise self._error(exc) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def _error(self, exc: sqlite3.Error):
        err = from_sqlite(exc, self.store.path)
        if err.code == "BUSY":
            err = UnavailableError(tr("{path}: the register is busy: another writer held the lock longer than {wait:g} s (choose a longer wait with --wait); nothing was written", path=self.store.path, wait=self.store.wait), code="BUSY")
        return err

    def _rollback(self) -> None:
        # SQLite may have rolled back by itself (disk full, I/O error): then there is nothing to undo.
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise self._error(error) from None
            self.store.writes += 1
            return
        self._rollback()
        if isinstance(exc, sqlite3.Error):
            raise self._error(exc) from None

    @property
    def iat(self) -> int:
        """The transaction's moment as a NumericDate (whole seconds, rounded down)."""
        return int(datetime.fromisoformat(self.stamp).timestamp())

    def append(self, kind: str, payload: dict[str, Any]) -> Event:
        self.seq += 1
        stamp = self.stamp
        body = canonical(payload)
        h = event_hash(self.seq, stamp, kind, body, self.prev)
        self.conn.execute("INSERT INTO events (seq, recorded_at, kind, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                          (self.seq, stamp, kind, body, self.prev, h))
        event = Event(self.seq, stamp, kind, body, self.prev, h)
        self.prev = h
        self.last_stamp = stamp
        self.appended.append(event)
        return event

    def append_many(self, kind: str, payloads: list[str]) -> list[Event]:
        """Append one event of `kind` per payload, in order, in one statement: each payload is the
        canonical JSON text (`canonical`) of the event's data, as `append` would write it, and the
        chain is the one `append` makes, event by event. For bulk imports (`importer.py`)."""
        if kind == "administration.set":  # an engine may check this kind's payload (pg.py): one at a time
            raise ValueError("append_many: append administration.set with append")
        stamp, prev, seq = self.stamp, self.prev, self.seq
        events: list[Event] = []
        for body in payloads:
            seq += 1
            h = event_hash(seq, stamp, kind, body, prev)
            events.append(Event(seq, stamp, kind, body, prev, h))
            prev = h
        if not events:
            return events
        self.conn.executemany("INSERT INTO events (seq, recorded_at, kind, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?)",
                              [(e.seq, e.recorded_at, e.kind, e.payload, e.prev, e.hash) for e in events])
        self.seq, self.prev, self.last_stamp = seq, prev, stamp
        self.appended.extend(events)
        return events

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)
