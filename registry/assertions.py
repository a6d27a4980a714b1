"""Assertion files (`format: delegaties-assertions/1`, contract section 10): questions with the
answers the administration expects, run against the register with its own `check` and `who`.

    format: delegaties-assertions/1
    assertions:
      - {actor: p-001, power: budgethouderschap.verbintenis, on: 2025-05-02, amount: 8500, allowed: true}
      - {who: {power: medeondertekening, document_type: notulen, issuer: gemeenteraad, on: 2025-05-02},
         persons: [p-003]}

A check assertion holds when the answer's `allowed` is as expected and, if given, every code in
`reasons` (refused) or `conditions` (allowed) is among the answer's. A `who` assertion holds when
exactly the listed persons may. Every assertion names its date (`on`): an expectation without a
date would silently change meaning over time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from delegations.answer import CONDITION_CODES, REASON_CODES, money
from delegations.converter import error_items, structure
from delegations.texts import EMPTY, Text, tr
from delegations.validate import ValidationFinding, format_error

from .errors import AssertionBroken, InputError

if TYPE_CHECKING:
    from .registry import Registry

FORMAT = "delegaties-assertions/1"
MAX_ASSERTIONS = 10_000


@frozen
class CheckAssertion:
    actor: str
    power: str
    on: date
    allowed: bool
    amount: Decimal | None = None
    budget_key: str | None = None
    unit: str | None = None
    document_type: str | None = None
    issuer: str | None = None
    matter: str | None = None
    entity: str = "gemeente"
    reasons: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    name: str | None = None

    def scope(self) -> dict[str, Any]:
        return {"amount": self.amount, "budget_key": self.budget_key, "unit": self.unit,
                "document_type": self.document_type, "issuer": self.issuer, "matter": self.matter, "entity": self.entity}

    def describe(self) -> str:
        parts = [f"{self.actor} {self.power} {self.on.isoformat()}"]
        parts += [f"{k}={money(v) if isinstance(v, Decimal) else v}" for k, v in self.scope().items()
                  if v is not None and not (k == "entity" and v == "gemeente")]
        return " ".join(parts)


@frozen
class WhoQuestion:
    power: str
    on: date
    amount: Decimal | None = None
    budget_key: str | None = None
    unit: str | None = None
    document_type: str | None = None
    issuer: str | None = None
    matter: str | None = None
    entity: str = "gemeente"

    def scope(self) -> dict[str, Any]:
        return {"amount": self.amount, "budget_key": self.budget_key, "unit": self.unit,
                "document_type": self.document_type, "issuer": self.issuer, "matter": self.matter, "entity": self.entity}


@frozen
class WhoAssertion:
    who: WhoQuestion
    persons: tuple[str, ...]
    name: str | None = None

    def describe(self) -> str:
        q = self.who
        parts = [f"who {q.power} {q.on.isoformat()}"]
        parts += [f"{k}={money(v) if isinstance(v, Decimal) else v}" for k, v in q.scope().items()
                  if v is not None and not (k == "entity" and v == "gemeente")]
        return " ".join(parts)


Assertion = CheckAssertion | WhoAssertion


@frozen
class AssertionFile:
    file: str
    assertions: tuple[Assertion, ...]


@frozen
class Outcome:
    """One assertion run: whether it holds, and what was expected and found."""

    index: int
    file: str
    assertion: Assertion
    holds: bool
    expected: dict[str, Any]
    found: dict[str, Any]
    text: Text  # why it is broken (empty when it holds)

    @property
    def path(self) -> str:
        return f"assertions[{self.index}]"

    def label(self) -> str:
        a = self.assertion
        return f"{a.name}: {a.describe()}" if a.name else a.describe()

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        return {"index": self.index, "file": self.file, "path": self.path, "name": self.assertion.name,
                "question": self.assertion.describe(), "holds": self.holds, "expected": self.expected,
                "found": self.found, "text": self.text(lang)}

    def render(self, lang: str = "nl") -> str:
        if self.holds:
            return f"OK        {self.path}: {self.assertion.name or self.assertion.describe()}"
        mark = tr("BROKEN")(lang)
        return f"{mark:<9} {self.file}: {self.path}: {self.label()}\n          {self.text(lang)}"


# -- reading --------------------------------------------------------------------------------

def read(path: str | Path) -> AssertionFile:
    """The assertion file, or InputError with FORMAT findings naming the path and what was expected."""
    from .files import FileProblem, read_file

    name = str(path)
    try:
        data = read_file(path)
    except FileProblem as exc:
        raise _bad(name, [exc.finding]) from None
    return parse(data, name)


def parse(data: Any, name: str) -> AssertionFile:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = repr(data.get("format")) if isinstance(data, dict) and "format" in data else type(data).__name__ \
            if not isinstance(data, dict) else tr("nothing")
        raise _bad(name, [format_error(name, "format", tr("'{FORMAT}'", FORMAT=FORMAT), found)])
    extra = sorted(set(data) - {"format", "assertions"})
    problems = [format_error(name, k, tr("only the keys format and assertions"))
                for k in extra]
    items = data.get("assertions")
    if not isinstance(items, list) or not items:
        problems.append(format_error(name, "assertions", tr("a non-empty list of assertions")))
        raise _bad(name, problems)
    if len(items) > MAX_ASSERTIONS:
        problems.append(format_error(name, "assertions", tr("at most {MAX_ASSERTIONS} assertions", MAX_ASSERTIONS=MAX_ASSERTIONS), str(len(items))))
        raise _bad(name, problems)
    out: list[Assertion] = []
    for i, item in enumerate(items):
        where = f"assertions[{i}]"
        if not isinstance(item, dict):
            problems.append(format_error(name, where, tr("an object with keys"),
                                         type(item).__name__))
            continue
        cls = WhoAssertion if "who" in item else CheckAssertion
        if cls is WhoAssertion and not isinstance(item["who"], dict):
            problems.append(format_error(name, f"{where}.who", tr("an object with keys (power, on, ...)")))
            continue
        try:
            a = structure(item, cls)
        except Exception as exc:  # noqa: BLE001 - cattrs raises exception groups; we flatten them
            problems += [format_error(name, f"{where}.{p}" if p else where, expected) for p, expected in error_items(exc)]
            continue
        problems += _codes(name, where, a)
        out.append(a)
    if problems:
        raise _bad(name, problems)
    return AssertionFile(name, tuple(out))


def _codes(name: str, where: str, a: Assertion) -> list[ValidationFinding]:
    if not isinstance(a, CheckAssertion):
        return []
    out = []
    for key, codes, known, needs in (("reasons", a.reasons, REASON_CODES, False), ("conditions", a.conditions,
                                                                                    CONDITION_CODES, True)):
        if codes and a.allowed is not needs:
            out.append(format_error(name, f"{where}.{key}", tr("{key} only with allowed: {value}", key=key, value='true' if needs else 'false')))
        for j, code in enumerate(codes):
            if code not in known:
                out.append(format_error(name, f"{where}.{key}[{j}]", tr("one of {join}", join=', '.join(known)), code))
    return out


def _bad(name: str, findings: list[ValidationFinding]) -> InputError:
    return InputError(tr("{name}: not a valid assertion file ('format: {FORMAT}')", name=name, FORMAT=FORMAT), findings)


# -- running --------------------------------------------------------------------------------

def run(reg: Registry, af: AssertionFile, as_known_on: Any = None) -> list[Outcome]:
    """Every assertion against the register (as known at `as_known_on`). Ids the register does
    not know are an InputError naming the assertion: the file, not the register, is wrong."""
    out: list[Outcome] = []
    problems: list[ValidationFinding] = []
    for i, a in enumerate(af.assertions):
        try:
            out.append(_run_one(reg, af.file, i, a, as_known_on))
        except InputError as exc:
            problems.append(ValidationFinding("UNKNOWN_REFERENCE", af.file, f"assertions[{i}]", exc.text))
    if problems:
        raise InputError(tr("{file}: assertions refer to what the register does not know", file=af.file), problems)
    return out


def _run_one(reg: Registry, file: str, i: int, a: Assertion, as_known_on: Any) -> Outcome:
    if isinstance(a, CheckAssertion):
        answer = reg.check(a.actor, a.power, a.on, as_known_on=as_known_on, **a.scope())
        reasons = sorted({r.code for r in answer.reasons}) if not answer.allowed else []
        conditions = sorted({c.code for c in answer.conditions})
        missing = [c for c in a.conditions if c not in conditions] if a.allowed else [c for c in a.reasons if c not in reasons]
        holds = answer.allowed is a.allowed and not missing
        expected: dict[str, Any] = {"allowed": a.allowed}
        if a.reasons:
            expected["reasons"] = list(a.reasons)
        if a.conditions:
            expected["conditions"] = list(a.conditions)
        found = {"allowed": answer.allowed, "reasons": reasons, "conditions": conditions,
                 "chain": list(answer.grants)}
        return Outcome(i, file, a, holds, expected, found, EMPTY if holds else _why_check(a, answer, missing))
    state = reg.state(as_known_on)
    for j, p in enumerate(a.persons):
        if p not in state.persons:
            raise InputError(tr("persons[{j}]: '{p}' is not a known person", j=j, p=p))
    answers = reg.who(a.who.power, a.who.on, as_known_on=as_known_on, **a.who.scope())
    found_persons = sorted({x.question.actor for x in answers})
    expected_persons = sorted(set(a.persons))
    holds = found_persons == expected_persons
    missing, extra = sorted(set(expected_persons) - set(found_persons)), sorted(set(found_persons) - set(expected_persons))
    text = EMPTY
    if not holds:
        may_not, may_also = ", ".join(missing), ", ".join(extra)
        if missing and extra:
            text = tr("may not (expected to): {missing}; may as well (not expected): {extra}", missing=may_not, extra=may_also)
        elif missing:
            text = tr("may not (expected to): {missing}", missing=may_not)
        else:
            text = tr("may as well (not expected): {extra}", extra=may_also)
    return Outcome(i, file, a, holds, {"persons": expected_persons}, {"persons": found_persons}, text)


def _why_check(a: CheckAssertion, answer: Any, missing: list[str]) -> Text:
    if answer.allowed is not a.allowed:
        if answer.allowed:
            chain = " -> ".join(answer.grants) or "-"
            return tr("expected refused, but allowed (chain: {chain})", chain=chain)
        first = answer.reasons[0] if answer.reasons else None
        if first is None:
            return tr("expected allowed, but refused (-)")
        return tr("expected allowed, but refused ({code}: {reason})", code=first.code, reason=first.text)
    if a.allowed:
        return tr("expected among the conditions: {join}; not found", join=", ".join(missing))
    return tr("expected among the reasons: {join}; not found", join=", ".join(missing))


def broken(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if not o.holds]


def guard(af: AssertionFile) -> Callable[[Registry], None]:
    """For `Registry.load(before_commit=...)`: refuse (roll back) an import that leaves any assertion broken."""
    def check(reg: Registry) -> None:
        bad = broken(run(reg, af))
        if bad:
            raise AssertionBroken(tr("Nothing imported: {count} assertion(s) of {file} would no longer hold.", count=len(bad), file=af.file), bad)

    return check
