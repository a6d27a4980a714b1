"""A register state that reads only what one question touches.

A command-line `check` asks one question and exits: structuring a city's 50 000 grants for it
would take seconds. This state has the same interface as `RegisterState`, but its mappings look
entities up by key (or through the `grant_index` projection and an index on the appointment's
position) and structure them on first use. Library users who ask many questions keep the
fully loaded state, whose warm checks are faster.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from delegations import model as m
from delegations.state import MODEL, RegisterState

from .errors import raise_unreadable, restore, restore_value


class _Entities(Mapping):
    """kind -> {key: object}, fetched one key at a time and kept; a key that is not there is
    remembered too (the evaluation asks whether a position or an organ is a person, often)."""

    def __init__(self, conn: sqlite3.Connection, kind: str, few: bool = False):
        self.conn, self.kind, self.cls = conn, kind, MODEL[kind]
        self.cache: dict[str, Any] = {}
        self.missing: set[str] = set()
        self.complete = False
        # `few`: the keys are read at once on first use (revocations: asked for every grant of a
        # chain, and nearly always absent).
        self.few, self.keys = few, None if few else set()

    def __getitem__(self, key: str) -> Any:
        if key in self.cache:
            return self.cache[key]
        if self.complete or not isinstance(key, str) or key in self.missing:
            raise KeyError(key)
        if self.few:
            if self.keys is None:
                self.keys = {k for (k,) in self.conn.execute("SELECT key FROM entities WHERE kind = ?", (self.kind,))}
            if key not in self.keys:
                raise KeyError(key)
        row = self.conn.execute("SELECT data FROM entities WHERE kind = ? AND key = ?", (self.kind, key)).fetchone()
        if row is None:
            self.missing.add(key)
            raise KeyError(key)
        obj = self.cache[key] = restore(row[0], self.cls, f"{self.kind} {key}")
        return obj

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
            return True
        except KeyError:
            return False

    def _load_all(self) -> None:
        if not self.complete:
            for key, data in self.conn.execute("SELECT key, data FROM entities WHERE kind = ?", (self.kind,)):
                if key not in self.cache:
                    self.cache[key] = restore(data, self.cls, f"{self.kind} {key}")
            self.complete = True

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(self.cache)

    def __len__(self) -> int:
        self._load_all()
        return len(self.cache)

    def prefixed(self, prefix: str) -> list[Any]:
        """Entities whose key starts with `prefix` (appointments, absences, conflicts are keyed person@...)."""
        rows = self.conn.execute("SELECT key, data FROM entities WHERE kind = ? AND key >= ? AND key < ?",
                                 (self.kind, prefix, prefix + "\uffff")).fetchall()
        out = []
        for key, data in rows:
            if key not in self.cache:
                self.cache[key] = restore(data, self.cls, f"{self.kind} {key}")
            out.append(self.cache[key])
        return out


class _Index(Mapping):
    """A lookup computed per key on first use (grants to a recipient, appointments of a person)."""

    def __init__(self, compute):
        self.compute = compute
        self.cache: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.cache:
            self.cache[key] = self.compute(key)
        return self.cache[key] or default

    def __getitem__(self, key: str) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - the check never iterates an index
        raise TypeError("a lazy index cannot be listed")

    def __len__(self) -> int:  # pragma: no cover
        raise TypeError("a lazy index cannot be counted")


_GRANTS_SQL = 'SELECT decision, "grant" FROM grant_index WHERE {} = ? ORDER BY decision, "grant"'
_GRANTS_BY = {"grant": _GRANTS_SQL.format('"grant"'), "recipient": _GRANTS_SQL.format("recipient")}
_DECISIONS_SQL = ("SELECT key, data, json_remove(data, '$.grants'), sha256 FROM entities WHERE kind = 'decision' "
                  "AND key IN (SELECT value FROM json_each(?))")
_DECODER = json.JSONDecoder()


class LazyState(RegisterState):
    reads_register = True

    def __init__(self, conn: sqlite3.Connection, administration: m.Administration | None):
        # The local rules and powers make the catalogue, which every question reads whole.
        small = {kind: {key: restore(data, MODEL[kind], f"{kind} {key}") for key, data in conn.execute(
            "SELECT key, data FROM entities WHERE kind = ?", (kind,))} for kind in ("rule", "power")}
        super().__init__(administration, small, {})
        self.conn = conn
        self.headers: dict[str, m.Decision] = {}  # decisions without their grants, for chain steps
        # decision -> (its stored content, its header: the content without the grants), read once
        self._texts: dict[str, tuple[str, str]] = {}
        self._lazy = {kind: _Entities(conn, kind, few=kind == "revocation") for kind in
                      ("unit", "person", "position", "decision", "revocation", "appointment", "absence", "conflict")}
        self.units = self._lazy["unit"]  # type: ignore[assignment]
        self.persons = self._lazy["person"]  # type: ignore[assignment]
        self.positions = self._lazy["position"]  # type: ignore[assignment]
        self.decisions = self._lazy["decision"]  # type: ignore[assignment]
        self.revocations = self._lazy["revocation"]  # type: ignore[assignment]
        self.appointments = self._lazy["appointment"]  # type: ignore[assignment]
        self.absences = self._lazy["absence"]  # type: ignore[assignment]
        self.conflicts = self._lazy["conflict"]  # type: ignore[assignment]
        self.decision_hashes = _Index(self._hash)  # type: ignore[assignment]
        # The cached properties of RegisterState, replaced by per-key lookups:
        self.__dict__.update(
            grants=_Index(self._grant),
            grants_to=_Index(self._grants_to),
            appointments_by_person=_Index(lambda p: sorted(self._lazy["appointment"].prefixed(p + "@"),
                                                           key=lambda a: (a.from_, a.position))),
            appointments_by_position=_Index(self._appointments_of_position),
            absences_by_person=_Index(lambda p: self._lazy["absence"].prefixed(p + "@")),
            conflicts_by_person=_Index(lambda p: self._lazy["conflict"].prefixed(p + "@")),
            substituted_by=_Index(self._substituted_by),
            positions_by_kind=_Index(self._positions_of_kind),
        )

    def _hash(self, decision: str) -> str | None:
        row = self.conn.execute("SELECT sha256 FROM entities WHERE kind = 'decision' AND key = ?", (decision,)).fetchone()
        return row[0] if row else None

    def _grant(self, grant: str) -> tuple[m.Grant, m.Decision] | None:
        found = self._fetch_grants("grant", grant)
        return found[0] if found else None

    def _grants_to(self, recipient: str) -> list[tuple[m.Grant, m.Decision]]:
        return self._fetch_grants("recipient", recipient)

    def _fetch_grants(self, by: str, value: str) -> list[tuple[m.Grant, m.Decision]]:
        """Only the grants asked for, with the header of their decision. A decision of a city can
        hold hundreds of grants, and the grants of several questions: its content is read once, its
        header parsed by SQLite, and only the grants asked for are parsed and structured."""
        out = []
        rows = self.conn.execute(_GRANTS_BY[by], (value,)).fetchall()
        self._read_decisions([d for d in dict.fromkeys(d for d, _g in rows) if d not in self._texts])
        for decision, grant in rows:
            found = self._grants_in(decision, grant)
            if not found:
                continue
            d = self.headers.get(decision)
            if d is None:
                d = self.headers[decision] = restore(self._texts[decision][1], m.Decision, f"decision {decision}")
            out += [(restore_value(g, m.Grant, f"grant in {decision}"), d) for g in found]
        return out

    def _read_decisions(self, decisions: list[str]) -> None:
        """The stored text and the header (without its grants) of these decisions, in one query."""
        if not decisions:
            return
        for decision, data, header, digest in self.conn.execute(_DECISIONS_SQL, (json.dumps(decisions),)):
            self.decision_hashes.cache.setdefault(decision, digest)  # type: ignore[attr-defined]
            self._texts[decision] = (data, header)

    def _grants_in(self, decision: str, grant: str) -> list[Any]:
        """The grants with this id in a decision's stored content, parsed from the JSON.

        Entities are stored canonically (sorted keys, no spaces: `store.canonical`), and `id` is
        the first key of a grant, so a grant's object starts with `{"id":<its id>` and nothing
        else can (a string cannot hold an unescaped quote): that object alone is decoded. Content
        in another form is parsed whole."""
        text = self._texts.get(decision, (None,))[0]
        if text is None:
            return []
        needle = '{"id":' + json.dumps(grant, ensure_ascii=False)
        found, i = [], text.find(needle)
        try:
            while i >= 0:
                g, end = _DECODER.raw_decode(text, i)
                if isinstance(g, dict) and g.get("id") == grant:
                    found.append(g)
                i = text.find(needle, end)
        except ValueError:
            found = []
        if found:
            return found
        try:
            parsed = json.loads(text)
        except ValueError:
            raise_unreadable(f"decision {decision}")
        grants = parsed.get("grants") if isinstance(parsed, dict) else None
        return [g for g in (grants if isinstance(grants, list) else ()) if isinstance(g, dict) and g.get("id") == grant]

    def _appointments_of_position(self, position: str) -> list[m.Appointment]:
        rows = self.conn.execute("SELECT key FROM entities WHERE kind = 'appointment' AND "
                                 "json_extract(data, '$.position') = ?", (position,)).fetchall()
        found = [self._lazy["appointment"][key] for (key,) in rows]
        return sorted(found, key=lambda a: (a.from_, a.person))

    def _positions_of_kind(self, kind: str) -> list[str]:
        # Rare (replacements by law, who): a filtered scan of the positions is fine.
        rows = self.conn.execute("SELECT key FROM entities WHERE kind = 'position' AND "
                                 "json_extract(data, '$.kind') = ? ORDER BY key", (kind,)).fetchall()
        return [key for (key,) in rows]

    def _substituted_by(self, position: str) -> list[str]:
        # Rare (only for an actor who is somebody's substitute): a filtered scan is fine.
        needle = json.dumps(position)
        rows = self.conn.execute("SELECT key FROM entities WHERE kind = 'position' AND instr(data, ?) > 0",
                                 (needle,)).fetchall()
        return [key for (key,) in rows if position in self.positions[key].substitutes]
