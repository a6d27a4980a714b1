"""The database schema, in one place: every table, index and trigger, and the upgrade of a
register made by an older version. `fsck` builds this schema in memory and compares the stored
definitions with it, so a trigger replaced by a no-op is found as surely as a dropped one."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

SCHEMA_VERSION = "2"
_APPEND_ONLY = "BEGIN SELECT RAISE(ABORT, 'het gebeurtenissenlog is alleen-toevoegen'); END"
TRIGGERS = ("events_no_update", "events_no_delete")


def create_schema(db) -> None:
    """Create every table, index and trigger on a sqlite_utils.Database (file or in memory)."""
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
        db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events {_APPEND_ONLY}")
        db.conn.execute(f"CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events {_APPEND_ONLY}")
        db["grant_index"].create({"grant": str, "decision": str, "recipient": str}, pk="grant", if_not_exists=True)
        db["grant_index"].create_index(["recipient"], if_not_exists=True)
        db["grant_index"].create_index(["decision"], if_not_exists=True)
        db.conn.execute("CREATE INDEX IF NOT EXISTS entities_appointment_position ON entities "
                        "(json_extract(data, '$.position')) WHERE kind = 'appointment'")
        db["keys"].create({"kid": str, "jwk": str, "added_at": int, "retired_at": int, "seq": int}, pk="kid",
                          if_not_exists=True)
        db["attestations"].create({"jti": str, "kid": str, "iat": int, "actor": str, "power": str, "allowed": int,
                                   "question_sha256": str, "grants": str, "seq": int}, pk="jti", if_not_exists=True)
        db.conn.execute('CREATE TABLE IF NOT EXISTS duties_done ("grant" TEXT, period TEXT, "to" TEXT, every TEXT, '
                        '"on" TEXT, reference TEXT, seq INTEGER, PRIMARY KEY ("grant", period, "to"))')
        db["meta"].insert({"key": "schema", "value": SCHEMA_VERSION}, replace=True)


def init_file(path: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA journal_mode=WAL")
    create_schema(db)
    db.conn.close()


def needs_upgrade(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return row is None or row[0] != SCHEMA_VERSION


def upgrade(path: Path, conn: sqlite3.Connection) -> None:
    """Bring a register made by an older version to this schema: new tables (idempotent DDL),
    then, in one write transaction, the projection rows that replaying its events would now give
    and the new schema version. Safe to repeat after an interruption."""
    from . import projections

    init_file(path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM grant_index LIMIT 1").fetchone() is None:
            for key, data in conn.execute("SELECT key, data FROM entities WHERE kind = 'decision'").fetchall():
                projections.index_grants(conn, key, json.loads(data))
        if conn.execute("SELECT 1 FROM meta WHERE key = 'active_kid'").fetchone() is None:
            for kind, payload in conn.execute("SELECT kind, payload FROM events WHERE kind IN "
                                              "('key.added', 'key.activated', 'key.retired') ORDER BY seq").fetchall():
                projections.active_key(conn, kind, json.loads(payload))
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _normal(sql: str | None) -> str:
    # Quoting style ([x], "x", `x`) and layout differ between sqlite-utils versions; meaning does not.
    return re.sub(r"[\s\[\]\"`]", "", (sql or "")).lower().replace("ifnotexists", "")


def definitions(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(type, name) -> normalised SQL of every table, index and trigger (SQLite's own excluded)."""
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'index', 'trigger', 'view') "
                        "AND name NOT LIKE 'sqlite_%'").fetchall()
    return {(t, n): _normal(s) for t, n, s in rows}


def expected_definitions() -> dict[tuple[str, str], str]:
    import sqlite_utils

    mem = sqlite_utils.Database(memory=True)
    create_schema(mem)
    found = definitions(mem.conn)
    mem.conn.close()
    return found
