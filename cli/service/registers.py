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
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from delegations.texts import tr
from registry import Registry
from registry.errors import NotFoundError
from registry.store import connect
from registry.tokens import ADMINISTRATION_ID, TokenStore

from .config import ServiceConfig


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

    def path(self, administration: str | None) -> Path:
        if not self.config.multi:
            assert self.config.db is not None
            return self.config.db
        assert self.config.data_dir is not None
        if administration is None or not ADMINISTRATION_ID.fullmatch(administration):
            raise _unknown(administration)
        path = self.config.data_dir / f"{administration}.db"
        if not path.is_file():
            raise _unknown(administration)
        return path

    @contextmanager
    def use(self, administration: str | None) -> Iterator[Registry]:
        key = administration if self.config.multi else None
        path = self.path(key)  # an unknown administration fails before it takes a slot
        with self._lock:
            slots = self._slots.setdefault(key, threading.BoundedSemaphore(self.config.pool_size))
        with slots:
            with self._lock:
                idle = self._idle.get(key)
                reg = idle.pop() if idle else None
            if reg is None:
                reg = Registry.open(path)
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

    def _read_conn(self, key: str | None) -> sqlite3.Connection | None:
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


def _unknown(administration: str | None) -> NotFoundError:
    return NotFoundError(tr("administration '{administration}' is not served here", administration=administration))
