"""Absence, replacement (by master data or by law) and acting appointments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import model as m
from ..answer import AppointmentStep, Question, SubstitutionStep
from ..messages import msg
from ..texts import tr
from .base import Evaluation

if TYPE_CHECKING:
    from ..state import RegisterState


def unavailable(state: RegisterState, person: str, q: Question, when: tuple[str, ...]) -> bool:
    """Is the holder absent (an absence on the date) or prevented (a conflict in the question's matter)?"""
    return ("absent" in when and state.is_absent(person, q.on)) or (
        "prevented" in when and state.has_conflict(person, q.matter, q.on) is not None)


def only_when_absent(ev: Evaluation, state: RegisterState, q: Question, g: m.Grant) -> None:
    position = g.limits.only_when_absent
    holders = state.holders(position, q.on)  # type: ignore[arg-type]
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", tr("Grant {id} applies only while the holder of {position} is absent, but {join} is present on {on}.", id=g.id, position=position, join=', '.join(present), on=q.on), grant=g.id)
    else:
        ev.condition("NOTIFY_ABSENT_HOLDER", msg(
            "NOTIFY_ABSENT_HOLDER", holders=", ".join(h.person for h in holders) or "-", position=position),
            grant=g.id, position=position, holders=[h.person for h in holders])


def exclusive_rule(state: RegisterState, position: str) -> m.Rule | None:
    """The rule of law that alone replaces the holder of this position (master data never does)."""
    if position not in state.cache.exclusive:
        state.cache.exclusive[position] = _exclusive_rule(state, position)
    return state.cache.exclusive[position]


def _exclusive_rule(state: RegisterState, position: str) -> m.Rule | None:
    p = state.positions.get(position)
    if p is None:
        return None
    kinds = state.catalogue.kinds_of(p.kind)
    for rule in state.catalogue.substitutions:
        if kinds & set(rule.substitution.for_):  # type: ignore[union-attr]
            return rule
    for rule in state.catalogue.acting:
        if rule.acting.exclusive and kinds & set(rule.acting.positions):  # type: ignore[union-attr]
            return rule
    return None


def replacement_order(state: RegisterState, rule: m.Rule, target: str) -> list[str]:
    """Positions that replace `target` under a rule of law, in the order the law gives: the
    designated ones (`substitutes`, in that order), then the others by rank."""
    found = state.cache.replacements.get((rule.id, target))
    if found is None:
        found = state.cache.replacements[(rule.id, target)] = _replacement_order(state, rule, target)
    return found


def _replacement_order(state: RegisterState, rule: m.Rule, target: str) -> list[str]:
    spec = rule.substitution
    assert spec is not None
    cat = state.catalogue
    by = set(spec.by)

    def eligible(pid: str) -> bool:
        p = state.positions.get(pid)
        return p is not None and bool(cat.kinds_of(p.kind) & by)

    order = [s for s in state.positions[target].substitutes if eligible(s)] if spec.designated else []
    if spec.ranked or not spec.designated:
        others = [pid for kind in cat.book.kinds for pid in state.positions_by_kind.get(kind, ())
                  if kind in by or cat.kinds_of(kind) & by]
        ranked = sorted((pid for pid in dict.fromkeys(others) if pid not in order and eligible(pid)),
                        key=lambda pid: (state.positions[pid].rank is None, state.positions[pid].rank or 0, pid))
        order += ranked
    return order


def substitution(ev: Evaluation, state: RegisterState, q: Question, step: SubstitutionStep) -> None:
    target = step.for_position
    actor_position = step.appointment.position
    rule = step.rule
    if rule is None:
        exclusive = exclusive_rule(state, target)
        if exclusive is not None:
            ev.refuse("NOT_DELEGABLE", tr("{target} is replaced only as {id} provides; {actor_position} listed as substitute in master data gives no authority.", target=target, id=exclusive.id, actor_position=actor_position), rule=exclusive.id, position=target)
            return
        _master_data_substitution(ev, state, q, step)
        return
    spec = rule.substitution
    assert spec is not None
    actor_kinds = state.principal_kinds(actor_position, q.on)
    if not actor_kinds & set(spec.by):
        ev.refuse("NOT_DELEGABLE", tr("Only a {join} replaces {target} ({id}); {actor_position} is not one.", join=', '.join(spec.by), target=target, id=rule.id, actor_position=actor_position),
            rule=rule.id, position=target)
        return
    holders = state.holders(target, q.on)
    if not holders and "vacant" not in spec.when:
        ev.refuse("HOLDER_NOT_ABSENT", tr("{target} is vacant on {on}; {id} applies to an absent or prevented holder, a vacant office is filled by an acting holder.", target=target, on=q.on, id=rule.id), rule=rule.id, position=target)
        return
    present = [h.person for h in holders if not unavailable(state, h.person, q, spec.when)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", tr("{person} replaces {target} only while its holder is absent or prevented ({id}), but {join} is present on {on}.", person=step.appointment.person, target=target, id=rule.id, join=', '.join(present), on=q.on), rule=rule.id, position=target)
        return
    for pid in replacement_order(state, rule, target):
        if pid == actor_position:
            return
        available = [h.person for h in state.holders(pid, q.on) if not unavailable(state, h.person, q, spec.when)]
        if available:
            ev.refuse("HOLDER_NOT_ABSENT", tr("{pid} ({join}) comes before {actor_position} in replacing {target} ({id}).", pid=pid, join=', '.join(available), actor_position=actor_position, target=target, id=rule.id),
                rule=rule.id, position=target)
            return


def _master_data_substitution(ev: Evaluation, state: RegisterState, q: Question, step: SubstitutionStep) -> None:
    target = step.for_position
    holders = state.holders(target, q.on)
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", tr("{person} substitutes for {target} only during an absence, but {join} is present on {on}.", person=step.appointment.person, target=target, join=', '.join(present), on=q.on))
        return
    # The first substitute position whose holder is present acts; later ones only if earlier are absent.
    for sub in state.positions[target].substitutes:
        if sub == step.appointment.position:
            break
        present_subs = [h.person for h in state.holders(sub, q.on) if not state.is_absent(h.person, q.on)]
        if present_subs:
            ev.refuse("HOLDER_NOT_ABSENT", tr("Substitute {sub} ({join}) comes before {position} and is present.", sub=sub, join=', '.join(present_subs), position=step.appointment.position))
            return
    # A local arrangement (e.g. an afsprakennota): the substitute informs the absent holder at once.
    absent = ", ".join(h.person for h in holders) or "-"
    ev.condition("NOTIFY_ABSENT_HOLDER", msg("NOTIFY_ABSENT_HOLDER", holders=absent, position=target),
                 position=target, holders=[h.person for h in holders])


def acting_rule(state: RegisterState, position: str) -> m.Rule | None:
    if position not in state.cache.acting:
        state.cache.acting[position] = _acting_rule(state, position)
    return state.cache.acting[position]


def _acting_rule(state: RegisterState, position: str) -> m.Rule | None:
    p = state.positions.get(position)
    if p is None:
        return None
    kinds = state.catalogue.kinds_of(p.kind)
    return next((r for r in state.catalogue.acting if kinds & set(r.acting.positions)), None)  # type: ignore[union-attr]


def acting(ev: Evaluation, state: RegisterState, q: Question, step: AppointmentStep) -> None:
    """An acting appointment to an office the law regulates: only who may hold it, only when it may."""
    rule, a = step.rule, step.appointment
    if rule is None or a.capacity != "acting":
        return
    spec = rule.acting
    assert spec is not None
    if spec.requires:
        held = frozenset().union(*(state.principal_kinds(x.position, q.on) for x in state.appointments_by_person.get(
            a.person, ()) if x is not a and m.covers(x.from_, x.until, q.on) and x.position in state.positions))
        if not held & set(spec.requires):
            ev.refuse("NOT_DELEGABLE", tr("Only a {join} can act as {position} ({id}); {person} is not one on {on}.", join=', '.join(spec.requires), position=a.position, id=rule.id, person=a.person, on=q.on), rule=rule.id, person=a.person)
            return
    if spec.when:
        titular = [h for h in state.holders(a.position, q.on) if h.capacity == "titular" and h.person != a.person]
        present = [h.person for h in titular if not unavailable(state, h.person, q, spec.when)]
        if present or (not titular and "vacant" not in spec.when):
            ev.refuse("HOLDER_NOT_ABSENT", tr("{person} acts as {position} only during an absence, a prevention or a vacancy ({id}), but {value} is present on {on}.", person=a.person, position=a.position, id=rule.id, value=', '.join(present) or '-', on=q.on), rule=rule.id, person=a.person)
