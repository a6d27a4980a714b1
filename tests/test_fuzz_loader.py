"""Fuzzing the register loader: whatever the bytes or the structure, only documented outcomes.

`registry.files.parse_bytes` returns data or raises FileProblem; `delegations.validate.parse`
and `validate` return findings; `Registry.validate` on a file returns findings. Nothing else may
escape: no KeyError, RecursionError, OverflowError, ... Each property runs briefly in every test
run and thoroughly in the slow suite.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delegations import model as m
from delegations.validate import ValidationFinding, parse, validate
from registry import Registry
from registry.files import FileProblem, parse_bytes, read_file
from tests.helpers import EXAMPLE

BASE = Path(__file__).resolve().parent / "data" / "bad" / "base.yaml"
BASE_DATA: dict[str, Any] = read_file(BASE)
SEEDS = [BASE.read_bytes(), EXAMPLE.read_bytes(), json.dumps(BASE_DATA, default=str).encode()]
TODAY = date(2025, 6, 1)


def fuzz(quick: int, thorough: int, **strategies: Any):
    """The same property twice: a quick (derandomized) run for every test run, a thorough one marked slow."""
    def wrap(body: Any) -> tuple[Any, Any]:
        def build(n: int) -> Any:
            return settings(max_examples=n, deadline=None, database=None, derandomize=n == quick,
                            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                   HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])(
                given(**strategies)(body))
        return build(quick), pytest.mark.slow(build(thorough))
    return wrap


@pytest.fixture(scope="module")
def state(example_template: Path):
    with Registry.open(example_template) as reg:
        yield reg.state()


def load(raw: bytes, name: str, state) -> list[ValidationFinding]:
    """The loader pipeline as `Registry.validate` runs it, minus the file system."""
    try:
        data = parse_bytes(raw, name)
    except FileProblem as exc:
        assert exc.finding.code == "FORMAT" and exc.finding.file == name
        return [exc.finding]
    f, findings = parse(data, name)
    assert all(isinstance(x, ValidationFinding) for x in findings)
    if f is None:
        assert findings, "a file that does not parse must say why"
        return findings
    assert isinstance(f, m.RegisterFile)
    found = validate(f, name, state, TODAY)
    assert all(isinstance(x, ValidationFinding) and x.file == name for x in found)
    return findings + found


# -- bytes ---------------------------------------------------------------------------------------------------

def _random_bytes(state, raw: bytes, suffix: str) -> None:
    load(raw, "fuzz" + suffix, state)


test_random_bytes, test_random_bytes_thorough = fuzz(150, 3000, raw=st.binary(max_size=2000), suffix=st.sampled_from([".yaml", ".json", ".yml"]))(_random_bytes)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid register file with a few byte-level edits: flips, deletions, insertions, splices."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "splice", "token"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=20))
        elif op == "splice":
            j = draw(st.integers(0, max(0, len(data) - 1)))
            data[i:i] = data[j:j + draw(st.integers(1, 200))]
        else:
            data[i:i] = draw(st.sampled_from([b"&a ", b"*a", b"!!python/object:os.system ", b"<<: ", b"- ", b": ", b"[", b"]",
                                              b"{", b"}", b"\n  ", b"'", b'"', b"~", b".nan", b"-1", b"1e999", b"2025-02-30",
                                              b"\t", b"#", b"---\n", b"? ", b"|", b">", b"%YAML 1.1\n", b"\xc3", b"\\u"]))
    return bytes(data)


def _mutated_files(state, raw: bytes, suffix: str) -> None:
    load(raw, "mutant" + suffix, state)


test_mutated_files, test_mutated_files_thorough = fuzz(200, 3000, raw=mutated(), suffix=st.sampled_from([".yaml", ".json"]))(_mutated_files)


# -- structures ----------------------------------------------------------------------------------------------

IDS = ["t-a", "t-b", "p-001", "p-002", "ad", "dh-aankoop", "adj-aankoop", "aankoop", "bestuur", "college", "gemeenteraad",
       "burgemeester", "X-1", "X-1/1", "X-2", "X-2/1", "AD-2025-0007/1", "CBS-2025-0412/1", "REGLEMENT-BUDGETHOUDERSCHAP",
       "DLB-41", "DLB-283", "budgethouderschap", "budgethouderschap.verbintenis", "medeondertekening", "briefwisseling",
       "personeelslid", "schepen", "algemeen_directeur"]
DATES = ["2024-12-31", "2025-01-01", "2025-02-01", "2025-06-30", "2026-01-01"]
AMOUNTS = [0, 1, 8500, "1200.50", "20000", 250000]
# Once in a while, anywhere: the wrong type, nesting, an impossible date or amount, odd floats.
BAD = ["", "2025-02-30", "0001-01-01", "9999-12-31", "1799-12-31", "2025-1-1", "12.345", "1e5", "-0", "NaN", -1, 10**13,
       "interim", "week", "koning"]
JUNK = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 10**13), st.text(max_size=6),
                              st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(IDS + BAD)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                    max_leaves=6)


def maybe(strategy: st.SearchStrategy, junk: int = 40) -> st.SearchStrategy:
    """The plausible value, and once in `junk` times something else entirely."""
    return st.integers(0, junk - 1).flatmap(lambda i: JUNK if i == junk // 2 else strategy)  # not a boundary: those come often


ID, DATE, AMOUNT = maybe(st.sampled_from(IDS)), maybe(st.sampled_from(DATES)), maybe(st.sampled_from(AMOUNTS))
IDLIST = maybe(st.lists(st.sampled_from(IDS), max_size=3))
TEXT = maybe(st.text(st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=12).filter(str.strip))
INT = maybe(st.integers(0, 12))


def entry(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy:
    return st.fixed_dictionaries(required, optional=optional)


LIMITS = maybe(entry({}, {"max_amount": AMOUNT, "annual_ceiling": AMOUNT, "budget_keys": maybe(st.lists(
    st.sampled_from(["0119/61*", "0119/6140000", "*", "0200/*"]), max_size=2)), "units": IDLIST, "document_types": IDLIST,
    "issuers": IDLIST, "excluded": IDLIST, "only_when_absent": ID}))
GRANT = entry({"id": ID, "to": ID, "powers": IDLIST}, {
    "under": ID, "limits": LIMITS, "requires": maybe(entry({}, {"cosignature_by": ID, "visum_above": AMOUNT})),
    "subdelegation": maybe(entry({}, {"allowed": maybe(st.booleans()), "max_depth": INT})),
    "reporting": maybe(st.lists(entry({"to": ID, "every": maybe(st.sampled_from(["act", "month", "quarter", "half_year",
                                                                                   "year"]))},
                                      {"within_days": INT, "content": TEXT}), max_size=2)),
    "signature_mention": TEXT})
SECTIONS = {
    "units": entry({"id": ID, "name": TEXT}, {"parent": ID}),
    "positions": entry({"id": ID, "name": TEXT}, {"kind": ID, "unit": ID, "manager": maybe(st.booleans()), "substitutes": IDLIST}),
    "persons": entry({"id": ID, "name": TEXT}, {}),
    "appointments": entry({"person": ID, "position": ID, "from": DATE}, {"until": DATE, "capacity": maybe(
        st.sampled_from(["titular", "acting"]))}),
    "absences": entry({"person": ID, "from": DATE, "until": DATE}, {}),
    "rules": entry({"id": ID, "title": TEXT}, {"holder": ID, "entity": ID, "powers": IDLIST, "delegable_to": IDLIST,
                                               "subdelegable_to": IDLIST, "not_delegable": IDLIST, "notify": ID, "source": TEXT}),
    "powers": entry({"id": maybe(st.sampled_from(["budgethouderschap.x", "benoeming.y", "onbekend.z"])), "name": TEXT},
                    {}),
    "decisions": entry({"id": ID, "title": TEXT, "by": ID, "decided_on": DATE, "effective_from": DATE, "legal_basis": ID},
                       {"entity": ID, "effective_until": DATE, "source": TEXT, "review_every_years": INT,
                        "grants": maybe(st.lists(GRANT, max_size=3))}),
    "revocations": entry({"target": ID, "effective_from": DATE, "by": ID}, {"reason": TEXT}),
    "conflicts": entry({"person": ID, "matter": TEXT, "from": DATE}, {"until": DATE, "reason": TEXT}),
}


@st.composite
def register(draw: st.DrawFn) -> dict[str, Any]:
    """Dicts shaped like register files: the right sections, plausible entries, a little junk."""
    data: dict[str, Any] = {"format": draw(maybe(st.just("delegaties/1"))),
                            "administration": draw(maybe(st.just({"id": "voorbeeldegem", "name": "Lokaal bestuur"})))}
    for section, item in SECTIONS.items():
        if draw(st.booleans()):
            data[section] = draw(maybe(st.lists(item, max_size=4)))
    if draw(st.integers(0, 19)) == 7:  # an unknown key, at the top or in some entry
        target = draw(st.sampled_from([data] + [x for v in data.values() if isinstance(v, list) for x in v
                                                if isinstance(x, dict)]))
        target["onbekend"] = draw(JUNK)
    return data


def _structures(state, data: dict[str, Any]) -> None:
    f, findings = parse(data, "gestructureerd.yaml")
    if f is not None:
        validate(f, "gestructureerd.yaml", state, TODAY)
    else:
        assert findings


test_structures, test_structures_thorough = fuzz(300, 1500, data=register())(_structures)


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """base.yaml with one field somewhere replaced: most of these pass the format and reach validation."""
    import copy

    data = copy.deepcopy(BASE_DATA)
    node: Any = data
    for _ in range(draw(st.integers(1, 5))):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict | list) or draw(st.integers(0, 3)) == 0:
                node[key] = draw(JUNK)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if not isinstance(node[i], dict | list) or draw(st.integers(0, 3)) == 0:
                node[i] = draw(JUNK)
                break
            node = node[i]
        else:
            break
    return data


def _near_valid(state, data: dict[str, Any]) -> None:
    f, findings = parse(data, "bijna.yaml")
    if f is not None:
        validate(f, "bijna.yaml", state, TODAY)
    else:
        assert findings


test_near_valid, test_near_valid_thorough = fuzz(300, 2000, data=near_valid())(_near_valid)


# -- files through the registry --------------------------------------------------------------------------------

def _registry_validate(example_template: Path, tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "register.yaml"
    path.write_bytes(raw)
    with Registry.open(example_template) as reg:
        findings = reg.validate(path, today=TODAY)
    assert all(isinstance(x, ValidationFinding) and x.file == str(path) for x in findings)


test_registry_validate, test_registry_validate_thorough = fuzz(40, 300, raw=mutated())(_registry_validate)
