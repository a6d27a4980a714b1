"""Reading the register for people: one entity with its versions, the list of decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from delegations import model as m
from delegations.converter import unstructure
from delegations.identifiers import normalize, printable
from delegations.state import RegisterState
from delegations.texts import EMPTY, tr

from .errors import NotFoundError
from .questions import suggest
from .store import canonical, sha256


def show(reg: Any, ident: str) -> dict[str, Any]:
    state = reg.state()
    ident = normalize(ident) if isinstance(ident, str) else str(ident)
    for kind in ("decision", "position", "person", "unit", "rule", "power"):
        obj = state.entities(kind).get(ident)
        if obj is not None:
            return {"kind": kind, "id": ident, "data": unstructure(obj), "versions": versions(reg, kind, ident)}
    if ident in state.grants:
        g, d = state.grants[ident]
        rev = state.revocation_of(ident) or state.revocation_of(d.id)
        return {"kind": "grant", "id": ident, "decision": d.id, "data": unstructure(g),
                "revocation": unstructure(rev) if rev else None}
    cat = state.catalogue
    if ident in cat.rules:
        return {"kind": "rule", "id": ident, "data": unstructure(cat.rules[ident]), "packaged": True}
    if ident in cat.powers:
        return {"kind": "power", "id": ident, "data": unstructure(cat.powers[ident]), "packaged": True}
    known = list(state.decisions) + list(state.grants) + list(state.positions) + list(state.persons) + list(cat.rules)
    s = suggest(ident, known) if len(ident) <= 200 else EMPTY
    shown = printable(ident[:200])
    raise NotFoundError(tr("'{shown}' not found in the register{suggestion}", shown=shown, suggestion=s),
                        parameter="id")


def versions(reg: Any, kind: str, key: str) -> list[dict[str, Any]]:
    out = []
    for ev in reg.store.events(kinds=("entity.put",)):
        d = ev.data
        if d["kind"] == kind and d["key"] == key:
            out.append({"seq": ev.seq, "recorded_at": ev.recorded_at, "file": d.get("file"),
                        "sha256": sha256(canonical(d["data"]))})
    return out


def decisions(state: RegisterState, on: date | None) -> list[dict[str, Any]]:
    out = []
    for d in sorted(state.decisions.values(), key=lambda d: (d.decided_on, d.id)):
        rev = state.revocation_of(d.id)
        if on is not None and not (m.covers(d.effective_from, d.effective_until, on) and (rev is None or rev.effective_from > on)):
            continue
        grants = []
        for g in d.grants:
            grev = state.revocation_of(g.id) or rev
            if on is not None and grev is not None and grev.effective_from <= on:
                continue
            grants.append({"id": g.id, "to": g.to, "powers": list(g.powers),
                           "revoked_from": grev.effective_from.isoformat() if grev else None})
        if on is not None and not grants:
            continue  # every grant of the decision is revoked by then
        out.append({"id": d.id, "title": d.title, "by": d.by, "legal_basis": d.legal_basis,
                    "effective_from": d.effective_from.isoformat(),
                    "effective_until": d.effective_until.isoformat() if d.effective_until else None,
                    "revoked_from": rev.effective_from.isoformat() if rev else None, "grants": grants})
    return out
