"""The law lives in data: the packaged rulebooks are consistent, cite their sources, and no Python
module of the shipped packages names an organ of either jurisdiction."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGES = ("delegations", "registry", "cli")
RULEBOOKS = sorted((REPO / "delegations" / "rulebooks").glob("*.json"))


def rulebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def organ_words() -> set[str]:
    """Organ ids of every rulebook, as ids and as words ('vast_bureau', 'vast bureau'), and their names."""
    words: set[str] = set()
    for path in RULEBOOKS:
        for organ in rulebook(path)["organs"]:
            words |= {organ["id"], organ["id"].replace("_", " "), organ["name"]["nl"], organ["name"]["en"]}
    return {w.lower() for w in words}


def code_strings(path: Path) -> list[tuple[int, str]]:
    """Identifiers and string constants of a module, without its docstrings and comments (prose may
    explain the law; code may not name it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            out.append((node.lineno, node.name))
        elif isinstance(node, ast.arg):
            out.append((node.lineno, node.arg))
        elif isinstance(node, ast.keyword) and node.arg:
            out.append((node.lineno, node.arg))
    return out


def test_no_python_module_names_an_organ() -> None:
    words = organ_words()
    pattern = re.compile(r"(?<![a-z0-9_])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                         + r")(?![a-z0-9_])", re.IGNORECASE)
    found = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for line, text in code_strings(path):
                hit = pattern.search(text)
                if hit:
                    found.append(f"{path.relative_to(REPO)}:{line}: {hit.group(0)!r} in {text[:80]!r}")
    assert found == []


def test_the_scan_sees_an_organ_in_code(tmp_path: Path) -> None:
    """The scan itself: a string or identifier naming an organ is found, prose is not."""
    probe = tmp_path / "probe.py"
    probe.write_text('"""The college decides."""\n# the vast bureau\nHOLDER = "algemeen_directeur"\nvast_bureau = 1\n',
                     encoding="utf-8")
    texts = [t for _line, t in code_strings(probe)]
    assert "algemeen_directeur" in texts and "vast_bureau" in texts and "The college decides." not in texts


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.stem for p in RULEBOOKS])
def test_every_rule_cites_its_article_and_a_public_source(path: Path) -> None:
    book = rulebook(path)
    assert book["format"] == "delegaties-rulebook/2" and book["id"] == path.stem and book["version"]
    for rule in book["rules"]:
        assert rule.get("article"), rule["id"]
        assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}(/|$)", rule["source"]), rule["id"]
        assert rule.get("title"), rule["id"]


@pytest.mark.parametrize("jurisdiction", [p.stem for p in RULEBOOKS])
def test_rulebook_loads_and_is_consistent(jurisdiction: str) -> None:
    """The loader's own integrity checks (kinds known, holders are organs, entities have councils)."""
    from delegations.rulebook import load

    book = load(jurisdiction)
    assert book.default_entity in book.entities and book.default_kind in book.kinds
    for organ in book.organs.values():
        assert organ.entities and all(e in book.entities for e in organ.entities)
    # every individual organ is a position kind; abstract kinds are not
    assert all(o.id in book.position_kinds for o in book.organs.values() if not o.collegial)
    assert not any(book.kinds[k].abstract for k in book.position_kinds)


def test_flemish_kinds_are_a_hierarchy() -> None:
    from delegations.rulebook import load

    book = load("vl-dlb")
    assert "raadslid" in book.kinds_of("schepen") and "raadslid" in book.kinds_of("burgemeester")
    for director in ("adjunct_algemeen_directeur", "financieel_directeur", "algemeen_directeur"):
        assert {"personeelslid", "decretale_graad"} <= book.kinds_of(director)
    assert book.offices_of("burgemeester") == ("burgemeester", "voorzitter_vast_bureau")


def test_the_cli_checks_a_dutch_register_with_the_same_code(tmp_path: Path) -> None:
    """Everything jurisdiction-specific comes from the rulebook: the same command answers for both."""
    from tests.helpers import cli

    for example, question in (
            ("voorbeeldegem.yaml", ["--actor", "p-010", "--power", "medeondertekening", "--on", "2025-06-01",
                                    "--document-type", "briefwisseling", "--issuer", "college"]),
            ("voorbeeldstad-awb.yaml", ["--actor", "v-06", "--power", "ondertekening", "--on", "2025-04-01",
                                        "--document-type", "briefwisseling", "--issuer", "college"])):
        db = tmp_path / f"{example}.db"
        assert cli("--db", db, "import", REPO / "examples" / example).code == 0
        r = cli("--db", db, "--json", "check", *question)
        assert r.code == 0 and r.json["allowed"], r
