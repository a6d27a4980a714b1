"""The PostgreSQL engine: the registers of many administrations in one database.

Every table carries the administration; row-level security (forced, also for the tables' owner)
lets a session see and write only the rows of the administration set for the *current
transaction* (`set_config(..., is_local => true)`, i.e. SET LOCAL) and only when its login role
was given access to that administration by the schema's owner (`access`). So a connection for A
cannot read or write B even with hand-written SQL: setting B gives no rows, and writing a row of B
fails the policy's check. The application role is never the owner of the tables.

`PgConnection` offers the small part of `sqlite3.Connection` the registry uses (`execute` with
`?` parameters, `executemany`, `in_transaction`, `close`), so the log, hash chain, projections,
uses, keys and checkpoints run the same SQL on both engines. Writers of one administration take
one transaction-scoped advisory lock: the check of a use against its yearly ceilings and its
recording happen under it, and the event chain stays gap-free and ordered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from attrs import frozen

from delegations.texts import tr

from .errors import InputError, IntegrityError, RegistryError, UnavailableError
from .locations import is_url
from .store import Event, Store, Transaction

__all__ = ["SCHEMA_VERSION", "PgConnection", "PgStore", "PgTarget", "access", "connect", "is_url", "open_store", "parse_url",
           "upgrade", "with_administration"]

SETTING = "delegaties.administration"
SCHEMA_VERSION = 1
_ADMINISTRATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@frozen
class PgTarget:
    conninfo: str  # the URL without our own query parameter
    administration: str | None
    shown: str  # the URL without a password, for messages

    def __str__(self) -> str:
        return self.shown


def parse_url(url: str) -> PgTarget:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit  # not on a file register's path

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    administration = None
    rest = []
    for key, value in query:
        if key == "administration":
            if not _ADMINISTRATION.fullmatch(value):
                raise InputError(tr("the administration '{value}' in the URL is not a valid id (letters, digits, - and _; at most 64 characters)", value=value), parameter="db")
            administration = value
        else:
            rest.append((key, value))
    netloc = parts.netloc
    shown_netloc = re.sub(r":[^@/]*@", ":***@", netloc) if "@" in netloc else netloc
    conninfo = urlunsplit((parts.scheme, netloc, parts.path, urlencode(rest), ""))
    shown = urlunsplit((parts.scheme, shown_netloc, parts.path, urlencode(query), ""))
    return PgTarget(conninfo, administration, shown)


def with_administration(url: str, administration: str) -> str:
    """The URL of one administration's register in the database of `url`."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "administration"]
    query.append(("administration", administration))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _translate(sql: str) -> str:
    # SQLite's ? parameters and its ON CONFLICT targets (PostgreSQL's keys include the administration).
    out = sql.replace("%", "%%").replace("IS NOT ?", "IS DISTINCT FROM ?")
    out = re.sub(r"\?", "%s", out)
    return out.replace("ON CONFLICT (", "ON CONFLICT (administration, ")


def translate_error(exc: Exception, where: object) -> RegistryError:
    import psycopg
    from psycopg import errors as e

    state = getattr(exc, "sqlstate", None) or ""
    detail = " ".join((getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).split())
    if isinstance(exc, e.SerializationFailure | e.DeadlockDetected | e.LockNotAvailable | e.QueryCanceled):
        return UnavailableError(tr("{path}: the register is busy: another writer held the lock too long; try again; nothing was written", path=where), code="BUSY")
    if isinstance(exc, e.UndefinedTable | e.UndefinedFunction | e.UndefinedColumn):
        return UnavailableError(tr("{path}: not a delegation register (no schema, or an older one): run 'delegaties upgrade' as the schema's owner ({detail})", path=where, detail=detail), code="NO_SCHEMA")
    if isinstance(exc, e.InsufficientPrivilege) or state == "42501":
        return UnavailableError(tr("{path}: permission denied ({detail}); nothing was written", path=where, detail=detail), code="PERMISSION_DENIED")
    if isinstance(exc, e.ReadOnlySqlTransaction):
        return UnavailableError(tr("{path}: the register was opened read-only; nothing was written", path=where), code="READ_ONLY")
    if isinstance(exc, e.RaiseException):
        return IntegrityError(tr("{path}: refused by the database ({detail})", path=where, detail=detail))
    if isinstance(exc, psycopg.OperationalError):
        return UnavailableError(tr("{path}: the database cannot be reached ({detail})", path=where, detail=detail), code="DATABASE_UNAVAILABLE")
    return UnavailableError(tr("{path}: database error ({detail}); nothing was written", path=where, detail=detail), code="DATABASE_ERROR")


class _Rows:
    """What `execute` returns: rows read in full before the statement's transaction ended."""

    def __init__(self, rows: list[tuple], description: Sequence[Any] | None, rowcount: int):
        self._rows, self.description, self.rowcount = rows, description, rowcount

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self):
        rows, self._rows = self._rows, []
        return iter(rows)


class PgConnection:
    """One register's view of a PostgreSQL database. It holds no connection of its own: each
    statement outside a transaction, and each transaction, borrows one from the process's pool for
    the database and sets the administration for that transaction only, so one pool serves every
    administration without a setting outliving its transaction."""

    engine = "postgresql"

    def __init__(self, pool: Any, target: PgTarget, wait: float, readonly: bool = False):
        self.pool = pool
        self.target = target
        self.administration = target.administration
        self.wait = wait
        self.readonly = readonly
        self._held: Any = None  # the pooled connection of the open explicit transaction
        self._lease: Any = None
        self._queue: threading.Lock | None = None
        self._cache: dict[str, str] = {}

    @property
    def in_transaction(self) -> bool:
        return self._held is not None

    def view(self, administration: str | None) -> PgConnection:
        """Another view of the same database (and pool) for `administration`; it shares nothing
        that changes, so views may be used from different threads."""
        view = PgConnection(self.pool, self.target, self.wait, self.readonly)
        view.administration = administration
        return view

    def _sql(self, sql: str) -> str:
        found = self._cache.get(sql)
        if found is None:
            found = self._cache[sql] = _translate(sql)
        return found

    def _scope(self, cur: Any) -> None:
        if self.readonly:
            cur.execute("SET TRANSACTION READ ONLY")
        cur.execute("SELECT set_config(%s, %s, true), set_config('lock_timeout', %s, true)",
                    (SETTING, self.administration or "", f"{int(self.wait * 1000)}ms"))

    def _failed(self, exc: BaseException) -> BaseException:
        import psycopg
        import psycopg_pool

        if isinstance(exc, psycopg_pool.PoolTimeout):
            reason = _reach(self.target)  # the server gone, or a password changed: say that, not "busy"
            if reason is not None:
                return reason
            return UnavailableError(tr("{path}: the register is busy: no database connection came free in {wait:g} s; try again", path=self.target, wait=self.wait), code="BUSY")
        if isinstance(exc, psycopg.Error):
            return translate_error(exc, self.target)
        return exc

    def _raise(self, exc: BaseException):
        failed = self._failed(exc)
        if failed is exc:
            raise exc
        raise failed from None

    def execute(self, sql: str, args: Sequence[Any] | dict = ()) -> _Rows:
        word = sql.strip().upper()
        try:
            if word.startswith("BEGIN"):
                self._begin(write="IMMEDIATE" in word)
                return _Rows([], None, 0)
            if word in ("COMMIT", "ROLLBACK"):
                self._end(word)
                return _Rows([], None, 0)
            if self._held is not None:
                with self._held.cursor() as cur:
                    cur.execute(self._sql(sql), args or None)
                    return self._rows(cur)
            # BEGIN, the setting, the statement and COMMIT in one round trip (libpq's pipeline mode).
            with self.pool.connection(timeout=self.wait) as raw, raw.pipeline(), raw.cursor() as cur:
                with raw.transaction():
                    self._scope(cur)
                    cur.execute(self._sql(sql), args or None)
                return self._rows(cur)
        except RegistryError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated, or raised as it is
            self._raise(exc)
            raise

    def catalog(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        """A query of PostgreSQL's own catalogs, as written (psycopg's %s parameters)."""
        try:
            with self.pool.connection(timeout=self.wait) as raw:
                return raw.execute(sql, args or None).fetchall()
        except Exception as exc:  # noqa: BLE001
            self._raise(exc)
            raise

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self._held is None:
            raise RuntimeError("executemany outside a transaction")
        try:
            with self._held.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        except Exception as exc:  # noqa: BLE001
            self._raise(exc)
            raise

    @staticmethod
    def _rows(cur: Any) -> _Rows:
        rows = cur.fetchall() if cur.description is not None else []
        return _Rows(rows, cur.description, cur.rowcount)

    def _begin(self, write: bool) -> None:
        if self._held is not None:
            raise UnavailableError(tr("{path}: a transaction is already open", path=self.target), code="DATABASE_ERROR")
        queue = None
        if write:
            # Writers of one administration in this process wait here, not on a pooled connection:
            # ten of them queued behind a long write would otherwise leave none for the others.
            queue = _writer_queue(self.administration)
            if not queue.acquire(timeout=self.wait):
                raise UnavailableError(tr("{path}: the register is busy: another writer held the lock too long; try again; nothing was written", path=self.target), code="BUSY")
        try:
            lease = self.pool.connection(timeout=self.wait)
            raw = lease.__enter__()
        except BaseException:
            if queue is not None:
                queue.release()
            raise
        try:
            # Readers (fsck) see one snapshot; writers see every commit made before their lock.
            raw.execute("BEGIN ISOLATION LEVEL READ COMMITTED" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ")
            with raw.cursor() as cur:
                self._scope(cur)
                if write:
                    # One writer per administration at a time: the ceilings are re-checked and the
                    # next seq taken under this lock (writers of other administrations go on).
                    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                ("delegaties:" + (self.administration or ""),))
        except BaseException as exc:
            try:
                raw.execute("ROLLBACK")
            except Exception:  # noqa: BLE001, S110 - the connection goes back broken; the pool checks it
                pass
            lease.__exit__(type(exc), exc, exc.__traceback__)
            if queue is not None:
                queue.release()
            raise
        self._held, self._lease, self._queue = raw, lease, queue

    def _end(self, word: str) -> None:
        raw, lease, queue = self._held, self._lease, self._queue
        if raw is None:
            return
        self._held = self._lease = self._queue = None
        try:
            raw.execute(word)
        finally:
            lease.__exit__(None, None, None)
            if queue is not None:
                queue.release()

    def close(self) -> None:
        if self._held is not None:
            self._end("ROLLBACK")

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_QUEUES: dict[str | None, threading.Lock] = {}


def _writer_queue(administration: str | None) -> threading.Lock:
    with _POOLS_LOCK:
        return _QUEUES.setdefault(administration, threading.Lock())


_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()
# Connections per database and process, at most (DELEGATIES_PG_POOL): each is one transaction at a time.
POOL_SIZE = int(__import__("os").environ.get("DELEGATIES_PG_POOL") or 10)


def _reach(target: PgTarget, connect_timeout: float = 5.0) -> RegistryError | None:
    """Why the database cannot be reached (None: it can), from one direct connection attempt."""
    import psycopg

    try:
        psycopg.connect(target.conninfo, autocommit=True, connect_timeout=max(1, int(connect_timeout))).close()
    except psycopg.Error as exc:
        return translate_error(exc, target)
    return None


def pool_for(target: PgTarget, connect_timeout: float = 10.0) -> Any:
    """The process's pool for a database: shared by the registers of every administration in it."""
    import psycopg_pool

    with _POOLS_LOCK:
        pool = _POOLS.get(target.conninfo)
        if pool is None:
            # The pool would retry a wrong host or password in the background and only time out:
            # one direct attempt first gives the operator the real reason at once.
            reason = _reach(target, connect_timeout)
            if reason is not None:
                raise reason
            pool = psycopg_pool.ConnectionPool(
                target.conninfo, min_size=1, max_size=POOL_SIZE, open=False, name="delegaties",
                kwargs={"autocommit": True, "connect_timeout": max(1, int(connect_timeout)),
                        "application_name": "delegaties"},
                reconnect_timeout=connect_timeout)
            if not _POOLS:
                import atexit
                import logging

                atexit.register(close_pools)
                # The pool's own warnings (a reconnect attempt) would reach stderr through logging's
                # last resort; the failure reaches the caller as our error instead. A configured
                # logging setup still sees them.
                logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
            pool.open(wait=False)
            _POOLS[target.conninfo] = pool
        return pool


def close_pools() -> None:
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()





def connect(target: PgTarget, wait: float, readonly: bool = False, connect_timeout: float = 10.0) -> PgConnection:
    conn = PgConnection(pool_for(target, connect_timeout), target, wait, readonly)
    conn.catalog("SELECT 1")  # reach the server now: a wrong host or password is said at once
    return conn


class PgStore(Store):
    engine = "postgresql"

    def version(self) -> tuple[int, int]:
        # Every commit appends an event: the head's seq says whether anything changed.
        conn = self.conn
        if conn.in_transaction:
            return (conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0], self.writes)
        return (conn.catalog("SELECT delegaties_head(%s)", (conn.administration,))[0][0], self.writes)

    def transaction(self) -> Transaction:
        return _PgTransaction(self)


class _PgTransaction(Transaction):
    def append(self, kind: str, payload: dict[str, Any]) -> Event:
        # The rows of this register belong to the URL's administration: a file for another one
        # would put its decisions under the wrong administration.
        own = self.conn.administration
        if kind == "administration.set" and payload.get("id") != own:
            raise InputError(tr("administration: the files are of '{found}', the register (the URL's administration) is '{own}'; nothing was written", found=payload.get("id"), own=own), parameter="db")
        return super().append(kind, payload)


# -- the schema ---------------------------------------------------------------------------------
_TENANT = f"administration TEXT NOT NULL DEFAULT current_setting('{SETTING}', true)"
TABLES: dict[str, str] = {
    "meta": f"{_TENANT}, key TEXT NOT NULL, value TEXT, PRIMARY KEY (administration, key)",
    "events": f"{_TENANT}, seq BIGINT NOT NULL, recorded_at TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, "
              "prev TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (administration, seq)",
    "entities": f"{_TENANT}, kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT, sha256 TEXT, seq BIGINT, "
                "PRIMARY KEY (administration, kind, key)",
    "uses": f'{_TENANT}, reference TEXT NOT NULL, "on" TEXT, year BIGINT, actor TEXT, power TEXT, amount TEXT, '
            "budget_key TEXT, unit TEXT, matter TEXT, grants TEXT, jti TEXT, seq BIGINT, PRIMARY KEY (administration, reference)",
    "use_grants": f'{_TENANT}, reference TEXT NOT NULL, "grant" TEXT NOT NULL, year BIGINT, amount TEXT, '
                  'PRIMARY KEY (administration, reference, "grant")',
    "refusals": f'{_TENANT}, reference TEXT NOT NULL, "on" TEXT, year BIGINT, actor TEXT, power TEXT, amount TEXT, '
                "codes TEXT, grants TEXT, seq BIGINT, PRIMARY KEY (administration, reference)",
    "grant_index": f'{_TENANT}, "grant" TEXT NOT NULL, decision TEXT, recipient TEXT, PRIMARY KEY (administration, "grant")',
    "keys": f"{_TENANT}, kid TEXT NOT NULL, jwk TEXT, added_at BIGINT, retired_at BIGINT, seq BIGINT, "
            "PRIMARY KEY (administration, kid)",
    "attestations": f"{_TENANT}, jti TEXT NOT NULL, kid TEXT, iat BIGINT, actor TEXT, power TEXT, allowed BIGINT, "
                    "question_sha256 TEXT, grants TEXT, seq BIGINT, PRIMARY KEY (administration, jti)",
    "duties_done": f'{_TENANT}, "grant" TEXT NOT NULL, period TEXT NOT NULL, "to" TEXT NOT NULL, every TEXT, "on" TEXT, '
                   'reference TEXT, seq BIGINT, PRIMARY KEY (administration, "grant", period, "to")',
    "service_tokens": f"{_TENANT}, id TEXT NOT NULL, role TEXT NOT NULL, label TEXT, sha256 TEXT NOT NULL, "
                      "created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT, PRIMARY KEY (administration, id)",
}
INDEXES = (
    'CREATE INDEX IF NOT EXISTS use_grants_grant_year ON use_grants (administration, "grant", year)',
    "CREATE INDEX IF NOT EXISTS uses_year ON uses (administration, year)",
    "CREATE INDEX IF NOT EXISTS grant_index_recipient ON grant_index (administration, recipient)",
    "CREATE INDEX IF NOT EXISTS grant_index_decision ON grant_index (administration, decision)",
    "CREATE INDEX IF NOT EXISTS events_kind ON events (administration, kind, seq)",
    "CREATE INDEX IF NOT EXISTS events_recorded_at ON events (administration, recorded_at)",
)
# Each migration is applied once, in order, in one transaction; the version is kept in the database.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS access (role TEXT NOT NULL, administration TEXT NOT NULL, "
        "PRIMARY KEY (role, administration))",
        *(f"CREATE TABLE IF NOT EXISTS {name} ({columns})" for name, columns in TABLES.items()),
        *INDEXES,
        "CREATE OR REPLACE FUNCTION delegaties_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'het gebeurtenissenlog is alleen-toevoegen'; END$$",
        # The head's seq in one statement (and one round trip): what a check asks before each answer.
        # Invoker's rights: row-level security applies as for any query of the caller.
        "CREATE OR REPLACE FUNCTION delegaties_head(administration TEXT) RETURNS BIGINT LANGUAGE plpgsql "
        "SECURITY INVOKER AS $$BEGIN PERFORM set_config('delegaties.administration', administration, true); "
        "RETURN (SELECT coalesce(max(seq), 0) FROM events); END$$",
        "DROP TRIGGER IF EXISTS events_append_only ON events",
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION delegaties_append_only()",
    ),
}
_POLICY = (f"administration = current_setting('{SETTING}', true) AND EXISTS (SELECT 1 FROM access a "  # noqa: S608 - constants
           "WHERE a.administration = current_setting('" + SETTING + "', true) AND a.role = current_user)")


def _policies(cur: Any) -> None:
    # `access` itself: each role sees its own rows; the owner (not forced) manages them.
    cur.execute("ALTER TABLE access ENABLE ROW LEVEL SECURITY")
    cur.execute("DROP POLICY IF EXISTS own_access ON access")
    cur.execute("CREATE POLICY own_access ON access USING (role = current_user)")
    for name in TABLES:
        cur.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        cur.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
        cur.execute(f"DROP POLICY IF EXISTS tenant ON {name}")
        cur.execute(f"CREATE POLICY tenant ON {name} USING ({_POLICY}) WITH CHECK ({_POLICY})")


def schema_version(raw: Any) -> int:
    """The schema version in the database (0: none); `raw` a psycopg connection or a PgConnection."""
    run = raw.catalog if isinstance(raw, PgConnection) else (lambda sql: raw.execute(sql).fetchall())
    if not run("SELECT to_regclass('delegaties_schema') IS NOT NULL")[0][0]:
        return 0
    return int(run("SELECT max(version) FROM delegaties_schema")[0][0] or 0)


def upgrade(target: PgTarget, roles: Iterable[str] = ()) -> tuple[int, int]:
    """Create or upgrade the schema, as the owner of the tables (the login of `target`); give
    `roles` the rights an application needs (not ownership). (version before, version after)."""
    import psycopg

    roles = list(roles)
    for role in roles:
        if not _ROLE.fullmatch(role):
            raise InputError(tr("role: '{role}' is not a valid role name (expected lowercase letters, digits and _, starting with a letter or _, at most 63)", role=role), parameter="role")
    try:
        with psycopg.connect(target.conninfo, autocommit=True, connect_timeout=10) as raw:
            with raw.transaction():
                raw.execute("CREATE TABLE IF NOT EXISTS delegaties_schema (version INTEGER PRIMARY KEY, "
                            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                raw.execute("LOCK TABLE delegaties_schema IN EXCLUSIVE MODE")  # two upgrades at once: one waits
                before = schema_version(raw)
                if before > SCHEMA_VERSION:
                    raise UnavailableError(tr("{path}: the schema is version {found}, newer than this program knows ({known}); upgrade delegaties", path=target, found=before, known=SCHEMA_VERSION), code="SCHEMA_VERSION")
                with raw.cursor() as cur:
                    for version in range(before + 1, SCHEMA_VERSION + 1):
                        for statement in MIGRATIONS[version]:
                            cur.execute(statement)
                        cur.execute("INSERT INTO delegaties_schema (version) VALUES (%s)", (version,))
                    _policies(cur)
                    for role in roles:
                        _grant(cur, role)
            return before, SCHEMA_VERSION
    except RegistryError:
        raise
    except psycopg.Error as exc:
        raise translate_error(exc, target) from None


def _grant(cur: Any, role: str) -> None:
    from psycopg import sql

    r = sql.Identifier(role)
    cur.execute(sql.SQL("GRANT SELECT ON access, delegaties_schema TO {}").format(r))
    cur.execute(sql.SQL("GRANT SELECT, INSERT ON events TO {}").format(r))  # the log: never UPDATE or DELETE
    for name in TABLES:
        if name != "events":
            cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(sql.Identifier(name), r))


def access(target: PgTarget, role: str, administration: str, revoke: bool = False) -> bool:
    """Give (or take) `role` access to the rows of `administration`; as the schema's owner."""
    import psycopg

    if not _ROLE.fullmatch(role):
        raise InputError(tr("role: '{role}' is not a valid role name (expected lowercase letters, digits and _, starting with a letter or _, at most 63)", role=role), parameter="role")
    if not _ADMINISTRATION.fullmatch(administration):
        raise InputError(tr("administration: '{administration}' is not a valid id (letters, digits, - and _; at most 64 characters)", administration=administration), parameter="administration")
    try:
        with psycopg.connect(target.conninfo, autocommit=True, connect_timeout=10) as raw:
            if revoke:
                cur = raw.execute("DELETE FROM access WHERE role = %s AND administration = %s", (role, administration))
            else:
                cur = raw.execute("INSERT INTO access (role, administration) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                  (role, administration))
            return cur.rowcount > 0
    except psycopg.Error as exc:
        raise translate_error(exc, target) from None


def schema_problems(conn: PgConnection) -> list:
    """What fsck finds wrong with the database's protections: the schema version, row-level
    security forced on every table with one and the same tenant policy, the append-only trigger,
    and no right to change the log."""
    problems = []
    found = schema_version(conn)
    if found != SCHEMA_VERSION:
        problems.append(tr("the schema is version {found}, expected {known}", found=found, known=SCHEMA_VERSION))
    rows = conn.catalog(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_expr(p.polqual, p.polrelid), "
        "pg_get_expr(p.polwithcheck, p.polrelid) FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
        "AND p.polname = 'tenant' WHERE c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace",
        (list(TABLES),))
    seen = {r[0]: r for r in rows}
    quals = set()
    for name in TABLES:
        r = seen.get(name)
        if r is None:
            problems.append(tr("table {name} is missing", name=name))
        elif not (r[1] and r[2]):
            problems.append(tr("table {name}: row-level security is not forced", name=name))
        elif r[3] is None or SETTING not in r[3] or r[3] != r[4]:
            problems.append(tr("table {name}: its tenant policy is missing or changed", name=name))
        else:
            quals.add(r[3])
    if len(quals) > 1:
        problems.append(tr("the tenant policies differ between tables (one was changed)"))
    found_trigger = conn.catalog(
        "SELECT t.tgenabled, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgname = 'events_append_only' AND t.tgrelid = 'events'::regclass")
    trigger = found_trigger[0] if found_trigger else None
    if trigger is None or trigger[0] != "O" or "RAISE EXCEPTION" not in trigger[1]:
        problems.append(tr("the event log's protection {name} is missing (dropped?)", name="events_append_only"))
    if conn.catalog("SELECT (has_table_privilege('events', 'UPDATE') OR has_table_privilege('events', 'DELETE')) "
                    "AND tableowner <> current_user FROM pg_tables WHERE tablename = 'events' "
                    "AND schemaname = current_schema()")[0][0]:
        problems.append(tr("this login may change or delete events: only the owner may, and the trigger refuses it"))
    return problems


def open_store(target: PgTarget, *, create: bool, readonly: bool, wait: float, new: bool = False) -> PgStore:
    """The store of the URL's administration: the schema at this version, the login's access to
    the administration, and its register (made when `create`; refused when `new` and it exists)."""
    from . import schema

    if target.administration is None:
        raise InputError(tr("a PostgreSQL URL names its administration: {url}?administration=ID", url=target), parameter="db")
    conn = connect(target, wait, readonly=readonly)
    try:
        found = schema_version(conn)
        if found != SCHEMA_VERSION:
            raise UnavailableError(tr("{path}: the database has schema version {found}, this program needs {known}: the schema's owner runs 'delegaties upgrade --db URL --app-role ROLE'", path=target, found=found, known=SCHEMA_VERSION), code="SCHEMA_VERSION")
        if conn.execute("SELECT 1 FROM access WHERE administration = ? AND role = current_user",
                        (target.administration,)).fetchone() is None:
            raise UnavailableError(tr("{path}: this login has no access to administration '{administration}'; the schema's owner gives it with 'delegaties access --db URL --role ROLE --administration ID'", path=target, administration=target.administration), code="PERMISSION_DENIED")
        exists = conn.execute("SELECT 1 FROM meta WHERE key = 'schema'").fetchone() is not None
        if exists and new:
            raise InputError(tr("{path}: a register exists already for administration '{administration}'", path=target, administration=target.administration), parameter="db")
        if not exists:
            if not create or readonly:
                raise InputError(tr("{path}: no register found; create one with 'delegaties init'", path=target), parameter="db")
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING",
                         (schema.SCHEMA_VERSION,))
    except BaseException:
        conn.close()
        raise
    return PgStore(conn, target, readonly=readonly, wait=wait)
