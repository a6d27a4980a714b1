"""Conditions of an allowed answer (co-signature, visum) and what an allowed chain carries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import model as m
from ..answer import Finding, GrantStep, LawStep, Question, money
from ..messages import msg
from ..texts import Given, Text, tr
from .base import Evaluation

if TYPE_CHECKING:
    from ..state import RegisterState


def cosignature(ev: Evaluation, grants: Sequence[GrantStep]) -> None:
    for step in grants:
        g = step.grant
        by = g.requires.cosignature_by
        if by is not None:
            ev.condition("COSIGNATURE_REQUIRED", msg("COSIGNATURE_REQUIRED", by=by, grant=g.id), grant=g.id, by=by)


def grant_visum(ev: Evaluation, state: RegisterState, q: Question, grants: Sequence[GrantStep]) -> None:
    for step in grants:
        g = step.grant
        above = g.requires.visum_above
        if above is not None and q.amount is not None and q.amount > above:
            ev.condition("VISUM_REQUIRED", msg("VISUM_REQUIRED", limit=money(above), grant=g.id, by=visum_by(state)),
                         grant=g.id, above=money(above))


def visum_by(state: RegisterState) -> Text:
    """Who gives a visum in this jurisdiction (the organ its visum rule names)."""
    cat = state.catalogue
    organ = next((r.condition.by for r in cat.conditions if r.condition is not None
                  and r.condition.code == "VISUM_REQUIRED" and r.condition.by), None)
    if organ is None:
        return tr("the competent organ")
    return _organ_mention(state, organ)


def _organ_mention(state: RegisterState, organ: str) -> Text:
    """An organ as the rulebook mentions it ('de algemeen directeur'), 'the <its English name>' in English."""
    cat = state.catalogue
    return Given(cat.book.mention(organ), f"the {(cat.organ_name(organ, 'en') or organ).lower()}")


def law_conditions(state: RegisterState, q: Question) -> tuple[Finding, ...]:
    """Conditions the law sets on the act itself, whoever performs it (e.g. the visum, DLB-177)."""
    cat = state.catalogue
    out: list[Finding] = []
    for rule in cat.conditions_for(q.power, q.entity):  # type: ignore[arg-type]
        spec = rule.condition
        assert spec is not None
        if spec.code == "VISUM_REQUIRED":
            if cat.visum_exempt(q.entity, q.on, q.power, q.amount, q.budget_key) is not None:  # type: ignore[arg-type]
                continue
            out.append(_visum_finding(state, rule))
    return tuple(out)


def _visum_finding(state: RegisterState, rule: m.Rule) -> Finding:
    found = state.cache.findings.get(rule.id)
    if found is None:  # the same finding for every question: made once per snapshot
        by = rule.condition.by or "-"  # type: ignore[union-attr]
        found = state.cache.findings[rule.id] = Finding("VISUM_REQUIRED", tr(
            "Prior visum of {by} required ({id}); the council's visum regulation does not exempt this commitment.",
            by=_organ_mention(state, by), id=rule.id), None, None, rule.id, {"by": by})
    return found


# -- what an allowed chain carries ---------------------------------------------------------------

def scope_limits(state: RegisterState, law: LawStep, grants: Sequence[GrantStep]) -> dict[str, Any]:
    """The effective limits of a chain: the intersection of every step (static per chain)."""
    from ..scope import intersect, key_within, lowest, plain_intersect

    limits: dict[str, Any] = {}
    max_amount: Decimal | None = None
    ceiling: Decimal | None = None
    keys: tuple[str, ...] | None = None
    units: tuple[str, ...] | None = None
    doc_types: tuple[str, ...] | None = None
    issuers: tuple[str, ...] | None = tuple(law.holding.issuers) or None
    excluded: list[str] = []

    def within_unit(inner: str, outer: str) -> bool:
        return outer in state.ancestors(inner)

    for step in grants:
        lim = step.grant.limits
        max_amount = lowest(max_amount, lim.max_amount)
        ceiling = lowest(ceiling, lim.annual_ceiling)
        if lim.budget_keys:
            keys = intersect(keys, lim.budget_keys, key_within)
        if lim.units:
            units = intersect(units, lim.units, within_unit)
        if lim.document_types:
            doc_types = plain_intersect(doc_types, lim.document_types)
        if lim.issuers:
            issuers = plain_intersect(issuers, lim.issuers)
        excluded += [x for x in lim.excluded if x not in excluded]
    if max_amount is not None:
        limits["max_amount"] = money(max_amount)
    if ceiling is not None:
        limits["annual_ceiling"] = money(ceiling)
    for name, value in (("budget_keys", keys), ("units", units), ("document_types", doc_types), ("issuers", issuers)):
        if value is not None:
            limits[name] = list(value)
    if excluded:
        limits["excluded"] = excluded
    return limits


def duty_entries(state: RegisterState, g: m.Grant) -> tuple[dict[str, Any], ...]:
    found = state.cache.duties.get(g.id)
    if found is None:  # shared by every chain through the grant
        found = state.cache.duties[g.id] = tuple(
            {"to": r.to, "every": r.every, "within_days": r.within_days, "grant": g.id} for r in g.reporting)
    return found


def reporting(state: RegisterState, grants: Sequence[GrantStep]) -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    for step in grants:
        for entry in duty_entries(state, step.grant):
            if entry not in out:
                out.append(entry)
    return tuple(out)


def signature_mention(state: RegisterState, power: str, law: LawStep, grants: Sequence[GrantStep]) -> str | None:
    """What a delegate states above the signature: the grant's own text, else the rule's template."""
    cat = state.catalogue
    mention = None
    for step in grants:
        g, d = step.grant, step.decision
        if g.signature_mention:
            mention = g.signature_mention
            continue
        rule = step.basis if step.basis is not None else cat.rules.get(d.legal_basis)
        cited = cat.rules.get(d.legal_basis)
        for r in (cited, rule):
            # The rule demands a mention for what it governs (DLB-283: the signature; Awb 10:10:
            # every decision taken in mandate names the original mandaatgever).
            if r is not None and r.signature_mention_required and (cat.is_signature_power(power) or (
                    r.signature_mention is not None and cat.rule_governs(r, power))):
                mention = _mention(state, r, law, d)
                break
    return mention


def _mention(state: RegisterState, rule: m.Rule, law: LawStep, d: m.Decision) -> str:
    cat = state.catalogue
    if d.by in state.positions:
        delegator = f"de {state.positions[d.by].name.lower()}"
    else:
        delegator = cat.book.mention(d.by)
    template = rule.signature_mention or "Bij delegatie van {delegator} (besluit {decision} van {decided_on})"
    return template.format(delegator=delegator, decision=d.id, decided_on=d.decided_on.isoformat(),
                           holder=cat.book.mention(law.holder))
