"""The stories of `delegaties demo`, told through the CLI on examples/voorbeeldegem.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import VERBINTENIS, check_json, cli, conditions_with, copy_register, reasons_with

AANKOOP = ["--budget-key", "0119/6140000", "--unit", "aankoop"]
TECHNIEK = ["--budget-key", "0200/6100000", "--unit", "techniek"]


@pytest.fixture(scope="module")
def db(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read-only copy for the whole module; tests that write use `example_db`."""
    return copy_register(example_template, tmp_path_factory.mktemp("scenarios") / "voorbeeldegem.db")


def ask(db: Path, actor: str, on: str, *args: str, power: str = VERBINTENIS) -> tuple[int, dict[str, Any]]:
    return check_json(db, "--actor", actor, "--power", power, "--on", on, *args)


def grants_of(chain: list[dict[str, Any]]) -> list[str]:
    return [s["grant"] for s in chain if s["step"] == "grant"]


def refused_everywhere(answer: dict[str, Any], code: str) -> bool:
    """Every candidate chain fails, and each for (at least) this reason."""
    chains = {r["chain"] for r in answer["reasons"] if r["code"] == code}
    return not answer["allowed"] and chains == set(range(len(answer["candidates"])))


# -- 1, 2: the head of purchasing ----------------------------------------------------------------

def test_order_within_limits_is_allowed_with_its_chain(db: Path) -> None:
    code, a = ask(db, "p-001", "2025-05-02", "--amount", "1200", *AANKOOP)
    assert code == 0 and a["allowed"]
    assert grants_of(a["chains"][0]) == ["CBS-2025-0412/1", "AD-2025-0007/1"]
    assert a["chains"][0][0]["step"] == "law" and a["chains"][0][-1]["person"] == "p-001"
    # every chain listed is a valid one, ending in the same appointment
    assert all(c[-1] == a["chains"][0][-1] for c in a["chains"])


def test_order_above_amount_per_act_is_refused(db: Path) -> None:
    code, a = ask(db, "p-001", "2025-05-02", "--amount", "9000", *AANKOOP)
    assert code == 1
    assert refused_everywhere(a, "AMOUNT_ABOVE_LIMIT")
    assert {r["grant"] for r in reasons_with(a, "AMOUNT_ABOVE_LIMIT")} == {"AD-2025-0007/1"}
    code, a = ask(db, "p-001", "2025-05-02", "--amount", "8500", *AANKOOP)
    assert code == 0, a  # the limit itself is allowed


# -- 3: the head of the technical service widens his grant ---------------------------------------

def test_widening_head_gets_nothing_beyond_parent(db: Path) -> None:
    code, a = ask(db, "p-004", "2025-05-02", "--amount", "30000", *TECHNIEK)
    assert code == 1
    assert refused_everywhere(a, "AMOUNT_ABOVE_LIMIT")
    assert {r["grant"] for r in reasons_with(a, "AMOUNT_ABOVE_LIMIT")} == {"CBS-2025-0412/1"}
    assert {r["limit"] for r in reasons_with(a, "AMOUNT_ABOVE_LIMIT")} == {"25000.00"}
    # a key inside the child's 0200/* but outside the parent's 0200/61*
    code, a = ask(db, "p-004", "2025-05-02", "--amount", "100", "--budget-key", "0200/7000000", "--unit", "techniek")
    assert code == 1
    assert refused_everywhere(a, "BUDGET_KEY_OUT_OF_SCOPE")
    assert {r["grant"] for r in reasons_with(a, "BUDGET_KEY_OUT_OF_SCOPE")} == {"CBS-2025-0412/1"}
    # within the parent: allowed, and the effective limits are the parent's where it is narrower
    code, a = ask(db, "p-004", "2025-05-02", "--amount", "24000", *TECHNIEK)
    assert code == 0
    assert a["effective_limits"]["max_amount"] == "25000.00"
    assert a["effective_limits"]["budget_keys"] == ["0200/61*"]
    assert a["effective_limits"]["annual_ceiling"] == "250000.00"
    assert conditions_with(a, "VISUM_REQUIRED")  # the parent's visum above 20000 travels down


@pytest.mark.parametrize("amount", ["25000.01", "40000", "50000"])
def test_excess_of_the_widened_grant_is_refused(db: Path, amount: str) -> None:
    code, a = ask(db, "p-004", "2025-05-02", "--amount", amount, *TECHNIEK)
    assert code == 1 and refused_everywhere(a, "AMOUNT_ABOVE_LIMIT")


# -- 4, 5: the acting head of the technical service, before and after the revocation --------------

def test_acting_appointment(db: Path) -> None:
    code, a = ask(db, "p-011", "2025-09-15", "--amount", "500", *TECHNIEK)
    assert code == 0
    assert a["chains"][0][-1] == {"step": "acting", "person": "p-011", "position": "dh-techniek", "capacity": "acting"}
    assert grants_of(a["chains"][0]) == ["CBS-2025-0412/1", "AD-2025-0007/2"]
    code, a = ask(db, "p-011", "2025-10-15", "--amount", "500", *TECHNIEK)
    assert code == 1 and refused_everywhere(a, "REVOKED")
    assert {r["grant"] for r in reasons_with(a, "REVOKED")} == {"AD-2025-0007/2"}
    code, a = ask(db, "p-011", "2025-08-15", "--amount", "500", *TECHNIEK)
    assert code == 1 and refused_everywhere(a, "NOT_YET_EFFECTIVE")
    # the titular head's appointment ended when the acting one began
    code, a = ask(db, "p-004", "2025-09-15", "--amount", "500", *TECHNIEK)
    assert code == 1 and refused_everywhere(a, "EXPIRED")
    code, a = ask(db, "p-004", "2025-08-31", "--amount", "500", *TECHNIEK)
    assert code == 0


# -- 9: substitution during the absence of p-001 (2025-07-01 .. 2025-07-21) ----------------------

@pytest.mark.parametrize("on", ["2025-07-01", "2025-07-10", "2025-07-21"])
def test_substitution_during_absence(db: Path, on: str) -> None:
    code, a = ask(db, "p-002", on, "--amount", "1200", *AANKOOP)
    assert code == 0, a
    step = a["chains"][0][-1]
    assert step == {"step": "substitution", "person": "p-002", "position": "adj-aankoop", "capacity": "titular",
                    "for": "dh-aankoop"}
    notify = conditions_with(a, "NOTIFY_ABSENT_HOLDER")
    assert notify and notify[0]["holders"] == ["p-001"] and notify[0]["position"] == "dh-aankoop"
    assert "p-001" in notify[0]["text"]
    # the substitute stands in within the holder's limits, not beyond
    code, a = ask(db, "p-002", on, "--amount", "9000", *AANKOOP)
    assert code == 1 and refused_everywhere(a, "AMOUNT_ABOVE_LIMIT")


@pytest.mark.parametrize("on", ["2025-05-02", "2025-06-30", "2025-07-22"])
def test_no_substitution_outside_absence(db: Path, on: str) -> None:
    code, a = ask(db, "p-002", on, "--amount", "1200", *AANKOOP)
    assert code == 1
    assert refused_everywhere(a, "HOLDER_NOT_ABSENT")
    assert all(c[-1]["step"] == "substitution" for c in a["candidates"])


# -- 10: conflict of interest ---------------------------------------------------------------------

def test_conflict_of_interest(db: Path) -> None:
    code, a = ask(db, "p-001", "2025-05-02", "--amount", "1200", *AANKOOP, "--matter", "KBO:0999999999")
    assert code == 1 and refused_everywhere(a, "CONFLICT_OF_INTEREST")
    assert a["question"]["matter"] == "KBO:0999999999"
    code, _ = ask(db, "p-001", "2025-05-02", "--amount", "1200", *AANKOOP, "--matter", "KBO:0123123123")
    assert code == 0
    # the conflict is personal: the algemeen directeur may act in that matter
    code, _ = ask(db, "p-003", "2025-05-02", "--amount", "1200", *AANKOOP, "--matter", "KBO:0999999999")
    assert code == 0


# -- the yearly ceiling of AD-2025-0007/1 (20 000 EUR), through check --record --------------------

def record(db: Path, ref: str, amount: str, on: str = "2025-08-04", actor: str = "p-001"):
    return cli("--db", db, "--json", "check", "--actor", actor, "--power", VERBINTENIS, "--on", on,
               "--amount", amount, *AANKOOP, "--record", ref)


def test_ceiling_reached_through_record(example_db: Path) -> None:
    for ref in ("BB-2025-0101", "BB-2025-0102"):
        r = record(example_db, ref, "8000")
        assert r.code == 0 and r.json["recorded"] == ref, r
    r = record(example_db, "BB-2025-0103", "8000")
    assert r.code == 1 and r.json["recorded"] is None
    reason = reasons_with(r.json, "ANNUAL_CEILING_EXCEEDED")[0]
    assert (reason["grant"], reason["ceiling"], reason["used"], reason["remaining"]) == \
        ("AD-2025-0007/1", "20000.00", "16000.00", "4000.00")
    # exactly up to the ceiling is still allowed, one cent more is not
    r = record(example_db, "BB-2025-0104", "4000")
    assert r.code == 0 and r.json["recorded"] == "BB-2025-0104", r
    r = record(example_db, "BB-2025-0105", "0.01")
    assert r.code == 1 and reasons_with(r.json, "ANNUAL_CEILING_EXCEEDED")
    # a new calendar year starts from zero
    r = record(example_db, "BB-2026-0001", "8000", on="2026-01-05")
    assert r.code == 0, r
    # the ceiling belongs to the grant of the head of purchasing, not to its parent's holder
    code, _ = ask(example_db, "p-003", "2025-08-04", "--amount", "8000", *AANKOOP)
    assert code == 0
    kinds = [e["kind"] for e in cli("--db", example_db, "--json", "history").json]
    assert kinds.count("use.recorded") == 4 and kinds.count("use.refused") == 2
    assert cli("--db", example_db, "fsck").code == 0


# -- who -----------------------------------------------------------------------------------------

def who(db: Path, *args: str) -> dict[str, Any]:
    r = cli("--db", db, "--json", "who", *args)
    assert r.code == 0, r
    return r.json


@pytest.mark.parametrize("args, persons", [
    (["--power", VERBINTENIS, "--on", "2025-05-02"], ["p-001", "p-003", "p-004"]),
    (["--power", VERBINTENIS, "--on", "2025-05-02", "--matter", "KBO:0999999999"], ["p-003", "p-004"]),
    (["--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "9000"], ["p-003", "p-004"]),
    (["--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "100", *AANKOOP], ["p-001", "p-003"]),
    (["--power", VERBINTENIS, "--on", "2025-09-15"], ["p-001", "p-003", "p-011"]),
    (["--power", VERBINTENIS, "--on", "2025-01-10"], []),
    (["--power", "medeondertekening", "--on", "2025-06-01", "--document-type", "briefwisseling",
      "--issuer", "college"], ["p-003", "p-010"]),
    (["--power", "dagelijks_personeelsbeheer.vorming", "--on", "2025-04-01"], ["p-003", "p-006"]),
    (["--power", "ondertekening", "--on", "2025-06-01", "--document-type", "briefwisseling", "--issuer", "college"],
     ["p-007"]),
    (["--power", "ondertekening", "--on", "2025-06-01", "--document-type", "briefwisseling",
      "--issuer", "gemeenteraad"], ["p-008", "p-009"]),
    (["--power", "ondertekening", "--on", "2025-06-01", "--document-type", "besluit", "--issuer", "gemeenteraad"],
     ["p-008"]),
    (["--power", VERBINTENIS, "--on", "2025-05-02", "--entity", "ocmw"], []),
])
def test_who_lists_exactly(db: Path, args: list[str], persons: list[str]) -> None:
    data = who(db, *args)
    assert data["persons"] == persons
    assert [a["question"]["actor"] for a in data["answers"]] == persons
    assert all(a["allowed"] and a["chains"] for a in data["answers"])


def test_who_includes_substitute_during_absence(db: Path) -> None:
    data = who(db, "--power", VERBINTENIS, "--on", "2025-07-10", *AANKOOP)
    assert "p-002" in data["persons"]
    answer = data["answers"][data["persons"].index("p-002")]
    assert answer["chains"][0][-1]["step"] == "substitution"


# -- check-signature for correspondence ----------------------------------------------------------

def signature(db: Path, signer: str, cosigner: str, issuer: str = "college", document_type: str = "briefwisseling",
              on: str = "2025-06-01") -> tuple[int, dict[str, Any]]:
    r = cli("--db", db, "--json", "check-signature", "--document-type", document_type, "--issuer", issuer,
            "--signer", signer, "--cosigner", cosigner, "--on", on)
    assert r.code in (0, 1), r
    return r.code, r.json


@pytest.mark.parametrize("signer, cosigner, issuer", [
    ("p-007", "p-010", "college"),      # mayor signs, delegated staff member co-signs
    ("p-007", "p-003", "college"),      # mayor and algemeen directeur
    ("p-007", "p-010", "burgemeester"),
    ("p-008", "p-003", "gemeenteraad"),  # council chair and algemeen directeur
    ("p-009", "p-003", "gemeenteraad"),  # council member by delegation of the chair (DLB-281)
])
def test_signature_pair_allowed(db: Path, signer: str, cosigner: str, issuer: str) -> None:
    code, s = signature(db, signer, cosigner, issuer)
    assert code == 0 and s["allowed"] is True, s
    assert s["reasons"] == []
    assert s["signer"]["allowed"] and s["cosigner"]["allowed"]
    assert (s["document_type"], s["issuer"], s["on"]) == ("briefwisseling", issuer, "2025-06-01")


def test_signature_mention_of_the_delegated_cosigner(db: Path) -> None:
    _, s = signature(db, "p-007", "p-010")
    assert s["signature_mentions"] == {"signer": None,
                                       "cosigner": "Voor de algemeen directeur, bij delegatie (besluit AD-2025-0020)"}


def test_signature_same_person(db: Path) -> None:
    code, s = signature(db, "p-007", "p-007")
    assert code == 1 and s["allowed"] is False
    same = [r for r in s["reasons"] if r["code"] == "SAME_PERSON"]
    assert same and same[0]["person"] == "p-007"


@pytest.mark.parametrize("signer, cosigner, issuer, role, code", [
    ("p-007", "p-001", "college", "cosigner", "NO_AUTHORITY"),        # head of purchasing may not co-sign
    ("p-010", "p-003", "college", "signer", "NO_AUTHORITY"),          # delegated co-signer is no signer
    ("p-009", "p-010", "gemeenteraad", "cosigner", "ISSUER_OUT_OF_SCOPE"),  # p-010 only for college/mayor
    ("p-009", "p-003", "college", "signer", "ISSUER_OUT_OF_SCOPE"),   # DLB-281 delegation covers council documents
])
def test_signature_pair_where_one_lacks_authority(db: Path, signer: str, cosigner: str, issuer: str, role: str,
                                                  code: str) -> None:
    exit_code, s = signature(db, signer, cosigner, issuer)
    assert exit_code == 1 and s["allowed"] is False
    assert s[role]["allowed"] is False
    other = "signer" if role == "cosigner" else "cosigner"
    assert s[other]["allowed"] is True
    assert {(r["role"], r["code"]) for r in s["reasons"]} >= {(role, code)}
    assert all(r.get("role") == role for r in s["reasons"])


def test_minutes_of_the_college_are_not_cosigned_by_delegation(db: Path) -> None:
    code, s = signature(db, "p-007", "p-010", document_type="notulen")
    assert code == 1
    assert ("cosigner", "NOT_DELEGABLE") in {(r.get("role"), r["code"]) for r in s["reasons"]}
    code, s = signature(db, "p-007", "p-003", document_type="notulen")
    assert code == 0, s


# -- the demo itself -----------------------------------------------------------------------------

def test_demo_runs_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo may leave a report in the working directory
    nl = cli("demo")
    assert nl.code == 0, nl
    assert "BB-2025-0103: ANNUAL_CEILING_EXCEEDED" in nl.out and "Integriteit (fsck): in orde" in nl.out
    en = cli("demo", "--lang", "en")
    assert en.code == 0 and "Integrity (fsck): OK" in en.out and "ALLOWED" in en.out
