"""Chains from the holder by law down to the actor.

Search runs backwards from the actor: the positions it holds, the positions it stands in for (by
master data or by a replacement rule of the law), the grants made to those, the delegator of each
grant, up to an organ that holds the power by law. Only grants addressed to a principal are looked
at (an index by recipient), never all grants. Every branch carries the period in which all its
steps are in force (`rules.grant_window`) and is dropped as soon as that period is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple

from . import model as m
from . import rules as r
from .answer import AppointmentStep, GrantStep, LawStep, Step, SubstitutionStep
from .catalogue import power_covers

if TYPE_CHECKING:
    from .state import RegisterState

MAX_DEPTH = 12  # longer chains are surely a data error; the search stops there
MAX_CANDIDATES = 256


class Tail(NamedTuple):
    """How the actor reaches a principal: itself, an appointment, or a replacement."""

    principal: str
    steps: tuple[Step, ...]
    window: r.Window


class Found(NamedTuple):  # a named tuple: the search builds hundreds of thousands of them
    steps: tuple[Step, ...]
    window: r.Window


def shared(state: RegisterState, key: tuple, make):
    """One step object per grant, appointment or holding, shared by every chain of the snapshot."""
    found = state.cache.steps.get(key)
    if found is None:
        found = state.cache.steps[key] = make()
    return found


def tails(state: RegisterState, actor: str) -> list[Tail]:
    out = [Tail(actor, (), r.ALWAYS)]
    if actor not in state.persons:
        return out
    cat = state.catalogue
    for a in state.appointments_by_person.get(actor, ()):
        window = r.appointment_window(a)
        rule = r.acting_rule(state, a.position) if a.capacity == "acting" else None
        step = shared(state, ("appointment", a.key), lambda: AppointmentStep(a, rule))  # noqa: B023
        out.append(Tail(a.position, (step,), window))
        targets: dict[str, m.Rule | None] = {}
        for target in state.substituted_by.get(a.position, ()):
            targets[target] = _designation(state, target)
        kinds = state.principal_kinds(a.position, a.from_) if a.position in state.positions else frozenset()
        for rule_ in cat.substitutions:
            spec = rule_.substitution
            if spec is None or not kinds & set(spec.by):
                continue
            for kind in cat.book.kinds:
                if cat.kinds_of(kind) & set(spec.for_):
                    for target in state.positions_by_kind.get(kind, ()):
                        targets[target] = rule_  # the law replaces, whatever master data says too
        for target, rule_ in targets.items():
            if target != a.position:
                out.append(Tail(target, (SubstitutionStep(a, target, rule_),), window))
    return out


def _designation(state: RegisterState, target: str) -> m.Rule | None:
    """A master-data substitute of an office replaced by law is that law's designation (the
    schepen the burgemeester designates); for any other position it is a local arrangement."""
    p = state.positions.get(target)
    if p is None:
        return None
    kinds = state.catalogue.kinds_of(p.kind)
    return next((x for x in state.catalogue.substitutions
                 if x.substitution.designated and kinds & set(x.substitution.for_)), None)  # type: ignore[union-attr]


def sources(state: RegisterState, principal: str, power: str, entity: str, seen: frozenset[str], depth: int,
            window: r.Window, prune: bool, any_entity: bool = False, limit: int = MAX_CANDIDATES) -> list[Found]:
    """The first `limit` chains from the law down to `principal` (law step and grants), in the
    order of a full enumeration. The search stops there: without pruning, across many terms,
    subdelegations join every grant their delegator ever received, and a full enumeration before
    cutting cost seconds for one question."""
    return list(islice(_sources(state, principal, power, entity, seen, depth, window, prune, any_entity), limit))


def _sources(state: RegisterState, principal: str, power: str, entity: str, seen: frozenset[str], depth: int,
             window: r.Window, prune: bool, any_entity: bool) -> Iterator[Found]:
    if depth > MAX_DEPTH:
        return
    cat = state.catalogue
    own = state.kind_of(principal)
    for p in state.offices(principal):
        office = own if p not in (principal, own) else None
        for src in cat.law_sources(p, power, entity):
            w = r.meet(window, r.rule_window(src.rule))
            if w is None:
                if prune:
                    continue
                w = window
            law = shared(state, ("law", src.rule.id, p, src.holding, office),
                         lambda: LawStep(src.rule, src.holding, p, src.basis, office))  # noqa: B023
            yield Found((law,), w)
        for g, d in state.grants_to.get(p, ()):
            if g.id in seen or not any(power_covers(x, power) for x in g.powers):
                continue
            if entity in d.entities or any_entity:
                yield from _through(state, g, d, power, entity, seen, depth, window, prune, any_entity)


def _through(state: RegisterState, g: m.Grant, d: m.Decision, power: str, entity: str, seen: frozenset[str],
             depth: int, window: r.Window, prune: bool, any_entity: bool) -> Iterator[Found]:
    """Every chain that ends with grant `g`."""
    own = r.grant_window(state, g, d)
    narrowed = r.meet(window, own) if own is not None else None
    if narrowed is None:
        if prune:
            return
        narrowed = window
    seen = seen | {g.id}
    if g.under is not None:
        parent = state.grants.get(g.under)
        if parent is None or parent[0].id in seen:
            return
        heads = _through(state, parent[0], parent[1], power, entity, seen, depth + 1, narrowed, prune, any_entity)
    else:
        heads = _sources(state, d.by, power, entity, seen, depth + 1, narrowed, prune, any_entity)
    step = shared(state, ("grant", g.id), lambda: GrantStep(g, d))
    for h in heads:
        yield Found((*h.steps, step), h.window)


def candidate_chains(state: RegisterState, actor: str, power: str, entity: str, prune: bool = True,
                     any_entity: bool = False, limit: int = MAX_CANDIDATES) -> list[Found]:
    """The first `limit` chains from a holder by law to the actor, with the period in which each
    can hold.

    With `prune`, a chain whose steps are never in force at the same time is dropped while
    searching: across many terms of office, subdelegations without `under` would otherwise join
    every grant their delegator ever received and multiply at every level."""
    def every() -> Iterator[Found]:
        for t in tails(state, actor):
            for h in _sources(state, t.principal, power, entity, frozenset(), 0, t.window, prune, any_entity):
                yield Found(h.steps + t.steps, h.window)

    return list(islice(every(), limit))


def who_candidates(state: RegisterState, power: str) -> set[str]:
    """Persons worth asking about: holders of positions that receive or hold the power, of offices
    held with them ex officio, their substitutes and those who replace them by law."""
    cat = state.catalogue
    principals: set[str] = set()
    for g, _d in state.grants.values():
        if any(power_covers(x, power) for x in g.powers):
            principals.add(g.to)
    for holder, entries in cat.holdings.items():
        if any(any(power_covers(x, power) for x in h.powers) for _r, h in entries):
            principals.add(holder)
            o = cat.organs.get(holder)
            if o is not None and o.ex_officio is not None:
                principals.add(o.ex_officio)
    positions = {p for p in principals if p in state.positions}
    positions |= {pid for kind in principals for pid in state.positions_by_kind.get(kind, ())}
    kinds = {state.positions[p].kind for p in positions}
    for rule in cat.substitutions:
        spec = rule.substitution
        if spec is not None and any(cat.kinds_of(k) & set(spec.for_) for k in kinds):
            positions |= {pid for kind in cat.book.kinds if cat.kinds_of(kind) & set(spec.by)
                          for pid in state.positions_by_kind.get(kind, ())}
    positions |= {s for p in list(positions) for s in state.positions[p].substitutes}
    persons = {p for p in principals if p in state.persons}
    persons |= {a.person for p in positions for a in state.appointments_by_position.get(p, ())}
    return persons

