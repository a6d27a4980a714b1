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

from .errors import restore


class _Entities(Mapping):
    """kind -> {key: object}, fetched one key at a time and kept."""

    def __init__(self, conn: sqlite3.Connection, kind: str):
        self.conn, self.kind, self.cls = conn, kind, MODEL[kind]
        self.cache: dict[str, Any] = {}
        self.complete = False

    def __getitem__(self, key: str) -> Any:
        if key in self.cache:
            return self.cache[key]
        if self.complete or not isinstance(key, str):
            raise KeyError(key)
        row = self.conn.execute("SELECT data FROM entities WHERE kind = ? AND key = ?", (self.kind, key)).fetchone()
        if row is None:
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


_GRANTS_SQL = ("SELECT gi.decision, json_remove(e.data, '$.grants'), g.value FROM grant_index gi "
               "JOIN entities e ON e.kind = 'decision' AND e.key = gi.decision, json_each(e.data, '$.grants') g "
               "WHERE {} = ? AND json_extract(g.value, '$.id') = gi.\"grant\" ORDER BY gi.decision, gi.\"grant\"")
_GRANTS_BY = {"grant": _GRANTS_SQL.format('gi."grant"'), "recipient": _GRANTS_SQL.format("gi.recipient")}


class LazyState(RegisterState):
    def __init__(self, conn: sqlite3.Connection, administration: m.Administration | None):
        small = {kind: {key: restore(data, MODEL[kind], f"{kind} {key}") for key, data in conn.execute(
            "SELECT key, data FROM entities WHERE kind = ?", (kind,))} for kind in ("unit", "rule", "power")}
        super().__init__(administration, small, {})
        self.conn = conn
        self.headers: dict[str, m.Decision] = {}  # decisions without their grants, for chain steps
        self._lazy = {kind: _Entities(conn, kind) for kind in
                      ("person", "position", "decision", "revocation", "appointment", "absence", "conflict")}
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
        """Only the grants asked for, with the header of their decision: a decision of a city can
        hold dozens of grants, and SQLite picks the one out of the JSON faster than Python could."""
        rows = self.conn.execute(_GRANTS_BY[by], (value,)).fetchall()
        out = []
        for decision, header, grant in rows:
            d = self.headers.get(decision)
            if d is None:
                d = self.headers[decision] = restore(header, m.Decision, f"decision {decision}")
            out.append((restore(grant, m.Grant, f"grant in {decision}"), d))
        return out

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
