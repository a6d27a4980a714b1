"""The check: may this actor exercise this power, on this date, within this scope?

`check` finds the actor's candidate chains (`search`), compiled once per (principal, power,
entity) (`compiled`), keeps those in force on the date, and applies the rules of `rules.py` to
each. The answer is allowed when one chain holds. A refusal is explained on first access to its
reasons, by the same rules applied without stopping at the first reason.

`fast=False` asks every rule of every chain (the time rule of each step instead of the period
found by the search): a reference for the property test that both give the same answer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from . import rules as r
from . import search
from .answer import Answer, Finding, GrantStep, LawStep, Question, Step
from .compiled import Candidate, CompiledChain, Plan, compile_chain, evaluate, explanation_order, in_force
from .messages import msg
from .rules import Usage, no_usage
from .state import RegisterState

__all__ = ["check", "Usage"]

EXPLAIN = 3  # refused chains explained when none is in force on the date
MAX_CANDIDATES = search.MAX_CANDIDATES


def check(state: RegisterState, q: Question, usage: Usage = no_usage, register: dict | None = None,
          fast: bool = True) -> Answer:
    if q.entity is None:
        q = r.resolve_entity(state, q)
    a = r.asked(state, q)
    plan = state.cache.candidates.get((q.actor, q.power, q.entity))  # type: ignore[arg-type]
    if plan is None:
        plan = candidates(state, q.actor, q.power, q.entity)  # type: ignore[arg-type]
    # Only chains in force on the date can hold; they are few even after many terms of office.
    on = q.on
    if fast:
        seg = plan.at(on)
        tried, near = seg.tried, seg.near
    else:
        tried = [c for c in plan.all if in_force(state, a, c, fast)]
        near = sorted(tried, key=explanation_order)
    valid = []
    if tried and (q.matter is not None or q.concerns is not None) and fast:
        personal = r.Evaluation()
        r.conflicts(personal, state, q)  # the actor's own conflict refuses every chain alike
        if personal.reasons:
            tried = ()
    for c in tried:
        e = evaluate(state, a, c, usage, fast)
        if e is not None and not e.reasons:
            valid.append((c, e))
    if valid:
        if len(valid) > 1:
            # Prefer the chain with the fewest conditions, then one whose first decision cites the
            # rule of the law step, then the shortest: that is how the actor would reasonably act.
            valid.sort(key=lambda x: (len(x[1].conditions), not x[0].compiled.cites_root, len(x[0].steps)))
        best = valid[0][1]
        conditions = tuple(best.conditions)
        if state.catalogue.conditions_for(q.power, q.entity):  # type: ignore[arg-type]
            conditions += r.law_conditions(state, q)
        return Answer(
            question=q, allowed=True, chains=tuple(c.steps for c, _ in valid), effective_limits=best.limits,
            conditions=conditions, signature_mention=best.mention,
            reporting=best.reporting, register=register or {}, hashes=state.decision_hashes)
    explained = list(near) or _nearest(plan.all, on) or unpruned(state, q)
    used = settled_usage(explained, q.on.year, usage)

    def explain() -> list[Finding]:
        reasons: list[Finding] = []
        for i, cand in enumerate(explained):
            e = evaluate(state, a, cand, used, False)
            reasons += [Finding(f.code, f.text, i, f.grant, f.rule, f.details) for f in e.reasons]  # type: ignore[union-attr]
        if not explained:
            reasons.append(Finding("NO_AUTHORITY", msg("NO_AUTHORITY", actor=q.actor, power=q.power)))
        return reasons

    return Answer(question=q, allowed=False, explain=explain, candidates=tuple(c.steps for c in explained),
                  register=register or {}, hashes=state.decision_hashes)


def settled_usage(explained: list[Candidate], year: int, usage: Usage) -> Usage:
    """The amounts used that explaining these chains can ask for, read now. The explanation runs
    later (on first access to the reasons), when `usage` may no longer be safe to call: it reads the
    register's connection, which by then may serve another thread or see later uses. So a refusal
    is decided now and explained later, from exactly the amounts it was decided on."""
    if not any(c.compiled.ceilings for c in explained):
        return no_usage  # no ceiling along these chains: the explanation never asks
    values = {(g, year): usage(g, year) for c in explained for g in c.compiled.ceilings}

    def frozen(grant: str, year_: int) -> Decimal:
        return values[(grant, year_)]

    return frozen


def _nearest(cands: list[Candidate], on: date) -> list[Candidate]:
    def distance(c: Candidate) -> int:
        if on < c.start:
            return c.start.toordinal() - on.toordinal()
        return on.toordinal() - c.end.toordinal() if c.end < date.max else 0

    return sorted(cands, key=distance)[:EXPLAIN]


def candidates(state: RegisterState, actor: str, power: str, entity: str) -> Plan:
    """The actor's candidate chains, compiled and indexed by date. The part above the actor's
    position (law and grants) is searched and compiled once per (position, power, entity) and
    shared by everyone who holds or stands in for that position; per actor only the tail and its
    period are added."""
    key = (actor, power, entity)
    plan = state.cache.candidates.get(key)
    if plan is None:
        state.cache.bound()
        found: list[Candidate] = []
        for t in search.tails(state, actor):
            for cc in compiled_heads(state, t.principal, power, entity):
                w = r.meet(t.window, (cc.start, cc.end))
                if w is not None:
                    found.append(Candidate((cc.law, *cc.grants, *t.steps), cc, t.steps, w[0], w[1]))
        plan = state.cache.candidates[key] = Plan.of(found)
        state.cache.kept += len(found)
    return plan


def compiled_heads(state: RegisterState, principal: str, power: str, entity: str) -> list[CompiledChain]:
    key = (principal, power, entity)
    found = state.cache.heads.get(key)
    if found is None:
        found = state.cache.heads[key] = [
            compile_chain(state, f.steps, f.window, power, entity)
            for f in search.sources(state, principal, power, entity, frozenset(), 0, r.ALWAYS, True, limit=MAX_CANDIDATES)]
        state.cache.kept += len(found)
    return found


def unpruned(state: RegisterState, q: Question) -> list[Candidate]:
    """No chain can ever hold: the ones that come closest, to explain why (also chains through
    decisions of another legal entity, which a document's issuer may have been meant for)."""
    key = (q.actor, q.power, q.entity or "")
    found = state.cache.unpruned.get(key)
    if found is None:
        found = []
        for f in search.candidate_chains(state, q.actor, q.power, q.entity, prune=False,  # type: ignore[arg-type]
                                         any_entity=True, limit=EXPLAIN):
            head, tail = _split(f.steps)
            cc = compile_chain(state, head, f.window, q.power, q.entity)  # type: ignore[arg-type]
            covers = all(q.entity in s.decision.entities for s in cc.grants)
            found.append(Candidate((cc.law, *cc.grants, *tail), cc, tail, f.window[0], f.window[1], covers))
        state.cache.unpruned[key] = found
        state.cache.kept += len(found)
    return found


def _split(steps: tuple[Step, ...]) -> tuple[tuple[Step, ...], tuple[Step, ...]]:
    k = max(i for i, s in enumerate(steps) if isinstance(s, LawStep | GrantStep)) + 1
    return steps[:k], steps[k:]
