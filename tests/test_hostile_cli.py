"""Hostile command-line arguments: exit 2, a message naming the option and what was expected,
no traceback or "unexpected error", and the register untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, cli, copy_register

VERB = "budgethouderschap.verbintenis"
CHECK = ["check", "--actor", "p-001", "--power", VERB, "--on", "2025-05-02"]
CRASH_MARKERS = ("Traceback", "onverwachte fout", "unexpected error")


def _check(*extra: str) -> list[str]:
    """`check` with one option replaced or added (argparse keeps the last value of a repeated option)."""
    return [*CHECK, *extra]


# (id, argv, fragments that the message must contain); the argv never includes --db/--json
CASES: list[Any] = [
    # dates
    ("on_feb30", _check("--on", "2025-02-30"), ["--on", "verwacht een bestaande datum", "2025-02-30"]),
    ("on_word", _check("--on", "gisteren"), ["--on", "verwacht een datum JJJJ-MM-DD", "gisteren"]),
    ("on_empty", _check("--on", ""), ["--on", "verwacht een datum"]),
    ("on_trailing_space", _check("--on", "2025-05-02 "), ["--on", "verwacht een datum"]),
    ("on_time", _check("--on", "2025-05-02T10:00"), ["--on", "verwacht een datum"]),
    ("on_five_digit_year", _check("--on", "20250-05-02"), ["--on", "verwacht een datum"]),
    ("on_fullwidth", _check("--on", "\uff12\uff10\uff12\uff15-05-02"), ["--on", "verwacht een datum"]),
    ("on_nul", _check("--on", "2025-05-02\x00"), ["--on", "verwacht een datum"]),
    # amounts
    ("amount_negative", _check("--amount", "-5"), ["--amount", "verwacht een bedrag van 0 of meer"]),
    ("amount_nan", _check("--amount", "NaN"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_inf", _check("--amount", "inf"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_exponent", _check("--amount", "1e999999999"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_comma", _check("--amount", "1,5"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_empty", _check("--amount", ""), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_huge", _check("--amount", "1" + "0" * 40), ["--amount", "verwacht een bedrag kleiner dan 10^12 EUR"]),
    ("amount_decimals", _check("--amount", "0.001"), ["--amount", "verwacht een bedrag met hoogstens 2 decimalen"]),
    ("amount_plus", _check("--amount", "+12"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_hex", _check("--amount", "0x10"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_arabic_digits", _check("--amount", "\u0661\u0662"), ["--amount", "verwacht een bedrag in EUR"]),
    ("amount_digits_10k", _check("--amount", "9" * 10_000), ["--amount", "verwacht een bedrag kleiner dan 10^12 EUR"]),
    # ids
    ("actor_unknown", ["check", "--actor", "p-999", "--power", VERB], ["--actor", "'p-999' is geen gekende persoon"]),
    ("actor_empty", ["check", "--actor", "", "--power", VERB], ["--actor", "geen gekende persoon"]),
    ("actor_nul", ["check", "--actor", "p-001\x00", "--power", VERB], ["--actor", "geen gekende persoon"]),
    ("actor_huge", ["check", "--actor", "p" * 100_000, "--power", VERB], ["--actor", "geen gekende persoon"]),
    ("power_unknown", ["check", "--actor", "p-001", "--power", "toveren"], ["--power", "'toveren' is geen gekende bevoegdheid"]),
    ("power_empty", ["check", "--actor", "p-001", "--power", ""], ["--power", "geen gekende bevoegdheid"]),
    ("power_close", ["check", "--actor", "p-001", "--power", "budgethouderschap.verbintenissen"],
     ["--power", "bedoelde u: budgethouderschap.verbintenis"]),
    ("unit_unknown", _check("--unit", "maan"), ["--unit", "'maan' is geen gekende organisatie-eenheid"]),
    ("document_type_unknown", _check("--document-type", "toverboek"), ["--document-type", "geen gekende documenttype"]),
    ("issuer_unknown", _check("--issuer", "koning"), ["--issuer", "geen gekende orgaan"]),
    ("entity_unknown", _check("--entity", "provincie"), ["--entity", "geen gekende rechtspersoon"]),
    ("entity_empty", _check("--entity", ""), ["--entity", "geen gekende rechtspersoon"]),
    ("budget_key_empty", _check("--budget-key", ""), ["--budget-key", "verwacht een niet-lege waarde"]),
    ("budget_key_long", _check("--budget-key", "0" * 201), ["--budget-key", "hoogstens 200 tekens"]),
    ("budget_key_nul", _check("--budget-key", "0119\x00"), ["--budget-key", "verwacht een niet-lege waarde"]),
    ("matter_long", _check("--matter", "KBO:" + "9" * 300), ["--matter", "hoogstens 200 tekens"]),
    ("matter_blank", _check("--matter", "   "), ["--matter", "verwacht een niet-lege waarde"]),
    # moments
    ("as_known_on_word", _check("--as-known-on", "gisteren"), ["--as-known-on", "verwacht een datum JJJJ-MM-DD of tijdstip"]),
    ("as_known_on_month13", _check("--as-known-on", "2025-13-01T00:00"), ["--as-known-on", "verwacht een datum"]),
    ("as_known_on_hour25", _check("--as-known-on", "2025-01-01T25:00"), ["--as-known-on", "verwacht een datum"]),
    ("as_known_on_before_year_1", _check("--as-known-on", "0001-01-01T00:00+01:00"), ["--as-known-on", "verwacht"]),
    ("as_known_on_after_year_9999", _check("--as-known-on", "9999-12-31T23:59:59-05:00"), ["--as-known-on", "verwacht"]),
    # recording
    ("record_empty", _check("--amount", "10", "--record", ""), ["--record", "verwacht een niet-lege referentie"]),
    ("record_long", _check("--amount", "10", "--record", "R" * 201), ["--record", "hoogstens 200 tekens"]),
    ("record_nul", _check("--amount", "10", "--record", "R-1\x00"), ["--record", "verwacht een niet-lege referentie"]),
    ("record_as_known_on", _check("--record", "R-2", "--as-known-on", "2025-06-01"), ["--record", "--as-known-on"]),
    # options
    ("unknown_option", _check("--bedrag", "5"), ["fout in de opties", "--bedrag"]),
    ("missing_actor", ["check", "--power", VERB], ["fout in de opties", "--actor"]),
    ("missing_value", [*CHECK, "--amount"], ["fout in de opties", "--amount"]),
    ("lang_unknown", ["--lang", "fr", *CHECK], ["fout in de opties", "--lang"]),
    ("no_command", [], ["fout in de opties", "COMMANDO"]),
    ("unknown_command", ["toveren"], ["fout in de opties", "toveren"]),
    ("positional_garbage", [*CHECK, "extra"], ["fout in de opties", "extra"]),
    # other commands
    ("revoke_bad_from", ["revoke", "--target", "AD-2025-0007/1", "--from", "2025-02-30", "--by", "AD-2025-0099"],
     ["--from", "verwacht een datum"]),
    ("revoke_unknown_target", ["revoke", "--target", "AD-2099-0001", "--from", "2025-06-01", "--by", "AD-2025-0099"],
     ["--target", "'AD-2099-0001' is geen gekend besluit of delegatie"]),
    ("revoke_empty_by", ["revoke", "--target", "AD-2025-0007/1", "--from", "2025-06-01", "--by", ""], ["--by"]),
    ("list_bad_active_on", ["list", "--active-on", "morgen"], ["--active-on", "verwacht een datum"]),
    ("show_unknown", ["show", "CBS-2099-0001"], ["CBS-2099-0001", "niet gevonden"]),
    ("show_empty", ["show", ""], ["niet gevonden"]),
    ("who_unknown_power", ["who", "--power", "toveren"], ["--power", "geen gekende bevoegdheid"]),
    ("who_bad_on", ["who", "--power", VERB, "--on", "2025-02-29"], ["--on", "verwacht een bestaande datum"]),
    ("signature_unknown_type", ["check-signature", "--document-type", "toverboek", "--issuer", "college", "--signer", "p-010",
                                "--cosigner", "p-003"], ["--document-type", "geen gekende documenttype"]),
    ("signature_unknown_signer", ["check-signature", "--document-type", "briefwisseling", "--issuer", "college", "--signer",
                                  "p-999", "--cosigner", "p-003"], ["--signer", "p-999"]),
    ("duties_bad_on", ["duties", "--on", "2025-02-30"], ["--on", "verwacht een datum"]),
    ("duties_on_year_9999", ["duties", "--on", "9999-12-31"], ["--on", "verwacht", "9999-12-31"]),
    ("duties_on_year_1", ["duties", "--on", "0001-01-01"], ["--on", "verwacht", "0001-01-01"]),
    ("check_on_year_1", _check("--on", "0001-01-01"), ["--on", "verwacht", "0001-01-01"]),
    ("revoke_from_year_9999", ["revoke", "--target", "AD-2025-0007/1", "--from", "9999-12-31", "--by", "AD-2025-0099"],
     ["--from", "verwacht"]),
    ("report_year_word", ["report", "--year", "vorig"], ["fout in de opties", "--year"]),
    ("report_year_negative", ["report", "--year", "-1"], ["--year", "verwacht een jaartal"]),
    ("report_format_unknown", ["report", "--year", "2025", "--format", "pdf"], ["fout in de opties", "--format"]),
    ("validate_missing_file", ["validate", "bestaat-niet.yaml"], ["bestaat-niet.yaml", "verwacht een bestaand, gewoon bestand"]),
    ("import_missing_file", ["import", "bestaat-niet.yaml"], ["bestaat-niet.yaml", "verwacht een bestaand, gewoon bestand"]),
    ("import_directory", ["import", "/"], ["/", "verwacht een bestaand, gewoon bestand"]),
    ("init_existing", ["init"], ["er bestaat al een bestand"]),
]
ARGPARSE = ("unknown_option", "missing_actor", "missing_value", "lang_unknown", "no_command", "unknown_command",
            "positional_garbage", "report_year_word", "report_format_unknown")


def _id(case: Any) -> str:
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.fixture(scope="module")
def template(example_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = copy_register(example_template, tmp_path_factory.mktemp("cli") / "template.db")
    r = cli("--db", path, "--json", "history")
    assert r.code == 0
    return path, r.out


def test_the_cases_cover_every_kind() -> None:
    ids = [_id(c) for c in CASES]
    assert len(ids) == len(set(ids)) >= 60
    for prefix in ("on_", "amount_", "actor_", "power_", "as_known_on_", "record_", "revoke_", "duties_", "report_"):
        assert any(i.startswith(prefix) for i in ids), prefix


@pytest.mark.parametrize(("name", "argv", "fragments"), CASES, ids=[_id(c) for c in CASES])
def test_hostile_arguments(name: str, argv: list[str], fragments: list[str], template: tuple[Path, str],
                           tmp_path: Path) -> None:
    db = copy_register(template[0], tmp_path / "r.db")
    r = cli("--db", db, *argv)
    assert r.code == 2, r
    for marker in CRASH_MARKERS:
        assert marker not in r.err and marker not in r.out, r
    # validate reports its findings on stdout (they are its answer); every other refusal goes to stderr
    message = r.out if argv[:1] == ["validate"] else r.err
    for fragment in fragments:
        assert fragment in message, (fragment, r)
    if name not in ARGPARSE:
        # the same refusal, structured
        j = cli("--db", db, "--json", *argv)
        assert j.code == 2, j
        data = j.json
        if argv[:1] == ["validate"]:
            assert data["valid"] is False
        else:
            assert data["exit"] == 2
        assert all(f in str(data.get("error", "")) + str(data.get("findings", "")) for f in fragments), data
    after = cli("--db", db, "--json", "history")
    assert after.out == template[1]


def test_english_messages_name_the_option_too(template: tuple[Path, str], tmp_path: Path) -> None:
    db = copy_register(template[0], tmp_path / "r.db")
    r = cli("--db", db, "--lang", "en", *_check("--amount", "-1"))
    assert r.code == 2 and "--amount: expected an amount of 0 or more" in r.err, r


def test_hostile_arguments_in_a_child_process(template: tuple[Path, str], tmp_path: Path) -> None:
    """A real process, as a finance system would call it: same exit code, no traceback."""
    db = copy_register(template[0], tmp_path / "r.db")
    for argv in (_check("--on", "2025-02-30"), _check("--amount", "NaN"), ["check", "--actor", "x" * 100_000, "--power", VERB],
                 ["toveren"], ["--json", *_check("--amount", "-1")]):
        proc = subprocess.run([sys.executable, "-m", "cli.main", "--db", str(db), *argv], cwd=REPO, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2, (argv[:4], proc)
        assert "Traceback" not in proc.stderr and "onverwachte fout" not in proc.stderr, proc.stderr


# -- --db pointing at something that is not a register -------------------------------------------------------

@pytest.mark.parametrize("kind", ["directory", "garbage", "yaml", "empty_file"])
def test_db_that_is_not_a_register(kind: str, tmp_path: Path) -> None:
    """Refused as 'not a readable register' (exit 3, integrity), naming the path, and the file is left as it was."""
    path = tmp_path / "niet-een-register"
    if kind == "directory":
        path.mkdir()
    elif kind == "garbage":
        path.write_bytes(bytes(range(256)) * 20)
    elif kind == "yaml":
        path.write_bytes((REPO / "examples" / "voorbeeldegem.yaml").read_bytes())
    else:
        path.write_bytes(b"")
    before = path.read_bytes() if path.is_file() else None
    for argv in (["history"], ["fsck"], _check(), ["import", str(REPO / "examples" / "voorbeeldegem.yaml")]):
        r = cli("--db", path, *argv)
        assert r.code == 3, (argv, r)
        assert str(path) in r.err and "geen leesbaar delegatieregister" in r.err, r
        assert "onverwachte fout" not in r.err
    if before is not None:
        assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["init", "import"])
def test_register_in_a_missing_directory(command: str, tmp_path: Path) -> None:
    target = tmp_path / "bestaat-niet" / "r.db"
    argv = [command] if command == "init" else [command, str(REPO / "examples" / "voorbeeldegem.yaml")]
    r = cli("--db", target, *argv)
    assert r.code == 2, r
    assert "onverwachte fout" not in r.err and str(target.parent) in r.err, r
    assert not target.parent.exists()
