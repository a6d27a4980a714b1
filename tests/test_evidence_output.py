"""Issue 12: `--out` never damages anything, and identifiers cannot forge what a clerk reads.
(`report --out r.db` overwrote the register; `--out` followed symlinks and overwrote without asking;
ids took bidi overrides, zero-width characters and newlines; references printed raw escapes.)"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, new_register, write_yaml

REPORT = ("report", "--year", "2025", "--format", "md")


def test_report_out_never_writes_onto_the_register(example_db: Path) -> None:
    before = example_db.read_bytes()
    for target in (example_db, Path(f"{example_db}-wal"), example_db.parent / "." / example_db.name):
        r = cli("--db", example_db, *REPORT, "--out", target, "--force")
        assert r.code == 2 and "register" in r.err, (target, r)
    assert example_db.read_bytes() == before
    assert cli("--db", example_db, "fsck").code == 0


def test_report_out_never_writes_into_the_key_directory(example_db: Path) -> None:
    assert cli("--db", example_db, "keys", "new").code == 0
    r = cli("--db", example_db, *REPORT, "--out", example_db.parent / "keys" / "rapport.md")
    assert r.code == 2 and "sleutelmap" in r.err, r
    assert not (example_db.parent / "keys" / "rapport.md").exists()


def test_report_out_follows_no_symlink_and_overwrites_only_with_force(example_db: Path, tmp_path: Path) -> None:
    victim = tmp_path / "iets-anders.txt"
    victim.write_text("blijft")
    link = tmp_path / "rapport.md"
    link.symlink_to(victim)
    r = cli("--db", example_db, *REPORT, "--out", link, "--force")
    assert r.code == 2 and "symbolische link" in r.err, r
    assert victim.read_text() == "blijft" and link.is_symlink()

    out = tmp_path / "jaar.md"
    out.write_text("vorige versie")
    r = cli("--db", example_db, *REPORT, "--out", out)
    assert r.code == 2 and "--force" in r.err and out.read_text() == "vorige versie", r
    inode = out.stat().st_ino
    r = cli("--db", example_db, *REPORT, "--out", out, "--force")
    assert r.code == 0 and out.read_text().startswith("#"), r
    assert out.stat().st_ino != inode  # a new file renamed into place, never rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# -- identifiers ----------------------------------------------------------------------------------

BAD = {"bidi override": "p-\u202e100", "zero-width space": "p-0\u200b01", "newline": "p-001\nTOEGESTAAN",
       "byte order mark": "\ufeffp-077", "line separator": "p-0\u202801"}


@pytest.mark.parametrize("what", sorted(BAD))
def test_ids_with_invisible_or_line_breaking_characters_are_refused(tmp_path: Path, what: str) -> None:
    data = base_register(persons=[{"id": BAD[what], "name": "Nina Nieuw"}])
    src = write_yaml(tmp_path / "r.yaml", data)
    r = cli("--db", tmp_path / "r.db", "--json", "validate", src)
    assert r.code == 2, r
    found = [f for f in r.json["findings"] if f["code"] == "FORMAT"]
    assert found and found[0]["path"].startswith("persons[") and found[0]["path"].endswith(".id"), r
    assert "U+" in found[0]["text"]


def test_a_name_with_a_bidi_override_is_refused(tmp_path: Path) -> None:
    data = base_register(persons=[{"id": "q-99", "name": "Anna \u202eVoorbeeld"}])
    r = cli("--db", tmp_path / "r.db", "--json", "validate", write_yaml(tmp_path / "r.yaml", data))
    assert r.code == 2 and any(f["path"].endswith(".name") for f in r.json["findings"]), r


def test_a_cyrillic_look_alike_of_an_existing_id_is_a_warning(example_db: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    lookalike = "\u0440-001"  # Cyrillic er
    extra = {"format": "delegaties/1", "administration": data["administration"],
             "persons": [{"id": lookalike, "name": "Anna Voorbeeld"}]}
    r = cli("--db", example_db, "--json", "validate", write_yaml(tmp_path / "extra.yaml", extra))
    assert r.code == 0, r
    warn = [f for f in r.json["findings"] if f["code"] == "CONFUSABLE_ID"]
    assert warn and warn[0]["severity"] == "warning" and "p-001" in warn[0]["text"], r


def test_ids_are_nfc_normalised(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "dh-caf\u00e9")
    data = base_register(decisions=[decision("CBS-1", "college", [grant("CBS-1/1", "ad")], basis="LOKAAL-BH")])
    data["positions"].append({"id": decomposed, "name": "Diensthoofd caf\u00e9", "unit": "bestuur"})
    db = new_register(tmp_path, data)
    r = cli("--db", db, "--json", "show", "dh-caf\u00e9")  # typed composed
    assert r.code == 0 and r.json["id"] == "dh-caf\u00e9", r


def test_references_with_control_characters_are_refused(example_db: Path) -> None:
    q = ("check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "10",
         "--budget-key", "0119/6140000", "--unit", "aankoop")
    for ref in ("BB-1\x1b[2J", "BB-1\nGEWEIGERD", "BB-\u202e1"):
        r = cli("--db", example_db, *q, "--record", ref)
        assert r.code == 2 and "--record" in r.err and "U+" in r.err, r
    assert "use.recorded" not in cli("--db", example_db, "history").out


def test_output_never_prints_raw_control_characters(tmp_path: Path) -> None:
    """Free text may hold a line break; shown in a line of output it is an escape, not a new line."""
    d = decision("CBS-1", "college", [grant("CBS-1/1", "ad")], basis="LOKAAL-BH")
    d["title"] = "Besluit\nCBS-9  2025-01-01 - ...  college  [LOKAAL-BH]  vervalst"
    db = new_register(tmp_path, base_register(decisions=[d]))
    r = cli("--db", db, "list")
    assert r.code == 0, r
    assert not [line for line in r.out.splitlines() if line.startswith("CBS-9")], r.out
    assert "\\n" in r.out
    for argv in (("history",), ("list",), ("report", "--year", "2025", "--format", "md"), ("--json", "history")):
        out = cli("--db", db, *argv).out
        assert not [c for c in out if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"], argv


def test_json_output_escapes_format_characters(example_db: Path, tmp_path: Path) -> None:
    from cli.options import json_text

    text = json_text({"x": "a\u202eb\u200bc\u0085"})
    assert "\u202e" not in text and "\\u202e" in text and "\\u200b" in text and "\\u0085" in text
    assert os.linesep not in "".join(text.split("\n"))


def _printable_property(text: str) -> None:
    from delegations.identifiers import identifier_problem, printable

    shown = printable(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")]
    if identifier_problem(text) is None:
        assert shown == text  # an acceptable id is shown as it is
    if text.isascii() and text.isprintable():
        assert shown == text


def _hypothesis_tests():
    from hypothesis import strategies as st

    from tests.helpers import property_tests

    return property_tests(_printable_property, 300, 5000, text=st.text(max_size=40))


test_printable_never_shows_what_does_not_print, test_printable_never_shows_what_does_not_print_thoroughly = \
    _hypothesis_tests()
