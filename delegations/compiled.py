"""A chain compiled once per (chain above a principal, power, entity), and the one evaluation
of a candidate chain for a question.

Compiling works out what does not depend on the question: the legality of every delegation
step (with the rule behind it), the subdelegation limits, the period in which every step is in
force, which document types the law keeps from the chain, the binding amount per act, and what an
allowed answer carries (limits, reporting, signature mention). `evaluate` then applies the rules
of `rules.py` to the question. The fast path and the explanation differ in two things only: the
fast path tests the precomputed period instead of the time rule of each step, and it stops at
the first reason; both call the same rule functions otherwise.

The compiled form is per (principal, power, entity) and shared by every holder of the principal;
candidates are kept per (actor, power, entity) with their periods in a `Plan`, an index by date
that picks the ones in force with one bisect.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from attrs import define

from . import rules as r
from .answer import AppointmentStep, Finding, GrantStep, LawStep, Step, SubstitutionStep
from .search import shared

if TYPE_CHECKING:
    from .state import RegisterState


NO_DOCS: frozenset[str] = frozenset()  # shared: an empty frozenset is not a singleton


@define(slots=True, eq=False)
class CompiledChain:
    """What a chain from the law down to a principal allows, independent of the question."""

    law: LawStep
    grants: tuple[GrantStep, ...]  # with the rule behind each step
    start: date
    end: date
    static: bool  # refused whatever the question (an unlawful step, subdelegation too deep): see `static_reasons`
    unlawful: bool  # a delegation step is unlawful whatever the question
    dynamic: bool  # legality depends on the date (a grant to or by a person)
    blocked_docs: frozenset[str]  # document types the law keeps from this chain
    binding: Any  # the grant whose amount per act binds, or None
    scope: r.ScopeGroups  # what the steps restrict: keys, units, document types, issuers, exclusions
    ceilings: tuple[str, ...]  # the grants with a yearly ceiling
    absent_only: tuple[Any, ...]  # grants that apply only while a position's holder is absent
    requires: bool  # some grant requires a co-signature or a visum
    cites_root: bool
    local_law: bool  # the law step is a local regulation with its own period
    mention: str | None
    reporting: tuple[dict[str, Any], ...]
    _limits: dict[str, Any] | None = None
    _admits: tuple | None = None
    # (power, step, failure) of an unlawful step: the reasons of a static refusal are built only
    # when one is explained (a third of a city's chains are refused statically and seldom explained).
    _unlawful_step: tuple | None = None

    def static_reasons(self, state: RegisterState) -> list[Finding]:
        if not self.static:
            return []
        found = [r.failure_finding(state, *self._unlawful_step)] if self._unlawful_step is not None else []
        ev = r.Evaluation()
        r.subdelegation(ev, self.grants)
        return found + ev.reasons

    def admits(self, state: RegisterState, a: r.Asked) -> bool:
        """The scope rules (issuer, budget key, unit, document type, amount per act) as one test
        per dimension, without building a reason: the fast path asks this first, and a chain that
        fails it is explained later by the rules themselves (`evaluate` without `fast`), which
        the property tests hold to the same verdict."""
        t = self._admits
        if t is None:
            t = self._admits = _merged(state, self)
        issuers, keys, units, docs, max_amount = t
        q = a.q
        if issuers is not None and q.issuer is not None and q.issuer not in issuers:
            return False
        if keys and q.budget_key is not None:
            key = q.budget_key
            for exact, prefixes, _ in keys:
                if key not in exact and not key.startswith(prefixes):
                    return False
        if units and a.units is not None:
            for allowed, _ in units:
                for above in a.units:
                    if not allowed.isdisjoint(above):
                        break
                else:
                    return False
        if docs is not None and q.document_type is not None and q.document_type not in docs:
            return False
        return max_amount is None or q.amount is None or q.amount <= max_amount

    def limits_in(self, state: RegisterState) -> dict[str, Any]:
        # Computed on first use: validation compiles many chains and never reads their limits.
        if self._limits is None:
            self._limits = r.scope_limits(state, self.law, self.grants)
        return self._limits


def _merged(state: RegisterState, cc: CompiledChain) -> tuple:
    """What `admits` tests: every step's allowed issuers and document types intersected into one
    set (a question passes only when it is in each); of the budget-key and unit groups (prefix
    patterns and unit trees do not intersect into a set) only those that no narrower group implies,
    usually one, since a subdelegation narrows what it receives; the binding amount per act."""
    scope = cc.scope
    issuers = frozenset.intersection(*(i.allowed for i in scope.issuers)) if scope.issuers else None
    docs = frozenset.intersection(*(d.items for d in scope.docs)) if scope.docs else None
    max_amount = cc.binding.limits.max_amount if cc.binding is not None else None
    keys = _irredundant(scope.keys, _keys_imply)
    units = _irredundant(scope.units, lambda narrow, wide: _units_imply(state.ancestors, narrow, wide))
    return issuers, keys, units, docs, max_amount


def _keys_imply(narrow: Any, wide: Any) -> bool:  # two `scoping.Keys`
    """Every key `narrow` admits is admitted by `wide` (each exact key and each prefix of `narrow`
    lies inside `wide`); a prefix is never inside an exact key."""
    return (all(k in wide.exact or k.startswith(wide.prefixes) for k in narrow.exact)
            and all(p.startswith(wide.prefixes) for p in narrow.prefixes))


def _units_imply(ancestors: Any, narrow: Any, wide: Any) -> bool:  # two `scoping.Allowed`
    """Every unit `narrow` admits lies below (or is) a unit of `wide`, so any unit below it does."""
    return all(not wide.items.isdisjoint(ancestors(u)) for u in narrow.items)


def _irredundant(groups: tuple, implies: Any) -> tuple:
    """The groups a question must pass, without those implied by another kept one: passing all of
    the result is passing all of `groups`."""
    kept: list = []
    for g in reversed(groups):  # the deepest step first: it is usually the narrowest
        if not any(implies(k, g) for k in kept):
            kept = [k for k in kept if not implies(g, k)] + [g]
    return tuple(kept)


@define(slots=True, eq=False)
class Candidate:
    """One chain for an actor: the compiled part above a principal plus the actor's tail."""

    steps: tuple[Step, ...]
    compiled: CompiledChain
    tail: tuple[Step, ...]
    start: date
    end: date
    covers_entity: bool = True  # found by the entity-filtered search (always, but in explanations)
    checked: tuple[Step, ...] = ()  # tail steps with a rule of their own: a replacement, a waarneming

    def __attrs_post_init__(self) -> None:
        self.checked = tuple(s for s in self.tail if isinstance(s, SubstitutionStep)
                             or (isinstance(s, AppointmentStep) and s.rule is not None))


class Segment(NamedTuple):
    """The candidates in force on every day of one stretch between two cuts of a `Plan`."""

    current: tuple[Candidate, ...]  # in the order of the plan
    tried: tuple[Candidate, ...]  # of those, the ones not refused whatever the question
    near: tuple[Candidate, ...]  # `current` in the order a refusal explains them


NOTHING_IN_FORCE = Segment((), (), ())


@define(slots=True, eq=False)
class Plan:
    """An actor's candidate chains for one (power, entity), split by date. `cuts` are the days
    (ordinals) on which the set in force changes, so one bisect finds the stretch of a date and
    its chains without a scan, however many terms of office lie behind it. A stretch is worked out
    the first time a question falls in it (most stretches of a long history are never asked)."""

    all: list[Candidate]
    cuts: list[int]
    _segments: list[Segment | None]

    @classmethod
    def of(cls, cands: list[Candidate]) -> Plan:
        cuts = sorted({c.start.toordinal() for c in cands} | {c.end.toordinal() + 1 for c in cands if c.end < date.max})
        segments: list[Segment | None] = [None] * (len(cuts) + 1)
        segments[0] = NOTHING_IN_FORCE  # before the first day any chain starts
        return cls(cands, cuts, segments)

    def at(self, on: date) -> Segment:
        i = bisect_right(self.cuts, on.toordinal())
        found = self._segments[i]
        if found is None:
            # Every day of the stretch has the same chains in force as its first day.
            day = date.fromordinal(self.cuts[i - 1])
            current = tuple(c for c in self.all if c.start <= day <= c.end)
            if not current:
                found = NOTHING_IN_FORCE
            else:
                near = tuple(sorted(current, key=explanation_order))
                found = Segment(current, tuple(c for c in current if not c.compiled.static), near)
            self._segments[i] = found
        return found


def explanation_order(c: Candidate) -> tuple[bool, int]:
    """The order in which refused chains in force are explained: those whose first decision cites
    the law step's rule first, then the shorter ones."""
    return not c.compiled.cites_root, len(c.steps)


def compile_chain(state: RegisterState, steps: tuple[Step, ...], window: r.Window, power: str,
                  entity: str) -> CompiledChain:
    law = steps[0]
    assert isinstance(law, LawStep)
    plain = [s for s in steps if isinstance(s, GrantStep)]
    cat = state.catalogue
    dynamic = r.involves_persons(state, plain)
    failed: tuple | None = None
    bases: tuple = (None,) * len(plain)
    blocked: set[str] = set()
    unlawful = False
    if not dynamic:
        legality = r.chain_legality(state, plain, power, None, date.min, entity)
        bases = legality.bases
        if legality.failure is not None:
            i, failure = legality.failure
            failed = (power, plain[i], failure)
            unlawful = True
        else:
            blocked = {doc for doc in cat.restricted_docs(power)
                       if r.chain_legality(state, plain, power, doc, date.min, entity).failure is not None}
    else:
        legality = r.chain_legality(state, plain, power, None, window[0], entity)
        bases = legality.bases
    grants = tuple(shared(state, ("grant", s.grant.id, b.id if b else None),
                          lambda s=s, b=b: GrantStep(s.grant, s.decision, b)) for s, b in zip(plain, bases, strict=True))
    ev = r.Evaluation()
    r.subdelegation(ev, grants)
    static = failed is not None or bool(ev.reasons)
    first = grants[0] if grants else None
    return CompiledChain(
        law=law, grants=grants, start=window[0], end=window[1], static=static, unlawful=unlawful, dynamic=dynamic,
        blocked_docs=frozenset(blocked) if blocked else NO_DOCS, binding=r.binding_amount(grants),
        scope=r.scope_groups(state, law, grants),
        ceilings=tuple(s.grant.id for s in grants if s.grant.limits.annual_ceiling is not None),
        absent_only=tuple(s.grant for s in grants if s.grant.limits.only_when_absent is not None),
        requires=any(s.grant.requires.cosignature_by is not None or s.grant.requires.visum_above is not None
                     for s in grants),
        cites_root=first is None or first.decision.legal_basis == law.rule.id,
        local_law=law.rule.effective_from is not None or law.rule.effective_until is not None,
        mention=r.signature_mention(state, power, law, grants), reporting=r.reporting(state, grants),
        unlawful_step=failed)


def evaluate(state: RegisterState, a: r.Asked, cand: Candidate, usage: r.Usage, fast: bool) -> r.Evaluation | None:
    """The rules of `rules.py` applied to one candidate chain. `fast`: None as soon as the chain
    fails (the explanation is then asked of the same function without `fast`)."""
    q = a.q
    cc = cand.compiled
    grants = cc.grants
    if fast:
        if cc.static or not cand.start <= q.on <= cand.end or not cc.admits(state, a):
            return None  # most chains tried stop here: no Evaluation built for them
        ev = r.Evaluation()
    else:
        ev = r.Evaluation()
        ev.reasons.extend(cc.static_reasons(state))
        if not cand.covers_entity:
            r.entity_covered(ev, state, q, grants)
        if cc.local_law:
            r.law_time(ev, q, cc.law)
        for step in grants:
            r.grant_time(ev, state, q, step)
        for step in cand.tail:
            if isinstance(step, AppointmentStep | SubstitutionStep):
                r.appointment_time(ev, q, step.appointment)
    if not cc.unlawful and (cc.dynamic or q.document_type in cc.blocked_docs):
        r.legality(ev, state, q, grants)
        if fast and ev.reasons:
            return None
    scope = cc.scope
    if not fast:  # the fast path has asked `admits`, the same tests merged
        if scope.issuers:
            r.issuer_scope(ev, q, scope)
        if scope.keys:
            r.key_scope(ev, q, scope)
        if scope.units:
            r.unit_scope(ev, a, scope)
        if scope.docs:
            r.document_scope(ev, q, scope)
    if scope.excluded:
        r.excluded_scope(ev, a, scope, state)
    if not fast and cc.binding is not None:
        r.amount_scope(ev, q, cc.binding)
    for g in cc.absent_only:
        r.only_when_absent(ev, state, q, g)
    for step in cand.checked:
        if isinstance(step, SubstitutionStep):
            r.substitution(ev, state, q, step)
        else:
            r.acting(ev, state, q, step)  # type: ignore[arg-type]
    if fast and ev.reasons:
        return None
    if cc.ceilings:
        r.ceilings(ev, q, grants, usage)
    if not fast:  # the fast path asks this once per question (it does not depend on the chain)
        r.conflicts(ev, state, q)
    if ev.reasons:
        return None if fast else ev
    if cc.requires:
        r.cosignature(ev, grants)
        r.grant_visum(ev, state, q, grants)
    ev.limits = cc.limits_in(state)
    ev.mention = cc.mention
    ev.reporting = cc.reporting
    return ev


def in_force(state: RegisterState, a: r.Asked, cand: Candidate, fast: bool) -> bool:
    """Is every step of the chain in force on the date? The fast path reads the period found by the
    search; the explanation asks the time rule of every step. Both must agree (a property test)."""
    if fast:
        return cand.start <= a.q.on <= cand.end
    ev = r.Evaluation()
    if cand.compiled.local_law:
        r.law_time(ev, a.q, cand.compiled.law)
    for step in cand.compiled.grants:
        r.grant_time(ev, state, a.q, step)
    for step in cand.tail:
        if isinstance(step, AppointmentStep | SubstitutionStep):
            r.appointment_time(ev, a.q, step.appointment)
    return not ev.reasons
