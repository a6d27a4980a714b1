"""Issue 12, history cut short: deleting the last events, restoring an older backup, a flipped
byte in the WAL, triggers replaced by no-ops. A hash chain cannot see its own end cut off; a
published point can (`fsck --expect SEQ:HEAD`, `fsck --checkpoint FILE`)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.helpers import VERBINTENIS, cli, copy_register

QUESTION = ("--actor", "p-001", "--power", VERBINTENIS, "--budget-key", "0119/6140000", "--unit", "aankoop")


def record(db: Path, ref: str, amount: str = "4000", on: str = "2025-08-04") -> dict:
    r = cli("--db", db, "--json", "check", *QUESTION, "--on", on, "--amount", amount, "--record", ref)
    assert r.code in (0, 1), r
    return r.json


def head(db: Path) -> tuple[int, str]:
    r = cli("--db", db, "--json", "fsck")
    assert r.code == 0, r
    return r.json["seq"], r.json["head"]


def published_checkpoint(db: Path, tmp: Path) -> Path:
    out = tmp / f"checkpoint-{uuid.uuid4().hex[:6]}.json"
    r = cli("--db", db, "checkpoint", "--out", out)
    assert r.code == 0, r
    return out


def delete_last_events(db: Path, n: int) -> None:
    """What a tamperer does without any hashing: drop the triggers, delete the newest events and
    what they wrote, put back the triggers (the same definitions)."""
    conn = sqlite3.connect(db)
    triggers = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    last = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    gone = [r[0] for r in conn.execute("SELECT reference FROM uses WHERE seq > ?", (last - n,))]
    conn.execute("DELETE FROM events WHERE seq > ?", (last - n,))
    for table in ("uses", "refusals", "attestations"):
        conn.execute(f"DELETE FROM {table} WHERE seq > ?", (last - n,))  # noqa: S608 - fixed names
    conn.executemany("DELETE FROM use_grants WHERE reference = ?", [(g,) for g in gone])
    for (sql,) in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()


def test_deleting_the_last_uses_frees_a_ceiling_and_only_a_published_point_shows_it(
        example_db: Path, tmp_path: Path) -> None:
    assert cli("--db", example_db, "keys", "new").code == 0
    for i in range(5):
        assert record(example_db, f"BB-PLAFOND-{i}")["allowed"] is True  # 5 x 4000 of the 20 000 ceiling
    assert record(example_db, "BB-PLAFOND-5")["allowed"] is False
    seq, h = head(example_db)
    point = published_checkpoint(example_db, tmp_path)

    delete_last_events(example_db, 3)
    assert cli("--db", example_db, "fsck").code == 0  # what remains is a perfect chain: dc662eb said OK
    assert record(copy_register(example_db, tmp_path / "kopie.db"), "BB-PLAFOND-X")["allowed"] is True  # freed

    r = cli("--db", example_db, "fsck", "--expect", f"{seq}:{h}")
    assert r.code == 3 and "korter" in r.out and str(seq) in r.out, r
    r = cli("--db", example_db, "--json", "fsck", "--checkpoint", point)
    assert r.code == 3 and r.json["ok"] is False and any("korter" in p for p in r.json["problems"]), r


def test_restoring_an_older_backup_is_found(example_db: Path, tmp_path: Path) -> None:
    assert cli("--db", example_db, "keys", "new").code == 0
    backup = copy_register(example_db, tmp_path / "backup.db")  # beside it: the same key directory
    record(example_db, "BB-NA-BACKUP")
    point = published_checkpoint(example_db, tmp_path)
    assert cli("--db", backup, "fsck").code == 0
    r = cli("--db", backup, "fsck", "--checkpoint", point)
    assert r.code == 3 and "korter" in r.out, r
    r = cli("--db", example_db, "fsck", "--checkpoint", point)
    assert r.code == 0 and "gepubliceerde punt" in r.out, r


def test_a_rewritten_chain_diverges_from_the_published_point(example_db: Path, tmp_path: Path) -> None:
    """Rewritten from the published point on, hashes and triggers and all: fsck alone cannot tell."""
    from registry.store import event_hash

    seq, h = head(example_db)
    record(example_db, "BB-LATER")
    conn = sqlite3.connect(example_db)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _sql in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    rows = conn.execute("SELECT seq, recorded_at, kind, payload, prev FROM events WHERE seq >= ? ORDER BY seq",
                        (seq,)).fetchall()
    assert json.loads(rows[0][3]).get("file") == "voorbeeldegem.yaml"
    prev = rows[0][4]
    for s, at, kind, payload, _ in rows:
        payload = payload.replace('"file":"voorbeeldegem.yaml"', '"file":"herschreven.yaml"')
        new = event_hash(s, at, kind, payload, prev)
        conn.execute("UPDATE events SET payload = ?, prev = ?, hash = ? WHERE seq = ?", (payload, prev, new, s))
        prev = new
    for _name, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    assert cli("--db", example_db, "fsck").code == 0
    r = cli("--db", example_db, "fsck", "--expect", f"{seq}:{h}")
    assert r.code == 3 and "wijkt af" in r.out and "herschreven" in r.out, r


def test_a_flipped_byte_in_the_wal_that_drops_a_commit_is_found(example_template: Path, tmp_path: Path) -> None:
    """SQLite drops WAL frames after a bad checksum without a word: the last committed use is gone."""
    db = copy_register(example_template, tmp_path / "register.db")
    keep = sqlite3.connect(db)  # holds the WAL open, so the commit stays in the WAL only
    keep.execute("PRAGMA wal_autocheckpoint=0")
    keep.execute("SELECT count(*) FROM events").fetchall()
    record(db, "BB-IN-WAL")
    seq, h = head(db)
    wal = Path(f"{db}-wal")
    copy = tmp_path / "beschadigd"
    copy.mkdir()
    shutil.copy(db, copy / "register.db")
    data = bytearray(wal.read_bytes())
    assert len(data) > 4096
    data[len(data) - 100] ^= 0x01  # one bit in the last frame
    (copy / "register.db-wal").write_bytes(bytes(data))
    keep.close()
    damaged = copy / "register.db"
    r = cli("--db", damaged, "--json", "history")
    assert r.code == 0 and "BB-IN-WAL" not in r.out  # silently gone
    assert cli("--db", damaged, "fsck").code == 0
    r = cli("--db", damaged, "fsck", "--expect", f"{seq}:{h}")
    assert r.code == 3 and "korter" in r.out, r


@pytest.mark.parametrize("change", ["no-op", "extra"])
def test_triggers_replaced_or_added_are_found(example_db: Path, change: str) -> None:
    conn = sqlite3.connect(example_db)
    if change == "no-op":
        conn.execute("DROP TRIGGER events_no_delete")
        conn.execute("CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT 1; END")
    else:
        conn.execute("CREATE TRIGGER uses_vanish AFTER INSERT ON uses BEGIN DELETE FROM use_grants; END")
    conn.commit()
    conn.close()
    r = cli("--db", example_db, "fsck")
    assert r.code == 3, r
    assert ("events_no_delete" in r.out and "gewijzigd" in r.out) if change == "no-op" else "uses_vanish" in r.out, r


def test_an_index_definition_is_compared_too(example_db: Path) -> None:
    conn = sqlite3.connect(example_db)
    conn.execute("DROP INDEX entities_appointment_position")
    conn.execute("CREATE INDEX entities_appointment_position ON entities (key)")
    conn.commit()
    conn.close()
    r = cli("--db", example_db, "fsck")
    assert r.code == 3 and "entities_appointment_position" in r.out, r


def test_checkpoint_input_that_cannot_be_trusted_is_an_input_error(example_db: Path, tmp_path: Path) -> None:
    assert cli("--db", example_db, "keys", "new").code == 0
    point = published_checkpoint(example_db, tmp_path)
    doc = json.loads(point.read_text())
    shown_other = tmp_path / "aangepast.json"
    shown_other.write_text(json.dumps({**doc, "seq": doc["seq"] - 1}))  # readable part edited, signature kept
    r = cli("--db", example_db, "--json", "fsck", "--checkpoint", shown_other)
    assert r.code == 2 and r.json["code"] == "CHECKPOINT_INVALID", r
    r = cli("--db", example_db, "--json", "fsck", "--expect", "12:abc")
    assert r.code == 2 and r.json["parameter"] == "expect" and "--expect" in r.json["error"], r
    other_jwks = tmp_path / "andere.json"
    other_jwks.write_text(json.dumps({"keys": []}))
    r = cli("--db", example_db, "--json", "fsck", "--checkpoint", point, "--jwks", other_jwks)
    assert r.code == 2 and r.json["code"] == "CHECKPOINT_INVALID", r
