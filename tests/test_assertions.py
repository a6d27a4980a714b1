"""Assertion files (`format: delegaties-assertions/1`): `test FILE` and `import --assert FILE`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from registry import Registry, assertions
from tests.helpers import REPO, VERBINTENIS, cli, head, property_tests, write_yaml

EXAMPLE_ASSERTIONS = REPO / "examples" / "voorbeeldegem-assertions.yaml"
DRAFT = REPO / "examples" / "ontwerpen" / "AD-2025-0040-budgethouder-aankoop.yaml"
ORDER = {"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02", "budget_key": "0119/6140000", "unit": "aankoop"}


def assertion_file(tmp: Path, *items: dict[str, Any], name: str = "beweringen.yaml") -> Path:
    return write_yaml(tmp / name, {"format": "delegaties-assertions/1", "assertions": list(items)})


def test_the_example_ships_assertions_that_hold(example_db: Path) -> None:
    r = cli("--db", example_db, "test", EXAMPLE_ASSERTIONS)
    assert r.code == 0, r
    assert r.out.count("\nOK ") + r.out.startswith("OK ") == 10 and "Alle 10 bewering(en) gelden." in r.out
    data = cli("--db", example_db, "--json", "test", EXAMPLE_ASSERTIONS).json
    assert data["holds"] is True and data["total"] == 10 and data["broken"] == []
    who = [a for a in data["assertions"] if a["question"].startswith("who")]
    assert [a["found"]["persons"] for a in who] == [["p-003"], ["p-003", "p-010"]]


def test_broken_assertions_are_listed_with_what_was_found(example_db: Path, tmp_path: Path) -> None:
    f = assertion_file(tmp_path,
                       {**ORDER, "amount": 1200, "allowed": True},
                       {**ORDER, "amount": 9000, "allowed": True, "name": "grote bestelling"},
                       {**ORDER, "amount": 100, "allowed": False, "reasons": ["BUDGET_KEY_OUT_OF_SCOPE"]},
                       {"who": {"power": "medeondertekening", "document_type": "notulen", "issuer": "college",
                                "on": "2025-06-01"}, "persons": ["p-003", "p-010"]})
    r = cli("--db", example_db, "test", f)
    assert r.code == 1, r
    lines = r.out.splitlines()
    assert lines[0].startswith("OK ") and lines[-1] == "3 van 4 bewering(en) gelden niet."
    assert "GEBROKEN" in r.out and "assertions[1]: grote bestelling" in r.out
    assert "verwacht toegestaan, maar geweigerd (AMOUNT_ABOVE_LIMIT" in r.out
    assert "verwacht geweigerd, maar toegestaan (keten: CBS-2025-0412/1 -> AD-2025-0007/1)" in r.out
    assert "mag niet (verwacht wel): p-010" in r.out  # the college's notulen stay with the AD (DLB-283)
    data = cli("--db", example_db, "--json", "--lang", "en", "test", f).json
    assert [b["index"] for b in data["broken"]] == [1, 2, 3]
    assert data["broken"][0]["found"]["reasons"] == ["AMOUNT_ABOVE_LIMIT"] and data["broken"][0]["path"] == "assertions[1]"
    assert data["broken"][2]["expected"] == {"persons": ["p-003", "p-010"]} and data["broken"][2]["found"] == {"persons": ["p-003"]}
    assert "may not (expected to): p-010" in data["broken"][2]["text"]


def test_conditions_and_reasons_are_part_of_the_expectation(example_db: Path, tmp_path: Path) -> None:
    f = assertion_file(tmp_path,
                       {**ORDER, "actor": "p-003", "amount": 22000, "allowed": True, "conditions": ["VISUM_REQUIRED"]},
                       {**ORDER, "actor": "p-003", "amount": 1000, "allowed": True, "conditions": ["VISUM_REQUIRED"]},
                       {**ORDER, "amount": 9000, "allowed": False, "reasons": ["ANNUAL_CEILING_EXCEEDED"]})
    data = cli("--db", example_db, "--json", "test", f).json
    assert [b["index"] for b in data["broken"]] == [1, 2]
    assert data["broken"][1]["found"]["reasons"] == ["AMOUNT_ABOVE_LIMIT"]


BAD = [
    ({"assertions": [{**ORDER, "allowed": True}]}, "format"),
    ({"format": "delegaties/1", "assertions": [{**ORDER, "allowed": True}]}, "format"),
    ({"format": "delegaties-assertions/1", "assertions": []}, "assertions"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "on": "2025-13-01", "allowed": True}]}, "assertions[0].on"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "amount": "veel", "allowed": True}]}, "assertions[0].amount"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "allowed": "ja"}]}, "assertions[0].allowed"),
    ({"format": "delegaties-assertions/1", "assertions": [ORDER]}, "assertions[0].allowed"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "amout": 5, "allowed": True}]}, "assertions[0]"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "allowed": True, "reasons": ["REVOKED"]}]},
     "assertions[0].reasons"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "allowed": False, "reasons": ["TE_DUUR"]}]},
     "assertions[0].reasons[0]"),
    ({"format": "delegaties-assertions/1", "assertions": [{"who": "iedereen", "persons": []}]}, "assertions[0].who"),
    ({"format": "delegaties-assertions/1", "assertions": [{"who": {"power": VERBINTENIS}, "persons": ["p-001"]}]},
     "assertions[0].who.on"),
    ({"format": "delegaties-assertions/1", "assertions": ["p-001 mag"]}, "assertions[0]"),
    ({"format": "delegaties-assertions/1", "assertions": [{**ORDER, "allowed": True}], "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("content", "path"), BAD)
def test_a_bad_assertion_file_is_exit_2_with_the_path_and_what_was_expected(example_db: Path, tmp_path: Path,
                                                                           content: dict[str, Any], path: str) -> None:
    f = write_yaml(tmp_path / "slecht.yaml", content)
    r = cli("--db", example_db, "--json", "test", f)
    assert r.code == 2, r
    found = [x for x in r.json["findings"] if x["path"] == path]
    assert found and all(x["code"] == "FORMAT" and x["file"] == str(f) and "verwacht" in x["text"] for x in found), r.json


@pytest.mark.parametrize(("item", "path"), [
    ({**ORDER, "actor": "p-999", "allowed": True}, "assertions[0]"),
    ({**ORDER, "power": "budgethouderschap.bestellen", "allowed": True}, "assertions[0]"),
    ({"who": {"power": "medeondertekening", "on": "2025-06-01"}, "persons": ["p-003", "p-099"]}, "assertions[0]"),
])
def test_ids_the_register_does_not_know_are_exit_2_naming_the_assertion(example_db: Path, tmp_path: Path,
                                                                       item: dict[str, Any], path: str) -> None:
    r = cli("--db", example_db, "--json", "test", assertion_file(tmp_path, item))
    assert r.code == 2, r
    assert [(x["code"], x["path"]) for x in r.json["findings"]] == [("UNKNOWN_REFERENCE", path)]


def test_a_missing_assertion_file_is_exit_2(example_db: Path, tmp_path: Path) -> None:
    r = cli("--db", example_db, "test", tmp_path / "bestaat-niet.yaml")
    assert r.code == 2 and "bestaat-niet.yaml" in r.err


# -- import --assert ----------------------------------------------------------------------------

def test_import_assert_refuses_an_import_that_breaks_an_assertion_and_writes_nothing(example_db: Path, tmp_path: Path) -> None:
    f = assertion_file(tmp_path, {**ORDER, "on": "2025-11-15", "amount": 1200, "allowed": True,
                                  "name": "het diensthoofd aankoop blijft budgethouder"})
    before = head(example_db)
    r = cli("--db", example_db, "import", "--assert", f, DRAFT)
    assert r.code == 1, r
    assert "Niets ingelezen: 1 bewering(en)" in r.err and "assertions[0]: het diensthoofd aankoop blijft budgethouder" in r.err
    assert "REVOKED" in r.err
    assert head(example_db) == before  # also proves fsck is clean
    assert cli("--db", example_db, "show", "AD-2025-0040").code == 2
    j = cli("--db", example_db, "--json", "import", "--assert", f, DRAFT)
    assert j.code == 1 and j.json["code"] == "ASSERTION_BROKEN" and j.json["findings"][0]["path"] == "assertions[0]"
    # Without the condition the same import goes through.
    assert cli("--db", example_db, "import", DRAFT).code == 0
    assert head(example_db)[0] > before[0]


def test_import_assert_judges_the_register_as_the_import_leaves_it(example_db: Path, tmp_path: Path) -> None:
    f = assertion_file(tmp_path, {**ORDER, "actor": "p-005", "on": "2025-11-15", "amount": 1200, "allowed": True})
    assert cli("--db", example_db, "test", f).code == 1  # not yet
    r = cli("--db", example_db, "import", "--assert", f, DRAFT)
    assert r.code == 0, r
    assert cli("--db", example_db, "test", f).code == 0
    with Registry.open(example_db) as reg:
        assert reg.check("p-005", VERBINTENIS, "2025-11-15", amount="1200", budget_key="0119/6140000", unit="aankoop").allowed
    # The example's own assertions hold across the draft too.
    assert cli("--db", example_db, "import", "--assert", EXAMPLE_ASSERTIONS, DRAFT).code == 0


def test_import_assert_on_a_new_register_leaves_no_file_behind(tmp_path: Path) -> None:
    db = tmp_path / "nieuw.db"
    f = assertion_file(tmp_path, {**ORDER, "amount": 9000, "allowed": True})
    r = cli("--db", db, "import", "--assert", f, REPO / "examples" / "voorbeeldegem.yaml")
    assert r.code == 1, r
    assert not db.exists() and not list(tmp_path.glob("nieuw.db*"))


def test_import_assert_with_a_bad_assertion_file_reads_nothing(example_db: Path, tmp_path: Path) -> None:
    f = write_yaml(tmp_path / "slecht.yaml", {"format": "delegaties-assertions/1", "assertions": [{"actor": "p-001"}]})
    before = head(example_db)
    r = cli("--db", example_db, "import", "--assert", f, DRAFT)
    assert r.code == 2 and "slecht.yaml" in r.err
    assert head(example_db) == before


def test_assertions_can_be_run_against_the_register_as_known_earlier(example_db: Path, tmp_path: Path) -> None:
    with Registry.open(example_db) as reg:
        known = list(reg.history())[-1].recorded_at
        reg.revoke("AD-2025-0007/1", "2025-05-01", "AD-2025-0030")
    f = assertion_file(tmp_path, {**ORDER, "amount": 1200, "allowed": True})
    assert cli("--db", example_db, "test", f).code == 1
    assert cli("--db", example_db, "test", f, "--as-known-on", known).code == 0


def test_the_demo_runs_the_example_assertions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("demo")
    assert r.code == 0 and "voorbeeldegem-assertions.yaml: Alle 10 bewering(en) gelden." in r.out
    assert "Voorbeeld ingelezen: voorbeeldegem.yaml (" in r.out  # the assertion file is not a register file


# -- property: an assertion written from an answer holds, its negation breaks -------------------

PERSONS = [f"p-{i:03d}" for i in range(1, 13)]
POWERS = [VERBINTENIS, "budgethouderschap.factuurgoedkeuring", "dagelijks_personeelsbeheer.vorming",
          "medeondertekening", "ondertekening"]


def _answers_become_assertions(example_template: Path, questions: list[dict[str, Any]], flip: int) -> None:
    with Registry.open(example_template) as reg:
        items = []
        for q in questions:
            answer = reg.check(q["actor"], q["power"], q["on"], amount=q["amount"])
            item = {**q, "allowed": answer.allowed}
            if answer.allowed:
                item["conditions"] = sorted({c.code for c in answer.conditions})
            else:
                item["reasons"] = sorted({r.code for r in answer.reasons})[:1]
            items.append(item)
        af = assertions.parse({"format": assertions.FORMAT, "assertions": items}, "gen.yaml")
        assert assertions.broken(assertions.run(reg, af)) == []
        i = flip % len(items)
        items[i] = {k: v for k, v in items[i].items() if k not in ("reasons", "conditions")} | {"allowed": not items[i]["allowed"]}
        af = assertions.parse({"format": assertions.FORMAT, "assertions": items}, "gen.yaml")
        assert [o.index for o in assertions.broken(assertions.run(reg, af))] == [i]


QUESTION = st.fixed_dictionaries({
    "actor": st.sampled_from(PERSONS), "power": st.sampled_from(POWERS),
    "on": st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 6, 1)).map(date.isoformat),
    "amount": st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30000"), places=2).map(str)),
})
test_answers_become_assertions, test_answers_become_assertions_thoroughly = property_tests(
    _answers_become_assertions, 25, 300, questions=st.lists(QUESTION, min_size=1, max_size=6), flip=st.integers(0, 5))


def test_yaml_reads_on_as_a_key_and_only_true_or_false_as_booleans(tmp_path: Path) -> None:
    from registry.files import read_file

    f = tmp_path / "b.yaml"
    f.write_text("format: delegaties-assertions/1\nassertions:\n  - {on: 2025-05-02, allowed: true, x: no, y: False}\n",
                 encoding="utf-8")
    assert read_file(f)["assertions"] == [{"on": "2025-05-02", "allowed": True, "x": "no", "y": False}]
    # In a register file `manager: yes` is no longer silently true: it is a readable error.
    reg = tmp_path / "r.yaml"
    reg.write_text("format: delegaties/1\nadministration: {id: proefgem, name: Proefgem}\n"
                   "positions:\n  - {id: dh, name: Diensthoofd, manager: yes}\n", encoding="utf-8")
    r = cli("--json", "--db", tmp_path / "r.db", "validate", reg)
    assert r.code == 2 and [x["path"] for x in r.json["findings"]] == ["positions[0].manager"]
