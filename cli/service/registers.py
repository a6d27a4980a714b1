"""The registers a service process serves, opened on demand.

One sqlite3 connection must not be used by two threads at once, and Litestar runs the library
calls in a thread pool: so each administration has a small pool of `Registry` objects, each with
its own connection and its own snapshot cache. Token look-ups use one read-only connection per
administration, used only on the event loop's thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from delegations.texts import tr
from registry import Registry
from registry.errors import InputError, NotFoundError, UnavailableError
from registry.locations import is_url
from registry.pg import with_administration
from registry.store import connect
from registry.tokens import ADMINISTRATION_ID, TokenStore

from .config import ServiceConfig

REPLICA_WAIT = 2.0  # seconds a read that demands a seq waits for the replica before the primary answers
REPLICA_RETRY = 5.0  # seconds the primary answers alone after the replica could not be reached


class Registers:
    def __init__(self, config: ServiceConfig):
        self.config = config
        self._idle: OrderedDict[str | None, list[Registry]] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._token_conns: OrderedDict[str | None, sqlite3.Connection] = OrderedDict()
        # At most pool_size Registry objects per administration at any time: each holds a loaded
        # register state, so a burst of 40 threads must wait for one rather than load 40 states.
        self._slots: dict[str | None, threading.BoundedSemaphore] = {}
        self._db_admin: str | None = None
        self._replica_down_until = 0.0

    def path(self, administration: str | None, replica: bool = False) -> Path | str:
        config = self.config
        if config.pg is not None or (replica and config.read_db):
            if config.pg is not None and (administration is None or not ADMINISTRATION_ID.fullmatch(administration)):
                raise _unknown(administration)
            base = config.read_db if replica else config.pg
            assert base is not None
            return with_administration(base, administration) if administration else base
        if not config.multi:
            assert config.db is not None
            return config.db
        assert self.config.data_dir is not None
        if administration is None or not ADMINISTRATION_ID.fullmatch(administration):
            raise _unknown(administration)
        path = self.config.data_dir / f"{administration}.db"
        if not path.is_file():
            raise _unknown(administration)
        return path

    @contextmanager
    def read(self, administration: str | None, min_seq: int | None = None) -> Iterator[Registry]:
        """A register to read from: the replica when there is one and it has replayed `min_seq`
        (waiting a moment for it), else the primary; never one behind what the client has seen."""
        if self.config.read_db is None:
            with self.use(administration) as reg:
                yield reg
            return
        deadline = time.monotonic() + REPLICA_WAIT
        while time.monotonic() >= self._replica_down_until:
            stack = ExitStack()
            try:
                reg = stack.enter_context(self.use(administration, replica=True))
                fresh = min_seq is None or reg.store.head()[0] >= min_seq
            except UnavailableError as exc:
                stack.close()
                if exc.code not in ("DATABASE_UNAVAILABLE", "BUSY"):
                    raise
                # The replica is down: the primary answers, and the replica is tried again later.
                self._replica_down_until = time.monotonic() + REPLICA_RETRY
                break
            if fresh:
                with stack:  # only the look-up above falls back; the request's own errors go out
                    yield reg
                return
            stack.close()
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        with self.use(administration) as reg:
            yield reg

    @contextmanager
    def use(self, administration: str | None, replica: bool = False) -> Iterator[Registry]:
        admin = administration if self.config.multi else None
        key = ("replica", admin) if replica else admin
        path = self.path(admin, replica)  # an unknown administration fails before it takes a slot
        with self._lock:
            slots = self._slots.setdefault(key, threading.BoundedSemaphore(self.config.pool_size))
        with slots:
            with self._lock:
                idle = self._idle.get(key)
                reg = idle.pop() if idle else None
            if reg is None:
                reg = self._open(path, admin, replica)
            try:
                yield reg
            finally:
                # A connection left inside a transaction (a failure halfway a write) is not reused.
                evicted: list[Registry] = []
                if reg.store.conn.in_transaction:
                    evicted.append(reg)
                else:
                    with self._lock:
                        self._idle.setdefault(key, []).append(reg)
                        self._idle.move_to_end(key)
                        # Many administrations: keep loaded states only for the most recently used ones.
                        while len(self._idle) > self.config.max_administrations:
                            evicted += self._idle.popitem(last=False)[1]
                for old in evicted:
                    old.close()

    def _open(self, path: Path | str, administration: str | None, replica: bool) -> Registry:
        if self.config.pg is None:
            return Registry.open(path, readonly=replica)
        try:
            return Registry.open(path, readonly=replica)
        except InputError:  # no register of that administration in the database
            raise _unknown(administration) from None
        except UnavailableError as exc:
            if exc.code == "PERMISSION_DENIED":  # one this login may not serve is not served here
                raise _unknown(administration) from None
            raise

    def _read_conn(self, key: str | None) -> sqlite3.Connection | None:
        if self.config.pg is not None or is_url(self.config.db):
            return self._pg_token_conn(key)
        conn = self._token_conns.get(key)
        if conn is None:
            try:
                conn = connect(self.path(key), readonly=True)
            except (NotFoundError, sqlite3.Error):
                return None
            self._token_conns[key] = conn
            while len(self._token_conns) > 4 * self.config.max_administrations:  # bounded file descriptors
                self._token_conns.popitem(last=False)[1].close()
        self._token_conns.move_to_end(key)
        return conn

    def _pg_token_conn(self, key: str | None):
        # One pool-backed view of the database for every administration's tokens (used on the event
        # loop): each look-up gets its own view, bound to its administration for its transactions
        # only, so a probe in another thread cannot change what a look-up sees.
        from registry.pg import connect, parse_url

        base = self._token_conns.get("pg")
        if base is None:
            try:
                base = connect(parse_url(str(self.config.pg or self.config.db)), wait=5.0, readonly=True)
            except (NotFoundError, UnavailableError, InputError):
                return None
            self._token_conns["pg"] = base  # type: ignore[assignment]
        if self.config.pg is None:
            return base
        return base.view(key)

    def tokens_reachable(self) -> bool:
        """PostgreSQL with many administrations: the database answers (what /ready reports)."""
        conn = self._pg_token_conn(None)
        try:
            return conn is not None and conn.view(None).catalog("SELECT 1") == [(1,)]
        except Exception:  # noqa: BLE001 - not ready, whatever the reason
            return False

    def tokens(self, administration: str | None) -> TokenStore | None:
        """The token store that can vouch for a token of `administration` (None: there is none)."""
        conn = self._read_conn(administration if self.config.multi else None)
        if conn is None or administration is None or not ADMINISTRATION_ID.fullmatch(administration):
            return None
        return TokenStore(conn, administration)

    def administration_of_db(self) -> str | None:
        """With --db: the id of the one register's administration (None while nothing was imported).

        Read on the event loop's token connection, not from the pool (whose slots may all be busy
        with writes), and kept once known: an administration, once set, is never changed."""
        if self._db_admin is None:
            conn = self._read_conn(None)
            row = conn.execute("SELECT value FROM meta WHERE key = 'administration'").fetchone() if conn else None
            if row is not None:
                self._db_admin = json.loads(row[0]).get("id")
        return self._db_admin

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for pool in pools.values():
            for reg in pool:
                reg.close()
        for conn in self._token_conns.values():
            conn.close()
        self._token_conns.clear()


class NotServed(NotFoundError):
    """An administration this service does not serve: 404, alike whether it exists elsewhere or not."""

    http_status = 404


def _unknown(administration: str | None) -> NotFoundError:
    return NotServed(tr("administration '{administration}' is not served here", administration=administration))


MIN_SEQ = "min_seq"  # query parameter: the answer must come from a register at or after this seq


def reading(request) -> object:
    """The register a read request is answered from (`Registers.read`), honouring `?min_seq=N`
    (or the header `Min-Seq: N`): a client that recorded at seq N never gets an older answer."""
    from delegations.texts import tr

    from .problems import ServiceProblem

    raw = request.query_params.get(MIN_SEQ) or request.headers.get("min-seq")
    min_seq = None
    if raw is not None:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise ServiceProblem(400, "INVALID_INPUT", tr("min_seq: expected a whole number from 0"))
        min_seq = int(raw)
    return request.app.state.registers.read(request.path_params.get("administration"), min_seq)
