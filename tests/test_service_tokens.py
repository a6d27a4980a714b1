"""Bearer tokens of the service: shown once, stored hashed, bound to one administration, listed
without their secret, revoked by id; an operational table outside the event log (fsck stays green,
the history does not change)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from registry import Registry
from registry.errors import InputError, NotFoundError
from registry.tokens import ROLES, TokenStore, parse_token, role_allows
from tests.helpers import EXAMPLE, cli, history, import_file


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "voorbeeldegem.db"
    import_file(path, EXAMPLE)
    return path


def test_issue_stores_only_a_hash(db) -> None:
    with Registry.open(db) as reg:
        issued = TokenStore(reg.store.conn, "voorbeeldegem").issue("recorder", "boekhouding")
    assert parse_token(issued.token) == ("voorbeeldegem", issued.record.id)
    secret = issued.token.rsplit(".", 1)[1]
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    assert secret.encode() not in raw and issued.token.encode() not in raw
    rows = sqlite3.connect(db).execute("SELECT sha256, role, label FROM service_tokens").fetchall()
    assert len(rows) == 1 and rows[0][0].startswith("sha256:") and rows[0][1:] == ("recorder", "boekhouding")


def test_verify_revoke_expire_and_tamper(db) -> None:
    with Registry.open(db) as reg:
        store = TokenStore(reg.store.conn, "voorbeeldegem")
        good = store.issue("reader")
        assert store.verify(good.token) == good.record
        head, tail = good.token[:-1], good.token[-1]
        assert store.verify(head + ("A" if tail != "A" else "B")) is None
        assert store.verify(good.token.replace("voorbeeldegem", "proefgem")) is None
        assert TokenStore(reg.store.conn, "proefgem").verify(good.token) is None
        assert store.verify("dlg.voorbeeldegem.short") is None
        revoked = store.revoke(good.record.id)
        assert revoked.status() == "revoked" and store.verify(good.token) is None
        assert store.revoke(good.record.id) == revoked  # idempotent
        later = store.issue("admin", expires_in_days=1)
        assert store.verify(later.token) is not None
        past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        reg.store.conn.execute("UPDATE service_tokens SET expires_at = ? WHERE id = ?", (past, later.record.id))
        assert store.verify(later.token) is None
        assert sorted(r.status() for r in store.list()) == ["expired", "revoked"]
        with pytest.raises(NotFoundError):
            store.revoke("000000000000")
        with pytest.raises(InputError):
            store.issue("superuser")
        with pytest.raises(InputError):
            TokenStore(reg.store.conn, "../x")


def test_roles_are_ordered() -> None:
    assert [[role_allows(held, needed) for needed in ROLES] for held in ROLES] == [
        [True, False, False], [True, True, False], [True, True, True]]
    assert not role_allows("nobody", "reader")


def test_cli_tokens_new_list_revoke(db) -> None:
    before = history(db)
    r = cli("--db", db, "tokens", "new", "--role", "recorder", "--label", "ERP")
    assert r.code == 0
    token = r.out.strip().splitlines()[-1]
    assert parse_token(token) is not None and token not in r.err
    listed = cli("--db", db, "--json", "tokens", "list")
    assert listed.code == 0 and token not in listed.out
    (item,) = listed.json
    assert (item["role"], item["label"], item["status"], item["administration"]) == ("recorder", "ERP", "active", "voorbeeldegem")
    assert cli("--db", db, "--json", "tokens", "revoke", item["id"]).json["status"] == "revoked"
    unknown = cli("--db", db, "--json", "tokens", "revoke", "ffffffffffff")
    assert unknown.code == 2 and unknown.json["code"] == "NOT_FOUND"
    # credentials are not evidence: the log is unchanged and fsck compares nothing new
    assert history(db) == before
    fsck = cli("--db", db, "--json", "fsck")
    assert fsck.code == 0 and fsck.json["ok"] is True


def test_the_cli_does_not_load_the_framework_unless_serving() -> None:
    import subprocess
    import sys

    from tests.helpers import REPO

    code = ("import sys, cli.main; cli.main.build_parser(); "
            "print(sorted(m for m in ('litestar', 'uvicorn', 'jwt', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
