"""`delegaties check --json`: every reason and condition code of contract section 4, through the CLI.

Codes the bundled example reaches are asked of it; the others of "Proefgem", a small fictional
register written by this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CONDITION_CODES,
    REASON_CODES,
    VALIDATION_ERRORS,
    VALIDATION_WARNINGS,
    VERBINTENIS,
    base_register,
    check_json,
    cli,
    cli_process,
    conditions_with,
    copy_register,
    decision,
    grant,
    head,
    new_register,
    reasons_with,
)

FACTUUR = "budgethouderschap.factuurgoedkeuring"
P001_ORDER = ["--power", VERBINTENIS, "--on", "2025-05-02", "--budget-key", "0119/6140000", "--unit", "aankoop"]


def proefgem() -> dict[str, Any]:
    """Purpose-made register for the codes the example does not reach."""
    return base_register(
        decisions=[
            decision("CBS-T-01", "college", [
                grant("CBS-T-01/1", "ad", ["budgethouderschap"],
                      limits={"max_amount": 50000, "annual_ceiling": 100000,
                              "excluded": ["budgethouderschap.subsidieaanvraag"]},
                      requires={"visum_above": 30000}, subdelegation={"allowed": True, "max_depth": 1}),
            ]),
            decision("AD-T-01", "ad", [
                grant("AD-T-01/1", "dh-a", [VERBINTENIS, FACTUUR],
                      limits={"max_amount": 5000, "annual_ceiling": 12000, "budget_keys": ["0119/61*"],
                              "units": ["aankoop"]},
                      requires={"cosignature_by": "fd"}, subdelegation={"allowed": True, "max_depth": 1}),
                grant("AD-T-01/2", "dh-t", limits={"max_amount": 3000, "units": ["techniek"]}),
                grant("AD-T-01/3", "med-b", limits={"max_amount": 1000, "units": ["techniek"], "only_when_absent": "dh-t"}),
            ]),
            decision("AD-T-02", "ad", [grant("AD-T-02/1", "dh-t", [FACTUUR])], effective_until="2025-06-30"),
            # two levels below CBS-T-01/1, which allows one
            decision("DHA-T-01", "dh-a", [grant("DHA-T-01/1", "med-c", under="AD-T-01/1")], effective_from="2025-02-01"),
            # below AD-T-01/2, which allows no subdelegation
            decision("DHT-T-01", "dh-t", [grant("DHT-T-01/1", "med-b", under="AD-T-01/2")], effective_from="2025-02-01"),
            decision("VZ-T-01", "vz", [grant("VZ-T-01/1", "rl", ["ondertekening"],
                                             limits={"document_types": ["briefwisseling"], "issuers": ["gemeenteraad"]})],
                     basis="DLB-281"),
            decision("AD-T-03", "ad", [grant("AD-T-03/1", "sec", ["medeondertekening"],
                                             limits={"document_types": ["briefwisseling"], "issuers": ["gemeenteraad"]})],
                     basis="DLB-283"),
        ],
        # q-09 is council member and, in this fictional register, also secretariat staff: both signatures
        appointments=[{"person": "q-09", "position": "sec", "from": "2020-01-01"}],
        absences=[{"person": "q-03", "from": "2025-07-01", "until": "2025-07-14"},
                  {"person": "q-06", "from": "2025-08-01", "until": "2025-08-15"}],
    )


@pytest.fixture(scope="module")
def registers(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("check")
    example = copy_register(example_template, tmp / "voorbeeldegem.db")
    proef = new_register(tmp, proefgem(), "proefgem")
    # Two uses of 5000 under AD-T-01/1 (annual ceiling 12000) leave 2000 for the rest of 2025.
    for ref in ("PG-2025-0001", "PG-2025-0002"):
        r = cli("--db", proef, "--json", "check", "--actor", "q-03", "--power", VERBINTENIS, "--on", "2025-03-03",
                "--amount", "5000", "--budget-key", "0119/6140000", "--unit", "aankoop", "--record", ref)
        assert r.code == 0 and r.json["recorded"] == ref, r
    return {"example": example, "proefgem": proef}


@dataclass
class Case:
    name: str
    register: str
    args: list[str]
    code: str
    grant: str | None = None
    rule: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.code in CONDITION_CODES


CASES = [
    # -- reasons (refused, exit 1) ------------------------------------------------------------
    Case("no-authority", "example", ["--actor", "p-009", "--power", VERBINTENIS, "--on", "2025-05-02"], "NO_AUTHORITY"),
    Case("not-yet-effective", "example", ["--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-01-15"],
         "NOT_YET_EFFECTIVE", grant="AD-2025-0007/1"),
    Case("expired-grant", "proefgem", ["--actor", "q-06", "--power", FACTUUR, "--on", "2025-07-15"],
         "EXPIRED", grant="AD-T-02/1"),
    Case("expired-appointment", "example", ["--actor", "p-004", "--power", VERBINTENIS, "--on", "2025-09-15"], "EXPIRED"),
    Case("revoked", "example", ["--actor", "p-011", "--power", VERBINTENIS, "--on", "2025-10-15", "--amount", "500",
                                "--budget-key", "0200/6100000", "--unit", "techniek"],
         "REVOKED", grant="AD-2025-0007/2", details={"revoked_from": "2025-10-01", "revoked_by": "AD-2025-0031"}),
    Case("amount-above-limit", "example", ["--actor", "p-001", *P001_ORDER, "--amount", "9000"],
         "AMOUNT_ABOVE_LIMIT", grant="AD-2025-0007/1", details={"limit": "8500.00"}),
    Case("annual-ceiling", "proefgem", ["--actor", "q-03", "--power", VERBINTENIS, "--on", "2025-11-03", "--amount", "3000",
                                        "--budget-key", "0119/6140000", "--unit", "aankoop"],
         "ANNUAL_CEILING_EXCEEDED", grant="AD-T-01/1",
         details={"ceiling": "12000.00", "used": "10000.00", "remaining": "2000.00"}),
    Case("budget-key", "example", ["--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "100",
                                   "--budget-key", "0200/6100000"],
         "BUDGET_KEY_OUT_OF_SCOPE", grant="AD-2025-0007/1"),
    Case("unit", "example", ["--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--unit", "techniek"],
         "UNIT_OUT_OF_SCOPE", grant="AD-2025-0007/1"),
    Case("document-type", "example", ["--actor", "p-010", "--power", "medeondertekening", "--on", "2025-06-01",
                                      "--document-type", "besluit", "--issuer", "college"],
         "DOCUMENT_TYPE_OUT_OF_SCOPE", grant="AD-2025-0020/1"),
    Case("issuer-grant", "example", ["--actor", "p-010", "--power", "medeondertekening", "--on", "2025-06-01",
                                     "--document-type", "briefwisseling", "--issuer", "gemeenteraad"],
         "ISSUER_OUT_OF_SCOPE", grant="AD-2025-0020/1"),
    Case("issuer-rule", "example", ["--actor", "p-009", "--power", "ondertekening", "--on", "2025-06-01",
                                    "--document-type", "briefwisseling", "--issuer", "college"],
         "ISSUER_OUT_OF_SCOPE", rule="DLB-279"),
    Case("power-excluded", "proefgem", ["--actor", "q-01", "--power", "budgethouderschap.subsidieaanvraag",
                                        "--on", "2025-05-02"],
         "POWER_EXCLUDED", grant="CBS-T-01/1", details={"item": "budgethouderschap.subsidieaanvraag"}),
    Case("subdelegation-not-allowed", "proefgem", ["--actor", "q-05", "--power", VERBINTENIS, "--on", "2025-05-02"],
         "SUBDELEGATION_NOT_ALLOWED", grant="DHT-T-01/1", details={"parent": "AD-T-01/2"}),
    Case("subdelegation-too-deep", "proefgem", ["--actor", "q-11", "--power", VERBINTENIS, "--on", "2025-05-02"],
         "SUBDELEGATION_TOO_DEEP", grant="DHA-T-01/1", details={"parent": "CBS-T-01/1"}),
    Case("not-delegable", "example", ["--actor", "p-010", "--power", "medeondertekening", "--on", "2025-06-01",
                                      "--document-type", "notulen", "--issuer", "college"],
         "NOT_DELEGABLE", grant="AD-2025-0020/1", rule="DLB-283"),
    Case("conflict", "example", ["--actor", "p-001", *P001_ORDER, "--amount", "1200", "--matter", "KBO:0999999999"],
         "CONFLICT_OF_INTEREST", details={"person": "p-001", "matter": "KBO:0999999999"}),
    Case("holder-not-absent-substitute", "example", ["--actor", "p-002", *P001_ORDER, "--amount", "1200"],
         "HOLDER_NOT_ABSENT"),
    Case("holder-not-absent-grant", "proefgem", ["--actor", "q-05", "--power", VERBINTENIS, "--on", "2025-05-02",
                                                 "--unit", "techniek"],
         "HOLDER_NOT_ABSENT", grant="AD-T-01/3"),
    # -- conditions (allowed, exit 0) ----------------------------------------------------------
    Case("cosignature", "proefgem", ["--actor", "q-03", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "100"],
         "COSIGNATURE_REQUIRED", grant="AD-T-01/1", details={"by": "fd"}),
    Case("visum", "example", ["--actor", "p-003", *P001_ORDER, "--amount", "22000"],
         "VISUM_REQUIRED", grant="CBS-2025-0412/1", details={"above": "20000.00"}),
    Case("notify-substitute", "example", ["--actor", "p-002", "--power", VERBINTENIS, "--on", "2025-07-10",
                                          "--amount", "1200", "--budget-key", "0119/6140000", "--unit", "aankoop"],
         "NOTIFY_ABSENT_HOLDER", details={"position": "dh-aankoop", "holders": ["p-001"]}),
    Case("notify-only-when-absent", "proefgem", ["--actor", "q-05", "--power", VERBINTENIS, "--on", "2025-08-05",
                                                 "--unit", "techniek"],
         "NOTIFY_ABSENT_HOLDER", grant="AD-T-01/3", details={"position": "dh-t", "holders": ["q-06"]}),
]


def test_every_contract_code_has_a_case() -> None:
    covered = {c.code for c in CASES} | {"SAME_PERSON"}  # SAME_PERSON: check-signature, below
    assert covered == set(REASON_CODES) | set(CONDITION_CODES)


def test_implementation_knows_exactly_the_contract_codes() -> None:
    from delegations import answer, validate

    assert set(answer.REASON_CODES) == set(REASON_CODES)
    assert set(answer.CONDITION_CODES) == set(CONDITION_CODES)
    assert set(validate.ERRORS) == set(VALIDATION_ERRORS)
    assert set(validate.WARNINGS) == set(VALIDATION_WARNINGS)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_code_through_cli(case: Case, registers: dict[str, Path]) -> None:
    code, answer = check_json(registers[case.register], *case.args)
    assert answer["allowed"] is case.allowed
    assert code == (0 if case.allowed else 1)
    found = conditions_with(answer, case.code) if case.allowed else reasons_with(answer, case.code)
    assert found, answer
    # the reason names the grant or rule it concerns (or neither, for person-level reasons)
    matching = [f for f in found if f.get("grant") == case.grant and f.get("rule") == case.rule]
    assert matching, found
    for key, value in case.details.items():
        assert matching[0][key] == value, matching[0]
    for f in answer["reasons"] + answer["conditions"]:
        assert isinstance(f["text"], str) and f["text"].strip()
    if case.allowed:
        assert answer["chains"] and not answer["reasons"]
    else:
        assert answer["chains"] == []
        for r in answer["reasons"]:
            if "chain" in r:
                assert 0 <= r["chain"] < len(answer["candidates"])


def test_same_person_through_check_signature(registers: dict[str, Path]) -> None:
    db = registers["proefgem"]
    args = ["--document-type", "briefwisseling", "--issuer", "gemeenteraad", "--on", "2025-05-02"]
    r = cli("--db", db, "--json", "check-signature", *args, "--signer", "q-09", "--cosigner", "q-09")
    assert r.code == 1, r
    data = r.json
    assert data["allowed"] is False
    # each role on its own is authorised: the pair fails only because it is one person
    assert data["signer"]["allowed"] is True and data["cosigner"]["allowed"] is True
    assert [x["code"] for x in data["reasons"]] == ["SAME_PERSON"]
    assert data["reasons"][0]["person"] == "q-09"
    ok = cli("--db", db, "--json", "check-signature", *args, "--signer", "q-09", "--cosigner", "q-01")
    assert ok.code == 0 and ok.json["allowed"] is True, ok


# -- input errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("option, typo, meant", [
    ("--actor", "p_001", "p-001"),
    ("--actor", "dh-aankop", "dh-aankoop"),
    ("--power", "budgethouderschap.verbintenissen", VERBINTENIS),
    ("--power", "medeondertekenen", "medeondertekening"),
])
def test_unknown_id_is_input_error_with_suggestion(registers: dict[str, Path], option: str, typo: str, meant: str) -> None:
    db = registers["example"]
    args = {"--actor": "p-001", "--power": VERBINTENIS} | {option: typo}
    argv = [x for kv in args.items() for x in kv] + ["--on", "2025-05-02"]
    as_json = cli("--db", db, "--json", "check", *argv)
    assert as_json.code == 2, as_json
    assert as_json.json["exit"] == 2
    message = as_json.json["error"]
    assert message.startswith(f"{option}: '{typo}'"), message
    # the closest known id is suggested first
    assert message.split("bedoelde u: ", 1)[1].split(",")[0].rstrip("?") == meant, message
    plain = cli("--db", db, "check", *argv)
    assert plain.code == 2 and meant in plain.err and "Traceback" not in plain.err
    english = cli("--db", db, "--lang", "en", "check", *argv)
    assert english.code == 2 and "did you mean" in english.err and meant in english.err


@pytest.mark.parametrize("option, typo, meant", [
    ("--unit", "aankop", "aankoop"),
    ("--issuer", "colege", "college"),
    ("--document-type", "brief", "briefwisseling"),
])
def test_unknown_scope_id_is_input_error(registers: dict[str, Path], option: str, typo: str, meant: str) -> None:
    r = cli("--db", registers["example"], "--json", "check", "--actor", "p-001", "--power", VERBINTENIS,
            "--on", "2025-05-02", option, typo)
    assert r.code == 2, r
    assert r.json["error"].startswith(f"{option}: '{typo}'") and meant in r.json["error"]


@pytest.mark.parametrize("value", ["2025-02-30", "02/05/2025", "2025-5-2", "morgen", "2025-05-02T10:00"])
def test_bad_on_is_input_error(registers: dict[str, Path], value: str) -> None:
    r = cli("--db", registers["example"], "--json", "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", value)
    assert r.code == 2, r
    assert "--on" in r.json["error"] and value in r.json["error"]


@pytest.mark.parametrize("value", ["abc", "-5", "1,5", "1.234", "1e3", "NaN", "Infinity", ""])
def test_bad_amount_is_input_error(registers: dict[str, Path], value: str) -> None:
    r = cli("--db", registers["example"], "--json", "check", "--actor", "p-001", "--power", VERBINTENIS,
            "--on", "2025-05-02", "--amount", value)
    assert r.code == 2, r
    assert "--amount" in r.json["error"]


def test_input_errors_write_nothing(registers: dict[str, Path], tmp_path: Path) -> None:
    db = copy_register(registers["example"], tmp_path / "copy.db")
    before = head(db)
    r = cli("--db", db, "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "x",
            "--record", "BB-X-1")
    assert r.code == 2
    assert head(db) == before


# -- language and output form --------------------------------------------------------------------

def test_english_reason_texts(registers: dict[str, Path]) -> None:
    db = registers["example"]
    args = ["--actor", "p-001", *P001_ORDER, "--amount", "9000"]
    _, nl = check_json(db, *args)
    code, en = check_json(db, *args, "--lang", "en")  # global option after the subcommand
    assert code == 1
    nl_text = reasons_with(nl, "AMOUNT_ABOVE_LIMIT")[0]["text"]
    en_text = reasons_with(en, "AMOUNT_ABOVE_LIMIT")[0]["text"]
    assert "9.000,00 EUR" in nl_text and "8.500,00 EUR" in nl_text and "per handeling" in nl_text
    assert en_text.startswith("Amount 9000.00 EUR exceeds the limit of 8500.00 EUR per act")
    # codes and structure do not depend on the language
    assert [r["code"] for r in nl["reasons"]] == [r["code"] for r in en["reasons"]]
    plain = cli("--db", db, "--lang", "en", "check", *args)
    assert plain.code == 1
    assert "REFUSED" in plain.out and "Reasons:" in plain.out and "GEWEIGERD" not in plain.out
    dutch = cli("--db", db, "check", *args)
    assert "GEWEIGERD" in dutch.out and "Redenen:" in dutch.out


def test_english_condition_text(registers: dict[str, Path]) -> None:
    _, en = check_json(registers["example"], "--actor", "p-002", "--power", VERBINTENIS, "--on", "2025-07-10",
                       "--lang", "en")
    assert conditions_with(en, "NOTIFY_ABSENT_HOLDER")[0]["text"] == \
        "Inform p-001 (absent, holder of dh-aankoop) at once."


def test_allowed_answer_has_contract_shape(registers: dict[str, Path]) -> None:
    db = registers["example"]
    code, a = check_json(db, "--actor", "p-001", *P001_ORDER, "--amount", "1200")
    assert code == 0 and a["allowed"] is True
    assert set(a) >= {"allowed", "question", "chains", "effective_limits", "conditions", "reasons",
                      "signature_mention", "reporting", "register"}
    assert a["question"] == {"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02", "amount": "1200.00",
                             "budget_key": "0119/6140000", "unit": "aankoop", "document_type": None, "issuer": None,
                             "matter": None, "entity": "gemeente"}
    chain = a["chains"][0]
    assert [s["step"] for s in chain] == ["law", "grant", "grant", "appointment"]
    law, top, sub, appointment = chain
    assert (law["rule"], law["holder"]) == ("REGLEMENT-BUDGETHOUDERSCHAP", "college")
    assert (top["grant"], top["decision"], top["to"]) == ("CBS-2025-0412/1", "CBS-2025-0412", "ad")
    assert top["source"] == "https://example.invalid/voorbeeldegem/besluiten/CBS-2025-0412"
    assert (sub["grant"], sub["decision"], sub["to"]) == ("AD-2025-0007/1", "AD-2025-0007", "dh-aankoop")
    assert appointment == {"step": "appointment", "person": "p-001", "position": "dh-aankoop", "capacity": "titular"}
    # the narrower grant binds: the excess of wider steps never shows up in the effective limits
    assert a["effective_limits"] == {"max_amount": "8500.00", "annual_ceiling": "20000.00",
                                     "budget_keys": ["0119/6140*"], "units": ["aankoop"]}
    assert {(r["to"], r["every"]) for r in a["reporting"]} == {("college", "quarter"), ("ad", "month")}
    seq, digest = head(db)
    assert a["register"] == {"seq": seq, "head": digest}


def test_acting_appointment_is_an_acting_step(registers: dict[str, Path]) -> None:
    code, a = check_json(registers["example"], "--actor", "p-011", "--power", VERBINTENIS, "--on", "2025-09-15",
                         "--amount", "500", "--budget-key", "0200/6100000", "--unit", "techniek")
    assert code == 0
    last = a["chains"][0][-1]
    assert last == {"step": "acting", "person": "p-011", "position": "dh-techniek", "capacity": "acting"}
    assert [s["step"] for s in a["chains"][0]][:-1] == ["law", "grant", "grant"]


def test_substitution_step(registers: dict[str, Path]) -> None:
    code, a = check_json(registers["example"], "--actor", "p-002", *P001_ORDER[:2], "--on", "2025-07-10")
    assert code == 0
    last = a["chains"][0][-1]
    assert last == {"step": "substitution", "person": "p-002", "position": "adj-aankoop", "capacity": "titular",
                    "for": "dh-aankoop"}


def test_child_process_gives_the_same_answer(registers: dict[str, Path]) -> None:
    args = ["--db", registers["example"], "check", "--actor", "p-001", *P001_ORDER, "--amount", "9000", "--json"]
    child = cli_process(*args)
    assert child.code == 1, child
    assert child.json == cli(*args).json


def test_a_refusal_in_text_names_the_grants_of_its_chain(example_db: Path) -> None:
    """Grant steps cite their rule as well: the text summary shows the grants, which tell chains apart."""
    r = cli("--db", example_db, "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02",
            "--amount", "9000")
    assert r.code == 1
    line = next(x for x in r.out.splitlines() if "AMOUNT_ABOVE_LIMIT" in x)
    assert "CBS-2025-0412/1 -> AD-2025-0007/1 -> p-001" in line
