"""The bulk import path finds and writes exactly what the plain one does.

- Validation: the indexed validator (`validate`, the default) gives the same findings, in the same
  order with the same texts and paths, as the reference (`validate(..., reference=True)`: one
  full `evaluate.check` per question it asks) on generated registers mutated towards the edge
  cases of the index (persons as delegators and recipients, `under` anywhere, cycles, duplicate
  grant ids, exclusions, zero ceilings, grants for an absence, subdelegation limits, revocations,
  vacancies, more chains than `check` looks at).
- Writing: `registry.importer.write` leaves the event log (kinds, payloads, hash chain), the
  entities, the grant index and the meta table byte for byte as appending and applying the events
  one by one did (`_write_one_by_one`, the former body of `Registry.load`), on a fresh register
  and on top of an earlier import.
- Reading: the walk without paths (`identifier_findings`, `_shape_is_fine`) decides as the walks
  with paths do; a JSON file larger than the YAML limit loads, a dense one is refused unparsed.
"""

from __future__ import annotations

import copy
import gc
import json
import random
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import City, Params
from delegations.validate import parse, validate
from registry import Registry, gcpause, importer, projections
from registry.files import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    FileProblem,
    _check_shape,
    _identifier_findings_plain,
    _shape_is_fine,
    identifier_findings,
    parse_bytes,
    read_file,
)
from registry.registry import _sections
from tests.helpers import VERBINTENIS, base_register, decision, grant, property_tests

TODAY = date(2025, 6, 30)
POWERS = ("budgethouderschap", VERBINTENIS, "budgethouderschap.factuurgoedkeuring", "dagelijks_personeelsbeheer",
          "dagelijks_personeelsbeheer.verlof", "ondertekening")


# -- generated registers, mutated ----------------------------------------------------------------------------

def _grants(data: dict[str, Any]) -> list[tuple[dict, dict]]:
    return [(d, g) for d in data["decisions"] for g in d["grants"]]


def _day(rng: random.Random) -> str:
    return (date(2019, 1, 1) + timedelta(days=rng.randrange(8 * 365))).isoformat()


def mutate(data: dict[str, Any], rng: random.Random, n: int) -> dict[str, Any]:
    """`n` random edits of a generated register, each towards a case the indexed validator must
    decide as the reference does (most keep the file well-formed; errors are findings too)."""
    data = copy.deepcopy(data)
    persons = [p["id"] for p in data["persons"]]
    positions = [p["id"] for p in data["positions"]]
    organs = ["college", "burgemeester", "gemeenteraad", "algemeen_directeur", "vast_bureau"]
    for _ in range(n):
        pairs = _grants(data)
        d, g = rng.choice(pairs)
        what = rng.randrange(24)
        lim = g.setdefault("limits", {})
        if what == 0:
            g["under"] = rng.choice(pairs)[1]["id"]  # possibly itself, possibly a cycle
        elif what == 1:
            g.pop("under", None)
        elif what == 2:
            g["to"] = rng.choice(persons)
        elif what == 3:
            d["by"] = rng.choice(persons)
        elif what == 4:
            d["by"] = rng.choice(positions + organs)
        elif what == 5:
            lim["excluded"] = [rng.choice(g["powers"] + list(POWERS))]
        elif what == 6:
            lim["annual_ceiling"] = "0"
        elif what == 7:
            lim["only_when_absent"] = rng.choice(positions)
        elif what == 8:
            g["subdelegation"] = {"allowed": False}
        elif what == 9:
            g["subdelegation"] = {"allowed": True, "max_depth": rng.choice((1, 2))}
        elif what == 10:
            g["id"] = rng.choice(pairs)[1]["id"]  # a duplicate grant id
        elif what == 11:
            target = rng.choice((g["id"], d["id"]))
            data["revocations"] = [r for r in data.get("revocations", []) if r["target"] != target] + [
                {"target": target, "effective_from": _day(rng), "by": d["by"]}]
        elif what == 12:
            start = date.fromisoformat(_day(rng))
            data.setdefault("absences", []).append({"person": rng.choice(persons), "from": start.isoformat(),
                                                    "until": (start + timedelta(days=rng.randrange(400))).isoformat()})
        elif what == 13 and data["appointments"]:
            data["appointments"].pop(rng.randrange(len(data["appointments"])))
        elif what == 14 and data["appointments"]:
            rng.choice(data["appointments"])["capacity"] = "acting"
        elif what == 15:
            g["to"] = d["by"]
        elif what == 16:
            d["legal_basis"] = rng.choice(("DLB-57", "DLB-85", "DLB-170", "DLB-281", "DLB-56", "REGLEMENT-BUDGETHOUDERSCHAP"))
        elif what == 17:
            d["entity"] = rng.choice(("ocmw", ["gemeente", "ocmw"]))
        elif what == 18:
            lim["document_types"] = [rng.choice(("briefwisseling", "attest", "bestelbon", "besluit", "notulen"))]
        elif what == 19:
            g["powers"] = [rng.choice(POWERS)]
        elif what == 20:
            d["effective_from"] = _day(rng)
            d["decided_on"] = d["effective_from"]
        elif what == 21:  # two principals delegating the same power to each other: a cycle without `under`
            a, b = rng.sample(positions, 2)
            power = rng.choice(POWERS)
            for by, to in ((a, b), (b, a)):
                data["decisions"].append({"id": f"MUT-{rng.randrange(10**9)}", "title": "t", "by": by,
                                          "decided_on": "2024-12-01", "effective_from": "2025-01-01",
                                          "legal_basis": "DLB-57",
                                          "grants": [{"id": f"MUT-G-{rng.randrange(10**9)}", "to": to, "powers": [power],
                                                      "reporting": [{"to": by, "every": "year"}]}]})
        elif what == 22:  # many grants to the same recipient: many chains above it
            for _k in range(rng.randrange(2, 6)):
                clone = copy.deepcopy(g)
                clone["id"] = f"{g['id']}-c{rng.randrange(10**9)}"
                d["grants"].append(clone)
        elif what == 23:
            lim["issuers"] = [rng.choice(("college", "burgemeester", "gemeenteraad", "vast_bureau"))]
            lim["units"] = [rng.choice(data["units"])["id"]]
    return data


SMALL = [Params(persons=120, positions=60, grants=150, max_depth=3, seed=1),
         Params(persons=150, positions=70, grants=250, seed=2, under_share=0.0),
         Params(persons=150, positions=70, grants=250, seed=3, under_share=1.0),
         Params(persons=200, positions=90, grants=300, max_depth=5, seed=4, under_share=0.3)]
_CITIES: dict[Params, dict[str, Any]] = {}


def city(params: Params) -> dict[str, Any]:
    if params not in _CITIES:
        _CITIES[params] = json.loads(json.dumps(City(params).register()))
    return _CITIES[params]


def _same_findings(data: dict[str, Any]) -> int:
    f, problems = parse(data, "r.json")
    if f is None:
        return -1
    fast = validate(f, "r.json", Registry_state(), TODAY)
    reference = validate(f, "r.json", Registry_state(), TODAY, reference=True)
    assert [x.to_dict("en") for x in fast] == [x.to_dict("en") for x in reference]
    assert fast == reference
    return len(fast)


def Registry_state():  # noqa: N802 - an empty register's state
    from delegations.state import RegisterState

    return RegisterState()


def _mutated(params_index: int, seed: int, edits: int) -> None:
    data = mutate(city(SMALL[params_index]), random.Random(seed), edits)
    _same_findings(data)


test_indexed_validation_finds_what_the_reference_finds, test_indexed_validation_thorough = property_tests(
    _mutated, 40, 400, params_index=st.integers(0, len(SMALL) - 1), seed=st.integers(0, 2**32),
    edits=st.integers(0, 40))


@pytest.mark.parametrize("params", SMALL + [Params.small()])
def test_generated_registers_unmutated(params: Params) -> None:
    _same_findings(city(params))


def test_mutations_reach_the_findings_the_index_decides() -> None:
    """The mutations are not idle: across a few registers they produce every finding the indexes
    decide (the delegator's own power, legality, widening)."""
    codes: set[str] = set()
    for seed in range(25):
        data = mutate(city(SMALL[seed % len(SMALL)]), random.Random(seed), 30)
        f, _ = parse(data, "r.json")
        if f is not None:
            codes |= {x.code for x in validate(f, "r.json", Registry_state(), TODAY)}
    assert {"DELEGATOR_LACKS_POWER", "SCOPE_WIDENS_PARENT", "NOT_DELEGABLE", "TARGET_NOT_ELIGIBLE", "CYCLE",
            "DUPLICATE_ID", "VACANT_POSITION"} <= codes


def _chains_register(first_good: int, width: int = 20) -> dict[str, Any]:
    """The college gives dh-a budget holdership `width` times; dh-a passes it to med-a `width`
    times, all but the last `first_good` excluding the commitment power; med-a subdelegates to
    med-b. Above med-b lie width * width chains: more than `check` looks at (256)."""
    college = decision("CBS-1", "college", [grant(f"CBS-1/{i}", "ad", ["budgethouderschap"],
                                                  subdelegation={"allowed": True, "max_depth": 4})
                                            for i in range(width)])
    ad = decision("AD-1", "ad", [grant(f"AD-1/{i}", "dh-a", ["budgethouderschap"],
                                       subdelegation={"allowed": True, "max_depth": 3}) for i in range(width)],
                  effective_from="2025-02-01")
    dh = decision("DH-1", "dh-a", [grant(f"DH-1/{i}", "med-a", [VERBINTENIS],
                                         subdelegation={"allowed": True, "max_depth": 1},
                                         limits={} if i >= width - first_good else {"excluded": [VERBINTENIS]})
                                   for i in range(width)], effective_from="2025-03-01")
    med = decision("MED-1", "med-a", [grant("MED-1/1", "med-b", [VERBINTENIS])], effective_from="2025-04-01")
    return base_register(decisions=[college, ad, dh, med])


@pytest.mark.parametrize("first_good", [0, 1, 20])
def test_more_chains_than_check_looks_at(first_good: int) -> None:
    """Beyond MAX_CANDIDATES chains `check` stops looking: the index must not see more than it."""
    data = _chains_register(first_good)
    assert _same_findings(data) >= 0
    f, _ = parse(data, "r.json")
    lacking = [x.path for x in validate(f, "r.json", Registry_state(), TODAY) if x.code == "DELEGATOR_LACKS_POWER"]
    # dh-a holds the power in every case; med-a holds it through a good grant to it only, and
    # `check` finds one only when it lies among the first 256 chains above med-a
    assert ("decisions[3].grants[0].powers" in lacking) == (first_good in (0, 1))


# -- the write path -----------------------------------------------------------------------------------------

def _write_one_by_one(tx: Any, files: list, admin: str | None) -> tuple[int, int, int]:
    """The write loop of `Registry.load` before `registry.importer`: the reference."""
    from delegations.converter import unstructure
    from delegations.state import entity_key
    from registry.store import canonical, sha256

    added = changed = unchanged = 0
    current = {(k, key): digest for k, key, digest in tx.execute("SELECT kind, key, sha256 FROM entities")}
    for name, f in files:
        if admin is None:
            ev = tx.append("administration.set", unstructure(f.administration))
            projections.apply(tx.conn, ev)
            admin = canonical(unstructure(f.administration))
        for kind, items in _sections(f):
            for obj in items:
                key = entity_key(kind, obj)
                data = unstructure(obj)
                digest = sha256(canonical(data))
                old = current.get((kind, key))
                if old == digest:
                    unchanged += 1
                    continue
                ev = tx.append("entity.put", {"kind": kind, "key": key, "data": data, "file": Path(name).name})
                projections.apply(tx.conn, ev)
                current[(kind, key)] = digest
                if old is None:
                    added += 1
                else:
                    changed += 1
    return added, changed, unchanged


def _tables(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        return {name: conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()  # noqa: S608 - constants
                for name, order in (("events", "seq"), ("entities", "kind, key"), ("grant_index", '"grant"'),
                                    ("meta", "key"))}
    finally:
        conn.close()


def _load_both(tmp: Path, batches: list[list[Path]], monkeypatch: Any) -> None:
    """Load the same files in the same batches into two registers, at the same moments, one with
    each write path; compare every row."""
    results = {}
    for mode in ("bulk", "one_by_one"):
        db = tmp / f"{mode}.db"
        reg = Registry.init(db)
        try:
            for n, batch in enumerate(batches):
                monkeypatch.setattr("time.time", lambda n=n: 1_750_000_000.0 + n)
                if mode == "bulk":
                    result = reg.load(*batch, today=TODAY)
                else:
                    with monkeypatch.context() as m:
                        m.setattr(importer, "write", _write_one_by_one)
                        result = reg.load(*batch, today=TODAY)
                results.setdefault(mode, []).append((result.added, result.changed, result.unchanged,
                                                     [(e.seq, e.kind, e.payload, e.prev, e.hash) for e in result.events]))
            assert reg.fsck() == []
        finally:
            reg.close()
    assert results["bulk"] == results["one_by_one"]
    bulk, plain = _tables(tmp / "bulk.db"), _tables(tmp / "one_by_one.db")
    for name in bulk:
        assert bulk[name] == plain[name], name


def _dump(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_events_are_byte_identical_to_appending_one_by_one(tmp_path: Path, monkeypatch: Any) -> None:
    data = city(SMALL[3])
    first = _dump(tmp_path / "a.json", {**data, "decisions": data["decisions"][: len(data["decisions"]) // 2],
                                        "revocations": []})
    # the second file changes master data, repeats a decision, adds the rest and a decision twice
    changed = copy.deepcopy(data)
    changed["units"][0]["name"] = "Andere naam é ☃ 😀"
    changed["persons"][1]["name"] = "Naam met \"aanhalingstekens\" en \\ schuine streep"
    second = _dump(tmp_path / "b.json", changed)
    _load_both(tmp_path, [[first], [second]], monkeypatch)


def test_several_files_in_one_load_are_byte_identical(tmp_path: Path, monkeypatch: Any) -> None:
    data = city(SMALL[0])
    head = {"format": data["format"], "administration": data["administration"]}
    master = _dump(tmp_path / "m.json", {**data, "decisions": [], "revocations": []})
    renamed = copy.deepcopy(data["units"])
    for u in renamed:
        u["name"] += " (nieuw)"
    rest = _dump(tmp_path / "d.json", {**head, "units": renamed, "decisions": data["decisions"],
                                       "revocations": data["revocations"]})
    _load_both(tmp_path, [[master, rest]], monkeypatch)


def test_put_entities_with_a_decision_twice_applies_one_by_one(tmp_path: Path) -> None:
    """A run holding one decision twice (never from `write`, which refuses nothing but is fed
    validated files) falls back to applying each event: the later one wins."""
    from registry.store import Event

    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE TABLE entities (kind TEXT, key TEXT, data TEXT, sha256 TEXT, seq INTEGER, PRIMARY KEY (kind, key))')
    conn.execute('CREATE TABLE grant_index ("grant" TEXT PRIMARY KEY, decision TEXT, recipient TEXT)')
    puts = []
    for seq, grants in ((1, [{"id": "g1", "to": "a"}, {"id": "g2", "to": "b"}]), (2, [{"id": "g3", "to": "c"}])):
        data = {"id": "D", "grants": grants}
        body = json.dumps(data, sort_keys=True, separators=(",", ":"))
        payload = importer.payload("decision", "D", body, "f.json")
        puts.append((Event(seq, "t", "entity.put", payload, "p", "h"), "decision", "D", body, "s", data))
    projections.put_entities(conn, puts)
    assert conn.execute('SELECT "grant", decision FROM grant_index').fetchall() == [("g3", "D")]
    assert conn.execute("SELECT seq FROM entities").fetchall() == [(2,)]


def test_encode_is_canonical_json() -> None:
    from registry.store import canonical

    for value in ({"b": [1, "é", None, True, {"z": 1, "a": "\u2028\x1f\"\\"}], "a": ""}, {"n": 2**60},
                  {"k": [{"x": -(2**53) + 1}]}, {"\U0001F600": 1, "é": 2, "z": 3}):
        assert importer.encode(value) == canonical(value).encode("utf-8")


def test_gc_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with gcpause.gc_paused():
        assert not gc.isenabled()
        with gcpause.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        done = threading.Event()

        def other() -> None:
            with gcpause.gc_paused():
                done.wait(5)

        t = threading.Thread(target=other)
        t.start()
    assert not gc.isenabled()  # the other thread still loads
    done.set()
    t.join()
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.gc_paused():
            pass
        assert not gc.isenabled()  # off before: stays off
    finally:
        gc.enable()


# -- reading ------------------------------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from(["a", "-", " ", "é", "\u200b", "\n", "\x00", "\x07", "Z", "\u202e", "1"]),
                max_size=6)
_keys = st.sampled_from(["id", "name", "powers", "units", "title", "to", "x", "grants", "limits", "substitutes"])
_values = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | _text,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
                       max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_values)
def test_identifier_walk_without_paths_finds_the_same(data: Any) -> None:
    assert identifier_findings(data, "f.json") == _identifier_findings_plain(data, "f.json")


def test_identifier_walk_keeps_the_first_hundred() -> None:
    data = {"units": [{"id": f"u\u200b{i}", "name": "ok"} for i in range(150)],
            "persons": [{"id": f" p{i}", "name": "x\n"} for i in range(80)]}
    found = identifier_findings(data, "f.json")
    assert found == _identifier_findings_plain(data, "f.json") and len(found) >= 100


def _deep(depth: int) -> Any:
    node: Any = 1
    for i in range(depth):
        node = [node] if i % 2 else {"a": node}
    return node


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_values | st.integers(MAX_DEPTH - 2, MAX_DEPTH + 2).map(_deep), limit=st.integers(1, 60))
def test_shape_test_without_paths_decides_as_the_walk_does(data: Any, limit: int) -> None:
    try:
        _check_shape(data, "f.json", limit)
        refused = False
    except FileProblem:
        refused = True
    if _shape_is_fine(data, limit):
        assert not refused  # fine -> the walk finds nothing (else the walk runs and names the problem)
    for bad in ({1: "x"}, {"a": [{2: None}]}):
        assert not _shape_is_fine(bad)


@pytest.mark.parametrize("text", ['{"format": "delegaties/1", "units": [{"id": "\\ud800", "name": "x"}]}',
                                  '{"format": "delegaties/1", "units": [{"id": "a", "name": "\\uDFFF"}]}'])
def test_lone_surrogates_are_still_refused_with_their_path(text: str) -> None:
    with pytest.raises(FileProblem) as caught:
        parse_bytes(text.encode(), "f.json")
    assert caught.value.finding.path.startswith("units[0].")
    # a pair is one character, not refused
    assert parse_bytes(b'{"format": "delegaties/1", "x": "\\ud83d\\ude00"}', "f.json")["x"] == "\U0001F600"


def test_a_json_register_larger_than_the_yaml_limit_loads(tmp_path: Path) -> None:
    data = city(Params.small())
    data = copy.deepcopy(data)
    filler = "x" * 2000
    for p in data["persons"]:
        p["name"] = f"{p['name']} {filler}"
    big = copy.deepcopy(data)
    while len(json.dumps(big).encode()) <= MAX_FILE_BYTES:
        extra = copy.deepcopy(data["persons"])
        for p in extra:
            p["id"] = f"{p['id']}-{len(big['persons'])}"
        big["persons"] += extra
    path = _dump(tmp_path / "groot.json", big)
    assert path.stat().st_size > MAX_FILE_BYTES
    assert len(read_file(path)["persons"]) == len(big["persons"])
    yaml_path = tmp_path / "groot.yaml"
    yaml_path.write_bytes(path.read_bytes())  # JSON is YAML: too large under the YAML name
    with pytest.raises(FileProblem) as caught:
        read_file(yaml_path)
    assert caught.value.finding.path == "" and "te groot" in caught.value.finding.text("nl")


def test_a_dense_large_json_file_is_refused_before_parsing(tmp_path: Path) -> None:
    body = b'{"format": "delegaties/1", "units": [' + b"[]," * (MAX_FILE_BYTES // 3 + 10) + b"[]]}"
    path = tmp_path / "dicht.json"
    path.write_bytes(body)
    with pytest.raises(FileProblem) as caught:
        read_file(path)
    assert caught.value.finding.path == "" and caught.value.finding.code == "FORMAT"
    assert "waarden" in caught.value.finding.text("nl")


def _register_texts() -> list[tuple[str, bytes]]:
    """Register files as bytes: compact and indented JSON, with and without what an identifier
    may not hold (escaped or raw), and the hostile corpus."""
    from tests.helpers import REPO

    base = base_register()
    out = [("a.json", json.dumps(base, separators=(",", ":")).encode()),
           ("b.json", json.dumps(base, indent=2).encode()),
           ("c.json", (json.dumps(base, separators=(",", ":"), ensure_ascii=False) + "\n").encode())]
    for bad in (" lead", "trail ", "zero\u200bwidth", "line\nbreak", "bidi\u202e", "nbsp\u00a0", "ok é"):
        changed = copy.deepcopy(base)
        changed["units"][1]["id"] = bad
        changed["positions"][0]["unit"] = bad
        for ascii_only in (True, False):
            text = json.dumps(changed, separators=(",", ":"), ensure_ascii=ascii_only)
            out.append((f"u{len(out)}.json", text.encode()))
    for path in sorted((REPO / "tests" / "data" / "bad").iterdir()):
        out.append((path.name, path.read_bytes()))
    return out


def test_read_register_is_read_file_then_identifier_findings(tmp_path: Path) -> None:
    from registry.files import read_register

    for name, raw in _register_texts():
        path = tmp_path / name
        path.write_bytes(raw)
        try:
            expected: Any = (read_file(path), identifier_findings(read_file(path), str(path)))
        except FileProblem as exc:
            expected = exc.finding
        try:
            found: Any = read_register(path)
        except FileProblem as exc:
            found = exc.finding
        assert repr(found) == repr(expected), name  # repr: a NaN amount is not equal to itself


def test_chains_deeper_than_check_searches() -> None:
    """Beyond search.MAX_DEPTH grants `check` finds no chain: the delegators that deep lack the
    power for the reference, and so for the index."""
    levels = 16
    positions = [{"id": f"lvl-{k}", "name": f"Niveau {k}", "unit": "aankoop"} for k in range(levels + 1)]
    deep = {"allowed": True, "max_depth": 30}
    decisions = [decision("CBS-D", "college", [grant("CBS-D/1", "ad", ["budgethouderschap"], subdelegation=deep)]),
                 decision("AD-D", "ad", [grant("AD-D/1", "lvl-0", [VERBINTENIS], under="CBS-D/1", subdelegation=deep)],
                          effective_from="2025-02-01")]
    for k in range(levels):
        decisions.append(decision(f"L-{k}", f"lvl-{k}", [grant(f"L-{k}/1", f"lvl-{k + 1}", [VERBINTENIS],
                                                               under=decisions[-1]["grants"][0]["id"],
                                                               subdelegation=deep)],
                                  effective_from="2025-03-01"))
    data = base_register(positions=positions, decisions=decisions)
    assert _same_findings(data) >= 0
    f, _ = parse(data, "r.json")
    lacking = {x.path for x in validate(f, "r.json", Registry_state(), TODAY) if x.code == "DELEGATOR_LACKS_POWER"}
    assert lacking and "decisions[2].grants[0].powers" not in lacking
