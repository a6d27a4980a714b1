"""Reporting duties: period arithmetic, due dates, statuses, and the `duty.done` event."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from delegations import periods as pd
from registry import InputError, Registry
from tests.helpers import VERBINTENIS, base_register, cli, decision, grant, new_register

# -- pure period arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize("pid, every, start, end", [
    ("2025-M01", "month", date(2025, 1, 1), date(2025, 1, 31)),
    ("2024-M02", "month", date(2024, 2, 1), date(2024, 2, 29)),
    ("2025-M12", "month", date(2025, 12, 1), date(2025, 12, 31)),
    ("2025-Q1", "quarter", date(2025, 1, 1), date(2025, 3, 31)),
    ("2025-Q4", "quarter", date(2025, 10, 1), date(2025, 12, 31)),
    ("2025-H1", "half_year", date(2025, 1, 1), date(2025, 6, 30)),
    ("2025-H2", "half_year", date(2025, 7, 1), date(2025, 12, 31)),
    ("2025", "year", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_period_ids_name_their_bounds(pid: str, every: str, start: date, end: date) -> None:
    p = pd.parse_period(pid)
    assert p == pd.Period(pid, every, start, end)
    assert pd.period_of(every, start) == p and pd.period_of(every, end) == p


@pytest.mark.parametrize("pid", ["2025-M13", "2025-M00", "2025-Q5", "2025-H3", "2025-q1", "25", "0000", "2025-W01", "BB-1"])
def test_other_strings_are_not_calendar_periods(pid: str) -> None:
    assert pd.parse_period(pid) is None


def test_periods_overlapping_an_interval_and_due_dates() -> None:
    quarters = pd.periods("quarter", date(2025, 2, 15), date(2025, 8, 1))
    assert [p.id for p in quarters] == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert quarters[0].due(30) == date(2025, 4, 30)
    assert pd.parse_period("2025-M12").due(10) == date(2026, 1, 10)
    months = pd.periods("month", date(2024, 11, 30), date(2025, 1, 1))
    assert [p.id for p in months] == ["2024-M11", "2024-M12", "2025-M01"]


def test_long_dates_in_dutch_and_english() -> None:
    assert pd.long_date(date(2025, 2, 1)) == "1 februari 2025"
    assert pd.long_date("2025-12-31", "nl") == "31 december 2025"
    assert pd.long_date(date(2025, 2, 1), "en") == "1 February 2025"


# -- duties of the example register -------------------------------------------------------------

def _by_key(items: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(x["grant"], x["period"], x["to"]): x for x in items}


def test_example_duties_due_and_overdue(example_db: Path) -> None:
    with Registry.open(example_db) as reg:
        items = _by_key(reg.duties(on="2025-05-05"))
    m2 = items[("AD-2025-0007/1", "2025-M02", "ad")]
    assert (m2["status"], m2["due"], m2["from"], m2["until"]) == ("overdue", "2025-03-10", "2025-02-01", "2025-02-28")
    assert items[("AD-2025-0007/1", "2025-M04", "ad")]["status"] == "due"  # due 10 May, period ended 30 April
    assert ("AD-2025-0007/1", "2025-M05", "ad") not in items  # period not ended yet
    assert ("AD-2025-0007/1", "2025-M01", "ad") not in items  # before the grant was in force (3 February)
    q1 = items[("CBS-2025-0412/1", "2025-Q1", "college")]
    assert (q1["status"], q1["due"]) == ("overdue", "2025-04-30")
    # DLB-283 obliges the algemeen directeur to inform the council of the delegation.
    notice = items[("AD-2025-0020/1", "notify", "gemeenteraad")]
    assert (notice["every"], notice["from"], notice["due"], notice["status"]) == ("notify", "2025-04-01", "2025-05-31", "due")
    assert not [k for k in items if k[1] == "notify" and k[0] != "AD-2025-0020/1"]


def test_a_revoked_grant_has_no_duties_after_its_revocation(example_db: Path) -> None:
    with Registry.open(example_db) as reg:
        periods = [x["period"] for x in reg.duties(on="2026-06-01", grant="AD-2025-0007/2")]
    assert periods == ["2025-Q1", "2025-Q2", "2025-Q3"]  # revoked from 1 October 2025


def test_duty_done_is_an_event_and_changes_the_status(example_db: Path) -> None:
    with Registry.open(example_db) as reg:
        ev = reg.duty_done("AD-2025-0007/1", "2025-M02", "2025-03-08", "NOTA-2025-11")
        assert ev is not None and ev.kind == "duty.done"
        assert ev.data == {"grant": "AD-2025-0007/1", "period": "2025-M02", "to": "ad", "every": "month",
                           "on": "2025-03-08", "reference": "NOTA-2025-11"}
        reg.duty_done("AD-2025-0007/1", "2025-M03", date(2025, 4, 20), "NOTA-2025-19")
        items = _by_key(reg.duties(on="2025-05-05"))
        m2, m3 = items[("AD-2025-0007/1", "2025-M02", "ad")], items[("AD-2025-0007/1", "2025-M03", "ad")]
        assert (m2["status"], m2["done_on"], m2["reference"], m2["late"]) == ("done", "2025-03-08", "NOTA-2025-11", False)
        assert (m3["status"], m3["late"]) == ("done", True)  # due 10 April, done 20 April
        # The same fact again adds nothing; a different one for the same duty is refused.
        seq = reg.head[0]
        assert reg.duty_done("AD-2025-0007/1", "2025-M02", "2025-03-08", "NOTA-2025-11") is None
        with pytest.raises(InputError):
            reg.duty_done("AD-2025-0007/1", "2025-M02", "2025-03-09", "NOTA-2025-12")
        assert reg.head[0] == seq
        assert reg.fsck() == []


@pytest.mark.parametrize("grant_id, period, on, ref, needle", [
    ("AD-2025-0007/9", "2025-M02", "2025-03-08", "N", "AD-2025-0007/1"),  # unknown grant: closest ids suggested
    ("AD-2025-0007/1", "2025-Q1", "2025-04-08", "N", "month"),  # monthly duty, quarterly period
    ("AD-2025-0007/2", "2025-Q4", "2026-01-08", "N", "2025-Q4"),  # revoked from 1 October
    ("AD-2025-0007/1", "2025-M02", "2025-02-20", "N", "2025-02-28"),  # before the period ended
    ("AD-2025-0007/1", "2025-M02", "2025-03-08", "", "reference: "),  # the library names its parameters
    ("AD-2025-0007/1", "2025-M02", "8 maart", "N", "on: "),
    ("AD-2025-0007/1", "notify", "2025-03-08", "N", "notify"),  # AD-2025-0007 has no rule that demands a notice
    ("AD-2025-0007/1", "BB-2025-0001", "2025-03-08", "N", "BB-2025-0001"),  # not a use of this grant
])
def test_duty_done_refuses_what_is_not_a_duty(example_db: Path, grant_id: str, period: str, on: str, ref: str,
                                              needle: str) -> None:
    with Registry.open(example_db) as reg:
        seq = reg.head[0]
        with pytest.raises(InputError) as exc:
            reg.duty_done(grant_id, period, on, ref)
        assert needle in exc.value.message("nl") and needle in exc.value.message("en")
        assert reg.head[0] == seq


def test_fsck_compares_the_duties_projection(example_db: Path) -> None:
    with Registry.open(example_db) as reg:
        reg.duty_done("AD-2025-0020/1", "notify", "2025-04-20", "GR-2025-0050")
    conn = sqlite3.connect(example_db)
    conn.execute("UPDATE duties_done SET \"on\" = '2025-04-01'")
    conn.commit()
    conn.close()
    r = cli("--db", example_db, "fsck")
    assert r.code == 3 and "duties_done" in r.out + r.err


# -- duties per act and several duties for one period ------------------------------------------

def _act_register(tmp_path: Path) -> Path:
    data = base_register(decisions=[decision("CBS-1", "college", [
        grant("CBS-1/1", "ad", reporting=[{"to": "college", "every": "act", "within_days": 5, "content": "melding"},
                                          {"to": "college", "every": "quarter", "within_days": 30},
                                          {"to": "fd", "every": "quarter", "within_days": 15}])])])
    return new_register(tmp_path, data, "act")


def test_a_duty_per_act_has_the_use_reference_as_period(tmp_path: Path) -> None:
    db = _act_register(tmp_path)
    with Registry.open(db) as reg:
        for ref, on in (("BB-1", "2025-03-03"), ("BB-2", "2025-03-20")):
            answer = reg.record_use(reg.check(actor="q-01", power=VERBINTENIS, on=on, amount="100"), ref)
            assert answer.allowed, answer.reasons
        acts = {x["period"]: x for x in reg.duties(on="2025-03-26") if x["every"] == "act"}
        assert {k: (v["due"], v["status"]) for k, v in acts.items()} == {"BB-1": ("2025-03-08", "overdue"),
                                                                         "BB-2": ("2025-03-25", "overdue")}
        assert reg.duty_done("CBS-1/1", "BB-2", "2025-03-21", "MAIL-7") is not None
        acts = {x["period"]: x for x in reg.duties(on="2025-03-26") if x["every"] == "act"}
        assert (acts["BB-2"]["status"], acts["BB-2"]["reference"]) == ("done", "MAIL-7")
        report = reg.annual_report(2025, as_of="2026-01-01")
        per_act = report["duties"]["per_act"]
        assert per_act == [{"grant": "CBS-1/1", "to": "college", "every": "act", "content": "melding",
                            "done": 1, "late": 0, "missing": 1, "open": 0}]
        assert reg.fsck() == []


def test_several_duties_for_one_period_are_told_apart_with_to(tmp_path: Path) -> None:
    db = _act_register(tmp_path)
    r = cli("--db", db, "duties", "done", "--grant", "CBS-1/1", "--period", "2025-Q1", "--on", "2025-04-02", "--ref", "N-1")
    assert r.code == 2 and "--to" in r.err
    r = cli("--db", db, "--json", "duties", "done", "--grant", "CBS-1/1", "--period", "2025-Q1", "--on", "2025-04-02",
            "--ref", "N-1", "--to", "fd")
    assert r.code == 0 and r.json["to"] == "fd" and r.json["recorded"] is True
    r = cli("--db", db, "--json", "duties", "--on", "2025-04-03", "--grant", "CBS-1/1")
    statuses = {(x["period"], x["to"]): x["status"] for x in r.json["duties"]}
    assert statuses == {("2025-Q1", "fd"): "done", ("2025-Q1", "college"): "due"}


# -- the command line ----------------------------------------------------------------------------

def test_cli_duties_list_and_done(example_db: Path) -> None:
    r = cli("--db", example_db, "duties", "--on", "2025-05-05")
    assert r.code == 0
    assert "AD-2025-0020/1" in r.out and "uiterlijk 31 mei 2025" in r.out and "kennisgeving" in r.out
    r = cli("--db", example_db, "duties", "done", "--grant", "AD-2025-0020/1", "--period", "notify", "--on", "2025-04-28",
            "--ref", "GR-2025-0050", "--lang", "en")
    assert r.code == 0 and "recorded as done on 28 April 2025" in r.out
    r = cli("--db", example_db, "--json", "duties", "--on", "2025-05-05", "--status", "done")
    assert [(x["grant"], x["period"], x["reference"]) for x in r.json["duties"]] == [("AD-2025-0020/1", "notify", "GR-2025-0050")]
    r = cli("--db", example_db, "--json", "duties", "--on", "2025-05-05", "--status", "overdue")
    assert r.json["duties"] and {x["status"] for x in r.json["duties"]} == {"overdue"}


@pytest.mark.parametrize("args, needle", [
    (["duties", "done", "--grant", "AD-2025-0020/1", "--period", "notify", "--on", "2025-04-28"], "--ref"),
    (["duties", "--period", "2025-Q1"], "duties done"),
    (["duties", "--on", "morgen"], "--on"),
    (["duties", "--grant", "XX-1"], "XX-1"),
])
def test_cli_duties_input_errors(example_db: Path, args: list[str], needle: str) -> None:
    r = cli("--db", example_db, *args)
    assert r.code == 2 and needle in r.err and "Traceback" not in r.err
