"""History: revocations recorded later, answers as known at a moment, show/list/history, fsck."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, VERBINTENIS, check_json, cli, head, history, reasons_with

ORDER = ["--actor", "p-001", "--power", VERBINTENIS, "--amount", "1200", "--budget-key", "0119/6140000",
         "--unit", "aankoop"]


def revoke(db: Path, *args: str):
    return cli("--db", db, "--json", "revoke", *args)


def test_revocation_recorded_today_with_past_effect(example_db: Path) -> None:
    before_seq, before_head = head(example_db)
    moment = history(example_db)[-1]["recorded_at"]
    code, _ = check_json(example_db, *ORDER, "--on", "2025-08-04")
    assert code == 0
    time.sleep(0.002)  # the revocation must be recorded strictly after `moment`
    r = revoke(example_db, "--target", "AD-2025-0007/1", "--from", "2025-06-01", "--by", "AD-2025-0040",
               "--reason", "nieuwe regeling aankoop")
    assert r.code == 0 and r.json["recorded"] is True and r.json["seq"] == before_seq + 1, r

    # dates from the effective date on are refused; earlier dates are not affected
    code, a = check_json(example_db, *ORDER, "--on", "2025-08-04")
    assert code == 1
    revoked = reasons_with(a, "REVOKED")
    assert revoked and {r["grant"] for r in revoked} == {"AD-2025-0007/1"}
    assert revoked[0]["revoked_from"] == "2025-06-01" and revoked[0]["revoked_by"] == "AD-2025-0040"
    assert check_json(example_db, *ORDER, "--on", "2025-06-01")[0] == 1
    assert check_json(example_db, *ORDER, "--on", "2025-05-31")[0] == 0

    # as known before the revocation was recorded: the earlier answer, citing the earlier head
    code, a = check_json(example_db, *ORDER, "--on", "2025-08-04", "--as-known-on", moment)
    assert code == 0, a
    assert a["register"] == {"seq": before_seq, "head": before_head}
    now = history(example_db)[-1]["recorded_at"]
    assert check_json(example_db, *ORDER, "--on", "2025-08-04", "--as-known-on", now)[0] == 1
    # a bare date means the end of that day
    assert check_json(example_db, *ORDER, "--on", "2025-08-04", "--as-known-on", now[:10])[0] == 1

    # the same revocation again adds nothing
    again = revoke(example_db, "--target", "AD-2025-0007/1", "--from", "2025-06-01", "--by", "AD-2025-0040",
                   "--reason", "nieuwe regeling aankoop")
    assert again.code == 0 and again.json["recorded"] is False
    assert head(example_db)[0] == before_seq + 1


def test_as_known_on_never_sees_half_an_import(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert cli("--db", db, "import", EXAMPLE).code == 0
    events = history(db)
    first, last = events[0]["recorded_at"], events[-1]["recorded_at"]
    if first == last:
        return  # one time stamp for the whole import: no moment lies inside it
    # the moment p-001 was written, part way through the import
    middle = next(e["recorded_at"] for e in events if e["summary"] == "person p-001")
    if middle == last:
        return
    r = cli("--db", db, "--json", "check", *ORDER, "--on", "2025-05-02", "--as-known-on", middle)
    # either nothing of the import was known yet (p-001 unknown), or all of it
    assert r.code == 2 or r.json["register"]["seq"] == len(events), r.json.get("register")


def test_as_known_on_before_anything_was_recorded(example_db: Path) -> None:
    r = cli("--db", example_db, "--json", "check", *ORDER, "--on", "2025-08-04", "--as-known-on", "2000-01-01")
    assert r.code == 2  # p-001 was not known then


def test_as_known_on_cannot_record(example_db: Path) -> None:
    before = head(example_db)
    moment = history(example_db)[-1]["recorded_at"]
    r = cli("--db", example_db, "check", *ORDER, "--on", "2025-08-04", "--as-known-on", moment, "--record", "BB-1")
    assert r.code == 2
    assert head(example_db) == before


@pytest.mark.parametrize("value", ["gisteren", "2025-13-01", "2025-01-01T25:00"])
def test_bad_as_known_on(example_db: Path, value: str) -> None:
    r = cli("--db", example_db, "--json", "check", *ORDER, "--on", "2025-08-04", "--as-known-on", value)
    assert r.code == 2 and "--as-known-on" in r.json["error"]


def test_revoking_a_decision_revokes_all_its_grants(example_db: Path) -> None:
    assert revoke(example_db, "--target", "AD-2025-0007", "--from", "2025-06-01", "--by", "AD-2025-0041").code == 0
    code, a = check_json(example_db, "--actor", "p-004", "--power", VERBINTENIS, "--on", "2025-07-01")
    assert code == 1 and {r["grant"] for r in reasons_with(a, "REVOKED")} == {"AD-2025-0007/2"}
    code, a = check_json(example_db, *ORDER, "--on", "2025-07-01")
    assert code == 1 and {r["grant"] for r in reasons_with(a, "REVOKED")} == {"AD-2025-0007/1"}


@pytest.mark.parametrize("args, fragment", [
    (["--target", "AD-2025-007/1", "--from", "2025-06-01", "--by", "X"], "AD-2025-0007/1"),  # suggestion
    (["--target", "AD-2025-0007/1", "--from", "1 juni", "--by", "X"], "--from"),
])
def test_bad_revocation_is_input_error(example_db: Path, args: list[str], fragment: str) -> None:
    before = head(example_db)
    r = revoke(example_db, *args)
    assert r.code == 2 and fragment in r.json["error"], r
    assert head(example_db) == before


def test_show(example_db: Path) -> None:
    def show(ident: str) -> dict:
        r = cli("--db", example_db, "--json", "show", ident)
        assert r.code == 0, r
        return r.json

    g = show("AD-2025-0007/1")
    assert (g["kind"], g["decision"], g["data"]["to"], g["revocation"]) == ("grant", "AD-2025-0007", "dh-aankoop", None)
    assert g["data"]["limits"]["annual_ceiling"] in ("20000", "20000.00")
    d = show("AD-2025-0007")
    assert d["kind"] == "decision" and [x["id"] for x in d["data"]["grants"]] == ["AD-2025-0007/1", "AD-2025-0007/2"]
    assert len(d["versions"]) == 1 and d["versions"][0]["file"] == EXAMPLE.name
    assert show("p-001")["data"]["name"] == "Anna Voorbeeld"
    assert show("DLB-283")["kind"] == "rule"
    assert show(VERBINTENIS)["kind"] == "power"
    assert show("AD-2025-0007/2")["revocation"]["effective_from"] == "2025-10-01"
    missing = cli("--db", example_db, "--json", "show", "AD-2025-0070")
    assert missing.code == 2 and "AD-2025-0007" in missing.json["error"]


def test_changed_content_is_a_new_version(example_db: Path, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("Anna Voorbeeld", "Anna Voorbeeld-Nieuw")
    changed = tmp_path / "voorbeeldegem.yaml"
    changed.write_text(text, encoding="utf-8")
    seq = head(example_db)[0]
    r = cli("--db", example_db, "--json", "import", changed)
    assert r.code == 0 and (r.json["added"], r.json["changed"]) == (0, 1), r
    assert head(example_db)[0] == seq + 1
    shown = cli("--db", example_db, "--json", "show", "p-001").json
    assert shown["data"]["name"] == "Anna Voorbeeld-Nieuw" and len(shown["versions"]) == 2


def test_list_active_on(example_db: Path) -> None:
    def listing(*args: str) -> dict[str, list[str]]:
        r = cli("--db", example_db, "--json", "list", *args)
        assert r.code == 0, r
        return {d["id"]: [g["id"] for g in d["grants"]] for d in r.json}

    everything = listing()
    assert set(everything) == {"GR-2025-0015", "CBS-2025-0412", "AD-2025-0007", "AD-2025-0011", "AD-2025-0020",
                               "VZGR-2025-0002"}
    assert list(everything)[0] == "GR-2025-0015"  # ordered by decision date
    assert listing("--active-on", "2025-01-25") == {"GR-2025-0015": ["GR-2025-0015/1"]}
    assert listing("--active-on", "2025-09-01")["AD-2025-0007"] == ["AD-2025-0007/1", "AD-2025-0007/2"]
    assert listing("--active-on", "2025-10-01")["AD-2025-0007"] == ["AD-2025-0007/1"]
    assert revoke(example_db, "--target", "AD-2025-0007/1", "--from", "2025-06-01", "--by", "AD-2025-0040").code == 0
    assert listing("--active-on", "2025-09-01")["AD-2025-0007"] == ["AD-2025-0007/2"]
    # both grants revoked by then: nothing of that decision is active
    assert listing("--active-on", "2025-10-01").get("AD-2025-0007", []) == []
    assert listing("--active-on", "2025-05-01")["AD-2025-0007"] == ["AD-2025-0007/1", "AD-2025-0007/2"]
    rows = {d["id"]: d for d in cli("--db", example_db, "--json", "list").json}
    revoked = {g["id"]: g["revoked_from"] for g in rows["AD-2025-0007"]["grants"]}
    assert revoked == {"AD-2025-0007/1": "2025-06-01", "AD-2025-0007/2": "2025-10-01"}


def test_history_is_the_event_log(example_db: Path) -> None:
    events = history(example_db)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "administration.set"
    assert {e["kind"] for e in events[1:]} == {"entity.put"}
    assert len({e["hash"] for e in events}) == len(events)
    stamps = [e["recorded_at"] for e in events]
    assert stamps == sorted(stamps) and all(s.endswith("+00:00") for s in stamps)
    assert any(e["summary"] == "decision AD-2025-0007" for e in events)
    assert head(example_db) == (events[-1]["seq"], events[-1]["hash"])
    r = cli("--db", example_db, "--json", "check", *ORDER, "--on", "2025-05-02", "--record", "BB-2025-0042")
    assert r.code == 0
    last = history(example_db)[-1]
    assert last["kind"] == "use.recorded" and last["summary"].startswith("BB-2025-0042 p-001")


def test_reimport_adds_nothing(example_db: Path) -> None:
    before_events = history(example_db)
    r = cli("--db", example_db, "--json", "import", EXAMPLE)
    assert r.code == 0
    assert (r.json["added"], r.json["changed"], r.json["events"]) == (0, 0, 0)
    assert r.json["unchanged"] > 0
    assert history(example_db) == before_events


# -- fsck ------------------------------------------------------------------------------------------

def test_fsck_clean_after_fresh_import(tmp_path: Path) -> None:
    db = tmp_path / "vers.db"
    assert cli("--db", db, "import", EXAMPLE).code == 0
    r = cli("--db", db, "--json", "fsck")
    assert r.code == 0 and r.json["ok"] is True
    assert r.json["seq"] == len(history(db))
    assert cli("--db", db, "fsck").out.startswith("In orde")


@pytest.mark.parametrize("sql", [
    "UPDATE entities SET data = replace(data, 'lijst van bestelbonnen', 'iets anders') "
    "WHERE kind = 'decision' AND key = 'AD-2025-0007'",
    "DELETE FROM entities WHERE kind = 'conflict'",
    "UPDATE use_grants SET amount = '1.00' WHERE reference = 'BB-2025-0042'",
])
def test_fsck_detects_a_corrupted_projection(example_db: Path, sql: str) -> None:
    assert cli("--db", example_db, "check", *ORDER, "--on", "2025-05-02", "--record", "BB-2025-0042").code == 0
    assert cli("--db", example_db, "fsck").code == 0
    conn = sqlite3.connect(example_db)
    with conn:
        assert conn.execute(sql).rowcount >= 1
    conn.close()
    r = cli("--db", example_db, "--json", "fsck")
    assert r.code == 3, r
    assert r.json["ok"] is False and r.json["problems"]
    plain = cli("--db", example_db, "fsck")
    assert plain.code == 3 and "INTEGRITEITSFOUT" in plain.out


def test_event_log_refuses_updates(example_db: Path) -> None:
    conn = sqlite3.connect(example_db)
    with pytest.raises(sqlite3.DatabaseError):
        with conn:
            conn.execute("UPDATE events SET payload = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError):
        with conn:
            conn.execute("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)")
    conn.close()
    assert cli("--db", example_db, "fsck").code == 0
