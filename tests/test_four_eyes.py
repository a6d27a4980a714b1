"""Four eyes: recorded uses against yearly ceilings, idempotent references, signature pairs."""

from __future__ import annotations

import sqlite3
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event
from hypothesis import strategies as st

from tests.helpers import (
    VERBINTENIS,
    base_register,
    check_json,
    cli,
    decision,
    grant,
    head,
    history,
    new_register,
    property_tests,
    reasons_with,
    write_yaml,
)

AANKOOP = {"budget_key": "0119/6140000", "unit": "aankoop"}
ACTORS = ("q-01", "q-03", "q-04", "q-06", "q-11")  # ad, dh-a, its substitute, dh-t, below dh-a


def ceiling_register(c0: int, c1: int | None, c2: int | None, c3: int | None) -> dict[str, Any]:
    """Ceilings on three levels: CBS-F/1 (ad) above AD-F/1 (dh-a) above DHA-F/1 (med-c), and AD-F/2 (dh-t)."""
    def lim(ceiling: int | None, **extra: Any) -> dict[str, Any]:
        return {**extra, **({"annual_ceiling": ceiling} if ceiling is not None else {})}

    return base_register(
        decisions=[
            decision("CBS-F", "college", [grant("CBS-F/1", "ad", ["budgethouderschap"], limits=lim(c0),
                                                subdelegation={"allowed": True, "max_depth": 2})]),
            decision("AD-F", "ad", [
                grant("AD-F/1", "dh-a", limits=lim(c1, max_amount=5000), subdelegation={"allowed": True, "max_depth": 1}),
                grant("AD-F/2", "dh-t", limits=lim(c2)),
            ]),
            decision("DHA-F", "dh-a", [grant("DHA-F/1", "med-c", under="AD-F/1", limits=lim(c3))]),
        ],
        absences=[{"person": "q-03", "from": "2025-07-01", "until": "2025-07-31"}],
    )


def sums_from_table(db_conn: sqlite3.Connection) -> dict[tuple[str, int], Decimal]:
    out: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for g, year, amount in db_conn.execute('SELECT "grant", year, amount FROM use_grants'):
        out[(g, year)] += Decimal(amount)
    return dict(out)


def sums_from_history(reg) -> dict[tuple[str, int], Decimal]:
    out: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for ev in reg.history():
        if ev.kind == "use.recorded":
            u = ev.data
            for g in u["grants"]:
                out[(g, int(u["on"][:4]))] += Decimal(u["amount"] or 0)
    return dict(out)


uses = st.lists(st.tuples(
    st.sampled_from(ACTORS),
    st.integers(min_value=1, max_value=600_000).map(lambda c: Decimal(c) / 100),
    st.sampled_from([f"BB-{i:03d}" for i in range(12)]),
    st.dates(min_value=date(2025, 2, 1), max_value=date(2026, 3, 31)),
), min_size=1, max_size=14)
ceiling = st.integers(min_value=1_000, max_value=30_000)


def _uses_within_ceilings(c0, c1, c2, c3, attempts, replay: bool) -> None:
    from registry import Registry
    from registry.errors import InputError

    ceilings = {"CBS-F/1": c0, "AD-F/1": c1, "AD-F/2": c2, "DHA-F/1": c3}
    with tempfile.TemporaryDirectory() as tmp:
        reg = Registry.init(Path(tmp) / "r.db")
        try:
            reg.load(write_yaml(Path(tmp) / "r.yaml", ceiling_register(c0, c1, c2, c3)))
            recorded: dict[str, tuple] = {}  # reference -> (actor, amount, on) of the recorded use
            for actor, amount, ref, on in attempts:
                answer = reg.check(actor, VERBINTENIS, on, amount=amount, **AANKOOP)
                before_head, before_sums = reg.head, sums_from_table(reg.store.conn)
                content = (actor, amount, on)
                if ref in recorded and recorded[ref] != content:
                    with pytest.raises(InputError):
                        reg.record_use(answer, ref)
                    assert reg.head == before_head
                    continue
                result = reg.record_use(answer, ref)
                if ref not in recorded:  # nothing happened in between: the re-check agrees with the check
                    assert result.allowed == answer.allowed, (answer.to_dict(), result.to_dict())
                if ref in recorded:  # the same use again: nothing changes
                    assert reg.head == before_head and sums_from_table(reg.store.conn) == before_sums
                    continue
                event("allowed" if result.allowed else "refused: " + ",".join(sorted({r.code for r in result.reasons})))
                if result.allowed:
                    recorded[ref] = content
                    if replay:  # recording it once more never changes a sum
                        sums, seq = sums_from_table(reg.store.conn), reg.head
                        assert reg.record_use(reg.check(actor, VERBINTENIS, on, amount=amount, **AANKOOP), ref).allowed
                        assert (sums_from_table(reg.store.conn), reg.head) == (sums, seq)
                for (g, year), total in sums_from_table(reg.store.conn).items():
                    if ceilings.get(g) is not None:
                        assert total <= ceilings[g], (g, year, total)
            table = sums_from_table(reg.store.conn)
            assert table == sums_from_history(reg)
            # every recorded reference is present once, with its amount on each grant of its chain
            refs = [r for (r,) in reg.store.conn.execute("SELECT reference FROM uses ORDER BY reference")]
            assert refs == sorted(recorded)
            assert reg.fsck() == []
        finally:
            reg.close()


test_recorded_uses_never_exceed_a_ceiling, test_recorded_uses_never_exceed_a_ceiling_thorough = property_tests(
    _uses_within_ceilings, 25, 120, c0=ceiling, c1=st.none() | ceiling, c2=st.none() | ceiling,
    c3=st.none() | ceiling, attempts=uses, replay=st.booleans())


# -- deterministic cases through the CLI ----------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> Path:
    return new_register(tmp_path, ceiling_register(10_000, 6_000, None, None), "vier-ogen")


def record(db: Path, actor: str, amount: str, ref: str, on: str = "2025-03-03"):
    return cli("--db", db, "--json", "check", "--actor", actor, "--power", VERBINTENIS, "--on", on, "--amount", amount,
               "--budget-key", AANKOOP["budget_key"], "--unit", AANKOOP["unit"], "--record", ref)


def test_same_reference_twice_is_recorded_once(db: Path) -> None:
    first = record(db, "q-03", "2500", "BB-2025-0001")
    assert first.code == 0 and first.json["recorded"] == "BB-2025-0001"
    after = head(db)
    second = record(db, "q-03", "2500", "BB-2025-0001")
    assert second.code == 0 and second.json["recorded"] == "BB-2025-0001"
    assert head(db) == after
    assert [e["kind"] for e in history(db)].count("use.recorded") == 1


@pytest.mark.parametrize("actor, amount, on", [
    ("q-03", "2600", "2025-03-03"),   # other amount
    ("q-03", "2500", "2025-03-04"),   # other date
    ("q-01", "2500", "2025-03-03"),   # other actor
])
def test_same_reference_other_content_is_input_error(db: Path, actor: str, amount: str, on: str) -> None:
    assert record(db, "q-03", "2500", "BB-2025-0001").code == 0
    before = head(db)
    r = record(db, actor, amount, "BB-2025-0001", on)
    assert r.code == 2, r
    assert "BB-2025-0001" in r.json["error"]
    assert head(db) == before


@pytest.mark.parametrize("written", ["2500.00", "2500.0"])
def test_same_amount_written_differently_is_the_same_use(db: Path, written: str) -> None:
    assert record(db, "q-03", "2500", "BB-2025-0001").code == 0
    before = head(db)
    r = record(db, "q-03", written, "BB-2025-0001")
    assert r.code == 0 and r.json["recorded"] == "BB-2025-0001", r
    assert head(db) == before


def test_ceiling_counts_the_uses_below_it(db: Path) -> None:
    # AD-F/1 (dh-a, 6000) lies below CBS-F/1 (ad, 10000): uses of dh-a eat into the ad's ceiling too
    assert record(db, "q-03", "5000", "BB-1").code == 0
    r = record(db, "q-03", "1500", "BB-2")
    assert r.code == 1 and reasons_with(r.json, "ANNUAL_CEILING_EXCEEDED")[0]["grant"] == "AD-F/1"
    assert record(db, "q-01", "5000", "BB-3").code == 0
    code, a = check_json(db, "--actor", "q-01", "--power", VERBINTENIS, "--on", "2025-12-31", "--amount", "0.01")
    assert code == 1
    reason = reasons_with(a, "ANNUAL_CEILING_EXCEEDED")[0]
    assert (reason["grant"], reason["used"], reason["remaining"]) == ("CBS-F/1", "10000.00", "0.00")
    code, _ = check_json(db, "--actor", "q-01", "--power", VERBINTENIS, "--on", "2026-01-01", "--amount", "10000")
    assert code == 0


def test_substitute_uses_count_for_the_grant_of_the_absent_holder(db: Path) -> None:
    assert record(db, "q-04", "5000", "BB-1", on="2025-07-10").code == 0  # q-04 stands in for q-03
    r = record(db, "q-03", "1001", "BB-2", on="2025-08-01")
    assert r.code == 1 and reasons_with(r.json, "ANNUAL_CEILING_EXCEEDED")[0]["grant"] == "AD-F/1"


def test_refused_attempt_is_evidence_once(db: Path) -> None:
    assert record(db, "q-03", "5000", "BB-1").code == 0
    refused = record(db, "q-03", "4000", "BB-2")
    assert refused.code == 1 and refused.json["recorded"] is None
    seq = head(db)[0]
    again = record(db, "q-03", "4000", "BB-2")
    assert again.code == 1 and head(db)[0] == seq
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT reference, codes, amount FROM refusals").fetchall()
    uses_rows = conn.execute("SELECT reference FROM uses").fetchall()
    conn.close()
    assert [(ref, codes, Decimal(amount)) for ref, codes, amount in rows] == \
        [("BB-2", '["ANNUAL_CEILING_EXCEEDED"]', Decimal(4000))]
    assert uses_rows == [("BB-1",)]


def test_stale_answer_is_checked_again_when_recorded(db: Path) -> None:
    """An answer computed before other uses were recorded cannot push the total over the ceiling."""
    from registry import Registry

    with Registry.open(db) as reg:
        stale = reg.check("q-03", VERBINTENIS, "2025-03-03", amount="4000", **AANKOOP)
        assert stale.allowed
        assert reg.record_use(reg.check("q-03", VERBINTENIS, "2025-03-03", amount="4000", **AANKOOP), "BB-1").allowed
        result = reg.record_use(stale, "BB-2")
        assert not result.allowed
        assert {r.code for r in result.reasons} == {"ANNUAL_CEILING_EXCEEDED"}  # on every candidate chain
        assert reg.store.conn.execute("SELECT count(*) FROM uses").fetchone()[0] == 1


def test_long_lived_registry_sees_uses_of_other_processes(db: Path) -> None:
    from registry import Registry

    with Registry.open(db) as reg:
        assert reg.check("q-03", VERBINTENIS, "2025-03-03", amount="5000", **AANKOOP).allowed
        assert record(db, "q-03", "5000", "BB-1").code == 0  # another connection
        answer = reg.check("q-03", VERBINTENIS, "2025-03-03", amount="5000", **AANKOOP)
        assert not answer.allowed and {r.code for r in answer.reasons} == {"ANNUAL_CEILING_EXCEEDED"}
        assert record(db, "q-01", "100", "BB-2").code == 0
        assert answer.register["seq"] < reg.check("q-03", VERBINTENIS, "2025-03-03").register["seq"]


def test_uses_as_known_on_a_moment(db: Path) -> None:
    assert record(db, "q-03", "5000", "BB-1").code == 0
    moment = history(db)[-2]["recorded_at"]  # before the use
    args = ["--actor", "q-03", "--power", VERBINTENIS, "--on", "2025-06-01", "--amount", "5000"]
    assert check_json(db, *args)[0] == 1
    assert check_json(db, *args, "--as-known-on", moment)[0] == 0


def test_record_without_amount_does_not_consume_the_ceiling(db: Path) -> None:
    r = cli("--db", db, "--json", "check", "--actor", "q-03", "--power", VERBINTENIS, "--on", "2025-03-03",
            "--record", "BB-0")
    assert r.code == 0
    assert record(db, "q-03", "5000", "BB-1").code == 0


@pytest.mark.parametrize("ref", ["", "x" * 201])
def test_bad_reference_is_input_error(db: Path, ref: str) -> None:
    before = head(db)
    r = record(db, "q-03", "10", ref)
    assert r.code == 2 and "--record" in r.json["error"]
    assert head(db) == before


# -- signature pairs -------------------------------------------------------------------------------

def signature_register() -> dict[str, Any]:
    return base_register(decisions=[
        decision("VZ-S", "vz", [grant("VZ-S/1", "rl", ["ondertekening"],
                                      limits={"document_types": ["briefwisseling"], "issuers": ["gemeenteraad"]})],
                 basis="DLB-281"),
        decision("AD-S", "ad", [grant("AD-S/1", "sec", ["medeondertekening"],
                                      limits={"document_types": ["briefwisseling"], "issuers": ["gemeenteraad"]})],
                 basis="DLB-283", effective_until="2025-12-31"),
    ], appointments=[{"person": "q-09", "position": "sec", "from": "2020-01-01"},
                     {"person": "q-05", "position": "sec", "from": "2020-01-01"}])


def pair(db: Path, signer: str, cosigner: str, on: str = "2025-05-02", *extra: str):
    return cli("--db", db, "--json", *extra, "check-signature", "--document-type", "briefwisseling",
               "--issuer", "gemeenteraad", "--signer", signer, "--cosigner", cosigner, "--on", on)


def test_signature_pairs(tmp_path: Path) -> None:
    db = new_register(tmp_path, signature_register(), "handtekening")
    ok = pair(db, "q-09", "q-05")  # delegated signer (DLB-281) and delegated co-signer (DLB-283)
    assert ok.code == 0 and ok.json["allowed"], ok
    assert ok.json["signature_mentions"]["cosigner"]  # DLB-283 requires a mention above the signature
    same = pair(db, "q-09", "q-09", "2025-05-02", "--lang", "en")
    assert same.code == 1 and [r["code"] for r in same.json["reasons"]] == ["SAME_PERSON"]
    assert same.json["reasons"][0]["text"] == "Signer and co-signer are the same person (q-09); two persons are needed."
    # the co-signer's delegation has ended
    late = pair(db, "q-09", "q-05", "2026-01-05")
    assert late.code == 1
    assert {(r["role"], r["code"]) for r in late.json["reasons"]} == {("cosigner", "EXPIRED")}
    # the algemeen directeur co-signs by law, also after that date
    assert pair(db, "q-09", "q-01", "2026-01-05").code == 0
    unknown = pair(db, "q-99", "q-01")
    assert unknown.code == 2 and "'q-99'" in unknown.json["error"]


def test_unknown_signer_message_names_the_option(tmp_path: Path) -> None:
    db = new_register(tmp_path, signature_register(), "handtekening")
    assert pair(db, "q-99", "q-01").json["error"].startswith("--signer")
    assert pair(db, "q-01", "q-98").json["error"].startswith("--cosigner")


@pytest.mark.parametrize("signer, cosigner", [("rl", "q-09"), ("q-09", "sec"), ("rl", "sec")])
def test_one_person_behind_two_ids_is_not_a_pair(tmp_path: Path, signer: str, cosigner: str) -> None:
    # q-09 is council member (rl: signs by delegation) and secretariat staff (sec: co-signs by delegation)
    db = new_register(tmp_path, signature_register(), "handtekening")
    r = pair(db, signer, cosigner)
    assert r.code in (1, 2), r
    if r.code == 1:
        assert "SAME_PERSON" in {x["code"] for x in r.json["reasons"]}


def test_signature_pair_as_known_on(tmp_path: Path) -> None:
    db = new_register(tmp_path, signature_register(), "handtekening")
    moment = history(db)[-1]["recorded_at"]
    assert cli("--db", db, "revoke", "--target", "AD-S/1", "--from", "2025-01-01", "--by", "AD-S-INTR").code == 0
    assert pair(db, "q-09", "q-05").code == 1
    r = cli("--db", db, "--json", "check-signature", "--document-type", "briefwisseling", "--issuer", "gemeenteraad",
            "--signer", "q-09", "--cosigner", "q-05", "--on", "2025-05-02", "--as-known-on", moment)
    assert r.code == 0, r


def test_every_day_of_a_delegation_period_counts(tmp_path: Path) -> None:
    """The last day of a delegation is still covered; the next one is not (inclusive periods)."""
    db = new_register(tmp_path, signature_register(), "handtekening")
    last = date(2025, 12, 31)
    assert pair(db, "q-09", "q-05", last.isoformat()).code == 0
    assert pair(db, "q-09", "q-05", (last + timedelta(days=1)).isoformat()).code == 1
