"""Throwaway PostgreSQL servers for the tests: a real cluster on loopback, never a mock.

Each `Cluster` lives in its own temporary directory (data, log and unix socket) and listens only on
127.0.0.1 on a free port. It is tuned for speed, not durability: it is deleted when it stops.
`initdb` and `pg_ctl` refuse to run as root, so as root (CI) the server runs as the unprivileged
system user `delegaties-pg`.

psycopg is imported inside the functions that connect, so that collecting the tests needs neither
psycopg's C library nor a server.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from attrs import define, field, frozen

SERVICE_USER = "delegaties-pg"
OWNER = "delegaties_owner"
APP = "delegaties_app"

# Durability is worthless for a cluster that is deleted after the run; these make it fast. The
# replication settings let a test start a hot standby of any cluster (`start_replica`).
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "hot_standby": "on",
    # English server messages whatever the machine's locale, so the log tail in errors is readable.
    "lc_messages": "'C'",
}

# Only loopback TCP and this cluster's own socket directory; the replication lines are for
# pg_basebackup and the standby's walreceiver.
PG_HBA = """\
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
"""

INITDB_TIMEOUT = 120
START_TIMEOUT = 60  # pg_ctl -t; the subprocess gets a little more so pg_ctl can report first
STOP_TIMEOUT = 30
BASEBACKUP_TIMEOUT = 180
CONNECT_TIMEOUT = 10
STATEMENT_TIMEOUT_MS = 60_000
PORT_ATTEMPTS = 5


class ClusterError(RuntimeError):
    """A server could not be created, started or stopped; the message says why (with the log)."""


def find_bin_dir() -> Path | None:
    """The directory of the PostgreSQL server programs, or None when no server is installed."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        # Debian's pg_config comes with libpq-dev too and then names a bindir without a server.
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10,
                                 check=True).stdout.strip()
            if out and _has_initdb(Path(out)):
                return Path(out)
    versions = [d for d in Path("/usr/lib/postgresql").glob("*/bin") if _has_initdb(d)]
    if versions:
        return max(versions, key=lambda d: _version_key(d.parent.name))
    initdb = shutil.which("initdb")
    if initdb:
        # A symlink on PATH (Debian keeps the real programs elsewhere): pg_ctl is next to the target.
        return Path(initdb).resolve().parent
    return None


def _has_initdb(directory: Path) -> bool:
    return os.access(directory / "initdb", os.X_OK)


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def free_port() -> int:
    """A loopback port nobody listens on right now (it may be taken before the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_user() -> str | None:
    """The user the server runs as: `delegaties-pg` (created if missing) when we are root, else None."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        proc = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            capture_output=True, text=True, timeout=30, check=False)
        # A parallel test process may have created it in the meantime; only its absence is an error.
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise ClusterError(f"cannot create the system user {SERVICE_USER} "
                               f"(useradd exit {proc.returncode}): {proc.stderr.strip()}") from None
    return SERVICE_USER


def _as_user(user: str | None) -> list[str]:
    if user is None:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    entry = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--"]


def _clean_env() -> dict[str, str]:
    # PGDATA, PGHOST, PGPORT... from the developer's shell must not redirect the tools to another server.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _alive(pid: int) -> bool:
    """Whether the process runs; a zombie no longer does (nobody may reap it inside a container)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # The state follows the command name, which is in parentheses and may contain spaces.
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    return True


def pids_in(directory: Path) -> list[int]:
    """Processes whose working directory is inside `directory`: postgres chdirs to its data directory
    and every backend inherits that, so these are exactly the cluster's processes (Linux /proc)."""
    found = []
    prefix = str(directory)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if (cwd == prefix or cwd.startswith(prefix + "/")) and _alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def _wait_until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# Clusters not yet stopped, stopped at interpreter exit if a fixture's teardown never ran. A dict
# keeps the order, so replicas (started later) stop before their primary.
_RUNNING: dict[int, Cluster] = {}


@atexit.register
def _stop_all() -> None:
    for cluster in reversed(list(_RUNNING.values())):
        with contextlib.suppress(Exception):
            cluster.stop()


@define(eq=False)
class Cluster:
    """One running PostgreSQL server (a primary, or a hot standby made by `start_replica`)."""

    bin_dir: Path
    base: Path  # the temporary directory: data/, server.log and the unix socket
    user: str | None  # the system user the server runs as; None: as ourselves
    primary: Cluster | None = None
    port: int = 0
    stopped: bool = False

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_path(self) -> Path:
        return self.base / "server.log"

    # -- life cycle ----------------------------------------------------------------------------------

    @classmethod
    def start(cls, bin_dir: Path | None = None, settings: Mapping[str, str] | None = None) -> Cluster:
        """A new primary with the roles `delegaties_owner` and `delegaties_app`. `settings` are
        extra postgresql.conf lines (values as written in the file, strings quoted)."""
        bin_dir = bin_dir or find_bin_dir()
        if bin_dir is None:
            raise ClusterError("no PostgreSQL server programs found (initdb); install postgresql-15")
        cluster = cls._create(bin_dir)
        try:
            cluster._run("initdb", "-D", str(cluster.data_dir), "-A", "trust", "-U", "postgres",
                         "--no-sync", "-E", "UTF8", "--locale=C", timeout=INITDB_TIMEOUT)
            conf = "".join(f"{key} = {value}\n" for key, value in {**SETTINGS, **(settings or {})}.items())
            with (cluster.data_dir / "postgresql.conf").open("a") as out:
                # node.conf last: it holds what differs between a primary and its replicas.
                out.write(f"\n# delegaties test server\n{conf}include 'node.conf'\n")
            cluster._write(cluster.data_dir / "pg_hba.conf", PG_HBA)
            cluster._launch()
            cluster._create_roles()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def start_replica(self) -> Cluster:
        """A streaming hot standby of this server on its own port; stop it before this one."""
        replica = Cluster._create(self.bin_dir, primary=self)
        try:
            # -R writes standby.signal and primary_conninfo; pg_basebackup copies our configuration.
            replica._run("pg_basebackup", "-R", "-X", "stream", "-c", "fast", "--no-sync",
                         "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                         "-D", str(replica.data_dir), timeout=BASEBACKUP_TIMEOUT)
            replica._launch()
        except BaseException:
            replica.stop()
            raise
        return replica

    def stop(self) -> None:
        """Stop the server (fast, else immediate, else SIGKILL) and delete its directory. Idempotent."""
        if self.stopped:
            return
        self.stopped = True
        _RUNNING.pop(id(self), None)
        pid = self.postmaster_pid()
        if pid is not None:
            for mode in ("fast", "immediate"):
                try:
                    self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(STOP_TIMEOUT),
                              "stop", timeout=STOP_TIMEOUT + 15)
                    break
                except ClusterError:
                    continue
            # A pid file can outlive its server and the number be reused: kill only our processes.
            if pid in pids_in(self.data_dir):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        # Backends of a killed postmaster notice its death and exit by themselves, shortly.
        leftover = [] if _wait_until(lambda: not pids_in(self.data_dir), 10) else pids_in(self.data_dir)
        shutil.rmtree(self.base, ignore_errors=True)
        if leftover:
            raise ClusterError(f"postgres processes {leftover} of {self.base} survived stop()")

    def postmaster_pid(self) -> int | None:
        """The server's process id from postmaster.pid, None when there is no such file."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    @classmethod
    def _create(cls, bin_dir: Path, primary: Cluster | None = None) -> Cluster:
        user = service_user()
        # Under /tmp as root: the service user must be able to reach the directory, which it cannot
        # inside root's pytest temporary directories. mkdtemp makes it 0700.
        base = Path(tempfile.mkdtemp(prefix="delegaties-pg-", dir="/tmp" if user else None))
        cluster = cls(bin_dir=bin_dir, base=base, user=user, primary=primary)
        _RUNNING[id(cluster)] = cluster
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(base, entry.pw_uid, entry.pw_gid)
        return cluster

    def _launch(self) -> None:
        # free_port cannot reserve the port; if someone takes it before the server binds, try another.
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            self._write(self.data_dir / "node.conf",
                        f"port = {self.port}\nunix_socket_directories = '{self.base}'\n")
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
                          "-t", str(START_TIMEOUT), "start", timeout=START_TIMEOUT + 30)
                return
            except ClusterError as error:
                log = self._log_tail(log_start)
                if "could not bind" in log or "could not create any TCP/IP sockets" in log:
                    continue
                raise ClusterError(f"{error}\n--- server log {self.log_path} (end) ---\n{log}") from None
        raise ClusterError(f"no free loopback port after {PORT_ATTEMPTS} attempts\n{self._log_tail(0)}")

    def _log_tail(self, offset: int, lines: int = 30) -> str:
        try:
            with self.log_path.open(errors="replace") as log:
                log.seek(offset)
                return "".join(log.readlines()[-lines:])
        except OSError as error:
            return f"(no log: {error})"

    def _run(self, tool: str, *args: str, timeout: float) -> None:
        command = [*_as_user(self.user), str(self.bin_dir / tool), *args]
        try:
            # cwd: the service user may not be allowed into ours.
            proc = subprocess.run(command, cwd=self.base, env=_clean_env(), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{tool} did not finish within {timeout} s: {' '.join(command)}") from None
        if proc.returncode != 0:
            raise ClusterError(f"{tool} failed (exit {proc.returncode}): {' '.join(command)}\n"
                               f"{proc.stdout.strip()}\n{proc.stderr.strip()}".rstrip())

    def _write(self, path: Path, text: str) -> None:
        # Files we add to the data directory belong to the server's user, like the rest of it.
        path.write_text(text)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- using it --------------------------------------------------------------------------------------

    def url(self, user: str = "postgres", database: str = "postgres", **query: str) -> str:
        """`postgresql://USER@127.0.0.1:PORT/DATABASE`, with `?key=value&...` for `query`."""
        url = f"postgresql://{quote(user, safe='')}@127.0.0.1:{self.port}/{quote(database, safe='')}"
        return f"{url}?{urlencode(query)}" if query else url

    @contextlib.contextmanager
    def connect(self, database: str = "postgres", user: str = "postgres") -> Iterator[Any]:
        """An autocommit psycopg connection, bounded in time like everything here."""
        import psycopg

        with psycopg.connect(self.url(user, database), autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                             options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}") as conn:
            yield conn

    def sql(self, statement: Any, database: str = "postgres", user: str = "postgres",
            params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement (a string or psycopg.sql composition); its rows, [] when it has none."""
        with self.connect(database, user) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description is not None else []

    def _create_roles(self) -> None:
        # The roles the application will have in production: an owner of the schema that is no
        # superuser, and an application role that cannot escape row-level security.
        with self.connect() as conn:
            conn.execute(f"CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
            conn.execute(f"CREATE ROLE {APP} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT")

    def new_database(self, name: str) -> str:
        """Create database `name` owned by delegaties_owner that delegaties_app may only connect to
        (and make temporary tables in); returns `name`."""
        from psycopg import sql

        db = sql.Identifier(name)
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(db, sql.Identifier(OWNER)))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
            conn.execute(sql.SQL("GRANT CONNECT, TEMP ON DATABASE {} TO {}").format(db, sql.Identifier(APP)))
        # Explicit although PostgreSQL 15 does this by default: the tests must not depend on the version.
        with self.connect(name) as conn:
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(OWNER)))
        return name

    def database(self, name: str) -> PgDatabase:
        """`new_database(name)` with the URLs a test needs."""
        self.new_database(name)
        return PgDatabase(name=name, owner_url=self.url(OWNER, name), superuser_url=self.url("postgres", name),
                          cluster=self)

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending the sessions still connected to it."""
        from psycopg import sql

        self.sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def wait_replayed(self, replica: Cluster, timeout: float = 30) -> None:
        """Wait until `replica` has replayed everything committed on this server so far."""
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            # With synchronous_commit=off a commit may still sit in the WAL buffers, behind
            # pg_current_wal_lsn(). Committing a transaction synchronously flushes all WAL before it.
            conn.execute("SET synchronous_commit = on")
            conn.execute("SELECT pg_current_xact_id()")
            target = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        replayed = None
        with replica.connect() as conn:
            while True:
                done, replayed = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn, "
                                              "pg_last_wal_replay_lsn()::text", (target,)).fetchone()
                if done:
                    return
                if time.monotonic() > deadline:
                    progress = "replays no WAL (not a standby)" if replayed is None else f"replayed WAL up to {replayed}"
                    raise TimeoutError(f"after {timeout} s the server on port {replica.port} {progress}; "
                                       f"the primary on port {self.port} is at {target}")
                time.sleep(0.02)


@frozen
class PgDatabase:
    """A fresh database of a test cluster (see the `pg_db` fixture)."""

    name: str
    owner_url: str  # as delegaties_owner, who owns the database and its schema public
    superuser_url: str
    cluster: Cluster = field(repr=False, eq=False)

    def app_url(self, administration: str | None = None) -> str:
        """As delegaties_app; with `?administration=ID` when given."""
        query = {} if administration is None else {"administration": administration}
        return self.cluster.url(APP, self.name, **query)
