"""A snapshot of a register's content with the indexes the evaluation needs.

The registry builds one from its projections (or from replaying events up to a moment); the
evaluation only ever looks things up by key, never scans all grants.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property
from typing import Any

from attrs import define, field

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


CACHE_LIMIT = 100_000  # answers searched per (actor, power, entity) kept by a long-running process
# Compiled chains and candidates kept by a long-running process: about 2.3 KB each with what they
# hold (tracemalloc over 20 000 city questions), so this caps the caches near 2.3 GB whatever the
# register's size or the questions' spread. It is a safety valve, not a working size: below the
# working set of a question stream, dropping everything makes most checks rebuild their chains
# (city, 100 000 questions asked twice, 235 000 chains kept: warm p50 43 us unbounded, 1 124 us
# with the cap at 100 000; bench/README.md).
CHAIN_LIMIT = 1_000_000


@define(slots=True)
class Caches:
    """Derived values of one immutable snapshot, each in its own typed table.

    `candidates`: (actor, power, entity) -> the actor's compiled candidate chains; `heads`:
    (principal, power, entity) -> chains from the law down to a principal, shared by everyone who
    holds or stands in for it; `unpruned`: chains kept only to explain a refusal; `steps`: one
    step object per grant, appointment or holding; `scopes`: a grant's restrictions as sets."""

    candidates: dict[tuple[str, str, str], list[Any]] = field(factory=dict)
    heads: dict[tuple[str, str, str], list[Any]] = field(factory=dict)
    unpruned: dict[tuple[str, str, str], list[Any]] = field(factory=dict)
    steps: dict[tuple, Any] = field(factory=dict)
    scopes: dict[str, Any] = field(factory=dict)
    ancestors: dict[str, frozenset[str]] = field(factory=dict)
    duties: dict[str, tuple[dict[str, Any], ...]] = field(factory=dict)
    verdicts: dict[tuple, Any] = field(factory=dict)  # legality of one delegation step in its context
    kinds: dict[str, frozenset[str]] = field(factory=dict)  # kinds of an organ or a position
    replacements: dict[tuple[str, str], list[str]] = field(factory=dict)  # (rule, position) -> who replaces, in order
    exclusive: dict[str, Any] = field(factory=dict)  # position -> the rule that alone replaces its holder
    acting: dict[str, Any] = field(factory=dict)  # position -> the rule of an acting appointment to it
    findings: dict[str, Any] = field(factory=dict)  # rule -> a finding that is the same for every question

    kept: int = 0  # compiled chains and candidates in `heads`, `candidates` and `unpruned`

    def bound(self) -> None:
        """Bound the memory of a long-running process: the searched chains go when they are too
        many (what they are built from, the per-grant and per-step tables, is bounded by the register)."""
        if self.kept > CHAIN_LIMIT or len(self.candidates) > CACHE_LIMIT:
            self.candidates.clear()
            self.unpruned.clear()
            self.heads.clear()
            self.verdicts.clear()
            self.kept = 0


class RegisterState:
    # True for a state that reads its register while answering (registry.lazy): a refusal's
    # reasons must then be worked out while that connection is still the answer's.
    reads_register = False

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
        self.cache = Caches()

    def entities(self, kind: str) -> dict[str, object]:
        return getattr(self, SECTION[kind])

    # -- derived indexes -------------------------------------------------------------------
    @property
    def jurisdiction(self) -> str:
        admin = self.administration
        return (admin.jurisdiction if admin is not None else None) or m.DEFAULT_JURISDICTION

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.powers, self.rules, self.jurisdiction)

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

    @cached_property
    def positions_by_kind(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = defaultdict(list)
        for p in self.positions.values():
            index[p.kind].append(p.id)
        return dict(index)

    # -- small queries ---------------------------------------------------------------------
    def kind_of(self, principal: str) -> str | None:
        if self.catalogue.is_organ(principal):
            return principal
        if principal in self.positions:
            return self.positions[principal].kind
        return None

    def offices(self, principal: str) -> tuple[str, ...]:
        """What a principal acts as: itself and, for a position of an individual organ's kind,
        that organ and every office held with it ex officio (the burgemeester chairs the vast bureau)."""
        if principal in self.positions:
            return (principal, *self.catalogue.book.offices_of(self.positions[principal].kind))
        return (principal,)

    def principal_kinds(self, principal: str, on: date) -> frozenset[str]:
        """Kinds of an organ, a position or (on a date) a person, with every kind they are a kind of."""
        found = self.cache.kinds.get(principal)
        if found is not None:
            return found
        cat = self.catalogue
        if cat.is_organ(principal):
            found = self.cache.kinds[principal] = frozenset((principal,))
            return found
        if principal in self.positions:
            kind = self.positions[principal].kind
            found = self.cache.kinds[principal] = cat.kinds_of(kind) | frozenset(cat.book.offices_of(kind))
            return found
        found = frozenset()
        for a in self.appointments_by_person.get(principal, ()):
            if m.covers(a.from_, a.until, on) and a.position in self.positions:
                found |= self.principal_kinds(a.position, on)
        return found

    def unit_entity(self, unit: str) -> str | None:
        """The legal entity a unit belongs to (set on it or on a unit above it), or None: shared."""
        for u in self.unit_ancestors(unit):
            found = self.units.get(u)
            if found is not None and found.entity is not None:
                return found.entity
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
        found = self.cache.ancestors.get(unit)
        if found is None:
            found = self.cache.ancestors[unit] = frozenset(self.unit_ancestors(unit))
        return found

    def holders(self, position: str, on: date) -> list[m.Appointment]:
        return [a for a in self.appointments_by_position.get(position, ()) if m.covers(a.from_, a.until, on)]

    def is_absent(self, person: str, on: date) -> bool:
        return any(m.covers(a.from_, a.until, on) for a in self.absences_by_person.get(person, ()))

    def has_conflict(self, person: str, matter: str | None, on: date) -> m.Conflict | None:
        if matter is None:
            return None
        for c in self.conflicts_by_person.get(person, ()):
            if c.matter == matter and m.covers(c.from_, c.until, on):
                return c
        return None

    def revocation_of(self, target: str) -> m.Revocation | None:
        return self.revocations.get(target)
