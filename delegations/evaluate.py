"""The check: may this actor exercise this power, on this date, within this scope?

Search runs backwards from the actor: the positions it holds (or stands in for), the grants
made to those, the delegator of each grant, up to an organ that holds the power by law. Only
grants addressed to a principal are looked at (an index by recipient), never all grants.
Every candidate chain is then evaluated step by step; the answer is allowed when one holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from . import model as m
from .answer import (
    Answer,
    AppointmentStep,
    Finding,
    GrantStep,
    LawStep,
    Question,
    Step,
    SubstitutionStep,
    money,
)
from .catalogue import power_covers
from .compiled import CompiledChain, compile_chain, fast_evaluate
from .messages import msg
from .scope import intersect, key_matches, key_within, lowest, plain_intersect
from .state import RegisterState
from .texts import Text

MAX_DEPTH = 12  # longer chains are surely a data error; the search stops there
MAX_CANDIDATES = 256
MEMO_LIMIT = 100_000  # per (actor, power, entity): a few references each

# (grant id, year) -> amount used so far through that grant (own uses and those below it)
Usage = Callable[[str, int], Decimal]


def _no_usage(_grant: str, _year: int) -> Decimal:
    return Decimal(0)


def check(state: RegisterState, q: Question, usage: Usage = _no_usage, register: dict | None = None) -> Answer:
    compiled = _compiled(state, q)
    # Only chains in force on the date can hold; they are few even after many terms of office.
    in_force = [x for x in compiled if x[2][0] <= q.on <= x[2][1]]
    register = register or {}
    valid = []
    for chain, cc, _w, slow_tail in in_force:
        if cc.static:
            continue  # refused whatever the question (e.g. subdelegation too deep)
        if slow_tail or cc.slow:  # only the explaining evaluation can tell
            e = evaluate_chain(state, q, chain, usage, cc)
        else:
            e = fast_evaluate(state, q, cc, usage)
        if e is not None and not e.reasons:
            valid.append((chain, e, cc))
    if valid:
        # Prefer the chain with the fewest conditions, then one whose first decision cites the
        # rule of the law step, then the shortest: that is how the actor would reasonably act.
        valid.sort(key=lambda x: (len(x[1].conditions), not x[2].cites_root, len(x[0])))
        best = valid[0][1]
        return Answer(
            question=q, allowed=True, chains=tuple(x[0] for x in valid), effective_limits=best.limits,
            conditions=tuple(best.conditions), signature_mention=best.mention, reporting=tuple(best.reporting),
            register=register, hashes=state.decision_hashes,
        )
    near = sorted(in_force, key=lambda x: (not x[1].cites_root, len(x[0]))) or _nearest(compiled, q.on)
    explained: list[tuple[tuple[Step, ...], CompiledChain | None]] = [(x[0], x[1]) for x in near]
    if not explained:
        # No chain can ever hold: show the ones that come closest, to explain why.
        key = ("unpruned", q.actor, q.power, q.entity)
        if key not in state.memo:
            state.memo[key] = [(c, None) for c, _w in candidate_chains(state, q, prune=False)[:EXPLAIN]]
        explained = state.memo[key]  # type: ignore[assignment]

    def explain() -> list[Finding]:
        reasons: list[Finding] = []
        for i, (chain, cc) in enumerate(explained):
            e = evaluate_chain(state, q, chain, usage, cc)
            reasons += [Finding(r.code, r.text, i, r.grant, r.rule, r.details) for r in e.reasons]
        if not explained:
            reasons.append(Finding("NO_AUTHORITY", msg("NO_AUTHORITY", actor=q.actor, power=q.power)))
        return reasons

    return Answer(question=q, allowed=False, explain=explain, candidates=tuple(c for c, _ in explained),
                  register=register, hashes=state.decision_hashes)


EXPLAIN = 3  # refused chains explained when none is in force on the date


def _nearest(compiled: list, on: date) -> list:
    def distance(item) -> int:
        start, end = item[2]
        if on < start:
            return start.toordinal() - on.toordinal()
        return on.toordinal() - end.toordinal() if end < date.max else 0

    return sorted(compiled, key=distance)[:EXPLAIN]


def _cites_root(chain: tuple[Step, ...]) -> bool:
    """Does the first decision cite the rule of the law step? Such a chain reads most naturally."""
    first = next((s for s in chain if isinstance(s, GrantStep)), None)
    return first is None or first.decision.legal_basis == chain[0].rule.id  # type: ignore[union-attr]


Compiled = tuple  # (chain, compiled head, window of the whole chain, tail needs the explaining path)


def _compiled(state: RegisterState, q: Question) -> list[Compiled]:
    """The actor's candidate chains, compiled. The part above the actor's position (law and
    grants) is searched and compiled once per (position, power, entity) and shared by everyone
    who holds or substitutes for that position; per actor only the tail and its window are added."""
    key = (q.actor, q.power, q.entity)
    found = state.memo.get(key)
    if found is None:
        if len(state.memo) > MEMO_LIMIT:  # bound the memory of a long-running process
            state.memo.clear()
        found = []
        for principal, tail, window in _tails(state, q.actor):
            slow_tail = any(isinstance(s, SubstitutionStep) for s in tail)
            for head, cc in _heads(state, principal, q.power, q.entity):
                w = _meet(window, (cc.start, cc.end))
                if w is not None:
                    found.append((head + tail, cc, w, slow_tail))
        state.memo[key] = found
    return found  # type: ignore[return-value]


def _heads(state: RegisterState, principal: str, power: str, entity: str) -> list[tuple[tuple[Step, ...], CompiledChain]]:
    key = ("heads", principal, power, entity)
    found = state.steps.get(key)
    if found is None:
        probe = Question(actor=principal, power=power, on=date.min, entity=entity)
        heads = _sources(state, probe, principal, frozenset(), 0, ALWAYS, True)[:MAX_CANDIDATES]
        found = state.steps[key] = [(h, compile_chain(state, h, w, power, entity)) for h, w in heads]
    return found  # type: ignore[return-value]


# -- search ---------------------------------------------------------------------------------

Window = tuple[date, date]
ALWAYS: Window = (date.min, date.max)


def _meet(a: Window, b: Window) -> Window | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start <= end else None


def grant_window(state: RegisterState, g: m.Grant, d: m.Decision) -> Window | None:
    """When a grant can be in force at all: its decision's period minus any revocation."""
    end = d.effective_until or date.max
    for target in (g.id, d.id):
        rev = state.revocation_of(target)
        if rev is not None and rev.effective_from <= end:
            end = date.min if rev.effective_from == date.min else date.fromordinal(rev.effective_from.toordinal() - 1)
    return (d.effective_from, end) if d.effective_from <= end else None


def candidate_chains(state: RegisterState, q: Question, prune: bool = True) -> list[tuple[tuple[Step, ...], Window]]:
    """Every chain from a holder by law to the actor, with the period in which it can hold.

    With `prune`, a chain whose steps are never in force at the same time is dropped while
    searching: across many terms of office, subdelegations without `under` would otherwise join
    every grant their delegator ever received and multiply at every level.
    """
    chains: list[tuple[tuple[Step, ...], Window]] = []
    for principal, tail, window in _tails(state, q.actor):
        for head, w in _sources(state, q, principal, frozenset(), 0, window, prune):
            chains.append((head + tail, w))
            if len(chains) >= MAX_CANDIDATES:
                return chains
    return chains


def _tails(state: RegisterState, actor: str) -> list[tuple[str, tuple[Step, ...], Window]]:
    """Where the actor's authority comes from: itself, each appointment, each substitution."""
    tails: list[tuple[str, tuple[Step, ...], Window]] = [(actor, (), ALWAYS)]
    if actor in state.persons:
        for a in state.appointments_by_person.get(actor, ()):
            window = (a.from_, a.until or date.max)
            tails.append((a.position, (_step(state, ("appointment", a.key), lambda: AppointmentStep(a)),), window))  # noqa: B023
            for target in state.substituted_by.get(a.position, ()):
                tails.append((target, (SubstitutionStep(a, target),), window))
    return tails


def _principals(state: RegisterState, principal: str) -> tuple[str, ...]:
    """A position of an individual organ kind acts as that organ."""
    kind = state.kind_of(principal)
    if kind in m.ORGANS and kind != principal:
        return (principal, kind)
    return (principal,)


Found = list[tuple[tuple[Step, ...], Window]]


def _sources(state: RegisterState, q: Question, principal: str, seen: frozenset[str], depth: int,
             window: Window, prune: bool) -> Found:
    if depth > MAX_DEPTH:
        return []
    out: Found = []
    for p in _principals(state, principal):
        for rule, holding in state.catalogue.holdings.get(p, ()):
            if q.entity in rule.effective_entities() and any(power_covers(x, q.power) for x in holding.powers):
                law = _step(state, ("law", rule.id, p, holding.powers), lambda: LawStep(rule, holding, p))  # noqa: B023
                out.append(((law,), window))
        for g, d in state.grants_to.get(p, ()):
            if g.id not in seen and d.entity == q.entity and any(power_covers(x, q.power) for x in g.powers):
                out += _through(state, q, g, d, seen, depth, window, prune)
    return out


def _through(state: RegisterState, q: Question, g: m.Grant, d: m.Decision, seen: frozenset[str], depth: int,
             window: Window, prune: bool) -> Found:
    """Every chain that ends with grant `g`."""
    own = grant_window(state, g, d)
    narrowed = _meet(window, own) if own is not None else None
    if narrowed is None:
        if prune:
            return []
        narrowed = window
    seen = seen | {g.id}
    if g.under is not None:
        parent = state.grants.get(g.under)
        if parent is None or parent[0].id in seen:
            return []
        heads = _through(state, q, parent[0], parent[1], seen, depth + 1, narrowed, prune)
    else:
        heads = _sources(state, q, d.by, seen, depth + 1, narrowed, prune)
    step = _step(state, ("grant", g.id), lambda: GrantStep(g, d))
    return [(h + (step,), w) for h, w in heads]


def _step(state: RegisterState, key: tuple, make):
    """One step object per grant, appointment or holding, shared by every chain of the snapshot."""
    found = state.steps.get(key)
    if found is None:
        found = state.steps[key] = make()
    return found


# -- evaluation -----------------------------------------------------------------------------

class Evaluation:
    def __init__(self) -> None:
        self.reasons: list[Finding] = []
        self.conditions: list[Finding] = []
        self.limits: dict[str, Any] = {}
        self.mention: str | None = None
        self.reporting: list[dict[str, Any]] = []

    def refuse(self, code: str, text: Text, grant: str | None = None, rule: str | None = None, **details: Any) -> None:
        self.reasons.append(Finding(code, text, None, grant, rule, details))


def static_reasons(state: RegisterState, power: str, entity: str, chain: tuple[Step, ...]) -> list[Finding]:
    """Reasons that do not depend on the question beyond actor, power and entity."""
    e = Evaluation()
    law = chain[0]
    grants = [s for s in chain if isinstance(s, GrantStep)]
    probe = Question(actor="", power=power, on=date.min, entity=entity)
    _check_law(state, probe, law, grants, e)  # type: ignore[arg-type]
    for i, step in enumerate(grants):
        _check_subdelegation(grants, i, e)
        if step.grant.to not in state.persons:
            _check_eligibility(state, probe, law, step, i, e)  # type: ignore[arg-type]
    return e.reasons


def evaluate_chain(state: RegisterState, q: Question, chain: tuple[Step, ...], usage: Usage = _no_usage,
                   cc: CompiledChain | None = None) -> Evaluation:
    """The explaining evaluation: every reason why a chain fails, or what it allows."""
    e = Evaluation()
    law = chain[0]
    assert isinstance(law, LawStep)
    grants = [s for s in chain if isinstance(s, GrantStep)]
    e.reasons = list(cc.static if cc is not None else static_reasons(state, q.power, q.entity, chain))
    if q.document_type is not None:
        _check_law(state, q, law, grants, e, documents_only=True)
    for i, step in enumerate(grants):
        _check_grant_time(state, q, step, e)
        if step.grant.to in state.persons:
            _check_eligibility(state, q, law, step, i, e)
    for step in chain:
        if isinstance(step, AppointmentStep | SubstitutionStep):
            _check_appointment(state, q, step, e)
    _check_scope(state, q, law, grants, e)
    _check_ceilings(q, grants, usage, e)
    _check_conflicts(state, q, e)
    if not e.reasons:
        e.limits = cc.limits_in(state) if cc is not None else scope_limits(state, law, grants)
        _collect_duties(state, q, grants, e)
    return e


def _check_law(state: RegisterState, q: Question, law: LawStep, grants: list[GrantStep], e: Evaluation,
               documents_only: bool = False) -> None:
    if grants:
        rules = [law.rule] + [state.catalogue.rules[s.decision.legal_basis] for s in grants
                              if s.decision.legal_basis in state.catalogue.rules]
        for rule in dict.fromkeys(rules):
            item = state.catalogue.excluded(rule.not_delegable, "" if documents_only else q.power, q.document_type)
            if item is not None:
                e.refuse("NOT_DELEGABLE", Text(
                    f"{item} blijft volgens {rule.id} bij de houder en kan niet gedelegeerd worden.",
                    f"{item} stays with the holder under {rule.id} and cannot be delegated."),
                    grant=grants[0].grant.id, rule=rule.id)
                break


def _what(kind: str) -> dict[str, str]:
    return {"grant": {"what": "Delegatie", "what_en": "Grant"},
            "appointment": {"what": "Aanstelling", "what_en": "Appointment"}}[kind]


def _check_grant_time(state: RegisterState, q: Question, step: GrantStep, e: Evaluation) -> None:
    g, d = step.grant, step.decision
    on = q.on.isoformat()
    if q.on < d.effective_from:
        e.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=g.id, since=d.effective_from.isoformat(), on=on,
                                          **_what("grant")), grant=g.id)
    elif d.effective_until is not None and q.on > d.effective_until:
        e.refuse("EXPIRED", msg("EXPIRED", id=g.id, until=d.effective_until.isoformat(), on=on, **_what("grant")),
                 grant=g.id)
    for target in (g.id, d.id):
        rev = state.revocation_of(target)
        if rev is not None and rev.effective_from <= q.on:
            e.refuse("REVOKED", msg("REVOKED", grant=g.id, since=rev.effective_from.isoformat(), by=rev.by), grant=g.id,
                     revoked_from=rev.effective_from.isoformat(), revoked_by=rev.by)
            break


def _check_subdelegation(grants: list[GrantStep], i: int, e: Evaluation) -> None:
    if i == 0:
        return
    g = grants[i].grant
    parent = grants[i - 1].grant
    if not parent.subdelegation.allowed:
        e.refuse("SUBDELEGATION_NOT_ALLOWED", msg("SUBDELEGATION_NOT_ALLOWED", parent=parent.id, grant=g.id), grant=g.id,
                 parent=parent.id)
        return
    for j in range(i):
        above = grants[j].grant
        if above.subdelegation.allowed and i - j > above.subdelegation.levels:
            e.refuse("SUBDELEGATION_TOO_DEEP", msg("SUBDELEGATION_TOO_DEEP", grant=g.id, parent=above.id, depth=i - j,
                                                   max_depth=above.subdelegation.levels), grant=g.id, parent=above.id)
            return


def recipient_kinds(state: RegisterState, to: str, on: date) -> set[str]:
    kind = state.kind_of(to)
    if kind is not None:
        return {kind}
    # a person: the kinds of the positions held on that date
    return {state.positions[a.position].kind for a in state.appointments_by_person.get(to, ())
            if m.covers(a.from_, a.until, on) and a.position in state.positions}


def eligible(state: RegisterState, rule: m.Rule, delegator: str, kinds: set[str]) -> bool:
    original = bool(set(_principals(state, delegator)) & set(rule.effective_delegators()))
    allowed = rule.delegable_to if original else rule.subdelegable_to
    return bool(kinds & set(allowed))


def _check_eligibility(state: RegisterState, q: Question, law: LawStep, step: GrantStep, i: int, e: Evaluation) -> None:
    g, d = step.grant, step.decision
    kinds = recipient_kinds(state, g.to, q.on)
    if d.by in m.COLLEGIAL_ORGANS and kinds & set(m.MEMBERS[d.by]):
        e.refuse("NOT_DELEGABLE", Text(
            f"{d.by} is een collegiaal orgaan en kan niet delegeren aan een van zijn leden ({g.to}).",
            f"{d.by} is a collegial organ and cannot delegate to one of its members ({g.to})."), grant=g.id)
        return
    rules = [r for r in (state.catalogue.rules.get(d.legal_basis), law.rule)
             if r is not None and state.catalogue.rule_governs(r, q.power)]
    if not any(eligible(state, r, d.by, kinds) for r in rules):
        basis = d.legal_basis
        shown = ", ".join(sorted(kinds)) or g.to
        e.refuse("NOT_DELEGABLE", Text(
            f"Rechtsgrond {basis} laat niet toe dat {d.by} {q.power} delegeert aan {g.to} ({shown}).",
            f"Legal basis {basis} does not let {d.by} delegate {q.power} to {g.to} ({shown})."), grant=g.id, rule=basis)


def _check_appointment(state: RegisterState, q: Question, step: AppointmentStep | SubstitutionStep, e: Evaluation) -> None:
    a = step.appointment
    on = q.on.isoformat()
    if q.on < a.from_:
        e.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=f"{a.person} als {a.position}",
                                          since=a.from_.isoformat(), on=on, **_what("appointment")))
    elif a.until is not None and q.on > a.until:
        e.refuse("EXPIRED", msg("EXPIRED", id=f"{a.person} als {a.position}", until=a.until.isoformat(), on=on,
                                **_what("appointment")))
    if isinstance(step, SubstitutionStep):
        _check_substitution(state, q, step, e)


def _check_substitution(state: RegisterState, q: Question, step: SubstitutionStep, e: Evaluation) -> None:
    target = step.for_position
    holders = state.holders(target, q.on)
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        e.refuse("HOLDER_NOT_ABSENT", Text(
            f"{step.appointment.person} vervangt {target} alleen bij afwezigheid, maar {', '.join(present)} is aanwezig op {q.on}.",
            f"{step.appointment.person} substitutes for {target} only during an absence, but {', '.join(present)} is present on {q.on}."))
        return
    # The first substitute position whose holder is present acts; later ones only if earlier are absent.
    for sub in state.positions[target].substitutes:
        present_subs = [h.person for h in state.holders(sub, q.on) if not state.is_absent(h.person, q.on)]
        if sub == step.appointment.position:
            break
        if present_subs:
            e.refuse("HOLDER_NOT_ABSENT", Text(
                f"Vervanger {sub} ({', '.join(present_subs)}) gaat voor op {step.appointment.position} en is aanwezig.",
                f"Substitute {sub} ({', '.join(present_subs)}) comes before {step.appointment.position} and is present."))
            return
    absent = ", ".join(h.person for h in holders) or "-"
    e.conditions.append(Finding("NOTIFY_ABSENT_HOLDER", msg("NOTIFY_ABSENT_HOLDER", holders=absent, position=target),
                                details={"position": target, "holders": [h.person for h in holders]}))


def scope_limits(state: RegisterState, law: LawStep, grants: list[GrantStep]) -> dict[str, Any]:
    """The effective limits of a chain: the intersection of every step (static per chain)."""
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


def _check_scope(state: RegisterState, q: Question, law: LawStep, grants: list[GrantStep], e: Evaluation) -> None:
    """Reasons and question-dependent conditions; every restricting step must admit the question."""
    failed: set[str] = set()
    if law.holding.issuers and q.issuer is not None and q.issuer not in law.holding.issuers:
        failed.add("issuer")
        e.refuse("ISSUER_OUT_OF_SCOPE", msg("ISSUER_OUT_OF_SCOPE", issuer=q.issuer, where=f"rechtsgrond {law.rule.id}",
                                            where_en=f"legal basis {law.rule.id}", allowed=", ".join(law.holding.issuers)),
                 rule=law.rule.id)
    binding: m.Grant | None = None
    for step in grants:
        g, lim = step.grant, step.grant.limits
        if lim.max_amount is not None and (binding is None or lim.max_amount < binding.limits.max_amount):
            binding = g
        if lim.budget_keys and q.budget_key is not None and "key" not in failed \
                and not any(key_matches(k, q.budget_key) for k in lim.budget_keys):
            failed.add("key")
            e.refuse("BUDGET_KEY_OUT_OF_SCOPE", msg("BUDGET_KEY_OUT_OF_SCOPE", budget_key=q.budget_key, grant=g.id,
                                                    allowed=", ".join(lim.budget_keys)), grant=g.id)
        if lim.units and q.unit is not None and "unit" not in failed and state.ancestors(q.unit).isdisjoint(lim.units):
            failed.add("unit")
            e.refuse("UNIT_OUT_OF_SCOPE", msg("UNIT_OUT_OF_SCOPE", unit=q.unit, grant=g.id, allowed=", ".join(lim.units)),
                     grant=g.id)
        if lim.document_types and q.document_type is not None and "doc" not in failed \
                and q.document_type not in lim.document_types:
            failed.add("doc")
            e.refuse("DOCUMENT_TYPE_OUT_OF_SCOPE", msg("DOCUMENT_TYPE_OUT_OF_SCOPE", document_type=q.document_type,
                                                       where=f"delegatie {g.id}", where_en=f"grant {g.id}",
                                                       allowed=", ".join(lim.document_types)), grant=g.id)
        if lim.issuers and q.issuer is not None and "issuer" not in failed and q.issuer not in lim.issuers:
            failed.add("issuer")
            e.refuse("ISSUER_OUT_OF_SCOPE", msg("ISSUER_OUT_OF_SCOPE", issuer=q.issuer, where=f"delegatie {g.id}",
                                                where_en=f"grant {g.id}", allowed=", ".join(lim.issuers)), grant=g.id)
        item = state.catalogue.excluded(lim.excluded, q.power, q.document_type) if lim.excluded else None
        if item is not None and "excl" not in failed:
            failed.add("excl")
            e.refuse("POWER_EXCLUDED", msg("POWER_EXCLUDED", item=item, grant=g.id), grant=g.id, item=item)
        if lim.only_when_absent is not None:
            _check_only_when_absent(state, q, g, e)
        req = g.requires
        if req.cosignature_by is not None:
            e.conditions.append(Finding("COSIGNATURE_REQUIRED", msg("COSIGNATURE_REQUIRED", by=req.cosignature_by, grant=g.id),
                                        grant=g.id, details={"by": req.cosignature_by}))
        if req.visum_above is not None and q.amount is not None and q.amount > req.visum_above:
            e.conditions.append(Finding("VISUM_REQUIRED", msg("VISUM_REQUIRED", limit=money(req.visum_above), grant=g.id),
                                        grant=g.id, details={"above": money(req.visum_above)}))
    if binding is not None and q.amount is not None and q.amount > binding.limits.max_amount:  # type: ignore[operator]
        limit = money(binding.limits.max_amount)
        e.refuse("AMOUNT_ABOVE_LIMIT", msg("AMOUNT_ABOVE_LIMIT", amount=money(q.amount), limit=limit, grant=binding.id),
                 grant=binding.id, limit=limit)


def _check_only_when_absent(state: RegisterState, q: Question, g: m.Grant, e: Evaluation) -> None:
    position = g.limits.only_when_absent
    holders = state.holders(position, q.on)  # type: ignore[arg-type]
    present = [h.person for h in holders if not state.is_absent(h.person, q.on)]
    if present:
        e.refuse("HOLDER_NOT_ABSENT", Text(
            f"Delegatie {g.id} geldt alleen bij afwezigheid van de titularis van {position}, "
            f"maar {', '.join(present)} is aanwezig op {q.on}.",
            f"Grant {g.id} applies only while the holder of {position} is absent, "
            f"but {', '.join(present)} is present on {q.on}."), grant=g.id)
    else:
        e.conditions.append(Finding("NOTIFY_ABSENT_HOLDER", msg(
            "NOTIFY_ABSENT_HOLDER", holders=", ".join(h.person for h in holders) or "-", position=position),
            grant=g.id, details={"position": position, "holders": [h.person for h in holders]}))


def _check_ceilings(q: Question, grants: list[GrantStep], usage: Usage, e: Evaluation) -> None:
    for step in grants:
        g = step.grant
        ceiling = g.limits.annual_ceiling
        if ceiling is None:
            continue
        used = usage(g.id, q.on.year)
        # Without an amount the question still fails once the ceiling is used up entirely.
        if (used + q.amount > ceiling) if q.amount is not None else (used >= ceiling):
            remaining = max(ceiling - used, Decimal(0))
            e.refuse("ANNUAL_CEILING_EXCEEDED", msg("ANNUAL_CEILING_EXCEEDED", grant=g.id, ceiling=money(ceiling),
                                                    used=money(used), year=q.on.year, remaining=money(remaining),
                                                    amount=money(q.amount) or "0.00"),
                     grant=g.id, ceiling=money(ceiling), used=money(used), remaining=money(remaining))
            return


def _check_conflicts(state: RegisterState, q: Question, e: Evaluation) -> None:
    if q.matter is None:
        return
    for c in state.conflicts_by_person.get(q.actor, ()):
        if c.matter == q.matter and m.covers(c.from_, c.until, q.on):
            reason = f": {c.reason}" if c.reason else ""
            e.refuse("CONFLICT_OF_INTEREST", msg("CONFLICT_OF_INTEREST", person=q.actor, matter=q.matter,
                                                 since=c.from_.isoformat(), reason=reason), person=q.actor, matter=q.matter)
            return


def _collect_duties(state: RegisterState, q: Question, grants: list[GrantStep], e: Evaluation) -> None:
    for step in grants:
        g, d = step.grant, step.decision
        for entry in _duty_entries(state, g):
            if entry not in e.reporting:
                e.reporting.append(entry)
        rule = state.catalogue.rules.get(d.legal_basis)
        if g.signature_mention:
            e.mention = g.signature_mention
        elif rule is not None and rule.signature_mention_required and state.catalogue.is_signature_power(q.power):
            e.mention = default_mention(state, d)


def _duty_entries(state: RegisterState, g: m.Grant) -> list[dict[str, Any]]:
    return _step(state, ("duties", g.id), lambda: [  # shared by every chain through the grant
        {"to": r.to, "every": r.every, "within_days": r.within_days, "grant": g.id} for r in g.reporting])


def default_mention(state: RegisterState, d: m.Decision) -> str:
    by = state.positions[d.by].name if d.by in state.positions else d.by.replace("_", " ")
    return f"Bij delegatie van de {by.lower()} (besluit {d.id} van {d.decided_on.isoformat()})"
