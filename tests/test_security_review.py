"""Security review, as tests: SQL only with bound parameters, YAML only through safe loading.

Static part: the source of the shipped packages is parsed and every SQL text built with an
f-string, `%` or `.format()` must interpolate only what the allow-list below names (fixed table
and column names from code, lists of `?` placeholders). Dynamic part: user-controlled values
with quotes and a marker go through import, check, record, revoke and show, and the marker never
appears in the text of an executed SQL statement (it only travels as a bound parameter).
"""

from __future__ import annotations

import ast
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, cli

PACKAGES = ("delegations", "registry", "cli")
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|ALTER|WHERE|FROM|JOIN|VALUES|ORDER BY|GROUP BY|CAST|"
                 r"CASE WHEN)\b|\bIN \(")

# (file, how, interpolated expressions or format keywords) -> why that is safe
ALLOWED = {
    ("registry/fsck.py", "f-string", ("columns", "table", "order")): "names and ORDER BY clauses from projections.TABLES, "
                                                                     "set in code; columns from the in-memory schema's own",
    ("registry/fsck.py", "f-string", ("table", "order")): "names and ORDER BY clauses from projections.TABLES, set in code",
    ("registry/fsck.py", "f-string", ("order",)): "rowid or seq, chosen in code by engine",
    ("registry/pg.py", "f-string", ("SETTING",)): "the name of the setting, a module constant",
    ("registry/pg.py", "f-string", ("name",)): "table names from pg.TABLES, set in code",
    ("registry/pg.py", "f-string", ("name", "columns")): "table names and column definitions from pg.TABLES",
    ("registry/pg.py", "f-string", ("name", "_POLICY", "_POLICY")): "table names from pg.TABLES and the policy constant",
    ("registry/reports.py", "f-string", ("column",)): "a column name chosen in code",
    ("registry/schema.py", "f-string", ("_APPEND_ONLY",)): "the trigger body, a module constant",
    ("registry/store.py", "f-string", ("int(wait * 1000)",)): "a number of milliseconds computed in code",
    ("registry/store.py", "f-string", ("','.join('?' * len(kinds))",)): "a list of ? placeholders",
    ("registry/duties.py", "f-string", ("TABLE",)): "the module constant TABLE",
    ("registry/duties.py", ".format", ("join",)): "a JOIN clause built from TABLE and a ? placeholder",
    ("registry/reports.py", ".format", ("sum",)): "an aggregate over a column name chosen in code",
    ("registry/reports.py", ".format", ("a",)): "a column name chosen in code",
}


def _sources() -> list[tuple[str, ast.AST]]:
    out = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            out.append((path.relative_to(REPO).as_posix(), ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _sql_names(tree: ast.AST) -> set[str]:
    """Names bound to SQL text in a module (so that `name.format(...)` on them is recognised)."""
    names = {"sql"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_sql(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_sql(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(SQL.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return bool(SQL.search("".join(v.value for v in node.values if isinstance(v, ast.Constant))))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_sql(node.left) or _is_sql(node.right)
    return False


def formatted_sql() -> list[tuple[str, int, str, tuple[str, ...]]]:
    """Every place where SQL text is built by formatting: (file, line, how, what is interpolated)."""
    found = []
    for file, tree in _sources():
        sql_names = _sql_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and _is_sql(node):
                parts = tuple(ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
                if parts:
                    found.append((file, node.lineno, "f-string", parts))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_sql(node.left):
                found.append((file, node.lineno, "%", (ast.unparse(node.right),)))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
                recv = node.func.value
                if _is_sql(recv) or (isinstance(recv, ast.Name) and recv.id in sql_names):
                    values = [k.value for k in node.keywords] + list(node.args)
                    if all(isinstance(v, ast.Constant) for v in values):
                        continue  # only literals from the source itself, e.g. a column name
                    keys = tuple(sorted(k.arg or "**" for k in node.keywords)) + tuple(ast.unparse(a) for a in node.args)
                    found.append((file, node.lineno, ".format", keys))
    return found


def test_sql_is_formatted_only_with_names_from_code() -> None:
    found = formatted_sql()
    assert found, "the scanner must see the known, allowed interpolations (or it scans nothing)"
    unexpected = [f for f in found if (f[0], f[2], f[3]) not in ALLOWED]
    assert not unexpected, ("SQL built by formatting with something not on the allow-list; use bound parameters (?) "
                            f"or add a reviewed entry to ALLOWED: {unexpected}")


def test_the_scanner_catches_what_it_must() -> None:
    """Guard against a scanner that finds nothing: three unsafe forms in a scratch module."""
    code = ('def f(conn, ref, table):\n'
            '    conn.execute(f"SELECT * FROM uses WHERE reference = \'{ref}\'")\n'
            '    conn.execute("DELETE FROM %s" % table)\n'
            '    conn.execute("UPDATE uses SET amount = {0}".format(ref))\n')
    tree = ast.parse(code)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and _is_sql(node):
            hits.append("f")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_sql(node.left):
            hits.append("%")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                and _is_sql(node.func.value):
            hits.append("format")
    assert sorted(hits) == ["%", "f", "format"]


# -- bound parameters at run time -------------------------------------------------------------------------------

MARK = "ZQX'\"; DROP TABLE events; --"


class _Recording(sqlite3.Connection):
    statements: list[str] = []

    def execute(self, sql, *args):  # type: ignore[override]
        _Recording.statements.append(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):  # type: ignore[override]
        _Recording.statements.append(sql)
        return super().executemany(sql, *args)

    def cursor(self, *args, **kwargs):  # type: ignore[override]
        cur = super().cursor(*args, **kwargs)
        original = cur.execute

        def execute(sql, *a):
            _Recording.statements.append(sql)
            return original(sql, *a)

        try:
            cur.execute = execute  # type: ignore[method-assign]
        except AttributeError:  # C cursor without instance dict: its SQL is covered by the connection methods
            pass
        return cur


def test_user_values_travel_only_as_bound_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry import Registry, store

    real_connect = sqlite3.connect
    monkeypatch.setattr(store.sqlite3, "connect", lambda *a, **kw: real_connect(*a, factory=_Recording, **kw))
    _Recording.statements = []
    register = (REPO / "tests" / "data" / "bad" / "base.yaml").read_text(encoding="utf-8")
    register = register.replace("name: Toon Test", f"name: {_quoted(MARK)}")
    register = register.replace("reason: test}", f"reason: {_quoted(MARK)}}}")
    src = tmp_path / "register.yaml"
    src.write_text(register, encoding="utf-8")
    db = tmp_path / "r.db"
    Registry.init(db).close()
    with Registry.open(db) as reg:
        reg.load(src)
        answer = reg.check("t-p2", "budgethouderschap.verbintenis", "2025-05-02", amount=Decimal("10"),
                           unit="t-aankoop", budget_key="0119/6140000", matter=MARK)
        reg.record_use(answer, MARK)
        reg.record_use(answer, MARK)  # the idempotent path looks the reference up
        reg.revoke("T-CBS-2025-01/1", "2026-06-01", "T-CBS-2026-01", MARK)
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do; what matters is the SQL it ran
            reg.show(MARK)
        assert reg.fsck() == []
        list(reg.history())
    assert any("INSERT INTO events" in s for s in _Recording.statements), "recording did not capture the writes"
    leaked = [s for s in _Recording.statements if "ZQX" in s]
    assert not leaked, leaked


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- YAML -------------------------------------------------------------------------------------------------------

def _all_python_files() -> list[Path]:
    files = [p for package in (*PACKAGES, "bench", "tests") for p in sorted((REPO / package).rglob("*.py"))]
    return [p for p in files if p.name != Path(__file__).name]


def test_yaml_is_loaded_only_through_the_safe_loader() -> None:
    calls = []
    for path in _all_python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "load", "load_all") and isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml":
                calls.append((path.relative_to(REPO).as_posix(), ast.unparse(node)))
    assert calls == [("registry/files.py", "yaml.load(text, Loader=loader)")], calls


@pytest.mark.parametrize("unsafe", ["yaml.unsafe_load", "yaml.full_load", "yaml.Loader", "FullLoader", "UnsafeLoader",
                                    "yaml.load_all", "yaml.unsafe_load_all", "yaml.add_constructor"])
def test_no_unsafe_yaml_api_in_the_source_tree(unsafe: str) -> None:
    offenders = [p.relative_to(REPO).as_posix() for p in _all_python_files() if unsafe in p.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_the_loader_is_a_safe_loader_without_python_tags() -> None:
    from registry.files import FileProblem, _yaml_loader, parse_bytes

    _yaml, loader = _yaml_loader()
    assert issubclass(loader, yaml.SafeLoader) or issubclass(loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert not [t for t in loader.yaml_constructors if t and "python" in t]
    assert not [t for t in getattr(loader, "yaml_multi_constructors", {}) if t and "python" in t]
    for payload in (b"!!python/object/apply:os.system ['touch /tmp/gekaapt']\n", b"a: !!python/name:os.system\n",
                    b"a: !!python/object/new:subprocess.Popen [[id]]\n"):
        with pytest.raises(FileProblem):
            parse_bytes(payload, "aanval.yaml")


def test_no_eval_exec_pickle_or_shell_in_the_packages() -> None:
    pattern = re.compile(r"\b(eval|exec)\(|\bpickle\b|\bmarshal\b|shell\s*=\s*True|os\.system\(|os\.popen\(")
    offenders = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line.split("#")[0]):
                    offenders.append(f"{path.relative_to(REPO)}:{i}: {line.strip()}")
    assert not offenders, offenders


def test_cli_still_refuses_a_python_tag_end_to_end(tmp_path: Path) -> None:
    target = tmp_path / "gekaapt"
    src = tmp_path / "aanval.yaml"
    src.write_text(f"format: delegaties/1\nadministration: !!python/object/apply:os.system ['touch {target}']\n",
                   encoding="utf-8")
    r = cli("--db", tmp_path / "r.db", "validate", src)
    assert r.code == 2 and "verwacht waarden zonder tags" in r.out, r
    assert not target.exists()
