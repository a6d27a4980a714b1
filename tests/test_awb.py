"""A second jurisdiction as data only: the Dutch Awb, title 10.1.1, for a gemeente (nl-awb).

The register is examples/voorbeeldstad-awb.yaml (fictional). Nothing in the code knows these
organs: the rulebook delegations/rulebooks/nl-awb.json does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, check_json, cli, copy_register, reasons_with, write_yaml

EXAMPLE = REPO / "examples" / "voorbeeldstad-awb.yaml"
ON = ["--on", "2025-04-01"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("awb") / "voorbeeldstad.db"
    r = cli("--db", path, "--json", "import", EXAMPLE)
    assert r.code == 0, r
    assert r.json["findings"] == []
    return path


def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def chain_rules(answer: dict[str, Any]) -> list[str | None]:
    return [s.get("basis") or s.get("rule") for s in answer["chains"][0]]


def test_mandaat_to_the_secretary_and_ondermandaat_when_allowed(db: Path) -> None:
    """Awb 10:1 mandaat; 10:9 ondermandaat, which the mandaatgever allowed."""
    code, a = check_json(db, "--actor", "v-05", "--power", "beschikking.vergunning", *ON)
    assert code == 0, a
    assert chain_rules(a) == ["GW-160", "AWB-10:1", "AWB-10:9", None]
    assert all("article" in s for s in a["chains"][0] if s["step"] != "appointment")


def test_no_ondermandaat_without_permission(db: Path) -> None:
    """Awb 10:9: OM-2025-01/1 does not allow further ondermandaat."""
    code, a = check_json(db, "--actor", "v-06", "--power", "beschikking.vergunning", *ON)
    assert code == 1
    assert {(r["grant"], r["parent"]) for r in reasons_with(a, "SUBDELEGATION_NOT_ALLOWED")} == {("OM-2025-02/1", "OM-2025-01/1")}


def test_signing_names_the_original_mandaatgever(db: Path) -> None:
    """Awb 10:10: 'namens' the college, not the secretary who granted the ondermandaat."""
    code, a = check_json(db, "--actor", "v-06", "--power", "ondertekening", *ON, "--document-type", "briefwisseling",
                         "--issuer", "college")
    assert code == 0, a
    assert a["signature_mention"] == "Namens het college van burgemeester en wethouders"
    code, a = check_json(db, "--actor", "v-05", "--power", "beschikking.vergunning", *ON)
    assert a["signature_mention"] == "Namens het college van burgemeester en wethouders"


def test_collegial_organ_mandates_one_of_its_members(db: Path) -> None:
    """Under the Awb the college may mandate a wethouder (in vl-dlb the college never delegates to a member)."""
    code, a = check_json(db, "--actor", "v-02", "--power", "beschikking.subsidie", *ON, "--amount", "1000")
    assert code == 0, a
    assert chain_rules(a) == ["GW-160", "AWB-10:1", None]
    code, a = check_json(db, "--actor", "v-02", "--power", "beschikking.subsidie", *ON, "--amount", "30000")
    assert code == 1 and reasons_with(a, "AMOUNT_ABOVE_LIMIT")


def test_volmacht_for_commitments(db: Path) -> None:
    """Awb 10:12: private-law acts (budgethouderschap) in volmacht."""
    code, a = check_json(db, "--actor", "v-07", "--power", "budgethouderschap.verplichting", *ON, "--amount", "1000",
                         "--budget-key", "6.12.01")
    assert code == 0, a
    assert chain_rules(a)[:2] == ["GW-160", "AWB-10:12"]
    assert a["conditions"] == []  # no visum rule in this jurisdiction


def test_no_mandaat_for_regulations(tmp_path: Path) -> None:
    """Awb 10:3: algemeen verbindende voorschriften cannot be mandated."""
    data = example()
    data["decisions"].append({
        "id": "RB-2025-01", "title": "Mandaat verordening", "by": "gemeenteraad", "decided_on": "2025-03-01",
        "effective_from": "2025-03-01", "legal_basis": "AWB-10:1",
        "grants": [{"id": "RB-2025-01/1", "to": "secr", "powers": ["verordening"], "reporting": [{"to": "college", "every": "year"}]}]})
    r = cli("--db", tmp_path / "absent.db", "--json", "validate", write_yaml(tmp_path / "v.yaml", data))
    assert r.code == 2
    errors = [(f["code"], f["path"]) for f in r.json["findings"] if f["severity"] == "error"]
    assert errors == [("NOT_DELEGABLE", "decisions[4].grants[0].powers[0]")]
    assert "AWB-10:3" in next(f["text"] for f in r.json["findings"] if f["code"] == "NOT_DELEGABLE")


def test_the_raad_holds_its_regulations_by_law(db: Path) -> None:
    code, a = check_json(db, "--actor", "gemeenteraad", "--power", "verordening", *ON)
    assert code == 0 and chain_rules(a) == ["GW-147"]


def test_the_jurisdiction_is_the_registers(db: Path, tmp_path: Path) -> None:
    """Flemish organs, kinds and rules do not exist in a Dutch register."""
    r = cli("--db", db, "--json", "check", "--actor", "v-05", "--power", "ondertekening", *ON, "--issuer", "vast_bureau")
    assert r.code == 2 and "vast_bureau" in r.json["error"]
    r = cli("--db", db, "--json", "check", "--actor", "v-05", "--power", "beschikking.vergunning", *ON, "--entity", "ocmw")
    assert r.code == 2
    data = example()
    data["positions"].append({"id": "sch-x", "name": "Schepen", "kind": "schepen"})
    data["decisions"][0]["legal_basis"] = "DLB-57"
    r = cli("--db", tmp_path / "absent.db", "--json", "validate", write_yaml(tmp_path / "x.yaml", data))
    found = {(f["code"], f["path"]) for f in r.json["findings"]}
    assert ("FORMAT", f"positions[{len(data['positions']) - 1}].kind") in found
    assert ("UNKNOWN_REFERENCE", "decisions[0].legal_basis") in found


def test_a_register_keeps_its_jurisdiction(db: Path) -> None:
    admin = {"id": "voorbeeldstad", "name": "Gemeente Voorbeeldstad"}
    flemish = {"format": "delegaties/1", "administration": {**admin, "jurisdiction": "vl-dlb"}}
    r = cli("--db", db, "--json", "validate", write_yaml(db.parent / "vl.yaml", flemish))
    assert r.code == 2
    assert ("FORMAT", "administration.jurisdiction") in {(f["code"], f["path"]) for f in r.json["findings"]}
    # a later file that leaves the jurisdiction out inherits the register's
    later = {"format": "delegaties/1", "administration": admin, "persons": [{"id": "v-99", "name": "Hans Nieuw"}],
             "appointments": [{"person": "v-99", "position": "mw-verg", "from": "2025-05-01"}]}
    r = cli("--db", db, "--json", "validate", write_yaml(db.parent / "later.yaml", later))
    assert r.code == 0 and r.json["findings"] == [], r


def test_unknown_jurisdiction(tmp_path: Path) -> None:
    data = example()
    data["administration"]["jurisdiction"] = "be-bxl"
    r = cli("--db", tmp_path / "absent.db", "--json", "validate", write_yaml(tmp_path / "j.yaml", data))
    assert r.code == 2
    assert ("FORMAT", "administration.jurisdiction") in {(f["code"], f["path"]) for f in r.json["findings"]}


def test_revocation_ends_a_mandaat(db: Path, tmp_path: Path) -> None:
    """Awb 10:8: the mandaatgever can revoke a mandate at any time."""
    path = copy_register(db, tmp_path / "copy.db")
    assert cli("--db", path, "revoke", "--target", "MB-2025-01/2", "--from", "2025-06-01", "--by", "MB-2025-07").code == 0
    code, a = check_json(path, "--actor", "v-02", "--power", "beschikking.subsidie", "--on", "2025-06-02")
    assert code == 1 and reasons_with(a, "REVOKED")
