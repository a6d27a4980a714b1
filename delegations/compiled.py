"""The fast path of the check: what a chain allows, compiled once per (chain, power, entity).

Everything about a chain that does not depend on the question (subdelegation depth, eligibility
under the rules, the intersection of scopes, static conditions, reporting) is computed once and
cached on the register state. A question is then a handful of comparisons. The fast path only
ever says "this chain holds, with these limits and conditions"; whenever it would refuse, or the
chain involves something date-dependent beyond simple windows (a substitution, `only_when_absent`,
a grant to a person), the caller falls back to the explaining evaluation in `evaluate`, so every
refusal is explained by one code path. A property test checks that both paths agree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import model as m
from .answer import AppointmentStep, Finding, GrantStep, LawStep, Question, money
from .messages import msg

if TYPE_CHECKING:
    from .evaluate import Usage
    from .state import RegisterState


class FastResult:
    """Same shape as `evaluate.Evaluation` for a chain that holds."""

    __slots__ = ("reasons", "conditions", "limits", "mention", "reporting")

    def __init__(self, cc: CompiledChain, state: RegisterState) -> None:
        self.reasons: list[Finding] = []
        self.conditions: list[Finding] = []
        self.limits, self.mention, self.reporting = cc.limits_in(state), cc.mention, cc.reporting


class CompiledChain:
    """What a chain allows, independent of the question (see module docstring)."""

    __slots__ = ("slow", "start", "end", "max_amount", "ceilings", "key_groups", "unit_groups", "doc_groups",
                 "issuer_groups", "blocked_docs", "conditions", "_limits", "mention", "reporting", "cites_root",
                 "static", "law", "grants")

    def __init__(self) -> None:
        self.slow = False
        self.start = date.min
        self.end = date.max
        self.max_amount: Decimal | None = None
        self.ceilings: list[tuple[str, Decimal]] = []
        # per restricting grant: (exact keys, prefixes) so a key test is one set lookup and one startswith
        self.key_groups: list[tuple[frozenset[str], tuple[str, ...]]] = []
        self.unit_groups: list[frozenset[str]] = []
        self.doc_groups: list[frozenset[str]] = []
        self.issuer_groups: list[frozenset[str]] = []
        self.blocked_docs: frozenset[str] = frozenset()
        # per grant, in chain order: (co-signature condition or None, grant id, visum threshold or None)
        self.conditions: list[tuple[Finding | None, str, Decimal | None]] = []
        self._limits: dict[str, Any] | None = None
        self.law: Any = None
        self.grants: list = []
        self.mention: str | None = None
        self.reporting: list[dict[str, Any]] = []
        self.cites_root = False
        self.static: tuple[Finding, ...] = ()

    def limits_in(self, state: RegisterState) -> dict[str, Any]:
        # Computed on first use: validation compiles many chains and never reads their limits.
        if self._limits is None:
            from .evaluate import scope_limits

            self._limits = scope_limits(state, self.law, self.grants)
        return self._limits


def compile_chain(state: RegisterState, chain: tuple, window: tuple[date, date], power: str, entity: str) -> CompiledChain:
    from .evaluate import Evaluation, _cites_root, _collect_duties, static_reasons

    cc = CompiledChain()
    cc.start, cc.end = window  # found by the search: decisions, revocations and appointment together
    cc.cites_root = _cites_root(chain)
    law = chain[0]
    grants = [s for s in chain if isinstance(s, GrantStep)]
    probe = Question(actor="", power=power, on=date.min, entity=entity)
    cc.static = tuple(static_reasons(state, power, entity, chain))
    # A chain refused whatever the question is, or one that depends on someone's absence or on
    # the positions a person holds on a date, always takes the explaining path.
    cc.slow = bool(cc.static) or any(not isinstance(s, LawStep | GrantStep | AppointmentStep) for s in chain) or any(
        s.grant.to in state.persons or s.grant.limits.only_when_absent is not None
        or any(x == power or power.startswith(x + ".") for x in s.grant.limits.excluded) for s in grants)
    cc.law, cc.grants = law, grants
    if cc.slow:
        return cc
    # Scope: every restricting step must admit the question.
    if law.holding.issuers:
        cc.issuer_groups.append(frozenset(law.holding.issuers))
    blocked: set[str] = set()
    rules = [law.rule] + [state.catalogue.rules[s.decision.legal_basis] for s in grants
                          if s.decision.legal_basis in state.catalogue.rules]
    if grants:
        blocked |= {x for r in rules for x in r.not_delegable if x in state.catalogue.document_types}
    for step in grants:
        g, lim = step.grant, step.grant.limits
        if lim.max_amount is not None and (cc.max_amount is None or lim.max_amount < cc.max_amount):
            cc.max_amount = lim.max_amount
        if lim.annual_ceiling is not None:
            cc.ceilings.append((g.id, lim.annual_ceiling))
        keys, units, docs, issuers, excluded_docs = _grant_scope(state, g)
        if keys is not None:
            cc.key_groups.append(keys)
        if units is not None:
            cc.unit_groups.append(units)
        if docs is not None:
            cc.doc_groups.append(docs)
        if issuers is not None:
            cc.issuer_groups.append(issuers)
        blocked |= excluded_docs
    cc.blocked_docs = frozenset(blocked)
    # What an allowed answer reports: computed by the explaining evaluation's own helpers, once.
    e = Evaluation()
    _collect_duties(state, probe, grants, e)
    cc.mention, cc.reporting = e.mention, e.reporting
    for step in grants:
        g = step.grant
        by = g.requires.cosignature_by
        cosign = None if by is None else Finding("COSIGNATURE_REQUIRED", msg("COSIGNATURE_REQUIRED", by=by, grant=g.id),
                                                 grant=g.id, details={"by": by})
        if cosign is not None or g.requires.visum_above is not None:
            cc.conditions.append((cosign, g.id, g.requires.visum_above))
    return cc


def _grant_scope(state: RegisterState, g) -> tuple:
    """A grant's restrictions as sets, built once per snapshot and shared by all its chains."""
    key = ("scope", g.id)
    found = state.steps.get(key)
    if found is None:
        lim = g.limits
        keys = (frozenset(k for k in lim.budget_keys if not k.endswith("*")),
                tuple(k[:-1] for k in lim.budget_keys if k.endswith("*"))) if lim.budget_keys else None
        found = state.steps[key] = (
            keys, frozenset(lim.units) if lim.units else None,
            frozenset(lim.document_types) if lim.document_types else None,
            frozenset(lim.issuers) if lim.issuers else None,
            frozenset(x for x in lim.excluded if x in state.catalogue.document_types))
    return found


def fast_evaluate(state: RegisterState, q: Question, cc: CompiledChain, usage: Usage) -> FastResult | None:
    """The evaluation of an allowed chain, or None when the explaining evaluation must decide."""
    if cc.slow or not cc.start <= q.on <= cc.end:
        return None
    amount = q.amount
    if amount is not None and cc.max_amount is not None and amount > cc.max_amount:
        return None
    key = q.budget_key
    if key is not None:
        for exact, prefixes in cc.key_groups:
            if key not in exact and not key.startswith(prefixes):
                return None
    if q.unit is not None and cc.unit_groups:
        above = state.ancestors(q.unit)
        for group in cc.unit_groups:
            if group.isdisjoint(above):
                return None
    doc = q.document_type
    if doc is not None and (doc in cc.blocked_docs or any(doc not in g for g in cc.doc_groups)):
        return None
    if q.issuer is not None and any(q.issuer not in g for g in cc.issuer_groups):
        return None
    if q.matter is not None:
        for c in state.conflicts_by_person.get(q.actor, ()):
            if c.matter == q.matter and m.covers(c.from_, c.until, q.on):
                return None
    if cc.ceilings:
        year = q.on.year
        for gid, ceiling in cc.ceilings:
            used = usage(gid, year)
            if (used + amount > ceiling) if amount is not None else (used >= ceiling):
                return None
    e = FastResult(cc, state)
    for cosign, gid, above in cc.conditions:
        if cosign is not None:
            e.conditions.append(cosign)
        if above is not None and amount is not None and amount > above:
            e.conditions.append(Finding("VISUM_REQUIRED", msg("VISUM_REQUIRED", limit=money(above), grant=gid),
                                        grant=gid, details={"above": money(above)}))
    return e
