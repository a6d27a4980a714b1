"""The throwaway PostgreSQL servers of tests/pg_server.py do what the PostgreSQL engine's tests rely on:
loopback only, an application role without privileges, a fresh database per test, a replica that
follows, and nothing left behind."""

from __future__ import annotations

import re
import socket
import uuid
from pathlib import Path

import pytest

from tests import pg_server
from tests.pg_server import APP, OWNER, Cluster


def test_listens_on_127_0_0_1_only(pg_cluster):
    assert pg_cluster.sql("SHOW listen_addresses") == [("127.0.0.1",)]
    assert pg_cluster.sql("SELECT host(inet_server_addr()), inet_server_port()") == [("127.0.0.1", pg_cluster.port)]
    assert pg_cluster.sql("SHOW unix_socket_directories") == [(str(pg_cluster.base),)]
    # Linux routes all of 127/8 to loopback: a server bound to every address would accept this.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", pg_cluster.port), timeout=2):
        pass


def test_pg_hba_trusts_only_loopback_and_the_socket(pg_cluster):
    rules = pg_cluster.sql("SELECT type, database, address, auth_method FROM pg_hba_file_rules ORDER BY line_number")
    assert rules == [("local", ["all"], None, "trust"), ("host", ["all"], "127.0.0.1", "trust"),
                     ("local", ["replication"], None, "trust"), ("host", ["replication"], "127.0.0.1", "trust")]


def test_app_role_has_no_privileges(pg_db):
    import psycopg

    with psycopg.connect(pg_db.app_url(), autocommit=True, connect_timeout=10) as conn:
        assert conn.execute("SELECT current_user, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolinherit "
                            "FROM pg_roles WHERE rolname = current_user").fetchall() == [
            (APP, False, False, False, False, False)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            conn.execute("CREATE TABLE public.t (x int)")
        assert refused.value.sqlstate == "42501"
        conn.execute("CREATE TEMP TABLE scratch (x int)")  # TEMP is granted


def test_app_role_is_subject_to_row_level_security(pg_db):
    import psycopg

    with psycopg.connect(pg_db.owner_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE TABLE secret (x int)")
        conn.execute("INSERT INTO secret VALUES (1)")
        conn.execute("ALTER TABLE secret ENABLE ROW LEVEL SECURITY")  # no policy: no rows for others
        conn.execute(f"GRANT SELECT ON secret TO {APP}")
    with psycopg.connect(pg_db.app_url(), autocommit=True, connect_timeout=10) as conn:
        assert conn.execute("SELECT count(*) FROM secret").fetchone() == (0,)
        conn.execute("SET row_security = off")  # asks for an error instead of filtered rows
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            conn.execute("SELECT count(*) FROM secret")
        assert refused.value.sqlstate == "42501"
    with psycopg.connect(pg_db.superuser_url, autocommit=True, connect_timeout=10) as conn:
        assert conn.execute("SELECT count(*) FROM secret").fetchone() == (1,)


def test_owner_owns_the_database_and_schema_public(pg_cluster, pg_db):
    assert pg_cluster.sql("SELECT datdba::regrole::text FROM pg_database WHERE datname = %s",
                          params=(pg_db.name,)) == [(OWNER,)]
    assert pg_cluster.sql("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'",
                          database=pg_db.name) == [(OWNER,)]
    assert pg_cluster.sql("SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole FROM pg_roles "
                          "WHERE rolname = %s", params=(OWNER,)) == [(False, False, False, False)]
    pg_cluster.sql("CREATE TABLE public.owned (x int)", database=pg_db.name, user=OWNER)


def test_app_url_names_the_administration(pg_db, pg_cluster):
    assert pg_db.app_url() == f"postgresql://{APP}@127.0.0.1:{pg_cluster.port}/{pg_db.name}"
    assert pg_db.app_url("adm 1&2") == f"postgresql://{APP}@127.0.0.1:{pg_cluster.port}/{pg_db.name}" \
                                       "?administration=adm+1%262"


def test_each_pg_db_is_a_different_database(pg_db, pg_new_db, pg_cluster):
    other = pg_new_db()
    assert other.name != pg_db.name
    pg_cluster.sql("CREATE TABLE only_here (x int)", database=pg_db.name)
    assert pg_cluster.sql("SELECT to_regclass('only_here') IS NULL", database=other.name) == [(True,)]


@pytest.fixture
def absent_afterwards(pg_cluster):
    """Names of databases that must be gone once the fixtures requested after this one are torn down."""
    names = []
    yield names
    for name in names:
        assert pg_cluster.sql("SELECT count(*) FROM pg_database WHERE datname = %s", params=(name,)) == [(0,)]


def test_pg_db_is_dropped_after_the_test(absent_afterwards, pg_new_db):
    absent_afterwards.append(pg_new_db().name)


def test_replica_follows_the_primary_and_refuses_writes(pg_cluster, pg_replica, pg_db):
    import psycopg

    marker = str(uuid.uuid4())
    pg_cluster.sql("CREATE TABLE followed (marker text)", database=pg_db.name, user=OWNER)
    pg_cluster.sql("INSERT INTO followed VALUES (%s)", database=pg_db.name, user=OWNER, params=(marker,))
    pg_cluster.wait_replayed(pg_replica)
    assert pg_replica.sql("SELECT marker FROM followed", database=pg_db.name) == [(marker,)]
    assert pg_replica.sql("SELECT pg_is_in_recovery()") == [(True,)]
    assert pg_replica.port != pg_cluster.port
    assert pg_replica.sql("SHOW listen_addresses") == [("127.0.0.1",)]
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction) as refused:
        pg_replica.sql("INSERT INTO followed VALUES ('x')", database=pg_db.name)
    assert refused.value.sqlstate == "25006"


def test_wait_replayed_times_out_clearly(pg_cluster):
    # A primary replays nothing: as a replica it never catches up.
    with pytest.raises(TimeoutError) as timed_out:
        pg_cluster.wait_replayed(pg_cluster, timeout=0.3)
    assert f"port {pg_cluster.port}" in str(timed_out.value)


def test_stop_leaves_no_process_and_no_directory(pg_bin_dir):
    cluster = Cluster.start(pg_bin_dir)
    pid = cluster.postmaster_pid()
    assert pid is not None and pg_server.pids_in(cluster.data_dir)
    cluster.stop()
    assert not pg_server._alive(pid)
    assert pg_server.pids_in(cluster.data_dir) == []
    assert not cluster.base.exists()
    cluster.stop()  # a second stop (the atexit safety net) is harmless


def test_start_retries_when_the_port_is_taken(pg_bin_dir, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy])
        monkeypatch.setattr(pg_server, "free_port", lambda: next(ports, None) or _free_port())
        cluster = Cluster.start(pg_bin_dir)
        try:
            assert cluster.port != busy
            assert cluster.sql("SELECT 1") == [(1,)]
        finally:
            cluster.stop()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failed_start_reports_the_server_log_and_cleans_up(pg_bin_dir):
    with pytest.raises(pg_server.ClusterError) as failed:
        Cluster.start(pg_bin_dir, settings={"max_connections": "-5"})
    message = str(failed.value)
    assert "max_connections" in message  # the server's own complaint, from its log
    log = re.search(r"(/\S+)/server\.log", message)
    assert log is not None
    assert not Path(log.group(1)).exists()
