"""Rules of scope: what each step of a chain restricts, and conflicts of interest."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from attrs import frozen

from .. import model as m
from ..answer import GrantStep, LawStep, Question, money
from ..messages import msg
from ..texts import tr
from .base import Asked, Evaluation, Usage

if TYPE_CHECKING:
    from ..state import RegisterState


class Issuers(NamedTuple):  # named tuples: a city's chains hold hundreds of thousands of these
    allowed: frozenset[str]
    grant: str | None  # the grant that restricts, or
    rule: str | None  # the rule whose holding restricts
    shown: tuple[str, ...]


class Keys(NamedTuple):
    exact: frozenset[str]
    prefixes: tuple[str, ...]  # from patterns ending in *
    grant: m.Grant


class Allowed(NamedTuple):
    items: frozenset[str]
    grant: m.Grant


class GrantScope(NamedTuple):
    issuers: Issuers | None
    keys: Keys | None
    units: Allowed | None
    docs: Allowed | None
    excluded: m.Grant | None


@frozen
class ScopeGroups:
    """A chain's restrictions as sets, in chain order, each with the grant (or rule) it comes
    from: the form every scope rule reads, built once per compiled chain."""

    issuers: tuple[Issuers, ...]
    keys: tuple[Keys, ...]
    units: tuple[Allowed, ...]
    docs: tuple[Allowed, ...]
    excluded: tuple[m.Grant, ...]

    @property
    def empty(self) -> bool:
        return not (self.issuers or self.keys or self.units or self.docs or self.excluded)


def scope_groups(state: RegisterState, law: LawStep, grants: Sequence[GrantStep]) -> ScopeGroups:
    issuers = [Issuers(frozenset(law.holding.issuers), None, law.rule.id, tuple(law.holding.issuers))] \
        if law.holding.issuers else []
    keys, units, docs, excluded = [], [], [], []
    for step in grants:
        i, k, u, d, x = _grant_pieces(state, step.grant)
        if i is not None:
            issuers.append(i)
        if k is not None:
            keys.append(k)
        if u is not None:
            units.append(u)
        if d is not None:
            docs.append(d)
        if x is not None:
            excluded.append(x)
    return ScopeGroups(tuple(issuers), tuple(keys), tuple(units), tuple(docs), tuple(excluded))


def _grant_pieces(state: RegisterState, g: m.Grant) -> GrantScope:
    """A grant's restrictions as sets, built once per snapshot and shared by every chain through it."""
    found = state.cache.scopes.get(g.id)
    if found is None:
        lim = g.limits
        found = state.cache.scopes[g.id] = GrantScope(
            Issuers(frozenset(lim.issuers), g.id, None, lim.issuers) if lim.issuers else None,
            Keys(frozenset(k for k in lim.budget_keys if not k.endswith("*")),
                 tuple(k[:-1] for k in lim.budget_keys if k.endswith("*")), g) if lim.budget_keys else None,
            Allowed(frozenset(lim.units), g) if lim.units else None,
            Allowed(frozenset(lim.document_types), g) if lim.document_types else None,
            g if lim.excluded else None)
    return found


def issuer_scope(ev: Evaluation, q: Question, groups: ScopeGroups) -> None:
    issuer = q.issuer
    if issuer is None:
        return
    for allowed, grant, rule, shown in groups.issuers:
        if issuer not in allowed:
            where = tr("grant {grant}", grant=grant) if grant else tr("legal basis {rule}", rule=rule)
            ev.refuse("ISSUER_OUT_OF_SCOPE", msg("ISSUER_OUT_OF_SCOPE", issuer=issuer, where=where,
                                                 allowed=", ".join(shown)), grant=grant, rule=rule)
            return


def amount_scope(ev: Evaluation, q: Question, binding: m.Grant | None) -> None:
    """The lowest amount per act of the chain binds (the excess of a wider step grants nothing)."""
    if binding is not None and q.amount is not None and q.amount > binding.limits.max_amount:  # type: ignore[operator]
        limit = money(binding.limits.max_amount)
        ev.refuse("AMOUNT_ABOVE_LIMIT", msg("AMOUNT_ABOVE_LIMIT", amount=money(q.amount), limit=limit, grant=binding.id),
                  grant=binding.id, limit=limit)


def binding_amount(grants: Sequence[GrantStep]) -> m.Grant | None:
    binding = None
    for step in grants:
        lim = step.grant.limits
        if lim.max_amount is not None and (binding is None or lim.max_amount < binding.limits.max_amount):
            binding = step.grant
    return binding


def key_scope(ev: Evaluation, q: Question, groups: ScopeGroups) -> None:
    key = q.budget_key
    if key is None:
        return
    for exact, prefixes, g in groups.keys:
        if key not in exact and not key.startswith(prefixes):
            ev.refuse("BUDGET_KEY_OUT_OF_SCOPE", msg("BUDGET_KEY_OUT_OF_SCOPE", budget_key=key, grant=g.id,
                                                     allowed=", ".join(g.limits.budget_keys)), grant=g.id)
            return


def unit_scope(ev: Evaluation, a: Asked, groups: ScopeGroups) -> None:
    if a.units is None:
        return
    units = a.units
    for allowed, g in groups.units:
        for above in units:
            if not allowed.isdisjoint(above):
                break
        else:
            shown = a.q.unit if a.q.unit is not None else f"{a.q.concerns}"
            ev.refuse("UNIT_OUT_OF_SCOPE", msg("UNIT_OUT_OF_SCOPE", unit=shown, grant=g.id,
                                               allowed=", ".join(g.limits.units)), grant=g.id)
            return


def document_scope(ev: Evaluation, q: Question, groups: ScopeGroups) -> None:
    doc = q.document_type
    if doc is None:
        return
    for allowed, g in groups.docs:
        if doc not in allowed:
            ev.refuse("DOCUMENT_TYPE_OUT_OF_SCOPE", msg("DOCUMENT_TYPE_OUT_OF_SCOPE", document_type=doc,
                                                        where=tr("grant {grant}", grant=g.id),
                                                        allowed=", ".join(g.limits.document_types)), grant=g.id)
            return


def excluded_scope(ev: Evaluation, a: Asked, groups: ScopeGroups, state: RegisterState) -> None:
    """`excluded` takes out power ids, document types, and acts concerning holders of a kind
    (e.g. the decretal grades)."""
    cat = state.catalogue
    q = a.q
    for g in groups.excluded:
        items = g.limits.excluded
        item = cat.excluded(items, q.power, q.document_type) or next((x for x in items if x in a.concerned), None)
        if item is not None:
            ev.refuse("POWER_EXCLUDED", msg("POWER_EXCLUDED", item=item, grant=g.id), grant=g.id, item=item)
            return


def ceilings(ev: Evaluation, q: Question, grants: Sequence[GrantStep], usage: Usage) -> None:
    for step in grants:
        g = step.grant
        ceiling = g.limits.annual_ceiling
        if ceiling is None:
            continue
        used = usage(g.id, q.on.year)
        # Without an amount the question still fails once the ceiling is used up entirely.
        if (used + q.amount > ceiling) if q.amount is not None else (used >= ceiling):
            remaining = max(ceiling - used, Decimal(0))
            ev.refuse("ANNUAL_CEILING_EXCEEDED", msg("ANNUAL_CEILING_EXCEEDED", grant=g.id, ceiling=money(ceiling),
                                                     used=money(used), year=q.on.year, remaining=money(remaining),
                                                     amount=money(q.amount) or "0.00"),
                      grant=g.id, ceiling=money(ceiling), used=money(used), remaining=money(remaining))
            return


def conflicts(ev: Evaluation, state: RegisterState, q: Question) -> None:
    if q.concerns is not None and q.concerns == q.actor:
        ev.refuse("CONFLICT_OF_INTEREST", tr("{actor} would act in a file that concerns {actor}.", actor=q.actor),
                  person=q.actor, matter=q.matter)
        return
    c = state.has_conflict(q.actor, q.matter, q.on)
    if c is not None:
        reason = f": {c.reason}" if c.reason else ""
        ev.refuse("CONFLICT_OF_INTEREST", msg("CONFLICT_OF_INTEREST", person=q.actor, matter=q.matter,
                                              since=c.from_.isoformat(), reason=reason), person=q.actor, matter=q.matter)
