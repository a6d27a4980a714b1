"""The Flemish rulebook made right (issue 11), every point through `delegaties ... --json`.

The register is "Proefdorp" (tests/lawdata.py): a gemeente and its OCMW sharing one algemeen
directeur (AD) and one financieel directeur (FD). Each test names the article its answer follows
from; each answer must name that article in its chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import check_json, cli, conditions_with, reasons_with, write_yaml
from tests.lawdata import VERBINTENIS, decision, grant, proefdorp

NOTULEN_GR = ["--issuer", "gemeenteraad", "--document-type", "notulen"]
BRIEF = ["--document-type", "briefwisseling"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("law")
    path = tmp / "proefdorp.db"
    r = cli("--db", path, "--json", "import", write_yaml(tmp / "proefdorp.yaml", proefdorp()))
    assert r.code == 0, r
    assert r.json["findings"] == [], r.json["findings"]  # a lawful register raises no noise
    return path


def register(tmp_path: Path, data: dict[str, Any], name: str = "r") -> Path:
    path = tmp_path / f"{name}.db"
    r = cli("--db", path, "--json", "import", write_yaml(tmp_path / f"{name}.yaml", data))
    assert r.code == 0, r
    return path


def validate(tmp_path: Path, data: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    r = cli("--db", tmp_path / "absent.db", "--json", "validate", write_yaml(tmp_path / "file.yaml", data))
    assert r.code in (0, 2), r
    return r.code, r.json["findings"]


def ask(db: Path, actor: str, power: str, on: str, *args: str) -> tuple[int, dict[str, Any]]:
    return check_json(db, "--actor", actor, "--power", power, "--on", on, *args)


def steps(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(step, rule) of the first chain."""
    return [(s["step"], s.get("basis") or s.get("rule")) for s in answer["chains"][0]]


def every_step_cites(answer: dict[str, Any]) -> bool:
    """Every legal step (law, grant, replacement, waarneming) names the article it rests on."""
    return all("article" in s for c in answer["chains"] for s in c if s["step"] != "appointment"
               and not (s["step"] == "acting" and "rule" not in s))


# -- kinds are an is-a hierarchy ------------------------------------------------------------------

@pytest.mark.parametrize("actor, grant_id", [("d-s1", "VZGR-2025-01/1"), ("d-bm", "VZGR-2025-01/2")])
def test_council_chair_delegates_signing_to_a_schepen_and_the_burgemeester(db: Path, actor: str, grant_id: str) -> None:
    """DLB-281: schepenen and the burgemeester are council members."""
    code, a = ask(db, actor, "ondertekening", "2025-05-02", "--issuer", "gemeenteraad", *BRIEF)
    assert code == 0 and a["allowed"], a
    assert steps(a)[:2] == [("law", "DLB-279"), ("grant", "DLB-281")]
    assert a["chains"][0][1]["grant"] == grant_id and every_step_cites(a)


@pytest.mark.parametrize("actor, document_type", [("d-aad", "briefwisseling"), ("d-fd", "bestelbon")])
def test_ad_delegates_cosigning_to_adjunct_and_financieel_directeur(db: Path, actor: str, document_type: str) -> None:
    """DLB-283: the adjunct-algemeen directeur and the financieel directeur are staff members."""
    code, a = ask(db, actor, "medeondertekening", "2025-05-02", "--issuer", "college", "--document-type", document_type)
    assert code == 0, a
    assert steps(a)[:2] == [("law", "DLB-279"), ("grant", "DLB-283")]
    assert a["signature_mention"].startswith("Bij delegatie van de algemeen directeur")


@pytest.mark.parametrize("actor, power", [("d-aad", VERBINTENIS), ("d-fd", "budgethouderschap.factuurgoedkeuring")])
def test_ad_delegates_budgethouderschap_to_adjunct_and_financieel_directeur(db: Path, actor: str, power: str) -> None:
    """DLB-57: the college reaches staff through the AD, and both directors are staff."""
    code, a = ask(db, actor, power, "2025-05-02", "--amount", "1000")
    assert code == 0, a
    assert [r for _s, r in steps(a)][-2:] == ["DLB-57", None]
    assert every_step_cites(a)


# -- missing rules ----------------------------------------------------------------------------------

def test_burgemeester_delegates_signing_to_a_college_member_not_the_notulen(db: Path) -> None:
    """DLB-280."""
    code, a = ask(db, "d-s3", "ondertekening", "2025-05-02", "--issuer", "college", *BRIEF)
    assert code == 0 and steps(a)[1] == ("grant", "DLB-280"), a
    code, a = ask(db, "d-s3", "ondertekening", "2025-05-02", "--issuer", "college", "--document-type", "notulen")
    assert code == 1
    assert {(r["rule"], r["grant"]) for r in reasons_with(a, "NOT_DELEGABLE")} >= {("DLB-280", "BM-2025-01/1")}


def test_burgemeester_may_delegate_only_to_college_members(tmp_path: Path) -> None:
    data = proefdorp(decisions=[decision("BM-X", "bm", [grant("BM-X/1", "rl", ["ondertekening"])], "DLB-280")])
    code, findings = validate(tmp_path, data)
    assert code == 2
    assert [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
        [("TARGET_NOT_ELIGIBLE", "decisions[10].grants[0].to")]


def test_ocmw_council_entrusts_to_vast_bureau_which_delegates_to_the_ad(db: Path) -> None:
    """DLB-78, DLB-85: a chain for the OCMW cites the OCMW's own articles."""
    code, a = ask(db, "d-soc", VERBINTENIS, "2025-05-02", "--entity", "ocmw", "--amount", "1000")
    assert code == 0, a
    assert steps(a) == [("law", "DLB-78"), ("grant", "DLB-78"), ("grant", "DLB-85"), ("grant", "DLB-85"),
                        ("appointment", None)]
    assert a["question"]["entity"] == "ocmw" and every_step_cites(a)


def test_vast_bureau_holds_its_own_powers_under_art_84(db: Path) -> None:
    """DLB-84 (the vast bureau's own powers), not DLB-85 (its delegation to the AD)."""
    code, a = ask(db, "vast_bureau", VERBINTENIS, "2025-05-02", "--entity", "ocmw")
    assert code == 0
    # its own power first; what the OCMW council entrusted to it (DLB-78) is a second chain
    assert [c[0]["rule"] for c in a["chains"]] == ["DLB-84", "DLB-78"]
    assert a["chains"][0] == [{"step": "law", "rule": "DLB-84", "holder": "vast_bureau", "article": "DLB art. 84",
                               "source": a["chains"][0][0]["source"]}]


def test_adjunct_replaces_the_absent_ad_by_law(db: Path) -> None:
    """DLB-175: nothing is registered, the AD is absent from 1 to 31 July 2025."""
    code, a = ask(db, "d-aad", "medeondertekening", "2025-07-10", *NOTULEN_GR)
    assert code == 0, a
    assert a["chains"][0][-1] == {"step": "substitution", "person": "d-aad", "position": "aad", "capacity": "titular",
                                  "for": "ad", "rule": "DLB-175", "article": "DLB art. 175"}
    # a local arrangement's notice to the absent holder is no condition of the decree
    assert a["conditions"] == []
    code, a = ask(db, "d-aad", "medeondertekening", "2025-05-10", *NOTULEN_GR)
    assert code == 1
    assert {r["rule"] for r in reasons_with(a, "HOLDER_NOT_ABSENT")} == {"DLB-175"}


def test_conflict_of_interest_of_the_ad_makes_the_adjunct_competent(db: Path) -> None:
    """DLB-175: 'verhinderd' includes a conflict of interest in one file."""
    matter = ["--matter", "KBO:0888888888"]
    code, a = ask(db, "d-ad", "medeondertekening", "2025-05-10", *NOTULEN_GR, *matter)
    assert code == 1 and reasons_with(a, "CONFLICT_OF_INTEREST")
    code, a = ask(db, "d-aad", "medeondertekening", "2025-05-10", *NOTULEN_GR, *matter)
    assert code == 0, a
    assert a["chains"][0][-1]["rule"] == "DLB-175"
    # in another file the AD is not prevented
    code, a = ask(db, "d-aad", "medeondertekening", "2025-05-10", *NOTULEN_GR, "--matter", "KBO:0111111111")
    assert code == 1 and reasons_with(a, "HOLDER_NOT_ABSENT")


def test_waarnemend_ad_exercises_every_power_of_the_office(tmp_path: Path) -> None:
    """DLB-166: a waarnemend AD (an acting appointment) co-signs even the council's notulen, and
    only while the AD is absent, prevented or the office vacant."""
    acting = {"person": "d-fin", "position": "ad", "from": "2025-07-01", "until": "2025-07-31", "capacity": "acting"}
    db = register(tmp_path, proefdorp(appointments=[acting]))
    code, a = ask(db, "d-fin", "medeondertekening", "2025-07-10", *NOTULEN_GR)
    assert code == 0, a
    assert a["chains"][0][-1] == {"step": "acting", "person": "d-fin", "position": "ad", "capacity": "acting",
                                  "rule": "DLB-166", "article": "DLB art. 166"}
    early = dict(acting, **{"from": "2025-05-01", "until": "2025-05-31"})
    db = register(tmp_path, proefdorp(appointments=[early]), "present")
    code, a = ask(db, "d-fin", "medeondertekening", "2025-05-10", *NOTULEN_GR)
    assert code == 1 and {r["rule"] for r in reasons_with(a, "HOLDER_NOT_ABSENT")} == {"DLB-166"}


def test_waarnemend_burgemeester_is_the_designated_schepen_else_the_first_in_rank(db: Path) -> None:
    """DLB-63: the burgemeester is absent 1-15 August 2025; he designated sch-2 (absent 10-15 August)."""
    college = ["--issuer", "college", "--document-type", "besluit"]
    code, a = ask(db, "d-s2", "ondertekening", "2025-08-05", *college)
    assert code == 0, a
    assert a["chains"][0][-1]["rule"] == "DLB-63" and a["conditions"] == []
    code, a = ask(db, "d-s1", "ondertekening", "2025-08-05", *college)
    assert code == 1 and {r["rule"] for r in reasons_with(a, "HOLDER_NOT_ABSENT")} == {"DLB-63"}
    code, a = ask(db, "d-s1", "ondertekening", "2025-08-12", *college)  # the designated one is away too
    assert code == 0 and a["chains"][0][-1]["for"] == "bm"
    code, a = ask(db, "d-s2", "ondertekening", "2025-07-10", *college)  # the burgemeester is present
    assert code == 1


def test_burgemeester_chairs_and_signs_for_the_vast_bureau(db: Path) -> None:
    """DLB-279: a vast bureau document is an OCMW document, signed by its chair, the burgemeester."""
    r = cli("--db", db, "--json", "check-signature", "--document-type", "besluit", "--issuer", "vast_bureau",
            "--signer", "d-bm", "--cosigner", "d-ad", "--on", "2025-05-05")
    assert r.code == 0, r
    law = r.json["signer"]["chains"][0][0]
    assert (law["rule"], law["holder"], law["office"]) == ("DLB-279", "voorzitter_vast_bureau", "burgemeester")
    assert r.json["signer"]["question"]["entity"] == "ocmw"


def test_commitment_needs_the_visum_unless_the_visum_regulation_exempts_it(db: Path) -> None:
    """DLB-177: Proefdorp's council exempts commitments up to 8 500 EUR."""
    code, a = ask(db, "d-fin", VERBINTENIS, "2025-05-05", "--amount", "9000")
    assert code == 0
    visum = conditions_with(a, "VISUM_REQUIRED")
    assert [(c["rule"], c["by"]) for c in visum] == [("DLB-177", "financieel_directeur")]
    code, a = ask(db, "d-fin", VERBINTENIS, "2025-05-05", "--amount", "8000")
    assert code == 0 and conditions_with(a, "VISUM_REQUIRED") == []
    # the OCMW has no visum regulation recorded: every commitment of the OCMW needs the visum
    code, a = ask(db, "d-soc", VERBINTENIS, "2025-05-05", "--entity", "ocmw", "--amount", "10")
    assert code == 0 and [c["rule"] for c in conditions_with(a, "VISUM_REQUIRED")] == ["DLB-177"]


def test_visum_regulation_by_budget_key_and_kind(tmp_path: Path) -> None:
    rule = {"id": "VISUM-OCMW", "title": "Visumreglement OCMW", "holder": "ocmw_raad", "entity": "ocmw",
            "visum_exempt": [{"budget_keys": ["0900/61*"]}, {"powers": ["budgethouderschap.verbintenis.energie"]}],
            "source": "https://example.invalid/proefdorp/visum-ocmw"}
    power = {"id": "budgethouderschap.verbintenis.energie", "name": "Energiecontracten"}
    db = register(tmp_path, proefdorp(rules=[rule], powers=[power]))
    ocmw = ["--entity", "ocmw", "--amount", "2000"]
    code, a = ask(db, "d-soc", VERBINTENIS, "2025-05-05", *ocmw, "--budget-key", "0900/6130000")
    assert code == 0 and not conditions_with(a, "VISUM_REQUIRED")
    code, a = ask(db, "d-soc", VERBINTENIS, "2025-05-05", *ocmw, "--budget-key", "0900/6200000")
    assert code == 0 and conditions_with(a, "VISUM_REQUIRED")
    code, a = ask(db, "d-soc", "budgethouderschap.verbintenis.energie", "2025-05-05", *ocmw)
    assert code == 0 and not conditions_with(a, "VISUM_REQUIRED")


def test_visum_regulation_is_the_councils(tmp_path: Path) -> None:
    rule = {"id": "VISUM-X", "title": "Visumreglement", "holder": "college", "entity": "gemeente",
            "visum_exempt": [{"max_amount": 100000}]}
    code, findings = validate(tmp_path, proefdorp(rules=[rule]))
    assert code == 2 and ("FORMAT", "rules[1].holder") in {(f["code"], f["path"]) for f in findings}


def test_bcsd_decides_on_individual_aid_and_does_not_delegate_to_staff(db: Path, tmp_path: Path) -> None:
    """The BCSD decides on individual aid; its chair takes urgent decisions; no delegation to staff."""
    code, a = ask(db, "bcsd", "individuele_hulp.toekenning", "2025-05-05", "--entity", "ocmw")
    assert code == 0 and a["chains"][0][0]["rule"] == "DLB-BCSD"
    code, a = ask(db, "d-vb", "individuele_hulp.spoed", "2025-05-05", "--entity", "ocmw")
    assert code == 0 and a["chains"][0][0]["rule"] == "DLB-BCSD-VOORZITTER"
    code, a = ask(db, "d-vb", "individuele_hulp.toekenning", "2025-05-05", "--entity", "ocmw")
    assert code == 1
    bad = proefdorp(decisions=[decision("BCSD-X", "bcsd", [grant("BCSD-X/1", "mw-soc", ["individuele_hulp.toekenning"])],
                                        "DLB-BCSD", entity="ocmw")])
    code, findings = validate(tmp_path, bad)
    assert code == 2
    assert [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
        [("NOT_DELEGABLE", "decisions[10].grants[0].powers[0]")]


def test_bcsd_documents_signed_by_its_chair_and_the_ad(db: Path) -> None:
    """Reading of DLB-279 for the BCSD (documented in the rulebook, overridable)."""
    r = cli("--db", db, "--json", "check-signature", "--document-type", "besluit", "--issuer", "bcsd",
            "--signer", "d-vb", "--cosigner", "d-ad", "--on", "2025-05-05")
    assert r.code == 0, r
    assert r.json["signer"]["chains"][0][0]["rule"] == "DLB-279-BCSD"


def test_bcsd_signing_reading_is_overridden_by_a_local_rule(tmp_path: Path) -> None:
    rule = {"id": "BCSD-ONDERTEKENING", "title": "Ondertekening BCSD door de voorzitter van het vast bureau",
            "holder": "voorzitter_vast_bureau", "entity": "ocmw", "powers": ["ondertekening"], "issuers": ["bcsd"],
            "overrides": ["DLB-279-BCSD"], "source": "https://example.invalid/proefdorp/bcsd"}
    db = register(tmp_path, proefdorp(rules=[rule]))
    sign = ["--power", "ondertekening", "--on", "2025-05-05", "--issuer", "bcsd", "--document-type", "besluit"]
    code, a = check_json(db, "--actor", "d-vb", *sign)
    assert code == 1
    code, a = check_json(db, "--actor", "d-bm", *sign)
    assert code == 0 and a["chains"][0][0]["rule"] == "BCSD-ONDERTEKENING"
    assert a["chains"][0][0]["basis"] == "DLB-279-BCSD"


def test_only_overridable_rules_can_be_overridden(tmp_path: Path) -> None:
    rule = {"id": "X-283", "title": "Ook de notulen", "holder": "algemeen_directeur", "powers": ["medeondertekening"],
            "delegable_to": ["personeelslid"], "overrides": ["DLB-283"]}
    code, findings = validate(tmp_path, proefdorp(rules=[rule]))
    assert code == 2 and ("UNKNOWN_REFERENCE", "rules[1].overrides[0]") in {(f["code"], f["path"]) for f in findings}


def test_notulen_of_the_council_reading_of_281_and_its_override(db: Path, tmp_path: Path) -> None:
    """DLB-281 read as excluding the notulen (documented); a local rule that overrides it lifts that
    for the decisions that cite it."""
    code, a = ask(db, "d-s1", "ondertekening", "2025-05-02", *NOTULEN_GR)
    assert code == 1 and {r["rule"] for r in reasons_with(a, "NOT_DELEGABLE")} == {"DLB-281"}
    rule = {"id": "LOKAAL-281", "title": "Delegatie van de ondertekening, ook de notulen", "holder": "voorzitter_gemeenteraad",
            "powers": ["ondertekening"], "delegable_to": ["raadslid"], "overrides": ["DLB-281"]}
    own = decision("VZ-O", "vz-gr", [grant("VZ-O/1", "rl", ["ondertekening"], limits={"issuers": ["gemeenteraad"]})],
                   "LOKAAL-281")
    db2 = register(tmp_path, proefdorp(rules=[rule], decisions=[own]))
    code, a = ask(db2, "d-rl", "ondertekening", "2025-05-02", *NOTULEN_GR)
    assert code == 0 and a["chains"][0][1]["rule"] == "LOKAAL-281" and a["chains"][0][1]["basis"] == "DLB-281"
    code, a = ask(db2, "d-s1", "ondertekening", "2025-05-02", *NOTULEN_GR)  # cites DLB-281 itself
    assert code == 1


# -- procurement steps, the person concerned --------------------------------------------------------

def test_procurement_policy_choice_stays_with_the_college(db: Path, tmp_path: Path) -> None:
    """DLB-56/57: the college fixes the procedure and awards; the administration orders."""
    code, a = ask(db, "d-ad", "overheidsopdracht.bestelling", "2025-05-02", "--amount", "100")
    assert code == 0 and steps(a)[-2] == ("grant", "DLB-57")
    code, a = ask(db, "college", "overheidsopdracht.gunning", "2025-05-02")
    assert code == 0 and a["chains"][0][0]["rule"] == "DLB-56"
    code, a = ask(db, "d-ad", "overheidsopdracht.gunning", "2025-05-02")
    assert code == 1
    for power, path in (("overheidsopdracht.gunning", "decisions[10].grants[0].powers[0]"),
                        ("overheidsopdracht", "decisions[10].grants[0].powers[0]")):
        bad = proefdorp(decisions=[decision("CBS-G", "college", [grant("CBS-G/1", "ad", [power])], "DLB-57")])
        code, findings = validate(tmp_path, bad)
        assert code == 2 and [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
            [("NOT_DELEGABLE", path)], findings


def test_dagelijks_personeelsbeheer_not_for_the_decretal_grades(db: Path) -> None:
    """--concerns: the act concerns a person; the grant excludes the decretal grades."""
    code, a = ask(db, "d-pers", "dagelijks_personeelsbeheer.verlof", "2025-05-05", "--concerns", "d-mw")
    assert code == 0 and a["question"]["concerns"] == "d-mw"
    for person in ("d-fd", "d-ad", "d-aad"):
        code, a = ask(db, "d-pers", "dagelijks_personeelsbeheer.verlof", "2025-05-05", "--concerns", person)
        assert code == 1
        assert [(r["grant"], r["item"]) for r in reasons_with(a, "POWER_EXCLUDED")] == [("AD-2025-04/1", "decretale_graad")]
    # acting in one's own file
    code, a = ask(db, "d-pers", "dagelijks_personeelsbeheer.verlof", "2025-05-05", "--concerns", "d-pers")
    assert code == 1 and reasons_with(a, "CONFLICT_OF_INTEREST")
    r = cli("--db", db, "--json", "check", "--actor", "d-pers", "--power", "dagelijks_personeelsbeheer.verlof",
            "--concerns", "d-onbekend")
    assert r.code == 2 and "d-onbekend" in r.json["error"]


# -- unlawful chains are refused ---------------------------------------------------------------------

def test_college_cannot_name_a_staff_member_directly(tmp_path: Path) -> None:
    """DLB-57: the college reaches staff only through the AD, whatever the decision cites."""
    for basis in ("DLB-41", "DLB-57", "DLB-283"):
        bad = proefdorp(decisions=[decision("CBS-X", "college", [grant("CBS-X/1", "dh-fin", [VERBINTENIS])], basis)])
        code, findings = validate(tmp_path, bad)
        assert code == 2, (basis, findings)
        assert [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
            [("TARGET_NOT_ELIGIBLE", "decisions[10].grants[0].to")]
        assert "DLB-57" in next(f["text"] for f in findings if f["code"] == "TARGET_NOT_ELIGIBLE")


def test_master_data_substitute_never_replaces_the_ad(tmp_path: Path) -> None:
    data = proefdorp()
    next(p for p in data["positions"] if p["id"] == "ad")["substitutes"] = ["dh-fin"]
    code, findings = validate(tmp_path, data)
    assert code == 2
    assert [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
        [("TARGET_NOT_ELIGIBLE", "positions[0].substitutes[0]")]


def test_only_a_schepen_acts_as_burgemeester(tmp_path: Path) -> None:
    staff = {"person": "d-sec", "position": "bm", "from": "2025-08-01", "until": "2025-08-15", "capacity": "acting"}
    code, findings = validate(tmp_path, proefdorp(appointments=[staff]))
    assert code == 2
    assert [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
        [("TARGET_NOT_ELIGIBLE", f"appointments[{len(proefdorp()['appointments'])}].person")]
    # a schepen registered as acting burgemeester signs, and stops when no longer a schepen
    schepen = dict(staff, person="d-s3")
    ends = {"person": "d-s3", "position": "sch-3", "from": "2019-01-01", "until": "2025-08-09"}
    data = proefdorp(appointments=[schepen])
    data["appointments"] = [a for a in data["appointments"] if a["person"] != "d-s3"] + [ends, schepen]
    db = register(tmp_path, data)
    college = ["--issuer", "college", "--document-type", "besluit"]
    code, a = ask(db, "d-s3", "ondertekening", "2025-08-05", *college)
    assert code == 0 and a["chains"][0][-1]["step"] == "acting" and a["chains"][0][-1]["rule"] == "DLB-63"
    code, a = ask(db, "d-s3", "ondertekening", "2025-08-12", *college)
    assert code == 1 and {r["rule"] for r in reasons_with(a, "NOT_DELEGABLE")} == {"DLB-63"}


def test_burgemeester_designates_only_a_schepen(tmp_path: Path) -> None:
    data = proefdorp()
    next(p for p in data["positions"] if p["id"] == "bm")["substitutes"] = ["sec"]
    code, findings = validate(tmp_path, data)
    assert code == 2 and ("TARGET_NOT_ELIGIBLE", "positions[3].substitutes[0]") in \
        {(f["code"], f["path"]) for f in findings}


def test_collegial_organ_never_delegates_to_its_member(tmp_path: Path) -> None:
    bad = proefdorp(decisions=[decision("CBS-M", "college", [grant("CBS-M/1", "sch-1", [VERBINTENIS])], "DLB-57")])
    code, findings = validate(tmp_path, bad)
    assert code == 2 and [f["code"] for f in findings if f["severity"] == "error"] == ["COLLEGIAL_TO_MEMBER"]


# -- one decision for several entities ----------------------------------------------------------------

def test_one_signing_delegation_for_gemeente_and_ocmw(db: Path) -> None:
    """The shared AD's delegation for letters of the college and of the vast bureau, in one act."""
    for issuer, entity in (("college", "gemeente"), ("vast_bureau", "ocmw")):
        code, a = ask(db, "d-sec", "medeondertekening", "2025-05-05", "--issuer", issuer, *BRIEF)
        assert code == 0, a
        assert a["question"]["entity"] == entity  # the issuer implies the entity
        assert a["chains"][0][1]["grant"] == "AD-2025-03/1"


def test_staff_regulation_for_gemeente_and_ocmw_personnel(db: Path) -> None:
    for entity in ("gemeente", "ocmw"):
        code, a = ask(db, "d-pers", "dagelijks_personeelsbeheer.verlof", "2025-05-05", "--entity", entity,
                      "--concerns", "d-soc")
        assert code == 0, a


def test_act_recorded_for_one_entity_only(tmp_path: Path) -> None:
    """Recorded under the gemeente only, the OCMW half grants nothing: a finding at import, and a
    refusal that says the issuer is out of scope."""
    one = decision("AD-X", "ad", [grant("AD-X/1", "sec", ["medeondertekening"],
                                        limits={"issuers": ["college", "vast_bureau"]})], "DLB-283")
    data = proefdorp()
    data["decisions"] = [d for d in data["decisions"] if d["id"] != "AD-2025-03"] + [one]
    code, findings = validate(tmp_path, data)
    assert code == 0
    assert [(f["code"], f["path"]) for f in findings] == \
        [("DELEGATOR_LACKS_POWER", f"decisions[{len(data['decisions']) - 1}].grants[0].limits.issuers[1]")]
    db = register(tmp_path, data)
    code, a = ask(db, "d-sec", "medeondertekening", "2025-05-05", "--issuer", "vast_bureau", *BRIEF)
    assert code == 1
    assert {r["code"] for r in a["reasons"]} == {"ISSUER_OUT_OF_SCOPE"}  # not NO_AUTHORITY
    mine = [r for r in a["reasons"] if r.get("grant") == "AD-X/1"]
    assert mine and mine[0]["entity"] == "ocmw" and "AD-X" in mine[0]["text"]
    code, a = ask(db, "d-sec", "medeondertekening", "2025-05-05", "--issuer", "college", *BRIEF)
    assert code == 0


def test_issuer_and_entity_must_agree(db: Path) -> None:
    r = cli("--db", db, "--json", "check", "--actor", "d-sec", "--power", "medeondertekening", "--issuer", "vast_bureau",
            "--entity", "gemeente", "--on", "2025-05-05")
    assert r.code == 2 and "vast_bureau" in r.json["error"]


def test_units_of_another_entity_grant_nothing(tmp_path: Path) -> None:
    data = proefdorp(decisions=[decision("AD-U", "ad", [grant("AD-U/1", "dh-pers", ["dagelijks_personeelsbeheer.verlof"],
                                                                limits={"units": ["sociaal"]})], "DLB-170")])
    code, findings = validate(tmp_path, data)
    assert code == 0
    assert [(f["code"], f["path"]) for f in findings] == [("DELEGATOR_LACKS_POWER", "decisions[10].grants[0].limits.units[0]")]


def test_notice_goes_to_the_council_of_each_entity(db: Path) -> None:
    """DLB-283: the council of every legal entity the delegation acts for is informed."""
    r = cli("--db", db, "--json", "duties", "--on", "2025-02-01", "--grant", "AD-2025-03/1")
    assert r.code == 0, r
    notices = {d["to"] for d in r.json["duties"] if d["period"] == "notify"}
    assert notices == {"gemeenteraad", "ocmw_raad"}


# -- noise ---------------------------------------------------------------------------------------------

def test_scope_widens_parent_only_within_one_entity(tmp_path: Path) -> None:
    """A gemeente grant of 40 000 under the AD's gemeente grant (50 000) does not widen the OCMW's
    grant to the AD (25 000)."""
    data = proefdorp(decisions=[decision("AD-W", "ad", [grant("AD-W/1", "mw-fin", [VERBINTENIS],
                                                                limits={"max_amount": 40000})], "DLB-57")])
    code, findings = validate(tmp_path, data)
    assert (code, findings) == (0, [])
    data = proefdorp(decisions=[decision("AD-W", "ad", [grant("AD-W/1", "mw-soc", [VERBINTENIS],
                                                                limits={"max_amount": 40000})], "DLB-85", entity="ocmw")])
    code, findings = validate(tmp_path, data)
    assert [(f["code"], f["text"].split(" (")[0]) for f in findings] == \
        [("SCOPE_WIDENS_PARENT", "ruimer dan de bovenliggende delegatie VB-2025-01/1")]


def test_a_local_rule_for_a_packaged_article_does_not_double_the_chains(tmp_path: Path) -> None:
    """A regulation that restates art. 280 stands in the chain instead of the packaged rule."""
    rule = {"id": "LOKAAL-280", "title": "Handtekeningregeling van de burgemeester", "holder": "burgemeester",
            "powers": ["ondertekening"], "delegable_to": ["schepen"]}
    own = decision("BM-L", "bm", [grant("BM-L/1", "sch-2", ["ondertekening"], limits={"issuers": ["college"]})], "LOKAAL-280")
    db = register(tmp_path, proefdorp(rules=[rule], decisions=[own]))
    code, a = ask(db, "d-s2", "ondertekening", "2025-05-10", "--issuer", "college", *BRIEF)
    assert code == 0 and len(a["chains"]) == 1
    law, step = a["chains"][0][:2]
    assert (law["rule"], law["basis"], step["rule"], step["basis"]) == ("LOKAAL-280", "DLB-279", "LOKAAL-280", "DLB-280")
    code, a = ask(db, "d-s2", "ondertekening", "2025-05-10", "--issuer", "college", "--document-type", "notulen")
    assert code == 1
    per_chain = [r["chain"] for r in reasons_with(a, "NOT_DELEGABLE")]
    assert len(per_chain) == len(set(per_chain))  # one reason per chain, no duplicate chain


def test_local_rule_narrows_and_never_widens(tmp_path: Path) -> None:
    """A local regulation cannot let the college reach staff directly."""
    rule = {"id": "LOKAAL-BH", "title": "Budgethouderschap", "holder": "college", "powers": ["budgethouderschap"],
            "delegable_to": ["algemeen_directeur", "personeelslid"]}
    bad = proefdorp(rules=[rule], decisions=[decision("CBS-L", "college", [grant("CBS-L/1", "dh-fin", [VERBINTENIS])],
                                                      "LOKAAL-BH")])
    code, findings = validate(tmp_path, bad)
    assert code == 2 and [f["code"] for f in findings if f["severity"] == "error"] == ["TARGET_NOT_ELIGIBLE"]
    # narrower than the law: a decision citing it respects it, one citing the law does not have to
    narrow = dict(rule, delegable_to=["algemeen_directeur"], not_delegable=["budgethouderschap.subsidieaanvraag"])
    kept = decision("CBS-L", "college", [grant("CBS-L/1", "ad", ["budgethouderschap.subsidieaanvraag"])], "LOKAAL-BH")
    code, findings = validate(tmp_path, proefdorp(rules=[narrow], decisions=[kept]))
    assert code == 2 and [(f["code"], f["path"]) for f in findings if f["severity"] == "error"] == \
        [("NOT_DELEGABLE", "decisions[10].grants[0].powers[0]")]
    db = register(tmp_path, proefdorp(rules=[narrow]))
    code, a = ask(db, "d-ad", "budgethouderschap.subsidieaanvraag", "2025-05-02")
    assert code == 0 and steps(a)[-2] == ("grant", "DLB-57")  # CBS-2025-01 cites DLB-57, not the regulation


def test_the_adjunct_listed_as_substitute_is_still_the_replacement_by_law(tmp_path: Path) -> None:
    """Master data that names the adjunct-algemeen directeur as the AD's substitute says what the law
    says: no finding, and the replacement still follows DLB-175 (no local notice condition)."""
    data = proefdorp()
    next(p for p in data["positions"] if p["id"] == "ad")["substitutes"] = ["aad"]
    code, findings = validate(tmp_path, data)
    assert (code, findings) == (0, [])
    db = register(tmp_path, data)
    code, a = ask(db, "d-aad", "medeondertekening", "2025-07-10", *NOTULEN_GR)
    assert code == 0 and a["chains"][0][-1]["rule"] == "DLB-175" and a["conditions"] == []
