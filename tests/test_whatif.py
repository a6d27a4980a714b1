"""What-if (`diff`): what importing a draft would change, per person and power, with dates.

Every expectation below follows from the example administration (examples/voorbeeldegem.yaml)
and the draft at hand; each is also held against `check` itself on a register into which the
draft was really imported (the oracle), so the comparison can never drift from the answers.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import strategies as st

from registry import Registry
from registry.whatif import Side, after_state, compare, diff_files, diff_moments
from tests.helpers import EXAMPLE, REPO, VERBINTENIS, cli, copy_register, head, property_tests, write_yaml

DRAFT = REPO / "examples" / "ontwerpen" / "AD-2025-0040-budgethouder-aankoop.yaml"
FACTUUR = "budgethouderschap.factuurgoedkeuring"
ADMIN = {"id": "voorbeeldegem", "name": "Lokaal bestuur Voorbeeldegem"}
EXAMPLE_DATA = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def draft(tmp: Path, name: str = "ontwerp.yaml", **sections: Any) -> Path:
    return write_yaml(tmp / name, {"format": "delegaties/1", "administration": ADMIN, **sections})


def example_decision(did: str) -> dict[str, Any]:
    return json.loads(json.dumps(next(d for d in EXAMPLE_DATA["decisions"] if d["id"] == did), default=str))


def summary(diff) -> set[tuple[str, str, str, str | None, str | None]]:
    """(kind, person, power, from, until) of every change (the legal entity is gemeente unless said)."""
    out = set()
    for c in diff.changes:
        power = c.power if c.entity == "gemeente" else f"{c.power}@{c.entity}"
        out.add((c.kind, c.person, power, c.start.isoformat() if c.start else None, c.end.isoformat() if c.end else None))
    return out


# -- the oracle: check on a register into which the draft was imported --------------------------

def authority(reg: Registry, person: str, power: str, on: date, entity: str) -> Any:
    if person not in reg.state().persons:
        return None  # a person the draft adds
    a = reg.check(person, power, on, entity=entity)
    if not a.allowed:
        return None
    d = a.to_dict()
    # Two appointments to the same position give the same chain twice: that is no other authority.
    # A step is named by the grant it follows, else the rule or position (grant steps cite their rule too).
    chains = sorted({tuple((s["step"], s.get("grant") or s.get("rule") or s.get("position"), s.get("for")) for s in c)
                     for c in d["chains"]})
    return (json.dumps(d["effective_limits"], sort_keys=True), sorted((c["code"], c.get("grant")) for c in d["conditions"]),
            chains, d["signature_mention"], json.dumps(d["reporting"], sort_keys=True))


def imported(db: Path, tmp: Path, *files: Path) -> Registry:
    after = Registry.open(copy_register(db, tmp / "after.db"))
    after.load(*files)
    return after


def oracle_agrees(before: Registry, after: Registry, diff, days: list[date]) -> None:
    """On each day, `check` differs between the registers for exactly the persons and powers the
    diff lists for that day."""
    state = after.state()
    listed = {(c.person, c.power, c.entity, d) for c in diff.changes for d in days
              if (c.start is None or c.start <= d) and (c.end is None or d <= c.end)}
    for d in days:
        for person in sorted(state.persons):
            for power in sorted(state.catalogue.powers):
                for entity in ("gemeente", "ocmw"):
                    differs = authority(before, person, power, d, entity) != authority(after, person, power, d, entity)
                    assert differs == ((person, power, entity, d) in listed), (person, power, entity, d)


def days_around(diff) -> list[date]:
    """Each change's first and last day, the days just outside them, and a few fixed ones."""
    out = {date(2025, 1, 15), date(2025, 5, 2), date(2025, 7, 10), date(2025, 12, 31), date(2026, 3, 1)}
    for c in diff.changes:
        for d in (c.start, c.end):
            if d is not None:
                out |= {d - timedelta(days=1), d, d + timedelta(days=1)}
    return sorted(out)


# -- the acceptance case: budgethouderschap moves from one head of service to another ----------

def test_moving_budgethouderschap_lists_exactly_who_loses_and_who_gains(example_db: Path, tmp_path: Path) -> None:
    with Registry.open(example_db) as reg:
        before_head = reg.head
        d = diff_files(reg, DRAFT)
        assert reg.head == before_head  # nothing written
        assert summary(d) == {("lost", "p-001", VERBINTENIS, "2025-11-01", None),
                              ("gained", "p-005", VERBINTENIS, "2025-11-01", None)}
        gained, lost = d.of("gained")[0], d.of("lost")[0]
        assert gained.after.limits == lost.before.limits == {
            "max_amount": "8500.00", "annual_ceiling": "20000.00", "budget_keys": ["0119/6140*"], "units": ["aankoop"]}
        assert "grant:AD-2025-0040/1" in gained.after.chains[0] and "grant:AD-2025-0007/1" in lost.before.chains[0]
        assert [g.grant for g in d.grants_of("new")] == ["AD-2025-0040/1"]
        assert [(g.grant, g.revocation["effective_from"]) for g in d.grants_of("revoked")] == [("AD-2025-0007/1", "2025-11-01")]
        assert d.findings == ()
        with imported(example_db, tmp_path, DRAFT) as after:
            oracle_agrees(reg, after, d, days_around(d))


def test_the_cli_tells_the_clerk_in_dutch_and_english(example_db: Path) -> None:
    nl = cli("--db", example_db, "diff", DRAFT)
    assert nl.code == 0, nl
    assert "Bevoegdheid verkregen (1)\n  p-005 Eli Proef: budgethouderschap.verbintenis vanaf 1 november 2025" in nl.out
    assert "Bevoegdheid verloren (1)\n  p-001 Anna Voorbeeld: budgethouderschap.verbintenis vanaf 1 november 2025" in nl.out
    assert "max. per handeling: 8.500,00 EUR" in nl.out and "ingetrokken: AD-2025-0007/1 aan dh-aankoop vanaf 1 november 2025" in nl.out
    en = cli("--db", example_db, "--lang", "en", "diff", DRAFT)
    assert en.code == 0 and "Authority gained (1)\n  p-005 Eli Proef: budgethouderschap.verbintenis from 1 November 2025" in en.out
    r = cli("--db", example_db, "--json", "diff", DRAFT)
    data = r.json
    assert {"gained", "lost", "changed", "grants", "findings"} <= set(data)
    assert [(c["person"], c["power"], c["from"], c["until"]) for c in data["gained"]] == [("p-005", VERBINTENIS, "2025-11-01", None)]
    assert data["lost"][0]["before"]["limits"]["max_amount"] == "8500.00" and data["lost"][0]["after"] is None
    assert data["grants"]["new"][0]["grant"] == "AD-2025-0040/1" and data["changed"] == []


# -- more general drafts -------------------------------------------------------------------------

def test_revoking_the_college_grant_to_the_ad_cuts_everything_below_from_that_date(example_db: Path, tmp_path: Path) -> None:
    f = draft(tmp_path, revocations=[{"target": "CBS-2025-0412/1", "effective_from": "2025-09-01", "by": "CBS-2025-0900"}])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        # p-004 left the technical service on 31 August; the acting head p-011 had AD-2025-0007/2 only
        # until its own revocation on 1 October; p-002 stood in for p-001 only in July.
        assert summary(d) == {
            ("lost", "p-003", VERBINTENIS, "2025-09-01", None), ("lost", "p-003", FACTUUR, "2025-09-01", None),
            ("lost", "p-001", VERBINTENIS, "2025-09-01", None),
            ("lost", "p-011", VERBINTENIS, "2025-09-01", "2025-09-30"), ("lost", "p-011", FACTUUR, "2025-09-01", "2025-09-30"),
        }
        assert {g.grant for g in d.grants_of("revoked")} == {"CBS-2025-0412/1"}
        with imported(example_db, tmp_path, f) as after:
            oracle_agrees(reg, after, d, days_around(d))


def reissued(did: str, new_id: str, start: str, change) -> dict[str, Any]:
    """A decision taken again under a new id (decisions are never edited), its grants renamed."""
    dec = example_decision(did)
    dec.update(id=new_id, decided_on=start, effective_from=start, source=f"https://example.invalid/{new_id}")
    for g in dec["grants"]:
        g["id"] = g["id"].replace(did, new_id)
    change(dec)
    return dec


def test_narrowed_limits_are_a_change_of_scope_for_the_holder_and_the_substitute(example_db: Path, tmp_path: Path) -> None:
    def narrow(dec: dict[str, Any]) -> None:
        dec["grants"] = dec["grants"][:1]
        dec["grants"][0]["limits"]["max_amount"] = 5000

    f = draft(tmp_path, decisions=[reissued("AD-2025-0007", "AD-2025-0041", "2025-06-01", narrow)],
              revocations=[{"target": "AD-2025-0007/1", "effective_from": "2025-06-01", "by": "AD-2025-0041"}])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        # p-002 stands in for the head of purchasing during her absence in July.
        assert summary(d) == {("changed", "p-001", VERBINTENIS, "2025-06-01", None),
                              ("changed", "p-002", VERBINTENIS, "2025-07-01", "2025-07-21")}
        for c in d.changes:
            assert c.aspects == ("limits", "chains")  # same reporting duty, now under the new grant
            assert (c.before.limits["max_amount"], c.after.limits["max_amount"]) == ("8500.00", "5000.00")
            assert {k: v for k, v in c.before.limits.items() if k != "max_amount"} == \
                {k: v for k, v in c.after.limits.items() if k != "max_amount"}
        assert [g.grant for g in d.grants_of("new")] == ["AD-2025-0041/1"]
        assert [g.grant for g in d.grants_of("revoked")] == ["AD-2025-0007/1"]
        with imported(example_db, tmp_path, f) as after:
            oracle_agrees(reg, after, d, days_around(d))


def test_a_new_subdelegation_gives_the_head_and_his_substitute_a_power(example_db: Path, tmp_path: Path) -> None:
    dec = {"id": "AD-2025-0050", "title": "Factuurgoedkeuring aankoop", "by": "ad", "decided_on": "2025-05-20",
           "effective_from": "2025-06-01", "legal_basis": "REGLEMENT-BUDGETHOUDERSCHAP",
           "source": "https://example.invalid/voorbeeldegem/besluiten/AD-2025-0050",
           "grants": [{"id": "AD-2025-0050/1", "to": "dh-aankoop", "powers": [FACTUUR],
                       "limits": {"max_amount": 5000, "budget_keys": ["0119/6140*"], "units": ["aankoop"]},
                       "reporting": [{"to": "ad", "every": "quarter", "within_days": 30, "content": "lijst"}]}]}
    f = draft(tmp_path, decisions=[dec])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        assert summary(d) == {("gained", "p-001", FACTUUR, "2025-06-01", None),
                              ("gained", "p-002", FACTUUR, "2025-07-01", "2025-07-21")}
        sub = next(c for c in d.changes if c.person == "p-002")
        assert [c["code"] for c in sub.after.conditions] == ["NOTIFY_ABSENT_HOLDER"]
        assert sub.after.chains[0][-1] == "substitution:adj-aankoop:dh-aankoop"
        with imported(example_db, tmp_path, f) as after:
            oracle_agrees(reg, after, d, days_around(d))


def test_a_subdelegation_one_level_too_deep_gains_nothing(example_db: Path, tmp_path: Path) -> None:
    # CBS-2025-0412/1 allows one level below the AD; a grant by the head of purchasing is a second.
    dec = {"id": "DH-2025-0001", "title": "Verdere subdelegatie", "by": "dh-aankoop", "decided_on": "2025-05-20",
           "effective_from": "2025-06-01", "legal_basis": "REGLEMENT-BUDGETHOUDERSCHAP",
           "grants": [{"id": "DH-2025-0001/1", "to": "adj-aankoop", "powers": [VERBINTENIS], "under": "AD-2025-0007/1",
                       "limits": {"max_amount": 1000},
                       "reporting": [{"to": "ad", "every": "quarter", "within_days": 30, "content": "lijst"}]}]}
    f = draft(tmp_path, decisions=[dec])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        assert d.changes == ()
        assert [g.grant for g in d.grants_of("new")] == ["DH-2025-0001/1"]
        with imported(example_db, tmp_path, f) as after:
            assert not after.check("p-002", VERBINTENIS, "2025-06-10").allowed


def test_a_new_appointment_hands_the_signature_delegation_to_the_successor(example_db: Path, tmp_path: Path) -> None:
    f = draft(tmp_path, persons=[{"id": "p-013", "name": "Mo Opvolger"}],
              appointments=[{"person": "p-010", "position": "dh-secretariaat", "from": "2020-01-01", "until": "2025-12-31"},
                            {"person": "p-013", "position": "dh-secretariaat", "from": "2026-01-01"}])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        assert summary(d) == {("lost", "p-010", "medeondertekening", "2026-01-01", None),
                              ("gained", "p-013", "medeondertekening", "2026-01-01", None)}
        assert d.of("gained")[0].name == "Mo Opvolger"
        assert d.of("gained")[0].after.signature_mention == "Voor de algemeen directeur, bij delegatie (besluit AD-2025-0020)"
        assert d.grants == ()
        with imported(example_db, tmp_path, f) as after:
            oracle_agrees(reg, after, d, days_around(d))


def test_a_lower_visum_threshold_is_a_changed_condition_only_where_amounts_reach_it(example_db: Path, tmp_path: Path) -> None:
    def lower(dec: dict[str, Any]) -> None:
        dec["grants"][0]["requires"]["visum_above"] = 15000

    f = draft(tmp_path, decisions=[reissued("CBS-2025-0412", "CBS-2025-0500", "2025-06-01", lower)],
              revocations=[{"target": "CBS-2025-0412/1", "effective_from": "2025-06-01", "by": "CBS-2025-0500"}])
    with Registry.open(example_db) as reg:
        d = diff_files(reg, f)
        # Everyone below the AD now holds through the new grant; only the AD (25 000 per act) and the
        # head of the technical service (whose grant tries to go above the AD's and stays at 25 000)
        # reach the visum, the head of purchasing (8 500) never does.
        aspects = {(c.person, c.power): c.aspects for c in d.changes}
        assert {k for k, _ in aspects} == {"p-001", "p-002", "p-003", "p-004", "p-011"}
        assert all(c.kind == "changed" for c in d.changes)
        for c in d.changes:
            reaches = c.person in ("p-003", "p-004", "p-011")
            assert c.aspects == (("conditions", "chains") if reaches else ("chains",)), c
            if reaches:
                # the grant's own threshold (DLB-177's visum by law, without a threshold, stays the same)
                assert {x["above"] for x in c.before.conditions if x.get("grant")} == {"20000.00"}
                assert {x["above"] for x in c.after.conditions if x.get("grant")} == {"15000.00"}
        with imported(example_db, tmp_path, f) as after:
            oracle_agrees(reg, after, d, [date(2025, 6, 2), date(2025, 9, 15)])


def test_a_draft_with_errors_changes_nothing_and_says_why(example_db: Path, tmp_path: Path) -> None:
    f = draft(tmp_path, revocations=[{"target": "AD-2025-9999/1", "effective_from": "2025-13-01", "by": "X"}])
    before = head(example_db)
    r = cli("--db", example_db, "--json", "diff", f)
    assert r.code == 2, r
    paths = {x["path"] for x in r.json["findings"]}
    assert "revocations[0].effective_from" in paths
    assert head(example_db) == before


def test_diff_options_are_checked(example_db: Path) -> None:
    assert cli("--db", example_db, "diff").code == 2
    assert cli("--db", example_db, "diff", DRAFT, "--as-known-on", "2025-01-01").code == 2
    assert cli("--db", example_db, "diff", DRAFT, "--to", "2025-01-01").code == 2
    r = cli("--db", example_db, "diff", "--as-known-on", "gisteren")
    assert r.code == 2 and "--as-known-on" in r.err


def test_the_html_page_is_self_contained_and_escapes_every_name(example_db: Path, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    f = draft(tmp_path, persons=[{"id": "p-013", "name": evil}],
              appointments=[{"person": "p-013", "position": "dh-secretariaat", "from": "2026-01-01"}])
    out = tmp_path / "gevolgen.html"
    r = cli("--db", example_db, "diff", f, "--out", out)
    assert r.code == 0, r
    html = out.read_text(encoding="utf-8")
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in html
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not any(x in html.lower() for x in ("<script", "<link", " src=", "@import", "url("))  # nothing from outside
    assert 'id="gained"' in html and "medeondertekening" in html


# -- between two moments of the register --------------------------------------------------------

def test_between_two_moments_shows_what_the_import_in_between_changed(example_db: Path, tmp_path: Path) -> None:
    with Registry.open(example_db) as reg:
        planned = diff_files(reg, DRAFT)
        t1 = list(reg.history())[-1].recorded_at
        reg.load(DRAFT)
        seen = diff_moments(reg, t1)
        assert summary(seen) == summary(planned)
        assert [g.grant for g in seen.grants_of("new")] == ["AD-2025-0040/1"]
        assert seen.before["as_known_on"] == t1 and seen.after["as_known_on"] is None
        assert summary(diff_moments(reg, t1, t1)) == set()
        # Reversed, the same persons with gained and lost swapped.
        back = diff_moments(reg, list(reg.history())[-1].recorded_at, t1)
        assert {(k, p) for k, p, *_ in summary(back)} == {("gained", "p-001"), ("lost", "p-005")}
    r = cli("--db", example_db, "--json", "diff", "--as-known-on", t1)
    assert r.code == 0 and [c["person"] for c in r.json["gained"]] == ["p-005"]


def test_between_two_moments_uses_spent_in_between_change_nothing(example_db: Path) -> None:
    with Registry.open(example_db) as reg:
        t1 = list(reg.history())[-1].recorded_at
        for ref, amount in (("BB-1", "8000"), ("BB-2", "8000"), ("BB-3", "4000")):
            answer = reg.check("p-001", VERBINTENIS, "2025-08-04", amount=amount, budget_key="0119/6140000", unit="aankoop")
            assert reg.record_use(answer, ref).allowed
        # The yearly ceiling of AD-2025-0007/1 (20 000 EUR) is used up now, not as known at t1 ...
        assert not reg.check("p-001", VERBINTENIS, "2025-09-01").allowed
        assert reg.check("p-001", VERBINTENIS, "2025-09-01", as_known_on=t1).allowed
        # ... but no decision changed in between: both sides count the uses as known at the later moment.
        assert diff_moments(reg, t1).changes == ()


# -- the narrowing never changes the result (property) ------------------------------------------

GRANTS = ["GR-2025-0015/1", "CBS-2025-0412/1", "AD-2025-0007/1", "AD-2025-0007/2", "AD-2025-0011/1", "AD-2025-0011/2",
          "AD-2025-0020/1", "VZGR-2025-0002/1"]
POSITIONS = ["dh-aankoop", "adj-aankoop", "dh-techniek", "dh-personeel", "vormingsverantwoordelijke", "dh-secretariaat",
             "fd", "rl-01"]
POWERS = [VERBINTENIS, FACTUUR, "budgethouderschap", "dagelijks_personeelsbeheer.verlof", "medeondertekening"]
DAY = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 3, 1)).map(date.isoformat)


@st.composite
def drafts(draw) -> dict[str, Any]:
    sections: dict[str, list] = {"decisions": [], "revocations": [], "appointments": [], "absences": []}
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["revoke", "limits", "grant", "appointment", "absence"]))
        if kind == "revoke":
            sections["revocations"].append({"target": draw(st.sampled_from(GRANTS)), "effective_from": draw(DAY), "by": f"X-{i}"})
        elif kind == "limits":  # taken again with another maximum, the old grant revoked
            did = draw(st.sampled_from(["CBS-2025-0412", "AD-2025-0007", "AD-2025-0011"]))
            start, index, top = draw(DAY), draw(st.integers(0, 1)), draw(st.sampled_from([500, 5000, 9000, 30000]))

            def change(dec: dict[str, Any], index: int = index, top: int = top) -> None:
                dec["grants"] = dec["grants"][index:index + 1] or dec["grants"][:1]
                dec["grants"][0].setdefault("limits", {})["max_amount"] = top

            dec = reissued(did, f"{did}-{i}", start, change)
            sections["decisions"].append(dec)
            sections["revocations"].append({"target": dec["grants"][0]["id"].replace(f"{did}-{i}", did),
                                            "effective_from": start, "by": dec["id"]})
        elif kind == "grant":
            start = draw(DAY)
            sections["decisions"].append({
                "id": f"AD-2025-09{i}", "title": "Ontwerp", "by": "ad", "decided_on": start, "effective_from": start,
                "legal_basis": draw(st.sampled_from(["REGLEMENT-BUDGETHOUDERSCHAP", "DLB-170", "DLB-283"])),
                "grants": [{"id": f"AD-2025-09{i}/1", "to": draw(st.sampled_from(POSITIONS)),
                            "powers": [draw(st.sampled_from(POWERS))], "limits": {"max_amount": 3000},
                            "reporting": [{"to": "ad", "every": "quarter", "within_days": 30, "content": "lijst"}]}]})
        elif kind == "appointment":
            start = draw(DAY)
            sections["appointments"].append({"person": draw(st.sampled_from(["p-002", "p-006", "p-009", "p-012"])),
                                             "position": draw(st.sampled_from(POSITIONS)), "from": start})
        else:
            start = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 1)))
            sections["absences"].append({"person": draw(st.sampled_from(["p-001", "p-003", "p-003", "p-005", "p-010"])),
                                         "from": start.isoformat(), "until": (start + timedelta(days=20)).isoformat()})
    return {k: v for k, v in sections.items() if v}


# An adjunct-algemeen directeur in the register before the draft: should the rules let the adjunct
# stand in for an absent AD (DLB-175), a draft with only an absence of the AD must reach the adjunct.
ADJUNCT = {"positions": [{"id": "adj-ad", "name": "Adjunct-algemeen directeur", "kind": "adjunct_algemeen_directeur",
                          "unit": "bestuur"}],
           "persons": [{"id": "p-013", "name": "Mo Adjunct"}],
           "appointments": [{"person": "p-013", "position": "adj-ad", "from": "2024-01-01"}]}


def _narrowing_is_exact(example_template: Path, tmp_path_factory: pytest.TempPathFactory, sections: dict[str, Any]) -> None:
    tmp = tmp_path_factory.mktemp("whatif")
    db = copy_register(example_template, tmp / "before.db")
    f = draft(tmp, **sections)
    with Registry.open(db) as reg:
        reg.load(draft(tmp, "adjunct.yaml", **ADJUNCT))
        if any(x.severity == "error" for x in reg.validate(f)):
            return  # an import that would be refused changes nothing (tested above)
        before = reg.state()
        after = after_state(before, [f])
        sides = (Side(before, lambda q: reg.ask(q), {}), Side(after, lambda q: reg.ask(q, state=after), {}))
        narrowed, full = compare(*sides), compare(*sides, narrow=False)
        assert [c.to_dict() for c in narrowed.changes] == [c.to_dict() for c in full.changes]
        with imported(db, tmp, f) as real:
            # The state the comparison assumes is the one the import leaves.
            assert {k: len(v) for k, v in real.state().grants.items()} == {k: len(v) for k, v in after.grants.items()}
            oracle_agrees(reg, real, narrowed, days_around(narrowed)[::3])


test_narrowing_is_exact, test_narrowing_is_exact_thoroughly = property_tests(_narrowing_is_exact, 6, 40, sections=drafts())


@pytest.mark.slow
def test_narrowing_is_exact_on_a_generated_city(tmp_path: Path) -> None:
    """The same on the benchmark's small city (260 persons, 700 grants, subdelegation four levels
    deep): one draft that revokes a grant of the algemeen directeur, adds an absence and appoints
    someone; the narrowed comparison equals asking every person, power and date."""
    from bench.generate import Params, write

    city = tmp_path / "city.json"
    write(city, Params.small())
    with Registry.init(tmp_path / "city.db") as reg:
        reg.load(city, today=date(2025, 6, 30))
        state = reg.state()
        by_ad = sorted(g.id for g, d in state.grants.values() if d.by == "ad" and d.effective_until is None)
        person = sorted(state.persons)[7]
        position = sorted(state.positions)[11]
        admin = {"id": state.administration.id, "name": state.administration.name}
        f = write_yaml(tmp_path / "ontwerp.yaml", {
            "format": "delegaties/1", "administration": admin,
            "revocations": [{"target": by_ad[len(by_ad) // 2], "effective_from": "2025-11-01", "by": "AD-2025-9000"}],
            "absences": [{"person": person, "from": "2025-08-01", "until": "2025-08-31"}],
            "appointments": [{"person": person, "position": position, "from": "2025-10-01"}]})
        after = after_state(state, [f])
        sides = (Side(state, lambda q: reg.ask(q), {}), Side(after, lambda q: reg.ask(q, state=after), {}))
        narrowed, full = compare(*sides), compare(*sides, narrow=False)
        assert narrowed.changes and [c.to_dict() for c in narrowed.changes] == [c.to_dict() for c in full.changes]
