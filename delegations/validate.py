"""Validation of a register file against the format, the register and the rulebook (contract 5).

Pure: it receives the parsed file content (a dict) and the current register state, and returns
findings that name the file, the path inside it and what was expected.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Any

from attrs import frozen

from . import model as m
from . import rules as r
from .answer import AppointmentStep, Question, SubstitutionStep
from .catalogue import family, power_covers
from .compiled import Candidate, CompiledChain, compile_chain
from .compiled import evaluate as evaluate_chain
from .converter import error_items, structure
from .evaluate import MAX_CANDIDATES
from .evaluate import check as run_check
from .rulebook import PACKAGED
from .rules.legality import allowed_text, parties_verdict
from .scope import key_within, widens
from .search import MAX_DEPTH
from .search import _sources as search_sources
from .search import tails as search_tails
from .state import RegisterState, entity_key
from .texts import N_, Text, gettext, tr

ERRORS = ("UNKNOWN_REFERENCE", "DUPLICATE_ID", "INVALID_PERIOD", "NOT_DELEGABLE", "COLLEGIAL_TO_MEMBER",
          "TARGET_NOT_ELIGIBLE", "CYCLE", "FORMAT")
WARNINGS = ("MISSING_REPORTING_DUTY", "SCOPE_WIDENS_PARENT", "DELEGATOR_LACKS_POWER", "VACANT_POSITION",
            "REVIEW_OVERDUE")
SEVERITY_LABELS = {"error": N_("error"), "warning": N_("warning")}


@frozen
class ValidationFinding:
    code: str
    file: str
    path: str
    text: Text

    @property
    def severity(self) -> str:
        return "error" if self.code in ERRORS else "warning"

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "file": self.file, "path": self.path,
                "text": self.text(lang)}

    def render(self, lang: str = "nl") -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {gettext(SEVERITY_LABELS[self.severity], lang)} {self.code}: {self.text(lang)}"


def format_error(file: str, path: str, expected: Text, found: str | Text | None = None) -> ValidationFinding:
    if found:
        return ValidationFinding("FORMAT", file, path, tr("expected {expected}, found {found}", expected=expected,
                                                          found=found))
    return ValidationFinding("FORMAT", file, path, tr("expected {expected}", expected=expected))


def parse(data: Any, file: str) -> tuple[m.RegisterFile | None, list[ValidationFinding]]:
    """Structure a parsed file into the model; FORMAT findings with paths on failure."""
    if not isinstance(data, dict):
        return None, [format_error(file, "", tr("an object with 'format: delegaties/1' at the top"), type(data).__name__)]
    if data.get("format") != m.FORMAT:
        found = repr(data.get("format")) if "format" in data else tr("nothing")
        return None, [format_error(file, "format", tr("'{FORMAT}'", FORMAT=m.FORMAT), found)]
    try:
        return structure(data, m.RegisterFile), []
    except Exception as exc:  # noqa: BLE001 - cattrs raises exception groups; we flatten them
        return None, [format_error(file, path, expected) for path, expected in error_items(exc)]


def merged_state(state: RegisterState, f: m.RegisterFile) -> RegisterState:
    entities: dict[str, dict[str, object]] = {}
    for kind, section in (("unit", f.units), ("position", f.positions), ("person", f.persons),
                          ("appointment", f.appointments), ("absence", f.absences), ("rule", f.rules),
                          ("power", f.powers), ("decision", f.decisions), ("revocation", f.revocations),
                          ("conflict", f.conflicts)):
        merged = dict(state.entities(kind))
        merged.update({entity_key(kind, o): o for o in section})
        entities[kind] = merged
    return RegisterState(state.administration or f.administration, entities, dict(state.decision_hashes))


class _Validator:
    def __init__(self, f: m.RegisterFile, file: str, state: RegisterState, today: date):
        self.f, self.file, self.old, self.today = f, file, state, today
        self.new = merged_state(state, f)
        self.out: list[ValidationFinding] = []
        self.holds: dict[tuple, bool] = {}
        self.verdicts: dict[tuple, r.Verdict | None] = {}
        self.cat = self.new.catalogue

    def add(self, code: str, path: str, text: Text) -> None:
        self.out.append(ValidationFinding(code, self.file, path, text))

    def unknown(self, path: str, value: str, what: Text) -> None:
        self.add("UNKNOWN_REFERENCE", path, tr("'{value}' is not a known {what}", value=value, what=what))

    def choice(self, path: str, value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            opts = ", ".join(allowed)
            self.add("FORMAT", path, tr("expected one of {opts}, found '{value}'", opts=opts, value=value))

    def period(self, path: str, start: date, end: date | None) -> None:
        if end is not None and end < start:
            self.add("INVALID_PERIOD", path, tr("end date {end} is before start date {start}", end=end, start=start))

    # -- the checks --------------------------------------------------------------------------
    def run(self) -> list[ValidationFinding]:
        self.administration()
        self.duplicates()
        self.units()
        self.positions()
        self.people()
        self.rules_and_powers()
        for i, d in enumerate(self.f.decisions):
            self.decision(i, d)
        self.revocations()
        return self.out

    def administration(self) -> None:
        old = self.old.administration
        new = self.f.administration
        if old is not None and old.id != new.id:
            self.add("FORMAT", "administration.id", tr("expected '{id}' (this register's administration), found '{id2}'", id=old.id, id2=new.id))
        have = self.new.jurisdiction
        if new.jurisdiction is not None and new.jurisdiction != have:
            self.add("FORMAT", "administration.jurisdiction", tr("expected '{have}' (this register's jurisdiction), found '{jurisdiction}'", have=have, jurisdiction=new.jurisdiction))

    def duplicates(self) -> None:
        f, old = self.f, self.old
        sections = {"units": f.units, "positions": f.positions, "persons": f.persons, "rules": f.rules,
                    "powers": f.powers, "decisions": f.decisions, "appointments": f.appointments,
                    "absences": f.absences, "conflicts": f.conflicts, "revocations": f.revocations}
        kinds = {"units": "unit", "positions": "position", "persons": "person", "rules": "rule", "powers": "power",
                 "decisions": "decision", "appointments": "appointment", "absences": "absence",
                 "conflicts": "conflict", "revocations": "revocation"}
        for name, items in sections.items():
            seen: set[str] = set()
            for i, o in enumerate(items):
                k = entity_key(kinds[name], o)
                if k not in seen:
                    seen.add(k)
                else:
                    self.add("DUPLICATE_ID", f"{name}[{i}]", tr("'{k}' occurs more than once in {name}", k=k, name=name))
        # positions and persons share one namespace; organ ids are reserved
        for name, items, other in (("positions", f.positions, "person"), ("persons", f.persons, "position")):
            own_other = {o.id for o in (f.persons if other == "person" else f.positions)}
            for i, o in enumerate(items):
                if self.cat.is_organ(o.id):
                    self.add("DUPLICATE_ID", f"{name}[{i}].id", tr("'{id}' is a reserved organ id", id=o.id))
                elif o.id in own_other or o.id in old.entities(other):
                    self.add("DUPLICATE_ID", f"{name}[{i}].id", tr("'{id}' is already used as a {other} id", id=o.id, other=other))
        for i, rule in enumerate(f.rules):
            if rule.id in self.cat.packaged:
                self.add("DUPLICATE_ID", f"rules[{i}].id", tr("'{id}' is a packaged rule", id=rule.id))
        builtin = self.cat.book.powers
        for i, p in enumerate(f.powers):
            if p.id in builtin:
                self.add("DUPLICATE_ID", f"powers[{i}].id", tr("'{id}' is a packaged power", id=p.id))
        # decisions are legal acts: the same id with other content is not an update
        for i, d in enumerate(f.decisions):
            prev = old.decisions.get(d.id)
            if prev is not None and prev != d:
                self.add("DUPLICATE_ID", f"decisions[{i}].id", tr("decision '{id}' is already in the register with other content; record a new decision and revoke the old one", id=d.id))
        grant_ids = Counter(g.id for d in f.decisions for g in d.grants)
        for i, d in enumerate(f.decisions):
            for j, g in enumerate(d.grants):
                owner = old.grants.get(g.id)
                if grant_ids[g.id] > 1 or (owner is not None and owner[1].id != d.id):
                    self.add("DUPLICATE_ID", f"decisions[{i}].grants[{j}].id", tr("grant id '{id}' is not unique", id=g.id))

    def units(self) -> None:
        for i, u in enumerate(self.f.units):
            if u.parent is not None and u.parent not in self.new.units:
                self.unknown(f"units[{i}].parent", u.parent, tr("unit"))
            if u.entity is not None:
                self.choice(f"units[{i}].entity", u.entity, tuple(self.cat.entities))
            seen, cur = set(), u.id
            while cur is not None and cur in self.new.units:
                if cur in seen:
                    self.add("CYCLE", f"units[{i}].parent", tr("unit '{id}' lies below itself", id=u.id))
                    break
                seen.add(cur)
                cur = self.new.units[cur].parent

    def positions(self) -> None:
        book = self.cat.book
        for i, p in enumerate(self.f.positions):
            self.choice(f"positions[{i}].kind", p.kind, book.position_kinds)
            if p.unit is not None and p.unit not in self.new.units:
                self.unknown(f"positions[{i}].unit", p.unit, tr("unit"))
            exclusive = r.exclusive_rule(self.new, p.id) if p.kind in book.kinds else None
            for k, s in enumerate(p.substitutes):
                if s not in self.new.positions:
                    self.unknown(f"positions[{i}].substitutes[{k}]", s, tr("position"))
                elif s == p.id:
                    self.add("CYCLE", f"positions[{i}].substitutes[{k}]", tr("a position cannot substitute for itself"))
                elif exclusive is not None:
                    self.replacement(f"positions[{i}].substitutes[{k}]", p, s, exclusive)

    def replacement(self, path: str, p: m.Position, sub: str, rule: m.Rule) -> None:
        """A master-data substitute of an office the law replaces: a designation the law allows
        (a schepen for the burgemeester), or nothing at all (the algemeen directeur)."""
        spec = rule.substitution
        kind = self.new.positions[sub].kind
        kinds = self.cat.kinds_of(kind)
        if any(kinds & set(x.substitution.by) for x in self.cat.substitutions  # type: ignore[union-attr]
               if self.cat.kinds_of(p.kind) & set(x.substitution.for_)):  # type: ignore[union-attr]
            return  # the substitute the law names anyway (the adjunct for the algemeen directeur, a schepen)
        if spec is not None and spec.designated:
            self.add("TARGET_NOT_ELIGIBLE", path, tr("only a {join} replaces {id} ({id2}); '{sub}' is {kind}", join=', '.join(spec.by), id=p.id, id2=rule.id, sub=sub, kind=kind))
        else:
            self.add("TARGET_NOT_ELIGIBLE", path, tr("{id} ({kind}) is replaced only as {id2} provides; a substitute in master data does not count", id=p.id, kind=p.kind, id2=rule.id))

    def people(self) -> None:
        n = self.new
        for i, a in enumerate(self.f.appointments):
            if a.person not in n.persons:
                self.unknown(f"appointments[{i}].person", a.person, tr("person"))
            if a.position not in n.positions:
                self.unknown(f"appointments[{i}].position", a.position, tr("position"))
            self.choice(f"appointments[{i}].capacity", a.capacity, m.CAPACITIES)
            self.period(f"appointments[{i}].until", a.from_, a.until)
            if a.capacity == "acting" and a.person in n.persons and a.position in n.positions:
                self.acting(f"appointments[{i}].person", a)
        for i, a in enumerate(self.f.absences):
            if a.person not in n.persons:
                self.unknown(f"absences[{i}].person", a.person, tr("person"))
            self.period(f"absences[{i}].until", a.from_, a.until)
        for i, c in enumerate(self.f.conflicts):
            if c.person not in n.persons:
                self.unknown(f"conflicts[{i}].person", c.person, tr("person"))
            self.period(f"conflicts[{i}].until", c.from_, c.until)

    def acting(self, path: str, a: m.Appointment) -> None:
        rule = r.acting_rule(self.new, a.position)
        if rule is None or rule.acting is None or not rule.acting.requires:
            return
        held = frozenset().union(*(self.new.principal_kinds(x.position, a.from_)
                                   for x in self.new.appointments_by_person.get(a.person, ())
                                   if x != a and m.covers(x.from_, x.until, a.from_) and x.position in self.new.positions))
        if not held & set(rule.acting.requires):
            need = ", ".join(rule.acting.requires)
            self.add("TARGET_NOT_ELIGIBLE", path, tr("only a {need} can act as {position} ({id}); {person} is not one on {from_}", need=need, position=a.position, id=rule.id, person=a.person, from_=a.from_))

    def is_power(self, p: str) -> bool:
        return p in self.cat.powers

    def rules_and_powers(self) -> None:
        cat = self.cat
        for i, p in enumerate(self.f.powers):
            if "." not in p.id or family(p.id) not in cat.powers:
                self.unknown(f"powers[{i}].id", family(p.id), tr(
                    "power family (new powers go under an existing family, e.g. budgethouderschap.x)"))
        kinds = (*cat.organs, *cat.book.kinds)
        entities = tuple(cat.entities)
        for i, rule in enumerate(self.f.rules):
            path = f"rules[{i}]"
            if rule.holder is None or not cat.is_organ(rule.holder):
                self.unknown(f"{path}.holder", str(rule.holder), tr("organ id"))
            for e in m.as_entities(rule.entity):
                self.choice(f"{path}.entity", e, entities)
            for k, p in enumerate(rule.powers):
                if not self.is_power(p):
                    self.unknown(f"{path}.powers[{k}]", p, tr("power"))
            for field in ("delegable_to", "subdelegable_to"):
                for k, x in enumerate(getattr(rule, field)):
                    if x not in kinds:
                        self.unknown(f"{path}.{field}[{k}]", x, tr("organ id or position kind"))
            for k, x in enumerate(rule.not_delegable):
                if not self.is_power(x) and x not in cat.document_types:
                    self.unknown(f"{path}.not_delegable[{k}]", x, tr("power or document type"))
            if rule.notify is not None and not cat.is_organ(rule.notify):
                self.unknown(f"{path}.notify", rule.notify, tr("organ id"))
            for k, x in enumerate(rule.issuers):
                if not cat.is_organ(x):
                    self.unknown(f"{path}.issuers[{k}]", x, tr("organ id"))
            for k, x in enumerate(rule.overrides):
                packaged = cat.packaged.get(x)
                if packaged is None or not packaged.overridable:
                    overridable = ", ".join(sorted(pid for pid, pr in cat.packaged.items() if pr.overridable))
                    self.add("UNKNOWN_REFERENCE", f"{path}.overrides[{k}]", tr("'{x}' is not an overridable packaged rule (overridable: {overridable})", x=x, overridable=overridable))
            if rule.effective_from is not None:
                self.period(f"{path}.effective_until", rule.effective_from, rule.effective_until)
            self.visum_regulation(path, rule)
            if (rule.holdings or rule.delegators or rule.entities or rule.article or rule.signature_mention_required
                    or rule.overridable or rule.notify_councils or rule.signature_mention or rule.subdelegation_rule
                    or rule.substitution or rule.acting or rule.condition):
                self.add("FORMAT", path, tr("expected only the fields of a local rule (id, title, holder, entity, powers, delegable_to, subdelegable_to, not_delegable, notify, source, issuers, overrides, effective_from, effective_until, visum_exempt, note)"))

    def visum_regulation(self, path: str, rule: m.Rule) -> None:
        """A visum regulation is the council's: of the entity it exempts commitments of."""
        if not rule.visum_exempt:
            return
        for e in m.as_entities(rule.entity):
            council = self.cat.entities[e].council if e in self.cat.entities else None
            if council is not None and rule.holder != council:
                self.add("FORMAT", f"{path}.holder", tr("expected {council} (the council of {e} adopts the visum regulation), found '{holder}'", council=council, e=e, holder=rule.holder))
        for k, x in enumerate(rule.visum_exempt):
            where = f"{path}.visum_exempt[{k}]"
            if x.max_amount is None and not x.budget_keys and not x.powers:
                self.add("FORMAT", where, tr("expected at least one of max_amount, budget_keys or powers"))
            for j, p in enumerate(x.powers):
                if not self.is_power(p):
                    self.unknown(f"{where}.powers[{j}]", p, tr("power"))

    def principal_known(self, x: str) -> bool:
        return self.cat.is_organ(x) or x in self.new.positions or x in self.new.persons

    def decision(self, i: int, d: m.Decision) -> None:
        path, rule, _by_known = self.decision_checks(i, d)
        for j, g in enumerate(d.grants):
            self.grant(f"{path}.grants[{j}]", d, g, rule)

    def decision_checks(self, i: int, d: m.Decision) -> tuple[str, m.Rule | None, bool]:
        """What is checked of a decision itself. Returns its path, its rule (None when unknown)
        and whether its delegator is known, for the checks of its grants."""
        cat, path = self.cat, f"decisions[{i}]"
        by_known = self.principal_known(d.by)
        if not by_known:
            self.unknown(f"{path}.by", d.by, tr("organ, position or person"))
        for e in d.entities:
            self.choice(f"{path}.entity", e, tuple(cat.entities))
        rule = cat.rules.get(d.legal_basis)
        if rule is None:
            self.unknown(f"{path}.legal_basis", d.legal_basis,
                         tr("rule (packaged: {rules})", rules=", ".join(sorted(cat.rules))))
        self.period(f"{path}.effective_until", d.effective_from, d.effective_until)
        if d.review_every_years is not None and d.review_every_years < 1:
            self.add("FORMAT", f"{path}.review_every_years", tr("expected a whole number of 1 or more"))
        if d.review_every_years and self.in_force(d, self.today):
            due = _add_years(d.decided_on, d.review_every_years)
            if due < self.today:
                self.add("REVIEW_OVERDUE", f"{path}.review_every_years", tr("review was due on {due}", due=due))
        return path, rule, by_known

    def in_force(self, d: m.Decision, on: date) -> bool:
        rev = self.new.revocations.get(d.id)
        return m.covers(d.effective_from, d.effective_until, on) and (rev is None or rev.effective_from > on)

    def grant(self, path: str, d: m.Decision, g: m.Grant, rule: m.Rule | None) -> None:
        cat = self.cat
        self._grant(path, d, g, rule is not None and self.principal_known(d.by)
                    and all(e in cat.entities for e in d.entities))

    def _grant(self, path: str, d: m.Decision, g: m.Grant, known_decision: bool) -> None:
        """A grant's references, limits and duties, then its legality, entity scope, widening, the
        delegator's own power and vacancy; written without calls in the common case (a city has
        tens of thousands of grants). The indexed validator overrides the three that search."""
        n, cat = self.new, self.cat
        organs, positions, persons, powers = cat.organs, n.positions, n.persons, cat.powers
        to = g.to
        if not (to in organs or to in positions or to in persons):
            self.unknown(f"{path}.to", to, tr("organ, position or person"))
            return
        if to == d.by:
            self.add("CYCLE", f"{path}.to", tr("'{by}' cannot delegate to itself", by=d.by))
        all_powers = True
        for k, p in enumerate(g.powers):
            if p not in powers:
                all_powers = False
                self.unknown(f"{path}.powers[{k}]", p, tr("power"))
        if not g.powers:
            self.add("FORMAT", f"{path}.powers", tr("expected at least one power"))
        if g.under is not None:
            if g.under not in n.grants:
                self.unknown(f"{path}.under", g.under, tr("grant id"))
            else:
                seen, cur = {g.id}, g.under
                while cur is not None and cur in n.grants:
                    if cur in seen:
                        self.add("CYCLE", f"{path}.under", tr("the chain via 'under' returns to {cur}", cur=cur))
                        break
                    seen.add(cur)
                    cur = n.grants[cur][0].under
        lim = g.limits
        if lim.units:
            units = n.units
            for k, u in enumerate(lim.units):
                if u not in units:
                    self.unknown(f"{path}.limits.units[{k}]", u, tr("unit"))
        if lim.document_types:
            for k, x in enumerate(lim.document_types):
                if x not in cat.document_types:
                    self.unknown(f"{path}.limits.document_types[{k}]", x,
                                 tr("document type ({types})", types=", ".join(sorted(cat.document_types))))
        if lim.issuers:
            for k, x in enumerate(lim.issuers):
                if x not in organs:
                    self.unknown(f"{path}.limits.issuers[{k}]", x, tr("organ id"))
        if lim.excluded:
            for k, x in enumerate(lim.excluded):
                if x not in powers and x not in cat.document_types and x not in cat.book.kinds:
                    self.unknown(f"{path}.limits.excluded[{k}]", x, tr("power or document type, or position kind"))
        if lim.only_when_absent is not None and lim.only_when_absent not in positions:
            self.unknown(f"{path}.limits.only_when_absent", lim.only_when_absent, tr("position"))
        co = g.requires.cosignature_by
        if co is not None and not (co in organs or co in positions or co in persons):
            self.unknown(f"{path}.requires.cosignature_by", co, tr("organ or position"))
        if g.reporting:
            for k, rep in enumerate(g.reporting):
                if not (rep.to in organs or rep.to in positions or rep.to in persons):
                    self.unknown(f"{path}.reporting[{k}].to", rep.to, tr("organ or position"))
                if rep.every not in m.PERIODS:
                    self.choice(f"{path}.reporting[{k}].every", rep.every, m.PERIODS)
        else:
            self.add("MISSING_REPORTING_DUTY", f"{path}.reporting", tr("the grant does not say how its exercise is reported"))
        known = known_decision and all_powers
        if known:
            self.legality(path, d, g)
        if lim.issuers or lim.units:
            self.entity_scope(path, d, g)
        self.widening(path, d, g)
        if known:
            self.delegator_power(path, d, g)
        if to in positions:
            self.vacancy(path, d, g)

    # -- the law: may this delegator hand these powers to this recipient? ---------------------------
    def verdict(self, d: m.Decision, g: m.Grant, power: str, doc: str | None) -> r.Verdict | None:
        """The legality rule of the check, for one grant: the delegator's own grants (its possible
        parents) carry the rules a subdelegation may rest on."""
        key = (g.id, power, doc)
        if key in self.verdicts:
            return self.verdicts[key]
        self.verdicts[key] = None  # a cycle through 'under' carries nothing
        carried: dict[str, m.Rule] = {}
        carried_local: dict[str, m.Rule] = {}
        for pg, pd in self.sources(d, g, power):
            v = self.verdict(pd, pg, power, doc)
            if v is not None and v.failure is None:
                carried.update({x.id: x for x in v.lawful})
                carried_local.update({x.id: x for x in v.local})
        found = r.step_verdict(self.new, d, g, power, doc, d.effective_from, d.entities, tuple(carried.values()),
                               tuple(carried_local.values()))
        self.verdicts[key] = found
        return found

    def covering(self, by: str, power: str) -> list[tuple[m.Grant, m.Decision, r.Window | None]]:
        """`incoming` of the grants that cover `power`."""
        key = ("power", by, power)
        found = self._covering.get(key)
        if found is None:
            found = self._covering[key] = [x for x in self.incoming(by) if any(power_covers(p, power) for p in x[0].powers)]
        return found

    def covering_all(self, by: str, entities: tuple[str, ...], powers: tuple[str, ...]) -> list[tuple[m.Grant, m.Decision, r.Window | None]]:
        """`incoming` of the grants for one of `entities` that cover each of `powers`."""
        key = ("all", by, entities, powers)
        found = self._covering.get(key)
        if found is None:
            wanted = set(entities)
            found = self._covering[key] = [x for x in self.incoming(by) if set(x[1].entities) & wanted
                                           and all(any(power_covers(p, y) for p in x[0].powers) for y in powers)]
        return found

    def sources(self, d: m.Decision, g: m.Grant, power: str) -> list[tuple[m.Grant, m.Decision]]:
        n = self.new
        if g.under is not None:
            return [n.grants[g.under]] if g.under in n.grants else []
        own = r.grant_window(n, g, d) or (d.effective_from, d.effective_from)
        return [(pg, pd) for p in n.offices(d.by) for pg, pd in n.grants_to.get(p, ())
                if pg.id != g.id and any(power_covers(x, power) for x in pg.powers)
                and _overlap(r.grant_window(n, pg, pd), own)]

    def legality(self, path: str, d: m.Decision, g: m.Grant) -> None:
        n = self.new
        kinds = n.principal_kinds(g.to, d.effective_from)
        eligible_reported = False
        for k, p in enumerate(g.powers):
            v = self.verdict(d, g, p, None)
            f = v.failure if v is not None else None
            if f is not None and f.kind == "collegial":
                self.add("COLLEGIAL_TO_MEMBER", f"{path}.to", tr(
                    "{by} is a collegial organ and cannot delegate to one of its members ({to}: {kinds})",
                    by=d.by, to=g.to, kinds=", ".join(f.kinds)))
                return
            if f is not None and f.kind == "not_delegable":
                self.add("NOT_DELEGABLE", f"{path}.powers[{k}]", tr("{item} stays with the holder under {rule}", item=f.item, rule=f.rule))
                continue
            if f is not None and not f.reachable:
                continue  # the delegator holds no such power to pass on: DELEGATOR_LACKS_POWER says so
            if f is not None and kinds and not eligible_reported:
                eligible_reported = True
                via = f" ({', '.join(f.via)})" if f.via else ""
                self.add("TARGET_NOT_ELIGIBLE", f"{path}.to", tr(
                    "{rule} does not let {by} delegate {p} to '{to}' ({join}); the law allows only {allowed}{via}",
                    rule=f.rule, by=d.by, p=p, to=g.to, join=', '.join(f.kinds), allowed=allowed_text(f.allowed), via=via))
                continue
            if f is None:
                item = self.kept_below(d, p)
                if item is not None:
                    keeper = self.keeper(d, p, item)
                    self.add("NOT_DELEGABLE", f"{path}.powers[{k}]", tr("{p} includes {item}, which stays with the holder under {keeper}; delegate the parts that may be delegated", p=p, item=item, keeper=keeper))
        for k, x in enumerate(g.limits.document_types):
            for p in g.powers:
                v = self.verdict(d, g, p, x)
                if v is not None and v.failure is not None and v.failure.kind == "not_delegable" and v.failure.item == x:
                    self.add("NOT_DELEGABLE", f"{path}.limits.document_types[{k}]", tr("document type {x} cannot be delegated under {rule}", x=x, rule=v.failure.rule))
                    break

    def _keepers(self, d: m.Decision, power: str) -> list[m.Rule]:
        dk = self.new.principal_kinds(d.by, d.effective_from)
        cited = self.cat.rules.get(d.legal_basis)
        found = [x for x in self.cat.binding(power) if dk & set(x.delegators) and not self.cat.lifted(x, power, cited)]
        if cited is not None and cited.not_delegable and self.cat.rule_governs(cited, power) and cited not in found:
            found.append(cited)
        return found

    def kept_below(self, d: m.Decision, power: str) -> str | None:
        """A granted family that includes something the law keeps with the holder."""
        for rule in self._keepers(d, power):
            for x in rule.not_delegable:
                if x != power and power_covers(power, x):
                    return x
        return None

    def keeper(self, d: m.Decision, power: str, item: str) -> str:
        return next((x.id for x in self._keepers(d, power) if item in x.not_delegable), d.legal_basis)

    def entity_scope(self, path: str, d: m.Decision, g: m.Grant) -> None:
        """Issuers and units that belong to an entity the decision does not act for grant nothing."""
        n, cat = self.new, self.cat
        covered = set(d.entities)
        for name, items, entity_of in (("issuers", g.limits.issuers, lambda x: cat.entities_of(x)),
                                       ("units", g.limits.units, lambda x: (n.unit_entity(x),) if n.unit_entity(x) else ())):
            for k, x in enumerate(items):
                own = entity_of(x)
                if own and not covered & set(own):
                    self.add("DELEGATOR_LACKS_POWER", f"{path}.limits.{name}[{k}]", tr("{x} belongs to {join}; decision {id} covers only {join2}, so this part grants nothing (record the decision for {join3})", x=x, join=', '.join(own), id=d.id, join2=', '.join(d.entities), join3=', '.join(sorted(covered | set(own)))))

    def parents(self, d: m.Decision, g: m.Grant) -> list[m.Grant]:
        n = self.new
        if g.under is not None:
            return [n.grants[g.under][0]] if g.under in n.grants else []
        own = r.grant_window(n, g, d) or (d.effective_from, d.effective_from)
        # A parent is a grant the delegator holds while this grant is in force (not one of an old
        # term), for an entity this decision also acts for.
        return [pg for p in n.offices(d.by) for pg, pd in n.grants_to.get(p, ())
                if pg.id != g.id and set(pd.entities) & set(d.entities) and _overlap(r.grant_window(n, pg, pd), own)
                and all(any(power_covers(x, y) for x in pg.powers) for y in g.powers)]

    def holds_by_law(self, d: m.Decision, g: m.Grant) -> bool:
        """Does the delegator hold every power of the grant by law? Then its grants rest on the law,
        not on a grant it received for something else (the chair's delegation to the burgemeester
        is no parent of the burgemeester's own delegation)."""
        return all(any(self.cat.law_sources(x, p, e) for x in self.new.offices(d.by))
                   for p in g.powers for e in d.entities)

    def widening(self, path: str, d: m.Decision, g: m.Grant) -> None:
        if g.under is None and self.holds_by_law(d, g):
            return
        for parent in self.parents(d, g):
            for name, child, par in self.wider(parent.limits, g.limits):
                self.add("SCOPE_WIDENS_PARENT", f"{path}.limits.{name}", tr("wider than parent grant {id} ({child} versus {par}); the excess grants nothing", id=parent.id, child=child, par=par))

    def wider(self, pl: m.Limits, cl: m.Limits) -> list[tuple[str, str, str]]:
        """Where the limits of a grant reach outside those of its parent: (field, child, parent)."""
        wider = []
        if pl.max_amount is not None and cl.max_amount is not None and cl.max_amount > pl.max_amount:
            wider.append(("max_amount", str(cl.max_amount), str(pl.max_amount)))
        if pl.annual_ceiling is not None and cl.annual_ceiling is not None and cl.annual_ceiling > pl.annual_ceiling:
            wider.append(("annual_ceiling", str(cl.annual_ceiling), str(pl.annual_ceiling)))
        for name, within in (("budget_keys", key_within),
                             ("units", lambda a, b: b in self.new.unit_ancestors(a)),
                             ("document_types", lambda a, b: a == b), ("issuers", lambda a, b: a == b)):
            extra = widens(getattr(pl, name), getattr(cl, name), within)
            if extra:
                wider.append((name, ", ".join(extra), ", ".join(getattr(pl, name))))
        return wider

    def delegator_power(self, path: str, d: m.Decision, g: m.Grant) -> None:
        n = self.new
        for p in g.powers:
            for entity in d.entities:
                key = (d.by, p, entity, d.effective_from)
                holds = self.holds.get(key)
                if holds is None:  # decisions of one delegator on one date share the answer
                    holds = self.holds[key] = run_check(n, Question(actor=d.by, power=p, on=d.effective_from,
                                                                    entity=entity)).allowed
                if not holds:
                    where = f" ({entity})" if len(d.entities) > 1 else ""
                    self.add("DELEGATOR_LACKS_POWER", f"{path}.powers", tr("{by} does not itself hold {p}{where} on {effective_from}", by=d.by, p=p, where=where, effective_from=d.effective_from))
                    return

    def vacancy(self, path: str, d: m.Decision, g: m.Grant) -> None:
        n = self.new
        if g.to not in n.positions:
            return
        end = d.effective_until or date.max
        if not any(a.from_ <= end and (a.until is None or a.until >= d.effective_from)
                   for a in n.appointments_by_position.get(g.to, ())):
            self.add("VACANT_POSITION", f"{path}.to", tr("position '{to}' is held by nobody while the decision is in force", to=g.to))

    def revocations(self) -> None:
        n = self.new
        for i, rev in enumerate(self.f.revocations):
            target = n.decisions.get(rev.target) or (n.grants[rev.target][1] if rev.target in n.grants else None)
            if target is None:
                self.unknown(f"revocations[{i}].target", rev.target, tr("decision or grant"))


def _overlap(a: tuple[date, date] | None, b: tuple[date, date]) -> bool:
    return a is not None and a[0] <= b[1] and b[0] <= a[1]


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class _IndexedValidator(_Validator):
    """The validator of a bulk import: the same checks and findings as `_Validator` (the
    reference, `validate(..., reference=True)`; tests/test_import_fast.py holds the two to the same
    findings), with what one grant shares with the others of its delegator worked out once.

    - The grants a delegator received, with the period each is in force, are listed once per
      delegator; the candidate parents of a grant (for the legality of a subdelegation and for the
      widening test) once per (delegator, period, power or powers and entities); only the grant
      itself is taken out per grant.
    - The legality of a step is decided once per (delegator, recipient, legal basis, power, ...)
      (`rules.legality.parties_verdict`), not once per grant.
    - The delegator's own power (DELEGATOR_LACKS_POWER) is the answer of `evaluate.check` to the
      bare question (delegator, power, entity, date), found the way `check` finds it, but lazily:
      the candidate chains of a principal are enumerated and compiled in the order and up to the
      bound `check` uses, shared by every date, and the search stops at the first chain that
      holds, instead of compiling every chain of every delegator.
    """

    def __init__(self, f: m.RegisterFile, file: str, state: RegisterState, today: date):
        super().__init__(f, file, state, today)
        self._windows: dict[tuple[int, int], r.Window | None] = {}
        self._incoming: dict[str, list[tuple[m.Grant, m.Decision, r.Window | None]]] = {}
        self._covering: dict[tuple, list[tuple[m.Grant, m.Decision, r.Window | None]]] = {}
        self._entities_of: dict[tuple[str, str], tuple[str, ...]] = {}
        self._sources: dict[tuple, tuple[list[tuple[m.Grant, m.Decision]], frozenset[str]]] = {}
        self._parents: dict[tuple, tuple[list[m.Grant], frozenset[str]]] = {}
        self._by_law: dict[tuple, bool] = {}
        self._unions: dict[tuple[int, str | None], tuple[tuple, tuple, tuple]] = {}
        self._wider: dict[tuple, tuple[str, str, str] | None] = {}
        self._kept: dict[tuple, str | None] = {}
        self._holdings: _Holdings | None = None

    def window(self, g: m.Grant, d: m.Decision) -> r.Window | None:
        key = (id(g), id(d))
        try:
            return self._windows[key]
        except KeyError:
            found = self._windows[key] = r.grant_window(self.new, g, d)
            return found

    def incoming(self, by: str) -> list[tuple[m.Grant, m.Decision, r.Window | None]]:
        """The grants made to the delegator (and to the offices it holds with it), in the order of
        `grants_to`, each with its period."""
        found = self._incoming.get(by)
        if found is None:
            n = self.new
            found = self._incoming[by] = [(pg, pd, self.window(pg, pd)) for p in n.offices(by)
                                          for pg, pd in n.grants_to.get(p, ())]
        return found

    def sources(self, d: m.Decision, g: m.Grant, power: str) -> list[tuple[m.Grant, m.Decision]]:
        n = self.new
        if g.under is not None:
            return [n.grants[g.under]] if g.under in n.grants else []
        items, ids = self._shared_sources(d, g, power)
        return [x for x in items if x[0].id != g.id] if g.id in ids else items

    def _shared_sources(self, d: m.Decision, g: m.Grant, power: str) -> tuple[list, frozenset[str]]:
        """The possible parents of a grant without `under` (before the grant itself is taken out)."""
        own = self.window(g, d) or (d.effective_from, d.effective_from)
        key = (d.by, own, power)
        found = self._sources.get(key)
        if found is None:
            items = [(pg, pd) for pg, pd, w in self.covering(d.by, power) if _overlap(w, own)]
            found = self._sources[key] = (items, frozenset(pg.id for pg, _pd in items))
        return found

    def verdict(self, d: m.Decision, g: m.Grant, power: str, doc: str | None) -> r.Verdict | None:
        key = (g.id, power, doc)
        found = self.verdicts.get(key, _MISSING)
        if found is not _MISSING:
            return found
        self.verdicts[key] = None  # a cycle through 'under' carries nothing
        carried = self._carried(d, g, power, doc)
        found = parties_verdict(self.new, d, g, power, doc, d.effective_from, d.entities, carried[0], carried[1],
                                carried[2])
        self.verdicts[key] = found
        return found

    def _carried(self, d: m.Decision, g: m.Grant, power: str, doc: str | None) -> tuple[tuple, tuple, tuple]:
        """The rules the lawful parents of a step carry on (as `_Validator.verdict` gathers them).
        Grants with the same possible parents share them once every parent is decided (a parent
        still being decided, on a cycle, carries nothing for now: then they are not shared)."""
        shared = None
        if g.under is None:
            items, ids = self._shared_sources(d, g, power)
            if g.id in ids:
                sources = [x for x in items if x[0].id != g.id]
            else:
                sources = items
                shared = (id(items), doc)
                found = self._unions.get(shared)
                if found is not None:
                    return found
        else:
            n = self.new
            sources = [n.grants[g.under]] if g.under in n.grants else []
        carried: dict[str, m.Rule] = {}
        carried_local: dict[str, m.Rule] = {}
        pending = False
        for pg, pd in sources:
            v = self.verdict(pd, pg, power, doc)
            if v is None:
                pending = True
            elif v.failure is None:
                carried.update({x.id: x for x in v.lawful})
                carried_local.update({x.id: x for x in v.local})
        found = (tuple(carried.values()), tuple(carried_local.values()), (tuple(carried), tuple(carried_local)))
        if shared is not None and not pending:
            self._unions[shared] = found
        return found

    def kept_below(self, d: m.Decision, power: str) -> str | None:
        # `_keepers` reads of the decision its delegator's kinds on the date and its legal basis
        dated = d.by in self.new.persons
        key = (d.by, d.effective_from if dated else None, d.legal_basis, power)
        try:
            return self._kept[key]
        except KeyError:
            found = self._kept[key] = super().kept_below(d, power)
            return found

    def parents(self, d: m.Decision, g: m.Grant) -> list[m.Grant]:
        n = self.new
        if g.under is not None:
            return [n.grants[g.under][0]] if g.under in n.grants else []
        own = self.window(g, d) or (d.effective_from, d.effective_from)
        key = (d.by, own, d.entities, g.powers)
        found = self._parents.get(key)
        if found is None:
            items = [pg for pg, _pd, w in self.covering_all(d.by, d.entities, g.powers) if _overlap(w, own)]
            found = self._parents[key] = (items, frozenset(pg.id for pg in items))
        items, ids = found
        return [pg for pg in items if pg.id != g.id] if g.id in ids else items

    def decision(self, i: int, d: m.Decision) -> None:
        # What its grants share (the decision is known, its entities) is worked out once for them.
        path, rule, by_known = self.decision_checks(i, d)
        known = rule is not None and by_known and all(e in self.cat.entities for e in d.entities)
        for j, g in enumerate(d.grants):
            self._grant(f"{path}.grants[{j}]", d, g, known)

    def entity_scope(self, path: str, d: m.Decision, g: m.Grant) -> None:
        lim = g.limits
        if not lim.issuers and not lim.units:
            return
        covered = set(d.entities)
        for name, items, entity_of in (("issuers", lim.issuers, self._issuer_entities),
                                       ("units", lim.units, self._unit_entities)):
            for k, x in enumerate(items):
                own = entity_of(x)
                if own and not covered & set(own):
                    self.add("DELEGATOR_LACKS_POWER", f"{path}.limits.{name}[{k}]", tr("{x} belongs to {join}; decision {id} covers only {join2}, so this part grants nothing (record the decision for {join3})", x=x, join=', '.join(own), id=d.id, join2=', '.join(d.entities), join3=', '.join(sorted(covered | set(own)))))

    def _issuer_entities(self, x: str) -> tuple[str, ...]:
        return self.cat.entities_of(x)

    def _unit_entities(self, x: str) -> tuple[str, ...]:
        key = ("unit", x)
        found = self._entities_of.get(key)
        if found is None:
            e = self.new.unit_entity(x)
            found = self._entities_of[key] = (e,) if e else ()
        return found

    def holds_by_law(self, d: m.Decision, g: m.Grant) -> bool:
        key = (d.by, g.powers, d.entities)
        found = self._by_law.get(key)
        if found is None:
            found = self._by_law[key] = super().holds_by_law(d, g)
        return found

    def wider(self, pl: m.Limits, cl: m.Limits) -> list[tuple[str, str, str]]:
        wider = []
        if pl.max_amount is not None and cl.max_amount is not None and cl.max_amount > pl.max_amount:
            wider.append(("max_amount", str(cl.max_amount), str(pl.max_amount)))
        if pl.annual_ceiling is not None and cl.annual_ceiling is not None and cl.annual_ceiling > pl.annual_ceiling:
            wider.append(("annual_ceiling", str(cl.annual_ceiling), str(pl.annual_ceiling)))
        for name in ("budget_keys", "units", "document_types", "issuers"):
            parent, child = getattr(pl, name), getattr(cl, name)
            if parent and child:
                found = self._extra(name, parent, child)
                if found is not None:
                    wider.append(found)
        return wider

    def _extra(self, name: str, parent: tuple[str, ...], child: tuple[str, ...]) -> tuple[str, str, str] | None:
        """(field, the child's items outside the parent's, the parent's), or None; siblings share it."""
        key = (name, parent, child)
        try:
            return self._wider[key]
        except KeyError:
            pass
        if name == "budget_keys":
            extra = widens(parent, child, key_within)
        elif name == "units":
            ancestors = self.new.ancestors
            extra = widens(parent, child, lambda a, b: b in ancestors(a))
        else:
            extra = [c for c in child if c not in parent]
        found = self._wider[key] = (name, ", ".join(extra), ", ".join(parent)) if extra else None
        return found

    def delegator_power(self, path: str, d: m.Decision, g: m.Grant) -> None:
        for p in g.powers:
            for entity in d.entities:
                key = (d.by, p, entity, d.effective_from)
                holds = self.holds.get(key)
                if holds is None:
                    holds = self.holds[key] = self.allowed(d.by, p, entity, d.effective_from)
                if not holds:
                    where = f" ({entity})" if len(d.entities) > 1 else ""
                    self.add("DELEGATOR_LACKS_POWER", f"{path}.powers", tr("{by} does not itself hold {p}{where} on {effective_from}", by=d.by, p=p, where=where, effective_from=d.effective_from))
                    return

    def allowed(self, actor: str, power: str, entity: str, on: date) -> bool:
        if self._holdings is None:
            self._holdings = _Holdings(self.new)
        return self._holdings.allowed(actor, power, entity, on)


CAP = MAX_CANDIDATES + 1  # more chains than `check` looks at
_MISSING = object()


class _Holdings:
    """Does a principal hold a power on a date? `evaluate.check(state, Question(actor, power, on,
    entity=entity)).allowed`, answered from indexes instead of one full check per question.

    `check` searches the chains from the law down to the actor (`search._sources`, depth-first,
    up to MAX_CANDIDATES chains, MAX_DEPTH grants deep, never through a grant twice), keeps those
    in force on the date and evaluates each (`compiled.evaluate`). For a bare question (no amount,
    budget key, unit, document type, issuer, matter or person concerned) the evaluation of one
    chain reduces to: the legality of every step (at any date, or on the date when a person
    delegates or receives), the subdelegation limits, no grant that excludes the power, no yearly
    ceiling of zero, no grant for an absence while the holder is present, and the actor's own
    replacement or acting appointment (the tail). Those are the same rule functions, asked here
    of each chain in force on the date.

    The chains in force on a date are enumerated per (principal, power, entity, date) and shared
    by every principal below. That is exactly `check`'s set of chains when, above the principal,
    no grant can be reached twice (then `seen` never cuts), no path is deeper than MAX_DEPTH and
    the whole search (every date) finds at most MAX_CANDIDATES chains (then `check` does not cut
    either): `_exact` establishes that per (principal, power, entity). Otherwise the chains are
    found the way `check` finds them (`_LazyHeads`). A register with a grant id used twice (an
    error anyway) always takes that way.
    """

    def __init__(self, state: RegisterState):
        self.n = state
        self.cat = state.catalogue
        self.unique = sum(len(d.grants) for d in state.decisions.values()) == len(state.grants)
        self.windows: dict[str, r.Window | None] = {}
        self.tails: dict[str, list] = {}
        self.lazy: dict[tuple[str, str, str], _LazyHeads] = {}
        self.exact: dict[tuple[str, str, str], bool] = {}
        self.colour: dict[tuple, int] = {}  # 1: on the path, 2: nothing above it comes back
        self.shape: dict[tuple, tuple[int, int]] = {}  # (count, height) of the search above a node
        self.chains: dict[tuple, list[tuple[str, ...]]] = {}
        self.incoming: dict[tuple[str, str, str], list[tuple[m.Grant, m.Decision, r.Window | None]]] = {}
        self.static: dict[tuple, tuple[bool, bool, tuple[str, ...], int]] = {}
        self.legal: dict[tuple, tuple | None] = {}
        self.grant_ok: dict[tuple[str, str], bool] = {}
        self.absent: dict[tuple[str, date], bool] = {}
        self.tail_ok: dict[tuple[str, int, date], bool] = {}

    # -- the answer ----------------------------------------------------------------------------
    def allowed(self, actor: str, power: str, entity: str, on: date) -> bool:
        n = self.n
        tails = self.tails.get(actor)
        if tails is None:
            tails = self.tails[actor] = search_tails(n, actor)
        q: Question | None = None
        for i, t in enumerate(tails):
            if not t.window[0] <= on <= t.window[1]:
                continue  # no chain meets the tail on the date
            if self.unique and self._exact(t.principal, power, entity):
                chains = self._chains_src(t.principal, power, entity, on)
                if not chains or not self._tail_ok(actor, i, t, power, entity, on):
                    continue
                for chain in chains:
                    if self._holds(chain, power, entity, on):
                        return True
                continue
            if q is None:
                q = Question(actor=actor, power=power, on=on, entity=entity)
            if self._lazy(t, i, q):
                return True
        return False

    def _lazy(self, t: Any, i: int, q: Question) -> bool:
        """The tail's chains as `check` finds and evaluates them."""
        n = self.n
        key = (t.principal, q.power, q.entity)
        heads = self.lazy.get(key)
        if heads is None:
            heads = self.lazy[key] = _LazyHeads(n, t.principal, q.power, q.entity)  # type: ignore[arg-type]
        a = r.asked(n, q)
        on = q.on
        for cc in heads.in_force(t.window, on):
            w = r.meet(t.window, (cc.start, cc.end))
            if w is None or not w[0] <= on <= w[1]:
                continue
            e = evaluate_chain(n, a, Candidate((cc.law, *cc.grants, *t.steps), cc, t.steps, w[0], w[1]),
                               r.no_usage, True)
            if e is not None and not e.reasons:
                return True
        return False

    def window(self, g: m.Grant, d: m.Decision) -> r.Window | None:
        try:
            return self.windows[g.id]
        except KeyError:
            found = self.windows[g.id] = r.grant_window(self.n, g, d)
            return found

    def _incoming(self, p: str, power: str, entity: str) -> list[tuple[m.Grant, m.Decision, r.Window | None]]:
        """The grants to office `p` that `search._sources` follows for this power and entity, with
        the period each is in force."""
        key = (p, power, entity)
        found = self.incoming.get(key)
        if found is None:
            found = self.incoming[key] = [(g, d, self.window(g, d)) for g, d in self.n.grants_to.get(p, ())
                                          if any(power_covers(x, power) for x in g.powers) and entity in d.entities]
        return found

    # -- is the indexed enumeration the one `check` does? ---------------------------------------
    def _exact(self, principal: str, power: str, entity: str) -> bool:
        key = (principal, power, entity)
        found = self.exact.get(key)
        if found is None:
            found = False
            if self._acyclic(("p", principal), power, entity):
                count, height = self._shape_src(principal, power, entity, r.ALWAYS)
                found = count <= MAX_CANDIDATES and height <= MAX_DEPTH
            self.exact[key] = found
        return found

    def _above(self, node: tuple, power: str, entity: str) -> list[tuple]:
        if node[0] == "p":  # a principal: the grants to it and to its offices
            return [("g", g.id) for p in self.n.offices(node[1]) for g, _d, _w in self._incoming(p, power, entity)]
        g, d = self.n.grants[node[1]]
        if g.under is not None:
            return [("g", g.under)] if g.under in self.n.grants else []
        return [("p", d.by)]

    def _acyclic(self, start: tuple, power: str, entity: str) -> bool:
        """No node above `start` lies above itself (iterative depth-first search, white, grey, black)."""
        colour = self.colour
        k0 = (start, power, entity)
        if colour.get(k0) == 2:
            return True
        if colour.get(k0) == 3:
            return False
        stack = [(start, iter(self._above(start, power, entity)))]
        colour[k0] = 1
        path = [k0]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                colour[path.pop()] = 2
                continue
            k = (child, power, entity)
            c = colour.get(k)
            if c == 2:
                continue
            if c == 1 or c == 3:
                for x in path:  # everything on the path reaches the cycle
                    colour[x] = 3
                return False
            colour[k] = 1
            path.append(k)
            stack.append((child, iter(self._above(child, power, entity))))
        return True

    def _shape_src(self, principal: str, power: str, entity: str, window: r.Window) -> tuple[int, int]:
        """(chains, grants deep) of `search._sources(principal, ..., window)`, the count capped at CAP."""
        key = ("p", principal, power, entity, window)
        found = self.shape.get(key)
        if found is None:
            total, height = 0, 0
            cat = self.cat
            for p in self.n.offices(principal):
                for src in cat.law_sources(p, power, entity):
                    if r.meet(window, r.rule_window(src.rule)) is not None:
                        total += 1
                start, end = window
                for g, d, w in self._incoming(p, power, entity):
                    if w is None or w[0] > end or start > w[1]:
                        continue  # pruned: the grant is not in force in the window
                    c, h = self._shape_through(g, d, power, entity, window)
                    total, height = total + c, max(height, h)
                    if total >= CAP:  # more than `check` looks at: not exact, whatever lies deeper
                        self.shape[key] = (CAP, height)
                        return CAP, height
            found = self.shape[key] = (total, height)
        return found

    def _shape_through(self, g: m.Grant, d: m.Decision, power: str, entity: str,
                       window: r.Window) -> tuple[int, int]:
        own = self.window(g, d)
        narrowed = r.meet(window, own) if own is not None else None
        if narrowed is None:
            return 0, 0
        key = ("g", g.id, power, entity, narrowed)
        found = self.shape.get(key)
        if found is None:
            if g.under is not None:
                parent = self.n.grants.get(g.under)
                c, h = self._shape_through(parent[0], parent[1], power, entity, narrowed) if parent else (0, 0)
            else:
                c, h = self._shape_src(d.by, power, entity, narrowed)
            found = self.shape[key] = (c, h + 1)
        return found

    # -- the chains in force on a date -------------------------------------------------------------
    def _chains_src(self, principal: str, power: str, entity: str, on: date) -> list[tuple[str, ...]]:
        """The grants (ids, from the top down) of every chain from the law to `principal` in force on
        `on`; a chain of the law step alone is ()."""
        key = ("p", principal, power, entity, on)
        found = self.chains.get(key)
        if found is None:
            found = []
            cat = self.cat
            for p in self.n.offices(principal):
                for src in cat.law_sources(p, power, entity):
                    start, end = r.rule_window(src.rule)
                    if start <= on <= end:
                        found.append(())
                for g, d, w in self._incoming(p, power, entity):
                    if w is not None and w[0] <= on <= w[1]:
                        found += self._chains_through(g, d, power, entity, on)
            self.chains[key] = found
        return found

    def _chains_through(self, g: m.Grant, d: m.Decision, power: str, entity: str,
                        on: date) -> list[tuple[str, ...]]:
        """The chains that end with grant `g`, in force on `on` (the grant itself is)."""
        key = ("g", g.id, power, entity, on)
        found = self.chains.get(key)
        if found is None:
            if g.under is not None:
                parent = self.n.grants.get(g.under)
                w = self.window(*parent) if parent else None
                heads = self._chains_through(parent[0], parent[1], power, entity, on) \
                    if w is not None and w[0] <= on <= w[1] else []
            else:
                heads = self._chains_src(d.by, power, entity, on)
            found = self.chains[key] = [(*h, g.id) for h in heads]
        return found

    # -- one chain, as `compiled.evaluate` decides it for a bare question -----------------------------
    def _holds(self, chain: tuple[str, ...], power: str, entity: str, on: date) -> bool:
        if not chain:
            return True  # the law step alone: nothing of a grant can refuse
        ok, dated, absent_only, _depth = self._static(chain, power, entity)
        if not ok:
            return False
        if dated and self._legal(chain, power, entity, on) is None:
            return False
        for position in absent_only:
            if not self._all_absent(position, on):
                return False
        return True

    def _static(self, chain: tuple[str, ...], power: str, entity: str) -> tuple[bool, bool, tuple[str, ...], int]:
        """What does not depend on the date, from that of the chain without its last grant:
        (no reason yet, legality depends on the date, the positions whose holder must be absent,
        the last index the subdelegation limits above allow).

        `rules.subdelegation` refuses step i when the grant above it does not allow subdelegation
        or when some grant j above allows it to fewer than i - j levels; `compiled.evaluate` also
        refuses a chain with a grant that excludes the power or a yearly ceiling of zero, and one
        with a step that is unlawful at any date (unless a person delegates or receives: then on
        the date)."""
        key = (chain, power, entity)
        found = self.static.get(key)
        if found is not None:
            return found
        n = self.n
        g, d = n.grants[chain[-1]]
        i = len(chain) - 1
        if i == 0:
            ok, dated, absent_only, deadline = True, False, (), 1 << 30
        else:
            ok, dated, absent_only, deadline = self._static(chain[:-1], power, entity)
            if ok:
                parent = n.grants[chain[-2]][0].subdelegation
                ok = parent.allowed and i <= deadline
        if g.subdelegation.allowed:
            deadline = min(deadline, i + g.subdelegation.levels)
        dated = dated or g.to in n.persons or d.by in n.persons
        ok = ok and self._grant_ok(g.id, power)
        position = g.limits.only_when_absent
        if position is not None:
            absent_only = (*absent_only, position)
        found = self.static[key] = (ok, dated, absent_only, deadline)
        if ok and not dated and self._legal(chain, power, entity, date.min) is None:
            # a step unlawful at any date: `compile_chain` refuses the chain once and for all
            found = self.static[key] = (False, dated, absent_only, deadline)
        return found

    def _legal(self, chain: tuple[str, ...], power: str, entity: str, on: date) -> tuple | None:
        """`rules.chain_legality` step by step, shared by chains with the same top: None when a step
        is unlawful, else the rules the last step carries on."""
        if not chain:
            return (), ()
        key = (chain, power, entity, on)
        try:
            return self.legal[key]
        except KeyError:
            pass
        above = self._legal(chain[:-1], power, entity, on)
        found = None
        if above is not None:
            g, d = self.n.grants[chain[-1]]
            v = parties_verdict(self.n, d, g, power, None, on, (entity,), above[0], above[1])
            if v.failure is None:
                found = (v.lawful, v.local)
        self.legal[key] = found
        return found

    def _grant_ok(self, grant: str, power: str) -> bool:
        """No exclusion of the power by the grant and no yearly ceiling used up (nothing is used yet
        for a bare question: a ceiling of zero)."""
        key = (grant, power)
        found = self.grant_ok.get(key)
        if found is None:
            lim = self.n.grants[grant][0].limits
            found = not (lim.excluded and self.cat.excluded(lim.excluded, power, None) is not None) and not (
                lim.annual_ceiling is not None and Decimal(0) >= lim.annual_ceiling)
            self.grant_ok[key] = found
        return found

    def _all_absent(self, position: str, on: date) -> bool:
        """`rules.only_when_absent` refuses nothing: every holder of the position is absent on the date."""
        key = (position, on)
        found = self.absent.get(key)
        if found is None:
            n = self.n
            found = self.absent[key] = not [h.person for h in n.holders(position, on) if not n.is_absent(h.person, on)]
        return found

    def _tail_ok(self, actor: str, i: int, t: Any, power: str, entity: str, on: date) -> bool:
        """The actor's replacement or acting appointment holds on the date (`Candidate.checked`)."""
        checked = [s for s in t.steps if isinstance(s, SubstitutionStep)
                   or (isinstance(s, AppointmentStep) and s.rule is not None)]
        if not checked:
            return True
        key = (actor, i, on)
        found = self.tail_ok.get(key)
        if found is None:
            q = Question(actor=actor, power=power, on=on, entity=entity)
            ev = r.Evaluation()
            for step in checked:
                if isinstance(step, SubstitutionStep):
                    r.substitution(ev, self.n, q, step)
                else:
                    r.acting(ev, self.n, q, step)
            found = self.tail_ok[key] = not ev.reasons
        return found


class _LazyHeads:
    """`evaluate.compiled_heads(state, principal, power, entity)` built as far as it is read: the
    same search (up to the same bound) and the same compiled chains, in the same order."""

    def __init__(self, state: RegisterState, principal: str, power: str, entity: str):
        self.state, self.power, self.entity = state, power, entity
        done = state.cache.heads.get((principal, power, entity))
        self.found: list[Any] = []
        self.compiled: list[CompiledChain | None] = []
        if done is not None:
            self.compiled = list(done)
            self.found = [None] * len(done)
            self.more = None
        else:
            self.more = islice(search_sources(state, principal, power, entity, frozenset(), 0, r.ALWAYS, True, False),
                               MAX_CANDIDATES)

    def in_force(self, window: r.Window, on: date):
        """The compiled chains whose period meets `window` and holds `on` (others are not compiled)."""
        i = 0
        while True:
            if i == len(self.compiled):
                if self.more is None:
                    return
                f = next(self.more, None)
                if f is None:
                    self.more = None
                    return
                self.found.append(f)
                self.compiled.append(None)
            cc = self.compiled[i]
            if cc is None:
                f = self.found[i]
                w = r.meet(window, f.window)
                if w is not None and w[0] <= on <= w[1]:
                    cc = self.compiled[i] = compile_chain(self.state, f.steps, f.window, self.power, self.entity)
                    yield cc
            else:
                yield cc
            i += 1


def validate(f: m.RegisterFile, file: str, state: RegisterState, today: date,
             reference: bool = False) -> list[ValidationFinding]:
    """The findings of a register file against the register `state`. `reference`: the plain
    validator, one full check per question it asks (the indexed one must find the same)."""
    if f.administration.jurisdiction is not None and f.administration.jurisdiction not in PACKAGED:
        # without its law nothing else can be checked
        opts = ", ".join(PACKAGED)
        return [ValidationFinding("FORMAT", file, "administration.jurisdiction", tr("expected one of {opts}, found '{jurisdiction}'", opts=opts, jurisdiction=f.administration.jurisdiction))]
    return (_Validator if reference else _IndexedValidator)(f, file, state, today).run()
