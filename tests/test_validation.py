"""Validation findings of contract section 5: one bad file per code in tests/data/invalid/.

Errors make `validate` and `import` exit 2 and write nothing; warnings exit 0 and are printed.
Every finding names the file and the exact path inside it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import (
    INVALID,
    VALIDATION_ERRORS,
    VALIDATION_WARNINGS,
    base_register,
    cli,
    decision,
    grant,
    head,
    history,
    write_yaml,
)

# code -> the path inside its file where the problem is
ERROR_PATHS = {
    "UNKNOWN_REFERENCE": "decisions[0].grants[1].limits.units[0]",
    "DUPLICATE_ID": "persons[1]",
    "INVALID_PERIOD": "decisions[0].effective_until",
    "NOT_DELEGABLE": "decisions[0].grants[0].limits.document_types[0]",
    "COLLEGIAL_TO_MEMBER": "decisions[0].grants[0].to",
    "TARGET_NOT_ELIGIBLE": "decisions[0].grants[0].to",
    "CYCLE": "units[0].parent",
    "FORMAT": "decisions[0].grants[1].limits.max_amount",
}
WARNING_PATHS = {
    "MISSING_REPORTING_DUTY": "decisions[0].grants[0].reporting",
    "SCOPE_WIDENS_PARENT": "decisions[1].grants[0].limits.max_amount",
    "DELEGATOR_LACKS_POWER": "decisions[1].grants[0].powers",
    "VACANT_POSITION": "decisions[0].grants[0].to",
    "REVIEW_OVERDUE": "decisions[0].review_every_years",
}

def test_one_file_per_contract_code() -> None:
    names = {p.stem for p in INVALID.glob("*.yaml")}
    assert names == set(VALIDATION_ERRORS) | set(VALIDATION_WARNINGS)
    assert set(ERROR_PATHS) == set(VALIDATION_ERRORS) and set(WARNING_PATHS) == set(VALIDATION_WARNINGS)


def _validate(tmp_path: Path, file: Path, *extra: str):
    # --db names a file that does not exist: validation runs against an empty register and writes nothing
    return cli("--db", tmp_path / "absent.db", *extra, "validate", file)


@pytest.mark.parametrize("code", list(ERROR_PATHS))
def test_error_file(code: str, tmp_path: Path) -> None:
    file = INVALID / f"{code}.yaml"
    r = _validate(tmp_path, file, "--json")
    assert r.code == 2, r
    data = r.json
    assert data["valid"] is False
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert {f["code"] for f in errors} == {code}, errors
    assert any(f["path"] == ERROR_PATHS[code] and f["file"] == str(file) for f in errors), errors
    assert all(f["text"].strip() for f in errors)
    plain = _validate(tmp_path, file)
    assert plain.code == 2
    assert f"{file}: {ERROR_PATHS[code]}: fout {code}: " in plain.out
    english = _validate(tmp_path, file, "--lang", "en")
    assert f"{file}: {ERROR_PATHS[code]}: error {code}: " in english.out
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.parametrize("code", list(WARNING_PATHS))
def test_warning_file(code: str, tmp_path: Path) -> None:
    file = INVALID / f"{code}.yaml"
    r = _validate(tmp_path, file, "--json")
    assert r.code == 0, r
    data = r.json
    assert data["valid"] is True
    assert data["findings"], data
    assert {f["code"] for f in data["findings"]} == {code}
    finding = data["findings"][0]
    assert (finding["severity"], finding["path"], finding["file"]) == ("warning", WARNING_PATHS[code], str(file))
    plain = _validate(tmp_path, file)
    assert plain.code == 0
    assert f"{file}: {WARNING_PATHS[code]}: waarschuwing {code}: " in plain.out


@pytest.mark.parametrize("code", list(WARNING_PATHS))
def test_import_with_warning_loads_and_prints_it(code: str, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    r = cli("--db", db, "import", INVALID / f"{code}.yaml")
    assert r.code == 0, r
    assert f"waarschuwing {code}" in r.out
    assert head(db)[0] > 0


@pytest.mark.parametrize("code", list(ERROR_PATHS))
def test_failed_import_leaves_register_unchanged(code: str, example_db: Path) -> None:
    before_history, before_head = history(example_db), head(example_db)
    raw_before = _content(example_db)
    r = cli("--db", example_db, "--json", "import", INVALID / f"{code}.yaml")
    assert r.code == 2, r
    assert history(example_db) == before_history
    assert head(example_db) == before_head
    assert _content(example_db) == raw_before
    assert code in {f["code"] for f in r.json["findings"]}


def test_import_format_error_names_path(example_db: Path) -> None:
    r = cli("--db", example_db, "--json", "import", INVALID / "FORMAT.yaml")
    assert r.code == 2
    assert any(f["code"] == "FORMAT" and f["path"] == ERROR_PATHS["FORMAT"] for f in r.json["findings"])


def test_failed_import_into_new_path_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "nieuw.db"
    assert cli("--db", db, "import", INVALID / "CYCLE.yaml").code == 2
    assert not db.exists()


def test_one_bad_file_stops_the_good_one_too(tmp_path: Path, example_db: Path) -> None:
    good = write_yaml(tmp_path / "goed.yaml", {
        "format": "delegaties/1",
        "administration": {"id": "voorbeeldegem", "name": "Lokaal bestuur Voorbeeldegem"},
        "persons": [{"id": "p-100", "name": "Nieuwe Collega"}],
    })
    before = head(example_db)
    r = cli("--db", example_db, "import", good, INVALID / "INVALID_PERIOD.yaml")
    assert r.code == 2
    assert "INVALID_PERIOD" in r.err
    assert head(example_db) == before
    assert cli("--db", example_db, "show", "p-100").code == 2
    assert cli("--db", example_db, "import", good).code == 0
    assert cli("--db", example_db, "--json", "show", "p-100").json["data"]["name"] == "Nieuwe Collega"


def test_error_against_register_content(tmp_path: Path, example_db: Path) -> None:
    """References are resolved against the register: a file may use what is already there, and
    a decision id that exists with other content is a DUPLICATE_ID (decisions are legal acts)."""
    data = {
        "format": "delegaties/1",
        "administration": {"id": "voorbeeldegem", "name": "Lokaal bestuur Voorbeeldegem"},
        "decisions": [decision("AD-2025-0007", "ad", [grant("AD-2025-0007/1", "dh-aankoop")],
                               basis="REGLEMENT-BUDGETHOUDERSCHAP")],
    }
    r = cli("--db", example_db, "--json", "validate", write_yaml(tmp_path / "herschreven.yaml", data))
    assert r.code == 2
    assert {(f["code"], f["path"]) for f in r.json["findings"] if f["severity"] == "error"} == \
        {("DUPLICATE_ID", "decisions[0].id")}
    other_admin = base_register()  # administration 'proefgem' in the register of 'voorbeeldegem'
    r = cli("--db", example_db, "--json", "validate", write_yaml(tmp_path / "ander.yaml", other_admin))
    assert r.code == 2
    assert ("FORMAT", "administration.id") in {(f["code"], f["path"]) for f in r.json["findings"]}


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["appointments"][2].update({"from": "2025-02-30"}), "appointments[2].from"),
    (lambda d: d["units"][1].update({"colour": "blauw"}), "units[1]"),
    (lambda d: d["persons"][0].pop("name"), "persons[0].name"),
    (lambda d: d["decisions"][0]["grants"][0].update({"subdelegation": {"allowed": "ja"}}),
     "decisions[0].grants[0].subdelegation.allowed"),
])
def test_format_errors_name_the_path(tmp_path: Path, mutate, path: str) -> None:
    data = base_register(decisions=[decision("D-1", "college", [grant("D-1/1", "ad")])])
    mutate(data)
    r = _validate(tmp_path, write_yaml(tmp_path / "fout.yaml", data), "--json")
    assert r.code == 2, r
    assert ("FORMAT", path) in {(f["code"], f["path"]) for f in r.json["findings"]}


def _content(db: Path) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()  # noqa: S608 - fixed names
                for t in ("events", "entities", "meta")]
    finally:
        conn.close()
