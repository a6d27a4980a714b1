"""The write path of `Registry.load`: the entities of validated register files as hash-chained
`entity.put` events and their projections, in bulk.

Each entity is serialised once: its canonical JSON is the stored content, its sha256 the digest
that tells whether the register already holds it, and the event payload is that text wrapped in
the few other fields (`payload`), the same bytes `Transaction.append` would write. The events and
the projection rows are then written with `executemany` (`Transaction.append_many`,
`projections.put_entities`): the log, its hash chain and the tables are those that appending and
applying the events one by one give (tests/test_import_fast.py compares them byte for byte).

`Registry.load` pauses the cyclic garbage collector around all of it (`registry.gcpause`): a load
builds millions of long-lived objects (the parsed file, the model, the validator's indexes), which
the collector would otherwise walk again and again without finding anything to free.
"""

from __future__ import annotations

from json.encoder import encode_basestring as _string  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from delegations import model as m
from delegations.converter import unstructure
from delegations.state import entity_key

from . import projections
from .store import Transaction, canonical, sha256

try:  # orjson writes canonical JSON about twice as fast (see `encode`)
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib path stays correct
    _orjson = None

def sections(f: m.RegisterFile) -> list[tuple[str, tuple]]:
    # Order matters for readability of the history only; references were validated already.
    return [("unit", f.units), ("position", f.positions), ("person", f.persons), ("appointment", f.appointments),
            ("absence", f.absences), ("rule", f.rules), ("power", f.powers), ("decision", f.decisions),
            ("revocation", f.revocations), ("conflict", f.conflicts)]


def encode(data: Any) -> bytes:
    """`canonical(data)` as UTF-8: orjson's output for what `unstructure` makes of an entity (str,
    int, bool, None, lists and dicts: JSON's own types, which both write alike, keys sorted by code
    point), the standard library's for anything orjson would write otherwise (an integer beyond
    53 bits) or cannot write."""
    if _orjson is not None:
        try:
            return _orjson.dumps(data, option=_orjson.OPT_SORT_KEYS | _orjson.OPT_STRICT_INTEGER)
        except (_orjson.JSONEncodeError, TypeError):
            pass
    return canonical(data).encode("utf-8")


def payload(kind: str, key: str, body: str, file: str) -> str:
    """`canonical({"kind": kind, "key": key, "data": data, "file": file})` from `body`, the
    canonical text of `data`: the keys in sorted order, each value as `canonical` writes it (a
    string as `json.dumps(..., ensure_ascii=False)` does: `encode_basestring`)."""
    return f'{{"data":{body},"file":{_string(file)},"key":{_string(key)},"kind":{_string(kind)}}}'


def write(tx: Transaction, files: list[tuple[str, m.RegisterFile]], admin: str | None) -> tuple[int, int, int]:
    """Append what the files add or change to the register inside `tx`; `admin` is the stored
    administration (None: none yet, the first file sets it). Returns (added, changed, unchanged)."""
    added = changed = unchanged = 0
    current = {(k, key): digest for k, key, digest in tx.execute("SELECT kind, key, sha256 FROM entities")}
    for name, f in files:
        if admin is None:
            data = unstructure(f.administration)
            projections.apply(tx.conn, tx.append("administration.set", data))
            admin = canonical(data)
        file = Path(name).name
        puts: list[tuple[str, str, str, str, Any]] = []
        for kind, items in sections(f):
            for obj in items:
                key = entity_key(kind, obj)
                data = unstructure(obj)
                raw = encode(data)
                digest = sha256(raw)
                old = current.get((kind, key))
                if old == digest:
                    unchanged += 1
                    continue
                puts.append((kind, key, raw.decode("utf-8"), digest, data if kind == "decision" else None))
                current[(kind, key)] = digest
                if old is None:
                    added += 1
                else:
                    changed += 1
        events = tx.append_many("entity.put", [payload(kind, key, body, file) for kind, key, body, _d, _x in puts])
        projections.put_entities(tx.conn, [(e, *p) for e, p in zip(events, puts, strict=True)])
    return added, changed, unchanged
