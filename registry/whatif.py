"""What-if: what importing files would change in who may do what, or what changed between two
moments of the register (contract section 10).

The comparison asks the library's own check, never a second copy of the rules: for every person
and power that either state could give authority to, and for every date at which anything in
either state starts or ends, it asks the same question `check` would answer, in both states,
and compares the answers (allowed, effective limits, conditions, chains, signature mention,
reporting). Between two such dates no entity starts or ends, so the answers cannot change there.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from delegations import model as m
from delegations.answer import Answer, Question
from delegations.converter import unstructure
from delegations.search import who_candidates
from delegations.state import KINDS as ENTITY_KINDS
from delegations.state import RegisterState
from delegations.texts import tr

from .errors import InputError
from .impact import Impact, impact

if TYPE_CHECKING:
    from delegations.validate import ValidationFinding

    from .registry import Registry

FORMAT = "delegaties-diff/1"
KINDS = ("gained", "lost", "changed")
ASPECTS = ("limits", "conditions", "chains", "signature_mention", "reporting")
# Decision fields that change what each of its grants gives.
DECISION_FIELDS = ("by", "entity", "legal_basis", "effective_from", "effective_until")


@frozen
class Side:
    """One side of a comparison: a register state and how to ask it a question."""

    state: RegisterState
    ask: Callable[[Question], Answer]
    label: dict[str, Any]


@frozen
class Profile:
    """What an allowed answer gives: the parts of `check --json` that describe the authority."""

    limits: dict[str, Any]
    conditions: tuple[dict[str, Any], ...]
    chains: tuple[tuple[str, ...], ...]  # as `check` prefers them, the first is the one relied on
    signature_mention: str | None
    reporting: tuple[dict[str, Any], ...]
    # Equal for equal authority (the order in which chains are preferred is not compared); set by `of`.
    key: str = field(default="", eq=False, repr=False)

    @classmethod
    def of(cls, limits: dict[str, Any], conditions: tuple[dict[str, Any], ...], chains: tuple[tuple[str, ...], ...],
           signature_mention: str | None, reporting: tuple[dict[str, Any], ...]) -> Profile:
        key = json.dumps([limits, conditions, sorted(chains), signature_mention, reporting], sort_keys=True, default=str)
        return cls(limits, conditions, chains, signature_mention, reporting, key)

    def to_dict(self) -> dict[str, Any]:
        return {"limits": self.limits, "conditions": list(self.conditions), "chains": [list(c) for c in self.chains],
                "signature_mention": self.signature_mention, "reporting": list(self.reporting)}

    def aspect(self, name: str) -> str:
        return _canon(sorted(self.chains) if name == "chains" else self.to_dict()[name])


@frozen
class Change:
    """Authority of one person for one power (and legal entity) that differs in [start, end]."""

    kind: str  # gained | lost | changed
    person: str
    name: str
    power: str
    entity: str
    start: date | None  # None: since always
    end: date | None  # None: open-ended
    before: Profile | None
    after: Profile | None

    @property
    def aspects(self) -> tuple[str, ...]:
        if self.before is None or self.after is None:
            return ()
        return tuple(x for x in ASPECTS if self.before.aspect(x) != self.after.aspect(x))

    def to_dict(self) -> dict[str, Any]:
        out = {"person": self.person, "name": self.name, "power": self.power, "entity": self.entity,
               "from": _iso(self.start), "until": _iso(self.end),
               "before": self.before.to_dict() if self.before else None,
               "after": self.after.to_dict() if self.after else None}
        if self.kind == "changed":
            out["aspects"] = list(self.aspects)
        return out


@frozen
class GrantChange:
    kind: str  # new | changed | revoked
    grant: str
    decision: str
    to: str
    powers: tuple[str, ...]
    fields: tuple[str, ...] = ()  # changed: what differs, e.g. limits.max_amount, decision.effective_from
    revocation: dict[str, Any] | None = None  # revoked: the revocation that now applies
    previous: dict[str, Any] | None = None  # revoked: the one that applied before, if any

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"grant": self.grant, "decision": self.decision, "to": self.to, "powers": list(self.powers)}
        if self.kind == "changed":
            out["fields"] = list(self.fields)
        if self.kind == "revoked":
            out["revocation"] = self.revocation
            out["previous"] = self.previous
        return out


@frozen
class Diff:
    before: dict[str, Any]
    after: dict[str, Any]
    changes: tuple[Change, ...]
    grants: tuple[GrantChange, ...]
    findings: tuple[Any, ...] = ()  # ValidationFinding
    files: tuple[str, ...] = ()
    administration: dict[str, str] | None = None

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def grants_of(self, kind: str) -> list[GrantChange]:
        return [g for g in self.grants if g.kind == kind]

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "kind": "diff", "lang": lang, "administration": self.administration,
                               "files": list(self.files), "before": self.before, "after": self.after}
        for kind in KINDS:
            out[kind] = [c.to_dict() for c in self.of(kind)]
        out["grants"] = {kind: [g.to_dict() for g in self.grants_of(kind)] for kind in ("new", "changed", "revoked")}
        out["findings"] = [f.to_dict(lang) for f in self.findings]
        return out


# -- entry points ---------------------------------------------------------------------------

def diff_files(reg: Registry, *paths: str | Path, today: date | None = None) -> Diff:
    """What importing `paths` would change; nothing is written. An import that would be refused
    changes nothing: that is an InputError with the findings, as `import` would raise."""
    findings = reg.validate(*paths, today=today)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise InputError(tr("Nothing to compare: the import would be refused ({count} error(s)).", count=len(errors)), findings)
    before = reg.state()
    after = after_state(before, paths)
    seq, head = reg.head
    label = {"register": {"seq": seq, "head": head}, "as_known_on": None}
    return compare(Side(before, lambda q: reg.ask(q), label),
                   Side(after, lambda q: reg.ask(q, state=after), {**label, "files": [str(p) for p in paths]}),
                   findings=findings, files=tuple(str(p) for p in paths))


def diff_moments(reg: Registry, as_known_on: Any, to: Any = None) -> Diff:
    """What the register as known at `to` (default: now) gives differently from the register as
    known at `as_known_on`. Both sides count the uses as known at `to`, so the comparison shows
    what the recorded decisions changed, not what was spent in between."""
    from .registry import parse_moment

    t1, t2 = parse_moment(as_known_on), parse_moment(to)
    if t1 is None:
        raise InputError(tr("as_known_on: expected a date or time stamp"))
    sides = []
    for t in (t1, t2):
        state = reg.state(t)
        seq, head = reg.head_at(t)
        sides.append(Side(state, lambda q, s=state: reg.ask(q, state=s, moment=t2),
                          {"register": {"seq": seq, "head": head}, "as_known_on": t}))
    return compare(*sides)


def after_state(state: RegisterState, paths: Iterable[str | Path]) -> RegisterState:
    """The state an import of valid files would leave: each file merged on top, in order."""
    from delegations.validate import merged_state, parse

    from .files import read_file

    for path in paths:
        f, _problems = parse(read_file(path), str(path))
        state = merged_state(state, f)
    return state


# -- the comparison -------------------------------------------------------------------------

def compare(before: Side, after: Side, findings: Iterable[ValidationFinding] = (), files: tuple[str, ...] = (),
            narrow: bool = True) -> Diff:
    """The differences between two sides. `narrow=False` asks every person, power and date (the
    reference the narrowed comparison is tested against)."""
    changes: list[Change] = []
    dates = breakpoints(before.state, after.state)
    if dates:
        where = impact(before.state, after.state) if narrow else None
        first = dates[0]
        if where is not None:
            # Keep the dates inside the periods where answers may differ, and the day after each.
            dates = [d for d in dates if where.covers(d) or (d > date.min and where.covers(d - timedelta(days=1)))]
        for person, power, entity in questions(before.state, after.state, where):
            changes += _changes(before, after, person, power, entity, dates, first)
    changes.sort(key=lambda c: (KINDS.index(c.kind), c.person, c.power, c.entity, c.start or date.min))
    admin = after.state.administration or before.state.administration
    return Diff(before.label, after.label, tuple(changes), tuple(grant_changes(before.state, after.state)),
                tuple(findings), files, {"id": admin.id, "name": admin.name} if admin else None)


def questions(before: RegisterState, after: RegisterState, where: Impact | None = None) -> list[tuple[str, str, str]]:
    """(person, power, entity) to ask about: every person who could hold the power in either
    state, or (narrowed) the persons and powers where the states can differ."""
    powers = sorted({p for s in (before, after) for p in s.catalogue.powers})
    out: set[tuple[str, str, str]] = set()
    if where is not None and where.persons is not None:
        for person, mine in where.persons.items():
            entities = sorted({e for s in (before, after) for e in s.catalogue.entities})
            pairs = mine if mine is not None else [(p, e) for p in powers for e in entities]
            out.update((person, p, e) for p, e in pairs)
        return sorted(out)
    for s in (before, after):
        for power in powers:
            for person in candidates(s, power):
                out.update((person, power, e) for e in s.catalogue.entities)
    return sorted(out)


def candidates(state: RegisterState, power: str) -> set[str]:
    """Every person a chain for `power` can end at: the persons `who` asks about (receivers and
    holders of the power, the holders of those positions, of the offices held with them ex officio,
    their substitutes and those who replace them by law), a superset of those `check` may allow."""
    return {p for p in who_candidates(state, power) if p in state.persons}


def breakpoints(*states: RegisterState) -> list[date]:
    """Every date at which something in the states starts or the day after it ends, and each
    1 January in between (yearly ceilings restart), plus the day before the first."""
    found: set[date] = set()
    seen: set[int] = set()  # states built on one another share their unchanged entities
    for s in states:
        objects = [o for kind in ENTITY_KINDS for o in s.entities(kind).values()] + list(s.catalogue.rules.values())
        for obj in objects:
            if id(obj) not in seen:
                seen.add(id(obj))
                found.update(_dates(obj))
    for d in list(found):
        if d < date.max:
            found.add(d + timedelta(days=1))
    if not found:
        return []
    years = range(min(found).year + 1, min(max(found).year, 9998) + 1)
    found.update(date(y, 1, 1) for y in years)
    first = min(found)
    if first > date.min:
        found.add(first - timedelta(days=1))
    return sorted(found)


def _dates(obj: Any) -> Iterator[date]:
    """Every date anywhere in an entity: model fields added later are covered too, and parts that
    can hold no date (a grant's limits, its reporting duties) are never walked."""
    if isinstance(obj, date):
        yield obj
    elif isinstance(obj, tuple | list):
        for x in obj:
            yield from _dates(x)
    elif attrs.has(type(obj)):
        for name in _dated_fields(type(obj)):
            yield from _dates(getattr(obj, name))


@cache
def _dated_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in attrs.fields(cls) if _may_hold_date(typing.get_type_hints(cls)[f.name]))


def _may_hold_date(tp: Any) -> bool:
    if tp is date or (isinstance(tp, type) and issubclass(tp, date)):
        return True
    if isinstance(tp, type) and attrs.has(tp):
        return bool(_dated_fields(tp))
    return any(_may_hold_date(a) for a in typing.get_args(tp) if a is not Ellipsis)


def profile(ask: Callable[[Question], Answer], q: Question) -> Profile | None:
    """What `check` gives for the question without scope (None when refused). Where a maximum per
    act applies, conditions that depend on the amount (a visum above some amount) come from the
    same question asked at that maximum."""
    answer = ask(q)
    if not answer.allowed:
        return None
    data = answer.to_dict()
    conditions = {_canon(_no_text(c)): _no_text(c) for c in data["conditions"]}
    top = data["effective_limits"].get("max_amount")
    if top is not None:
        at_max = ask(attrs.evolve(q, amount=Decimal(top)))
        if at_max.allowed:
            for c in at_max.to_dict()["conditions"]:
                conditions.setdefault(_canon(_no_text(c)), _no_text(c))
    chains = tuple(dict.fromkeys(tuple(_step_key(s) for s in c) for c in data["chains"]))  # preferred first
    # Which grant carries a duty is in the chains already; the duty itself is to whom, how often, how soon.
    reporting = tuple({k: v for k, v in r.items() if k != "grant"} for r in data["reporting"])
    reporting = tuple({_canon(r): r for r in reporting}.values())
    return Profile.of(data["effective_limits"], tuple(conditions[k] for k in sorted(conditions)), chains,
                      data["signature_mention"], reporting)


def _changes(before: Side, after: Side, person: str, power: str, entity: str, dates: list[date],
             first: date) -> list[Change]:
    out: list[Change] = []
    name = _name(after.state, person) or _name(before.state, person) or person
    current: tuple[date, Profile | None, Profile | None] | None = None  # an open run of one difference
    for i, day in enumerate(dates):
        q = Question(actor=person, power=power, on=day, entity=entity)
        b, a = profile(before.ask, q), profile(after.ask, q)
        same = _same(b, a)
        if current is not None and (same or not (_same(current[1], b) and _same(current[2], a))):
            out.append(_change(person, name, power, entity, current, dates[i] - timedelta(days=1)))
            current = None
        if not same and current is None:
            current = (day, b, a)
    if current is not None:
        out.append(_change(person, name, power, entity, current, None))
    # The first date is the day before anything starts: a difference there holds since always.
    return [attrs.evolve(c, start=None) if c.start == first else c for c in out]


def _same(x: Profile | None, y: Profile | None) -> bool:
    return x is y or (x is not None and y is not None and x.key == y.key)


def _change(person: str, name: str, power: str, entity: str, run: tuple, end: date | None) -> Change:
    start, b, a = run
    kind = "gained" if b is None else "lost" if a is None else "changed"
    return Change(kind, person, name, power, entity, start, end, b, a)


# -- grants ---------------------------------------------------------------------------------

def grant_changes(before: RegisterState, after: RegisterState) -> list[GrantChange]:
    out: list[GrantChange] = []
    for gid in sorted(after.grants):
        g, d = after.grants[gid]
        old = before.grants.get(gid)
        if old is None:
            out.append(GrantChange("new", gid, d.id, g.to, g.powers))
            continue
        fields = [] if old[0] == g else _fields(unstructure(old[0]), unstructure(g))
        fields += [f"decision.{k}" for k in DECISION_FIELDS if getattr(old[1], k) != getattr(d, k)]
        if fields:
            out.append(GrantChange("changed", gid, d.id, g.to, g.powers, tuple(fields)))
        now, then = _revocation(after, g, d), _revocation(before, *old)
        if now is not None and now != then:
            out.append(GrantChange("revoked", gid, d.id, g.to, g.powers, revocation=now, previous=then))
    return out


def _revocation(state: RegisterState, g: m.Grant, d: m.Decision) -> dict[str, Any] | None:
    """The earliest revocation that ends the grant: of the grant itself or of its decision."""
    found = [r for r in (state.revocation_of(g.id), state.revocation_of(d.id)) if r is not None]
    if not found:
        return None
    r = min(found, key=lambda r: r.effective_from)
    return {"target": r.target, "effective_from": r.effective_from.isoformat(), "by": r.by, "reason": r.reason}


def _fields(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _fields(a, b, f"{prefix}{k}.")
        elif _canon(a) != _canon(b):
            out.append(f"{prefix}{k}")
    return out


# -- small helpers --------------------------------------------------------------------------

def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _no_text(finding: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in finding.items() if k not in ("text", "chain")}


def _step_key(step: dict[str, Any]) -> str:
    """A chain step as the register names it, without sources or content hashes (a new title
    or URL changes no authority)."""
    kind = step["step"]
    if kind == "law":
        return f"law:{step['rule']}:{step['holder']}"
    if kind == "grant":
        return f"grant:{step['grant']}"
    if kind == "substitution":
        return f"substitution:{step['position']}:{step['for']}"
    return f"{kind}:{step['position']}"


def _name(state: RegisterState, person: str) -> str | None:
    p = state.persons.get(person)
    return p.name if p else None


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None
