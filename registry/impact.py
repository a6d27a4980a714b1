"""Where two register states can give different answers: which persons and powers, which dates.

This only narrows down where the what-if comparison asks `check`; it decides no answer itself.
It is deliberately generous (when unsure, everyone and always), and a property test compares
the narrowed comparison with one that asks every person, power and date.

- Dates: an entity has no effect on a date outside its own period (a decision outside its
  period of effect, an appointment or absence outside its dates, a revocation before it takes
  effect), so answers can only differ within the periods of the entities that differ.
- Persons and powers: a changed grant matters to the powers it names, for the legal entity of its
  decision (a chain never mixes entities), and to whoever a chain can
  reach from its recipient downwards (holders of the position or positions of that organ kind,
  their substitutes, and the recipients of grants their decisions made); a changed appointment,
  absence or position matters to the persons concerned and to those who stand in for them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from attrs import frozen

from delegations.catalogue import power_covers
from delegations.model import ENTITIES
from delegations.state import KINDS, RegisterState

ALL = None  # every power, for every legal entity
Pairs = frozenset[tuple[str, str]]  # (power, legal entity)
Window = tuple[date, date]
# Kinds whose change may touch everyone at every date: no narrowing then.
GLOBAL = ("rule", "unit", "power")


@frozen
class Impact:
    """`persons`: person -> the (power, legal entity) pairs to ask about (None: all); None: every person."""

    persons: dict[str, frozenset[tuple[str, str]] | None] | None
    windows: tuple[Window, ...]  # the dates on which answers may differ (inclusive), merged

    def covers(self, day: date) -> bool:
        return any(a <= day <= b for a, b in self.windows)


def legal_substitutes(state: RegisterState) -> dict[str, set[str]]:
    """position -> the positions a rule of law lets replace its holder (the adjunct for the
    algemeen directeur), whatever master data says: the reach of the chain search's substitutions."""
    cat = state.catalogue
    out: dict[str, set[str]] = defaultdict(set)
    kinds = {pid: cat.kinds_of(p.kind) | frozenset(cat.book.offices_of(p.kind)) for pid, p in state.positions.items()}
    for rule in cat.substitutions:
        spec = rule.substitution
        if spec is None:
            continue
        by = {pid for pid, k in kinds.items() if k & set(spec.by)}
        for pid, p in state.positions.items():
            if cat.kinds_of(p.kind) & set(spec.for_):
                out[pid] |= by - {pid}
    return out


def changed(before: RegisterState, after: RegisterState) -> dict[str, dict[str, tuple[Any, Any]]]:
    """kind -> key -> (old, new) for every entity whose content differs (None: absent). States
    built on one another share unchanged entities, so most comparisons are an identity test."""
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for kind in KINDS:
        old, new = before.entities(kind), after.entities(kind)
        diff = {}
        for key in set(old) | set(new):
            a, b = old.get(key), new.get(key)
            if a is None or b is None or (a is not b and a != b):
                diff[key] = (a, b)
        if diff:
            out[kind] = diff
    return out


def impact(before: RegisterState, after: RegisterState) -> Impact:
    delta = changed(before, after)
    return Impact(_persons(before, after, delta), _merge(_windows(delta)))


# -- dates ----------------------------------------------------------------------------------

def _windows(delta: dict[str, dict[str, tuple[Any, Any]]]) -> list[Window]:
    out: list[Window] = []
    for kind, items in delta.items():
        for old, new in items.values():
            for obj in (old, new):
                if obj is not None:
                    w = _window(kind, obj)
                    if w is not None:
                        out.append(w)
    return out


def _window(kind: str, obj: Any) -> Window | None:
    if kind == "decision":
        return (obj.effective_from, obj.effective_until or date.max)
    if kind == "revocation":
        return (obj.effective_from, date.max)
    if kind in ("appointment", "absence", "conflict"):
        return (obj.from_, obj.until or date.max)
    if kind == "person":
        return None  # a name: no answer depends on it
    return (date.min, date.max)


def _merge(windows: list[Window]) -> tuple[Window, ...]:
    out: list[list[date]] = []
    for a, b in sorted(windows):
        if out and a.toordinal() <= out[-1][1].toordinal() + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


# -- persons and powers ---------------------------------------------------------------------

class _Reach:
    """Dirty principals and grants with the powers concerned, propagated down the delegation
    structure of both states (one work list: structures may be deep, or even circular)."""

    def __init__(self, before: RegisterState, after: RegisterState):
        self.states = (before, after)
        self.powers = sorted({p for s in self.states for p in s.catalogue.powers})
        self.persons: dict[str, set[tuple[str, str]] | None] = {}
        self.seen: dict[tuple[str, str], set[tuple[str, str]] | None] = {}
        self.todo: list[tuple[str, str, Pairs | None]] = []
        self.made_by: dict[str, set[str]] = defaultdict(set)  # delegator -> grants of its decisions
        self.under: dict[str, set[str]] = defaultdict(set)  # grant -> grants naming it as parent
        self.absent_only: dict[str, set[str]] = defaultdict(set)  # position -> grants active in its absence
        self.recipient: dict[str, set[str]] = defaultdict(set)
        self.granted: dict[str, set[str]] = defaultdict(set)
        self.entities: dict[str, set[str]] = defaultdict(set)
        self.of_kind: dict[str, set[str]] = defaultdict(set)
        self.substitutes: dict[str, set[str]] = defaultdict(set)
        self.holders: dict[str, set[str]] = defaultdict(set)
        for s in self.states:
            for g, d in s.grants.values():
                self.made_by[d.by].add(g.id)
                if g.under:
                    self.under[g.under].add(g.id)
                if g.limits.only_when_absent:
                    self.absent_only[g.limits.only_when_absent].add(g.id)
                self.recipient[g.id].add(g.to)
                self.granted[g.id].update(g.powers)
                self.entities[g.id].update((d.entity,) if isinstance(d.entity, str) else d.entity)
            for p in s.positions.values():
                self.of_kind[p.kind].add(p.id)
                self.substitutes[p.id].update(p.substitutes)
            for a in s.appointments.values():
                self.holders[a.position].add(a.person)
            for target, subs in legal_substitutes(s).items():
                self.substitutes[target].update(subs)

    def expand(self, powers: set[str], entities: set[str]) -> Pairs:
        return frozenset((p, e) for p in self.powers if any(power_covers(x, p) for x in powers) for e in entities)

    def person(self, pid: str, powers: Pairs | None) -> None:
        have = self.persons.get(pid, set())
        if have is not None:
            self.persons[pid] = None if powers is None else have | powers

    def grant(self, gid: str, powers: Pairs | None) -> None:
        self._run("grant", gid, powers)

    def principal(self, who: str, powers: Pairs | None) -> None:
        self._run("principal", who, powers)

    def _run(self, kind: str, ident: str, powers: Pairs | None) -> None:
        self.todo.append((kind, ident, powers))
        while self.todo:
            kind, ident, powers = self.todo.pop()
            if kind == "grant":
                mine = self.expand(self.granted[ident], self.entities[ident] or set(ENTITIES))
                powers = mine if powers is None else powers & mine
                if not powers:
                    continue
            have = self.seen.get((kind, ident), set())
            if have is None or (powers is not None and powers <= have):
                continue
            self.seen[(kind, ident)] = None if powers is None else have | powers
            if kind == "grant":
                self.todo += [("principal", to, powers) for to in self.recipient[ident]]
                self.todo += [("grant", child, powers) for child in self.under[ident]]
            else:
                self._below(ident, powers)

    def _below(self, who: str, powers: Pairs | None) -> None:
        """A grant to `who` changed: the persons it reaches and the decisions `who` made."""
        if any(who in s.persons for s in self.states):
            self.person(who, powers)
        positions = ({who} if any(who in s.positions for s in self.states) else set()) | self.of_kind.get(who, set())
        standing_in = {sub for p in positions for sub in self.substitutes.get(p, ())}
        for pos in positions | standing_in:
            for pid in self.holders.get(pos, ()):
                self.person(pid, powers)
            if pos != who and pos in self.of_kind.get(who, ()):
                self.todo.append(("principal", pos, powers))  # a position of an organ kind acts as that organ
        self.todo += [("grant", gid, powers) for gid in self.made_by.get(who, ())]

    def holders_changed(self, position: str) -> None:
        """Substitution and `only_when_absent` look at who holds a position and whether they are away."""
        for target, subs in list(self.substitutes.items()):
            if position == target or position in subs:
                for pos in {target} | subs:
                    for pid in self.holders.get(pos, ()):
                        self.person(pid, ALL)
        for gid in self.absent_only.get(position, ()):
            self.grant(gid, ALL)


def _persons(before: RegisterState, after: RegisterState,
             delta: dict[str, dict[str, tuple[Any, Any]]]) -> dict[str, Pairs | None] | None:
    if any(kind in delta for kind in GLOBAL):
        return None
    reach = _Reach(before, after)
    for old, new in delta.get("decision", {}).values():
        for d in (old, new):
            for g in d.grants if d is not None else ():
                reach.grant(g.id, ALL)
    for target in delta.get("revocation", {}):
        for s in (before, after):
            if target in s.grants:
                reach.grant(target, ALL)
            for g in s.decisions[target].grants if target in s.decisions else ():
                reach.grant(g.id, ALL)
    for kind in ("appointment", "absence", "conflict", "person"):
        for old, new in delta.get(kind, {}).values():
            for obj in (old, new):
                if obj is None:
                    continue
                pid = obj.person if kind != "person" else obj.id
                reach.person(pid, ALL)
                if kind == "appointment":
                    reach.holders_changed(obj.position)
                elif kind == "absence":
                    for s in (before, after):
                        for a in s.appointments_by_person.get(pid, ()):
                            reach.holders_changed(a.position)
    for pid in delta.get("position", {}):
        reach.principal(pid, ALL)
        reach.holders_changed(pid)
    return {p: (None if v is None else frozenset(v)) for p, v in reach.persons.items()}
