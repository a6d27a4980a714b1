"""Shared helpers for the behaviour tests: running the CLI, writing small register files.

Every name, number and URL in the registers built here is invented ("Proefgem" is a fictional
administration, like "Voorbeeldegem" in examples/).
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "voorbeeldegem.yaml"
INVALID = Path(__file__).resolve().parent / "data" / "invalid"

# The stable codes of contract sections 4 and 5, written out here on purpose: the tests compare
# the implementation against the contract, not against itself.
REASON_CODES = (
    "NO_AUTHORITY", "NOT_YET_EFFECTIVE", "EXPIRED", "REVOKED", "AMOUNT_ABOVE_LIMIT", "ANNUAL_CEILING_EXCEEDED",
    "BUDGET_KEY_OUT_OF_SCOPE", "UNIT_OUT_OF_SCOPE", "DOCUMENT_TYPE_OUT_OF_SCOPE", "ISSUER_OUT_OF_SCOPE",
    "POWER_EXCLUDED", "SUBDELEGATION_NOT_ALLOWED", "SUBDELEGATION_TOO_DEEP", "NOT_DELEGABLE",
    "CONFLICT_OF_INTEREST", "HOLDER_NOT_ABSENT", "SAME_PERSON",
)
CONDITION_CODES = ("COSIGNATURE_REQUIRED", "VISUM_REQUIRED", "NOTIFY_ABSENT_HOLDER")
VALIDATION_ERRORS = ("UNKNOWN_REFERENCE", "DUPLICATE_ID", "INVALID_PERIOD", "NOT_DELEGABLE", "COLLEGIAL_TO_MEMBER",
                     "TARGET_NOT_ELIGIBLE", "CYCLE", "FORMAT")
VALIDATION_WARNINGS = ("MISSING_REPORTING_DUTY", "SCOPE_WIDENS_PARENT", "DELEGATOR_LACKS_POWER", "VACANT_POSITION",
                       "REVIEW_OVERDUE")

VERBINTENIS = "budgethouderschap.verbintenis"


# -- running the command line -------------------------------------------------------------------

@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:  # readable assertion failures
        return f"Result(code={self.code}, out={self.out[:2000]!r}, err={self.err[:2000]!r})"


def cli(*args: object) -> Result:
    """Run `delegaties` in this process (fast); argparse exits become exit codes."""
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return Result(code, out.getvalue(), err.getvalue())


def cli_process(*args: object, timeout: float = 120) -> Result:
    """Run `python -m cli.main` in a child process, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "cli.main", *[str(a) for a in args]], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def check_json(db: Path, *args: object) -> tuple[int, dict[str, Any]]:
    r = cli("--db", db, "--json", "check", *args)
    assert r.code in (0, 1), r
    return r.code, r.json


def reasons_with(answer: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [r for r in answer["reasons"] if r["code"] == code]


def conditions_with(answer: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [c for c in answer["conditions"] if c["code"] == code]


# -- register files ---------------------------------------------------------------------------

def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def import_file(db: Path, file: Path) -> dict[str, Any]:
    r = cli("--db", db, "--json", "import", file)
    assert r.code == 0, r
    return r.json


def new_register(tmp: Path, data: dict[str, Any], name: str = "register") -> Path:
    """Write `data` as YAML next to a fresh register, import it and return the register path."""
    db = tmp / f"{name}.db"
    import_file(db, write_yaml(tmp / f"{name}.yaml", data))
    return db


def copy_register(src: Path, dst: Path) -> Path:
    """A consistent copy of a closed register (the WAL is folded in first)."""
    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    dst.write_bytes(src.read_bytes())
    return dst


def head(db: Path) -> tuple[int, str]:
    r = cli("--db", db, "--json", "fsck")
    assert r.code == 0, r
    return r.json["seq"], r.json["head"]


def history(db: Path) -> list[dict[str, Any]]:
    r = cli("--db", db, "--json", "history")
    assert r.code == 0, r
    return r.json


# -- a small fictional administration for purpose-made registers ------------------------------

LOCAL_RULE = {
    "id": "LOKAAL-BH",
    "title": "Reglement budgethouderschap van Proefgem",
    "holder": "college",
    "entity": "gemeente",
    "powers": ["budgethouderschap"],
    "delegable_to": ["algemeen_directeur"],
    "subdelegable_to": ["personeelslid"],
    "not_delegable": [],
    "notify": None,
    "source": "https://example.invalid/proefgem/reglement-budgethouderschap",
}

PERSONS = {
    "q-01": ("Ada Proef", "ad"),
    "q-02": ("Bo Toets", "fd"),
    "q-03": ("Cas Fictie", "dh-a"),
    "q-04": ("Dirk Verzinsel", "med-a"),
    "q-05": ("Eva Schijn", "med-b"),
    "q-06": ("Fons Bedenksel", "dh-t"),
    "q-07": ("Gert Droom", "bm"),
    "q-08": ("Hilde Sprookje", "sch"),
    "q-09": ("Ivo Dubbel", "rl"),
    "q-10": ("Jet Voorzit", "vz"),
    "q-11": ("Kobe Klein", "med-c"),
}


def base_register(**sections: list[dict[str, Any]]) -> dict[str, Any]:
    """Proefgem: units, positions, one person per position (from 2020), a local rule.

    Keyword arguments extend the sections (decisions=[...], absences=[...], ...)."""
    data: dict[str, Any] = {
        "format": "delegaties/1",
        "administration": {"id": "proefgem", "name": "Lokaal bestuur Proefgem"},
        "units": [
            {"id": "bestuur", "name": "Bestuur"},
            {"id": "financien", "name": "Financiën", "parent": "bestuur"},
            {"id": "aankoop", "name": "Aankoop", "parent": "financien"},
            {"id": "techniek", "name": "Techniek", "parent": "bestuur"},
            {"id": "cultuur", "name": "Cultuur", "parent": "bestuur"},
        ],
        "positions": [
            {"id": "ad", "name": "Algemeen directeur", "kind": "algemeen_directeur", "unit": "bestuur"},
            {"id": "fd", "name": "Financieel directeur", "kind": "financieel_directeur", "unit": "financien"},
            {"id": "bm", "name": "Burgemeester", "kind": "burgemeester", "unit": "bestuur"},
            {"id": "sch", "name": "Schepen", "kind": "schepen", "unit": "bestuur"},
            {"id": "vz", "name": "Voorzitter gemeenteraad", "kind": "voorzitter_gemeenteraad", "unit": "bestuur"},
            {"id": "rl", "name": "Raadslid", "kind": "raadslid", "unit": "bestuur"},
            {"id": "dh-a", "name": "Diensthoofd aankoop", "unit": "aankoop", "manager": True, "substitutes": ["med-a"]},
            {"id": "med-a", "name": "Medewerker aankoop", "unit": "aankoop"},
            {"id": "med-c", "name": "Medewerker aankoop (bestellingen)", "unit": "aankoop"},
            {"id": "dh-t", "name": "Diensthoofd techniek", "unit": "techniek", "manager": True},
            {"id": "med-b", "name": "Medewerker techniek", "unit": "techniek"},
            {"id": "sec", "name": "Secretariaatsmedewerker", "unit": "bestuur"},
        ],
        "persons": [{"id": pid, "name": name} for pid, (name, _pos) in PERSONS.items()],
        "appointments": [{"person": pid, "position": pos, "from": "2020-01-01"} for pid, (_n, pos) in PERSONS.items()],
        "rules": [dict(LOCAL_RULE)],
    }
    for key, items in sections.items():
        data[key] = list(data.get(key, [])) + list(items)
    return data


def grant(gid: str, to: str, powers: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    g: dict[str, Any] = {"id": gid, "to": to, "powers": powers or [VERBINTENIS]}
    g.update(extra)
    g.setdefault("reporting", [{"to": "college", "every": "quarter", "within_days": 30, "content": "lijst"}])
    return g


def decision(did: str, by: str, grants: list[dict[str, Any]], basis: str = "LOKAAL-BH",
             effective_from: str = "2025-01-01", **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": did, "title": f"Besluit {did}", "by": by, "decided_on": effective_from,
                         "effective_from": effective_from, "legal_basis": basis,
                         "source": f"https://example.invalid/proefgem/besluiten/{did}"}
    d.update(extra)
    d["grants"] = grants
    return d


def property_tests(body: Any, quick: int, thorough: int, **strategies: Any) -> tuple[Any, Any]:
    """The same Hypothesis property twice: a quick run for every test run, a thorough one marked slow."""
    import pytest
    from hypothesis import HealthCheck, given, settings

    def build(n: int) -> Any:
        return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
            given(**strategies)(body))

    return build(quick), pytest.mark.slow(build(thorough))
