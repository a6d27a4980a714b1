"""Every rule of the check, written once: time, legality of each delegation, scope, replacement
and conditions. The compiled fast path and the explaining evaluation call the same functions
(`compiled.py` only decides which ones a chain needs and stops at the first reason), and the
validator asks the same legality rule of each grant.

A rule appends findings to an `Evaluation`; a chain holds when no rule adds a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import define, frozen

from . import model as m
from .answer import AppointmentStep, Finding, GrantStep, LawStep, Question, SubstitutionStep, money
from .messages import msg
from .texts import Text

if TYPE_CHECKING:
    from .state import RegisterState

# (grant id, year) -> amount used so far through that grant (own uses and those below it)
Usage = Callable[[str, int], Decimal]
Window = tuple[date, date]
ALWAYS: Window = (date.min, date.max)


def no_usage(_grant: str, _year: int) -> Decimal:
    return Decimal(0)


class Evaluation:
    """What the rules found about one chain for one question."""

    __slots__ = ("reasons", "conditions", "limits", "mention", "reporting")

    def __init__(self) -> None:
        self.reasons: list[Finding] = []
        self.conditions: list[Finding] = []
        self.limits: dict[str, Any] = {}
        self.mention: str | None = None
        self.reporting: tuple[dict[str, Any], ...] = ()

    def refuse(self, code: str, text: Text, grant: str | None = None, rule: str | None = None, **details: Any) -> None:
        self.reasons.append(Finding(code, text, None, grant, rule, details))

    def condition(self, code: str, text: Text, grant: str | None = None, rule: str | None = None,
                  **details: Any) -> None:
        self.conditions.append(Finding(code, text, None, grant, rule, details))


@define(slots=True)
class Asked:
    """A question with what every chain needs of it, worked out once."""

    q: Question
    units: tuple[frozenset[str], ...] | None  # the units the act is about, each with the units above it
    concerned: frozenset[str]  # kinds of the person the act concerns, on the date


def asked(state: RegisterState, q: Question) -> Asked:
    units: tuple[frozenset[str], ...] | None = None
    concerned: frozenset[str] = frozenset()
    if q.unit is not None:
        units = (state.ancestors(q.unit),)
    if q.concerns is not None:
        concerned = state.principal_kinds(q.concerns, q.on)
        if units is None:  # an act about a staff member is about the unit where that person works
            held = [state.positions[a.position].unit for a in state.appointments_by_person.get(q.concerns, ())
                    if m.covers(a.from_, a.until, q.on) and a.position in state.positions]
            found = tuple(state.ancestors(u) for u in held if u)
            units = found or None
    return Asked(q, units, concerned)


def resolve_entity(state: RegisterState, q: Question) -> Question:
    """A question names its legal entity: the one the issuer's documents belong to, else the default."""
    if q.entity is not None:
        return q
    from attrs import evolve

    cat = state.catalogue
    return evolve(q, entity=cat.implied_entity(q.issuer) or cat.book.default_entity)


# -- time -------------------------------------------------------------------------------------

def meet(a: Window, b: Window) -> Window | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start <= end else None


def _day_before(day: date) -> date:
    return date.min if day == date.min else day - timedelta(days=1)


def revocation(state: RegisterState, g: m.Grant, d: m.Decision) -> m.Revocation | None:
    """The revocation that ends this grant first (of the grant itself or of its decision)."""
    found = [r for r in (state.revocation_of(g.id), state.revocation_of(d.id)) if r is not None]
    return min(found, key=lambda r: r.effective_from) if found else None


def grant_window(state: RegisterState, g: m.Grant, d: m.Decision) -> Window | None:
    """When a grant is in force: its decision's period minus any revocation (None: never).
    The one definition of "in force" that search, duties, reports and validation share."""
    end = d.effective_until or date.max
    rev = revocation(state, g, d)
    if rev is not None and rev.effective_from <= end:
        end = _day_before(rev.effective_from)
    return (d.effective_from, end) if d.effective_from <= end else None


def appointment_window(a: m.Appointment) -> Window:
    return a.from_, a.until or date.max


def rule_window(rule: m.Rule) -> Window:
    return rule.effective_from or date.min, rule.effective_until or date.max


def _what(kind: str) -> dict[str, str]:
    return {"grant": {"what": "Delegatie", "what_en": "Grant"},
            "appointment": {"what": "Aanstelling", "what_en": "Appointment"},
            "rule": {"what": "Reglement", "what_en": "Regulation"}}[kind]


def grant_time(ev: Evaluation, state: RegisterState, q: Question, step: GrantStep) -> None:
    g, d = step.grant, step.decision
    on = q.on.isoformat()
    if q.on < d.effective_from:
        ev.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=g.id, since=d.effective_from.isoformat(), on=on,
                                           **_what("grant")), grant=g.id)
    elif d.effective_until is not None and q.on > d.effective_until:
        ev.refuse("EXPIRED", msg("EXPIRED", id=g.id, until=d.effective_until.isoformat(), on=on, **_what("grant")),
                  grant=g.id)
    rev = revocation(state, g, d)
    if rev is not None and rev.effective_from <= q.on:
        ev.refuse("REVOKED", msg("REVOKED", grant=g.id, since=rev.effective_from.isoformat(), by=rev.by), grant=g.id,
                  revoked_from=rev.effective_from.isoformat(), revoked_by=rev.by)


def appointment_time(ev: Evaluation, q: Question, a: m.Appointment) -> None:
    on = q.on.isoformat()
    if q.on < a.from_:
        ev.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=f"{a.person} als {a.position}",
                                           since=a.from_.isoformat(), on=on, **_what("appointment")))
    elif a.until is not None and q.on > a.until:
        ev.refuse("EXPIRED", msg("EXPIRED", id=f"{a.person} als {a.position}", until=a.until.isoformat(), on=on,
                                 **_what("appointment")))


def law_time(ev: Evaluation, q: Question, law: LawStep) -> None:
    """A local regulation applies only in its own period."""
    rule = law.rule
    start, end = rule_window(rule)
    if q.on < start:
        ev.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=rule.id, since=start.isoformat(), on=q.on.isoformat(),
                                           **_what("rule")), rule=rule.id)
    elif q.on > end:
        ev.refuse("EXPIRED", msg("EXPIRED", id=rule.id, until=end.isoformat(), on=q.on.isoformat(), **_what("rule")),
                  rule=rule.id)


# -- legality of each delegation ------------------------------------------------------------------

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


def failure_finding(state: RegisterState, power: str, step: GrantStep, f: Failure) -> Finding:
    g, d = step.grant, step.decision
    if f.kind == "collegial":
        text = Text(f"{d.by} is een collegiaal orgaan en kan niet delegeren aan een van zijn leden ({g.to}).",
                    f"{d.by} is a collegial organ and cannot delegate to one of its members ({g.to}).")
    elif f.kind == "not_delegable":
        text = Text(f"{f.item} blijft volgens {f.rule} bij de houder en kan niet gedelegeerd worden.",
                    f"{f.item} stays with the holder under {f.rule} and cannot be delegated.")
    else:
        shown = ", ".join(f.kinds)
        allowed = ", ".join(f.allowed) or "niemand"
        via = f" ({', '.join(f.via)})" if f.via else ""
        text = Text(f"Rechtsgrond {f.rule} laat niet toe dat {d.by} {power} delegeert aan {g.to} ({shown}); "
                    f"toegelaten: {allowed}{via}.",
                    f"Legal basis {f.rule} does not let {d.by} delegate {power} to {g.to} ({shown}); "
                    f"allowed: {', '.join(f.allowed) or 'nobody'}{via}.")
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
                ev.refuse("ISSUER_OUT_OF_SCOPE", Text(
                    f"Documenten van {q.issuer} zijn documenten van {q.entity}; besluit {d.id} geldt alleen voor "
                    f"{covered}.", f"Documents of {q.issuer} belong to {q.entity}; decision {d.id} covers only "
                    f"{covered}."), grant=step.grant.id, issuer=q.issuer, entity=q.entity)
            else:
                ev.refuse("NO_AUTHORITY", Text(f"Besluit {d.id} geldt alleen voor {covered}, niet voor {q.entity}.",
                                               f"Decision {d.id} covers only {covered}, not {q.entity}."),
                          grant=step.grant.id, entity=q.entity)
            return


# -- scope ----------------------------------------------------------------------------------------

@frozen
class ScopeGroups:
    """A chain's restrictions as sets, in chain order, each with the grant (or rule) it comes
    from: the form every scope rule reads, built once per compiled chain."""

    issuers: tuple[tuple[frozenset[str], str | None, str | None, tuple[str, ...]], ...]  # (set, grant, rule, shown)
    keys: tuple[tuple[frozenset[str], tuple[str, ...], m.Grant], ...]  # (exact keys, prefixes, grant)
    units: tuple[tuple[frozenset[str], m.Grant], ...]
    docs: tuple[tuple[frozenset[str], m.Grant], ...]
    excluded: tuple[m.Grant, ...]

    @property
    def empty(self) -> bool:
        return not (self.issuers or self.keys or self.units or self.docs or self.excluded)


def scope_groups(state: RegisterState, law: LawStep, grants: Sequence[GrantStep]) -> ScopeGroups:
    issuers = [(frozenset(law.holding.issuers), None, law.rule.id, tuple(law.holding.issuers))] \
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


def _grant_pieces(state: RegisterState, g: m.Grant) -> tuple:
    """A grant's restrictions as sets, built once per snapshot and shared by every chain through it."""
    found = state.cache.scopes.get(g.id)
    if found is None:
        lim = g.limits
        found = state.cache.scopes[g.id] = (
            (frozenset(lim.issuers), g.id, None, lim.issuers) if lim.issuers else None,
            (frozenset(k for k in lim.budget_keys if not k.endswith("*")),
             tuple(k[:-1] for k in lim.budget_keys if k.endswith("*")), g) if lim.budget_keys else None,
            (frozenset(lim.units), g) if lim.units else None,
            (frozenset(lim.document_types), g) if lim.document_types else None,
            g if lim.excluded else None)
    return found


def issuer_scope(ev: Evaluation, q: Question, groups: ScopeGroups) -> None:
    issuer = q.issuer
    if issuer is None:
        return
    for allowed, grant, rule, shown in groups.issuers:
        if issuer not in allowed:
            where = (f"delegatie {grant}", f"grant {grant}") if grant else (f"rechtsgrond {rule}", f"legal basis {rule}")
            ev.refuse("ISSUER_OUT_OF_SCOPE", msg("ISSUER_OUT_OF_SCOPE", issuer=issuer, where=where[0], where_en=where[1],
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
                                                        where=f"delegatie {g.id}", where_en=f"grant {g.id}",
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
        ev.refuse("CONFLICT_OF_INTEREST", Text(f"{q.actor} handelt in een dossier dat hemzelf betreft.",
                                               f"{q.actor} would act in a file that concerns {q.actor}."),
                  person=q.actor, matter=q.matter)
        return
    c = state.has_conflict(q.actor, q.matter, q.on)
    if c is not None:
        reason = f": {c.reason}" if c.reason else ""
        ev.refuse("CONFLICT_OF_INTEREST", msg("CONFLICT_OF_INTEREST", person=q.actor, matter=q.matter,
                                              since=c.from_.isoformat(), reason=reason), person=q.actor, matter=q.matter)


# -- absence, replacement and acting appointments -----------------------------------------------------

def unavailable(state: RegisterState, person: str, q: Question, when: tuple[str, ...]) -> bool:
    """Is the holder absent (an absence on the date) or prevented (a conflict in the question's matter)?"""
    return ("absent" in when and state.is_absent(person, q.on)) or (
        "prevented" in when and state.has_conflict(person, q.matter, q.on) is not None)


def only_when_absent(ev: Evaluation, state: RegisterState, q: Question, g: m.Grant) -> None:
    position = g.limits.only_when_absent
    holders = state.holders(position, q.on)  # type: ignore[arg-type]
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", Text(
            f"Delegatie {g.id} geldt alleen bij afwezigheid van de titularis van {position}, "
            f"maar {', '.join(present)} is aanwezig op {q.on}.",
            f"Grant {g.id} applies only while the holder of {position} is absent, "
            f"but {', '.join(present)} is present on {q.on}."), grant=g.id)
    else:
        ev.condition("NOTIFY_ABSENT_HOLDER", msg(
            "NOTIFY_ABSENT_HOLDER", holders=", ".join(h.person for h in holders) or "-", position=position),
            grant=g.id, position=position, holders=[h.person for h in holders])


def exclusive_rule(state: RegisterState, position: str) -> m.Rule | None:
    """The rule of law that alone replaces the holder of this position (master data never does)."""
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
            ev.refuse("NOT_DELEGABLE", Text(
                f"{target} wordt alleen vervangen zoals {exclusive.id} bepaalt; {actor_position} als vervanger in de "
                "stamgegevens geeft geen bevoegdheid.",
                f"{target} is replaced only as {exclusive.id} provides; {actor_position} listed as substitute in "
                "master data gives no authority."), rule=exclusive.id, position=target)
            return
        _master_data_substitution(ev, state, q, step)
        return
    spec = rule.substitution
    assert spec is not None
    actor_kinds = state.principal_kinds(actor_position, q.on)
    if not actor_kinds & set(spec.by):
        ev.refuse("NOT_DELEGABLE", Text(
            f"Alleen een {', '.join(spec.by)} vervangt {target} ({rule.id}); {actor_position} is dat niet.",
            f"Only a {', '.join(spec.by)} replaces {target} ({rule.id}); {actor_position} is not one."),
            rule=rule.id, position=target)
        return
    holders = state.holders(target, q.on)
    if not holders and "vacant" not in spec.when:
        ev.refuse("HOLDER_NOT_ABSENT", Text(
            f"{target} is vacant op {q.on}; {rule.id} geldt bij afwezigheid of verhindering, een vacant ambt wordt "
            "waargenomen.", f"{target} is vacant on {q.on}; {rule.id} applies to an absent or prevented holder, a "
            "vacant office is filled by an acting holder."), rule=rule.id, position=target)
        return
    present = [h.person for h in holders if not unavailable(state, h.person, q, spec.when)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", Text(
            f"{step.appointment.person} vervangt {target} alleen als die afwezig of verhinderd is ({rule.id}), maar "
            f"{', '.join(present)} is aanwezig op {q.on}.",
            f"{step.appointment.person} replaces {target} only while its holder is absent or prevented ({rule.id}), "
            f"but {', '.join(present)} is present on {q.on}."), rule=rule.id, position=target)
        return
    for pid in replacement_order(state, rule, target):
        if pid == actor_position:
            return
        available = [h.person for h in state.holders(pid, q.on) if not unavailable(state, h.person, q, spec.when)]
        if available:
            ev.refuse("HOLDER_NOT_ABSENT", Text(
                f"{pid} ({', '.join(available)}) gaat voor op {actor_position} om {target} te vervangen ({rule.id}).",
                f"{pid} ({', '.join(available)}) comes before {actor_position} in replacing {target} ({rule.id})."),
                rule=rule.id, position=target)
            return


def _master_data_substitution(ev: Evaluation, state: RegisterState, q: Question, step: SubstitutionStep) -> None:
    target = step.for_position
    holders = state.holders(target, q.on)
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        ev.refuse("HOLDER_NOT_ABSENT", Text(
            f"{step.appointment.person} vervangt {target} alleen bij afwezigheid, maar {', '.join(present)} is aanwezig "
            f"op {q.on}.", f"{step.appointment.person} substitutes for {target} only during an absence, but "
            f"{', '.join(present)} is present on {q.on}."))
        return
    # The first substitute position whose holder is present acts; later ones only if earlier are absent.
    for sub in state.positions[target].substitutes:
        if sub == step.appointment.position:
            break
        present_subs = [h.person for h in state.holders(sub, q.on) if not state.is_absent(h.person, q.on)]
        if present_subs:
            ev.refuse("HOLDER_NOT_ABSENT", Text(
                f"Vervanger {sub} ({', '.join(present_subs)}) gaat voor op {step.appointment.position} en is aanwezig.",
                f"Substitute {sub} ({', '.join(present_subs)}) comes before {step.appointment.position} and is present."))
            return
    # A local arrangement (e.g. an afsprakennota): the substitute informs the absent holder at once.
    absent = ", ".join(h.person for h in holders) or "-"
    ev.condition("NOTIFY_ABSENT_HOLDER", msg("NOTIFY_ABSENT_HOLDER", holders=absent, position=target),
                 position=target, holders=[h.person for h in holders])


def acting_rule(state: RegisterState, position: str) -> m.Rule | None:
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
            ev.refuse("NOT_DELEGABLE", Text(
                f"Alleen een {', '.join(spec.requires)} kan {a.position} waarnemen ({rule.id}); {a.person} is dat niet "
                f"op {q.on}.", f"Only a {', '.join(spec.requires)} can act as {a.position} ({rule.id}); {a.person} is "
                f"not one on {q.on}."), rule=rule.id, person=a.person)
            return
    if spec.when:
        titular = [h for h in state.holders(a.position, q.on) if h.capacity == "titular" and h.person != a.person]
        present = [h.person for h in titular if not unavailable(state, h.person, q, spec.when)]
        if present or (not titular and "vacant" not in spec.when):
            ev.refuse("HOLDER_NOT_ABSENT", Text(
                f"{a.person} neemt {a.position} alleen waar bij afwezigheid, verhindering of vacature ({rule.id}), "
                f"maar {', '.join(present) or '-'} is aanwezig op {q.on}.",
                f"{a.person} acts as {a.position} only during an absence, a prevention or a vacancy ({rule.id}), "
                f"but {', '.join(present) or '-'} is present on {q.on}."), rule=rule.id, person=a.person)


# -- conditions -----------------------------------------------------------------------------------

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
            by, by_en = visum_by(state)
            ev.condition("VISUM_REQUIRED", msg("VISUM_REQUIRED", limit=money(above), grant=g.id, by=by, by_en=by_en),
                         grant=g.id, above=money(above))


def visum_by(state: RegisterState) -> tuple[str, str]:
    """Who gives a visum in this jurisdiction (the organ its visum rule names)."""
    cat = state.catalogue
    organ = next((r.condition.by for r in cat.conditions if r.condition is not None
                  and r.condition.code == "VISUM_REQUIRED" and r.condition.by), None)
    if organ is None:
        return "het bevoegde orgaan", "the competent organ"
    return cat.book.mention(organ), f"the {(cat.organ_name(organ, 'en') or organ).lower()}"


def law_conditions(state: RegisterState, q: Question) -> tuple[Finding, ...]:
    """Conditions the law sets on the act itself, whoever performs it (e.g. the visum, DLB-177)."""
    cat = state.catalogue
    out: list[Finding] = []
    for rule in cat.conditions_for(q.power, q.entity):  # type: ignore[arg-type]
        spec = rule.condition
        assert spec is not None
        if spec.code == "VISUM_REQUIRED":
            if cat.visum_exempt(q.entity, q.on, q.power, q.amount, q.budget_key) is not None:
                continue
            by = spec.by or "-"
            by_en = (cat.organ_name(by, "en") or by).lower()
            out.append(Finding("VISUM_REQUIRED", Text(
                f"Voorafgaand visum van {cat.book.mention(by)} vereist ({rule.id}); het visumreglement van de raad stelt "
                "deze verbintenis niet vrij.", f"Prior visum of the {by_en} required ({rule.id}); the council's visum "
                "regulation does not exempt this commitment."), None, None, rule.id, {"by": by}))
    return tuple(out)


# -- what an allowed chain carries ---------------------------------------------------------------

def scope_limits(state: RegisterState, law: LawStep, grants: Sequence[GrantStep]) -> dict[str, Any]:
    """The effective limits of a chain: the intersection of every step (static per chain)."""
    from .scope import intersect, key_within, lowest, plain_intersect

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
