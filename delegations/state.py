"""A snapshot of a register's content with the indexes the evaluation needs.

The registry builds one from its projections (or from replaying events up to a moment); the
evaluation only ever looks things up by key, never scans all grants.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property

from . import model as m
from .catalogue import Catalogue

# Entity kinds as stored in the register, with the attribute that keys them.
KINDS = {
    "unit": "id",
    "position": "id",
    "person": "id",
    "appointment": "key",
    "absence": "key",
    "rule": "id",
    "power": "id",
    "decision": "id",
    "revocation": "target",
    "conflict": "key",
}
MODEL = {
    "unit": m.Unit,
    "position": m.Position,
    "person": m.Person,
    "appointment": m.Appointment,
    "absence": m.Absence,
    "rule": m.Rule,
    "power": m.Power,
    "decision": m.Decision,
    "revocation": m.Revocation,
    "conflict": m.Conflict,
}
# Register file section for each kind.
SECTION = {
    "unit": "units",
    "position": "positions",
    "person": "persons",
    "appointment": "appointments",
    "absence": "absences",
    "rule": "rules",
    "power": "powers",
    "decision": "decisions",
    "revocation": "revocations",
    "conflict": "conflicts",
}


def entity_key(kind: str, obj) -> str:
    return getattr(obj, KINDS[kind])


class RegisterState:
    def __init__(
        self,
        administration: m.Administration | None = None,
        entities: dict[str, dict[str, object]] | None = None,
        hashes: dict[str, str] | None = None,
    ):
        entities = entities or {}
        self.administration = administration
        self.units: dict[str, m.Unit] = entities.get("unit", {})  # type: ignore[assignment]
        self.positions: dict[str, m.Position] = entities.get("position", {})  # type: ignore[assignment]
        self.persons: dict[str, m.Person] = entities.get("person", {})  # type: ignore[assignment]
        self.appointments: dict[str, m.Appointment] = entities.get("appointment", {})  # type: ignore[assignment]
        self.absences: dict[str, m.Absence] = entities.get("absence", {})  # type: ignore[assignment]
        self.rules: dict[str, m.Rule] = entities.get("rule", {})  # type: ignore[assignment]
        self.powers: dict[str, m.Power] = entities.get("power", {})  # type: ignore[assignment]
        self.decisions: dict[str, m.Decision] = entities.get("decision", {})  # type: ignore[assignment]
        self.revocations: dict[str, m.Revocation] = entities.get("revocation", {})  # type: ignore[assignment]
        self.conflicts: dict[str, m.Conflict] = entities.get("conflict", {})  # type: ignore[assignment]
        # sha256 of each decision's stored content, cited in answers and attestations
        self.decision_hashes: dict[str, str] = hashes or {}
        # Derived values of this immutable snapshot (candidate chains, compiled chains, ancestors).
        self.memo: dict[object, object] = {}
        self.steps: dict[tuple, object] = {}  # chain steps shared by all chains (see evaluate._step)

    def entities(self, kind: str) -> dict[str, object]:
        return getattr(self, SECTION[kind])

    # -- derived indexes -------------------------------------------------------------------
    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.powers, self.rules)

    @cached_property
    def grants(self) -> dict[str, tuple[m.Grant, m.Decision]]:
        return {g.id: (g, d) for d in self.decisions.values() for g in d.grants}

    @cached_property
    def grants_to(self) -> dict[str, list[tuple[m.Grant, m.Decision]]]:
        index: dict[str, list[tuple[m.Grant, m.Decision]]] = defaultdict(list)
        for g, d in self.grants.values():
            index[g.to].append((g, d))
        return dict(index)

    @cached_property
    def appointments_by_person(self) -> dict[str, list[m.Appointment]]:
        index: dict[str, list[m.Appointment]] = defaultdict(list)
        for a in sorted(self.appointments.values(), key=lambda a: (a.from_, a.position)):
            index[a.person].append(a)
        return dict(index)

    @cached_property
    def appointments_by_position(self) -> dict[str, list[m.Appointment]]:
        index: dict[str, list[m.Appointment]] = defaultdict(list)
        for a in sorted(self.appointments.values(), key=lambda a: (a.from_, a.person)):
            index[a.position].append(a)
        return dict(index)

    @cached_property
    def absences_by_person(self) -> dict[str, list[m.Absence]]:
        index: dict[str, list[m.Absence]] = defaultdict(list)
        for a in self.absences.values():
            index[a.person].append(a)
        return dict(index)

    @cached_property
    def conflicts_by_person(self) -> dict[str, list[m.Conflict]]:
        index: dict[str, list[m.Conflict]] = defaultdict(list)
        for c in self.conflicts.values():
            index[c.person].append(c)
        return dict(index)

    @cached_property
    def substituted_by(self) -> dict[str, list[str]]:
        """substitute position -> positions it may stand in for."""
        index: dict[str, list[str]] = defaultdict(list)
        for p in self.positions.values():
            for s in p.substitutes:
                index[s].append(p.id)
        return dict(index)

    # -- small queries ---------------------------------------------------------------------
    def kind_of(self, principal: str) -> str | None:
        if principal in m.ORGANS:
            return principal
        if principal in self.positions:
            return self.positions[principal].kind
        return None

    def unit_ancestors(self, unit: str) -> list[str]:
        """The unit itself and every unit above it (cycle-safe)."""
        seen: list[str] = []
        while unit and unit not in seen:
            seen.append(unit)
            parent = self.units.get(unit)
            unit = parent.parent if parent else None  # type: ignore[assignment]
        return seen

    def ancestors(self, unit: str) -> frozenset[str]:
        key = ("ancestors", unit)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = frozenset(self.unit_ancestors(unit))
        return found  # type: ignore[return-value]

    def holders(self, position: str, on: date) -> list[m.Appointment]:
        return [a for a in self.appointments_by_position.get(position, ()) if m.covers(a.from_, a.until, on)]

    def is_absent(self, person: str, on: date) -> bool:
        return any(m.covers(a.from_, a.until, on) for a in self.absences_by_person.get(person, ()))

    def revocation_of(self, target: str) -> m.Revocation | None:
        return self.revocations.get(target)
