"""The legality of each delegation step: may this delegator hand this power to this recipient?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from attrs import frozen

from .. import model as m
from ..answer import Finding, GrantStep, Question
from ..messages import msg
from ..texts import Text, tr
from .base import Evaluation

if TYPE_CHECKING:
    from ..state import RegisterState


@frozen
class Failure:
    """Why one delegation step is not lawful: `collegial` (to a member of the collegial organ),
    `not_delegable` (an item the rule keeps with its holder) or `not_eligible` (recipient's kind)."""

    kind: str
    rule: str | None
    item: str | None = None
    allowed: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    reachable: bool = True  # False: no rule lets this delegator delegate the power at all (it lacks it)
    via: tuple[str, ...] = ()  # the rules that do allow this delegator to delegate the power (to others)


@frozen
class Verdict:
    lawful: tuple[m.Rule, ...]  # packaged rules under which the step holds (carried to the next step)
    local: tuple[m.Rule, ...]  # local regulations that allow it
    basis: m.Rule | None  # the rule cited for the step in answers
    failure: Failure | None


def step_verdict(state: RegisterState, d: m.Decision, g: m.Grant, power: str, doc: str | None, on: date,
                 entities: tuple[str, ...], carried: tuple[m.Rule, ...] = (),
                 carried_local: tuple[m.Rule, ...] = ()) -> Verdict:
    """May `d.by` hand `power` (for document type `doc`) to `g.to`? The law permits a delegation
    through a packaged rule that names the delegator (or, for a subdelegation, through the rule the
    delegator's own grant rests on); a binding restriction of the law forbids it whatever else
    permits it; a cited local regulation must allow it too (it narrows, never widens)."""
    dated = d.by in state.persons or g.to in state.persons
    key = (g.id, d.id, power, doc, entities, tuple(x.id for x in carried), tuple(x.id for x in carried_local),
           on if dated else None)
    found = state.cache.verdicts.get(key)
    if found is None:
        found = state.cache.verdicts[key] = _step_verdict(state, d, g, power, doc, on, entities, carried,
                                                          carried_local)
    return found


def _step_verdict(state: RegisterState, d: m.Decision, g: m.Grant, power: str, doc: str | None, on: date,
                  entities: tuple[str, ...], carried: tuple[m.Rule, ...],
                  carried_local: tuple[m.Rule, ...]) -> Verdict:
    cat = state.catalogue
    dk = state.principal_kinds(d.by, on)
    tk = state.principal_kinds(g.to, on)
    shown = tuple(sorted(tk)) or (g.to,)

    def applies(r: m.Rule) -> bool:
        return not cat.rule_entities(r).isdisjoint(entities)

    for organ in dk:
        o = cat.organs.get(organ)
        if o is not None and o.collegial and not o.delegates_to_members and tk & set(o.members):
            return Verdict((), (), None, Failure("collegial", None, None, (), shown))
    candidates: list[tuple[m.Rule, tuple[str, ...], bool]] = [
        (r, r.delegable_to, False) for r in cat.permitting(power) if applies(r) and dk & set(r.delegators)]
    candidates += [(r, r.subdelegable_to, True) for r in carried]
    cited = cat.rules.get(d.legal_basis)
    binding = next(((r, item) for r in cat.binding(power) if applies(r) and dk & set(r.delegators)
                    and not cat.lifted(r, power, cited)
                    for item in (cat.excluded(r.not_delegable, power, doc),) if item is not None), None)
    lawful: list[tuple[m.Rule, bool]] = []
    blocked: list[tuple[m.Rule, str, bool]] = []
    for r, allowed, sub in candidates:
        eligible = bool(tk & set(allowed))
        item = None if cat.lifted(r, power, cited) else cat.excluded(r.not_delegable, power, doc)
        if eligible and item is None:
            lawful.append((r, sub))
        elif item is not None:
            blocked.append((r, item, eligible))
    if binding is not None:
        return Verdict((), (), None, Failure("not_delegable", binding[0].id, binding[1]))
    if not lawful:
        hit = next((b for b in blocked if b[2]), blocked[0] if blocked else None)
        if hit is not None:
            return Verdict((), (), None, Failure("not_delegable", hit[0].id, hit[1]))
        allowed = tuple(dict.fromkeys(x for _r, a, _s in candidates for x in a))
        # Name the rules of the law that govern this delegator's delegations of the power.
        via = tuple(dict.fromkeys(r.id for r, a, _s in candidates if a))
        shown_rule = cited.id if cited is not None and any(c[0] is cited for c in candidates) else (
            candidates[0][0].id if candidates else d.legal_basis)
        return Verdict((), (), None, Failure("not_eligible", shown_rule, None, allowed, shown, bool(candidates), via))
    local: list[m.Rule] = []
    for r in cat.local.values():
        if not cat.rule_governs(r, power) or not applies(r):
            continue
        allowed = (r.delegable_to if dk & set(r.effective_delegators()) else ()) + (
            r.subdelegable_to if r in carried_local else ())
        item = cat.excluded(r.not_delegable, power, doc)
        if r is cited:
            if item is not None:
                return Verdict((), (), None, Failure("not_delegable", r.id, item))
            if not tk & set(allowed):
                return Verdict((), (), None, Failure("not_eligible", r.id, None, allowed, shown))
        if item is None and tk & set(allowed):
            local.append(r)
    rules = tuple(r for r, _ in lawful)
    first = next(((r, sub) for r, sub in lawful if cited is not None and r.id == cited.id), lawful[0])
    basis = first[0]
    if first[1] and basis.subdelegation_rule in cat.packaged:
        basis = cat.packaged[basis.subdelegation_rule]
    return Verdict(rules, tuple(local), basis, None)


@frozen
class Legality:
    bases: tuple[m.Rule | None, ...]  # per grant step: the rule behind it
    failure: tuple[int, Failure] | None  # the first unlawful step


def chain_legality(state: RegisterState, grants: Sequence[GrantStep], power: str, doc: str | None, on: date,
                   entity: str) -> Legality:
    carried: tuple[m.Rule, ...] = ()
    carried_local: tuple[m.Rule, ...] = ()
    bases: list[m.Rule | None] = []
    for i, step in enumerate(grants):
        v = step_verdict(state, step.decision, step.grant, power, doc, on, (entity,), carried, carried_local)
        if v.failure is not None:
            return Legality(tuple(bases) + (None,) * (len(grants) - i), (i, v.failure))
        bases.append(v.basis)
        carried, carried_local = v.lawful, v.local
    return Legality(tuple(bases), None)


def involves_persons(state: RegisterState, grants: Sequence[GrantStep]) -> bool:
    """Does legality depend on the date (the kinds of a person come from the positions held then)?"""
    return any(s.grant.to in state.persons or s.decision.by in state.persons for s in grants)


def allowed_text(allowed: Sequence[str]) -> str | Text:
    """The recipients a rule allows, or 'nobody'."""
    return ", ".join(allowed) or tr("nobody")


def failure_finding(state: RegisterState, power: str, step: GrantStep, f: Failure) -> Finding:
    g, d = step.grant, step.decision
    if f.kind == "collegial":
        text = tr("{by} is a collegial organ and cannot delegate to one of its members ({to}).", by=d.by, to=g.to)
    elif f.kind == "not_delegable":
        text = tr("{item} stays with the holder under {rule} and cannot be delegated.", item=f.item, rule=f.rule)
    else:
        shown = ", ".join(f.kinds)
        via = f" ({', '.join(f.via)})" if f.via else ""
        text = tr("Legal basis {rule} does not let {by} delegate {power} to {to} ({shown}); allowed: {allowed}{via}.",
                  rule=f.rule, by=d.by, power=power, to=g.to, shown=shown, allowed=allowed_text(f.allowed), via=via)
    return Finding("NOT_DELEGABLE", text, None, g.id, f.rule, {})


def legality(ev: Evaluation, state: RegisterState, q: Question, grants: Sequence[GrantStep]) -> None:
    found = chain_legality(state, grants, q.power, q.document_type, q.on, q.entity or "").failure
    if found is not None:
        ev.reasons.append(failure_finding(state, q.power, grants[found[0]], found[1]))


def subdelegation(ev: Evaluation, grants: Sequence[GrantStep]) -> None:
    for i in range(1, len(grants)):
        g, parent = grants[i].grant, grants[i - 1].grant
        if not parent.subdelegation.allowed:
            ev.refuse("SUBDELEGATION_NOT_ALLOWED", msg("SUBDELEGATION_NOT_ALLOWED", parent=parent.id, grant=g.id),
                      grant=g.id, parent=parent.id)
            continue
        for j in range(i):
            above = grants[j].grant
            if above.subdelegation.allowed and i - j > above.subdelegation.levels:
                ev.refuse("SUBDELEGATION_TOO_DEEP", msg("SUBDELEGATION_TOO_DEEP", grant=g.id, parent=above.id,
                                                        depth=i - j, max_depth=above.subdelegation.levels),
                          grant=g.id, parent=above.id)
                break


def entity_covered(ev: Evaluation, state: RegisterState, q: Question, grants: Sequence[GrantStep]) -> None:
    """A decision acts only for the legal entities it names (a vast bureau letter is an OCMW document)."""
    for step in grants:
        d = step.decision
        if q.entity not in d.entities:
            covered = ", ".join(d.entities)
            if q.issuer is not None:
                ev.refuse("ISSUER_OUT_OF_SCOPE", tr("Documents of {issuer} belong to {entity}; decision {id} covers only {covered}.", issuer=q.issuer, entity=q.entity, id=d.id, covered=covered), grant=step.grant.id, issuer=q.issuer, entity=q.entity)
            else:
                ev.refuse("NO_AUTHORITY", tr("Decision {id} covers only {covered}, not {entity}.", id=d.id, covered=covered, entity=q.entity),
                          grant=step.grant.id, entity=q.entity)
            return


def parties_verdict(state: RegisterState, d: m.Decision, g: m.Grant, power: str, doc: str | None, on: date,
                    entities: tuple[str, ...], carried: tuple[m.Rule, ...] = (),
                    carried_local: tuple[m.Rule, ...] = (),
                    ids: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> Verdict:
    """`step_verdict`, shared by every step between parties of the same kinds: the verdict reads of
    the step only the kinds of its delegator and of its recipient on the date (and the recipient's
    id when it has no kind, to name it), the decision's legal basis and what it is asked (never the
    ids of the grant or the decision), so the validator of a register with 50 000 grants decides a
    few thousand steps instead of one per grant and power. `ids`: the ids of `carried` and
    `carried_local`, when the caller has them."""
    dk = state.principal_kinds(d.by, on)
    tk = state.principal_kinds(g.to, on)
    if ids is None:
        ids = (tuple(x.id for x in carried), tuple(x.id for x in carried_local))
    key = ("kinds", dk, tk, None if tk else g.to, d.legal_basis, power, doc, entities, ids)
    found = state.cache.verdicts.get(key)
    if found is None:
        found = state.cache.verdicts[key] = _step_verdict(state, d, g, power, doc, on, entities, carried,
                                                          carried_local)
    return found
