"""A one-shot `delegaties check` loads only what the question needs: no web framework, no
signing, no report templates, no validator, no cattrs (the converter builds stored entities
without it), no Babel (Dutch amounts are written out), and it reads each row at most once.

Nothing here times anything: the guards are which modules a check imports and which SQL it runs,
so they hold on a busy machine too. The plain structuring path and the Dutch amounts are held to
what cattrs and Babel give.
"""

from __future__ import annotations

import collections
import copy
import json
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLE, REPO, VERBINTENIS

# Heavy or unrelated to one question: a check that imports one of these has regressed.
NOT_FOR_A_CHECK = (
    "cryptography", "jwt", "jinja2", "psycopg", "psycopg_pool", "hypothesis", "starlette", "uvicorn", "litestar",
    "httpx", "yaml", "cattrs", "babel", "confusable_homoglyphs",
    "cli.service", "cli.demo", "registry.reports", "registry.charts", "registry.duties", "registry.attest",
    "registry.keys", "registry.pg", "registry.whatif", "registry.assertions", "registry.fsck", "registry.files",
    "registry.uses", "registry.checkpoints", "delegations.validate", "delegations.attestation",
)

_CHILD = """
import contextlib, io, json, sys
from cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _run_check(*argv: object) -> dict[str, Any]:
    """One CLI process, as a user starts it; what it printed and every module it imported."""
    done = subprocess.run([sys.executable, "-c", _CHILD, *map(str, argv)], cwd=REPO, capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout)


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


P001 = ["--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--budget-key", "0119/6140000",
        "--unit", "aankoop"]


@pytest.mark.parametrize("args, code", [
    (["--json", "check", *P001, "--amount", "1200"], 0),
    (["--json", "check", *P001, "--amount", "30000"], 1),  # refused: reasons with Dutch amounts
    (["check", *P001, "--amount", "30000"], 1),  # the same in words
    (["--json", "check", "--actor", "p-001", "--power", "nergens.bekend", "--on", "2025-05-02"], 2),  # unknown power
])
def test_a_check_imports_only_what_it_needs(example_db: Path, args: list[str], code: int) -> None:
    child = _run_check("--db", example_db, *args)
    assert child["code"] == code, child["out"]
    assert _loaded(child["modules"], NOT_FOR_A_CHECK) == []
    if code == 1:
        assert "30.000,00 EUR" in child["out"]  # Dutch amounts without Babel


def test_other_commands_still_load_what_they_need(example_db: Path) -> None:
    child = _run_check("--db", example_db, "--json", "fsck")
    assert child["code"] == 0, child["out"]
    assert "registry.fsck" in child["modules"]


def test_a_check_reads_each_row_once(example_template: Path) -> None:
    from registry import Registry

    reg = Registry.open(example_template, lazy=True, readonly=True)
    statements: list[str] = []
    reg.store.conn.set_trace_callback(statements.append)
    for amount in ("1200", "30000"):
        reg.check("p-001", VERBINTENIS, "2025-05-02", amount=amount, budget_key="0119/6140000", unit="aankoop").to_dict("nl")
    reg.close()
    repeated = [s for s, n in collections.Counter(statements).items() if n > 1 and s.lstrip().upper().startswith("SELECT")]
    assert repeated == []


# -- the parser of one command --------------------------------------------------------------------

@pytest.mark.parametrize("argv, command", [
    (["check", "--actor", "a"], "check"),
    (["--db", "x.db", "--json", "check"], "check"),
    (["--db=x.db", "--lang", "en", "--wait", "3", "who"], "who"),
    (["--data-dir", "d", "--administration", "a", "keys", "list"], "keys"),
    (["--help", "check"], None),
    (["--version"], None),
    (["--wa", "3", "check"], None),  # an abbreviation: only argparse knows what it means
    (["--", "check"], None),
    ([], None),
])
def test_the_command_is_found_only_when_plain(argv: list[str], command: str | None) -> None:
    from cli.main import command_of

    assert command_of(argv) == command


@pytest.mark.parametrize("argv", [
    ["--db", "r.db", "--json", "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02",
     "--amount", "12", "--lang", "en", "--wait", "2"],
    ["--lang", "en", "keys", "retire", "--", "-abc"],
    ["--db", "r.db", "tokens", "new", "--role", "reader", "--label", "x"],
    ["who", "--power", VERBINTENIS],
])
def test_a_parser_for_one_command_parses_as_the_whole_parser(argv: list[str]) -> None:
    from cli.main import build_parser, command_of

    whole = vars(build_parser("nl").parse_args(argv))
    one = vars(build_parser("nl", only=command_of(argv)).parse_args(argv))
    assert one == whole


# -- structuring without cattrs ---------------------------------------------------------------------

def _outcome(fn, data: Any, cls: type) -> tuple:
    from delegations.converter import error_items, unstructure

    try:
        obj = fn(data, cls)
    except Exception as exc:  # noqa: BLE001 - the outcome is compared, whatever it is
        return ("error", type(exc).__name__, [(p, t.msgid, sorted(map(str, t.params.items()))) for p, t in error_items(exc)])
    return ("ok", repr(obj), json.dumps(unstructure(obj), sort_keys=True, default=str))


_ODD = [None, 0, 1, -1, True, "", "x", "2025-01-01", "12.345", 1.5, [], {}, ["a", "b"], ["a", "a"], {"a": 1}, [{"x": 1}]]


def _paths(obj: Any, at: tuple = ()):
    yield at
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*at, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*at, i))


def test_plain_structuring_gives_what_cattrs_gives() -> None:
    """The walk without cattrs builds what cattrs builds; what it does not accept is cattrs' to
    refuse, with cattrs' errors: mutations of the example register compared with cattrs alone."""
    import yaml

    from delegations import converter
    from delegations import model as m

    original = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    alone = converter._cattrs().structure
    paths = list(_paths(original))[1:]
    rng = random.Random(20250314)
    cases = [(original, m.RegisterFile)]
    for _ in range(600):
        data = copy.deepcopy(original)
        path = rng.choice(paths)
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        roll = rng.random()
        if roll < 0.2 and isinstance(parent, dict):
            del parent[path[-1]]
        elif roll < 0.3 and isinstance(parent, dict):
            parent[f"extra{rng.randint(0, 2)}"] = 1
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(_ODD))
        cases.append((data, m.RegisterFile))
    for section, cls in (("decisions", m.Decision), ("positions", m.Position), ("appointments", m.Appointment)):
        cases += [(item, cls) for item in original.get(section, [])]
    cases += [(v, cls) for v in _ODD for cls in (m.Limits, m.Grant, m.Substitution, tuple[m.Grant, ...], m.Rule | None)]
    accepted = 0
    for data, cls in cases:
        mine = _outcome(converter.structure, data, cls)
        assert mine == _outcome(alone, data, cls), (cls, data)
        accepted += mine[0] == "ok"
    assert accepted > 50  # the comparison covers accepted values too, not only errors


def test_the_plain_walk_reads_annotations_as_typing_does() -> None:
    import typing

    import attrs

    from delegations import converter
    from delegations import model as m

    classes = [c for c in vars(m).values() if isinstance(c, type) and attrs.has(c)]
    assert set(converter.STRUCTURED) <= set(classes)
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for a in attrs.fields(cls):
            assert converter._field_type(cls, a.type) == hints[a.name], (cls, a.name)
        assert cls not in converter.STRUCTURED or converter._plain_class(cls) is not None, cls  # no class left to cattrs


def test_amounts_in_dutch_are_babels() -> None:
    from delegations.texts import format_number, nl_amount

    rng = random.Random(7)
    values: list[object] = ["0", "-0", "0.005", "0.015", "999999.995", "1E+5", "1000000000000", 8500, 1234.5,
                            Decimal("8500.00"), "-1234.5"]
    values += [str(Decimal(rng.randint(-10**14, 10**14)) / 100) for _ in range(500)]
    values += [rng.random() * 10 ** rng.randint(0, 12) for _ in range(500)]
    for value in values:
        assert nl_amount(value) == format_number(Decimal(str(value)).quantize(Decimal("0.01")), "#,##0.00", "nl"), value
