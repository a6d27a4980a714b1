"""Parameters of library calls, validated: a `Question` with known ids, dates, moments, amounts
and references. Errors name the parameter (`actor`, `amount`, `as_known_on`); the front ends
show it under their own name for it."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from delegations.answer import Answer, Question
from delegations.converter import FormatProblem, parse_amount, parse_date
from delegations.evaluate import Usage
from delegations.evaluate import check as evaluate
from delegations.identifiers import identifier_problem, normalize, printable
from delegations.state import RegisterState
from delegations.texts import EMPTY, Text, tr

from .errors import InputError, NotFoundError

MAX_REFERENCE = 200
# A use may be recorded for today in any time zone of the administration, not for a later day.
FUTURE_SKEW = timedelta(days=1)


def answer(state: RegisterState, q: Question, usage: Usage, register: dict[str, Any]) -> Answer:
    """The answer. `usage` reads the register's connection, which, once the answer has left the
    registry, may belong to another thread (the service's pool), sit inside another writer's
    transaction, or see uses recorded after the answer's `seq`. So the pure layer reads every amount
    a refusal's explanation may need while deciding (`evaluate.settled_usage`), and the reasons,
    worked out on first access (at once for a lazily loading state, which reads
    the connection itself), come from the state and the amounts the answer was decided on."""
    found = evaluate(state, q, usage=usage, register=register)
    if not found.allowed and state.reads_register:
        found.reasons  # noqa: B018 - a lazily loading state reads the connection too: explained now
    return found


def suggest(value: str, known: Iterable[str]) -> Text:
    known = list(known)
    lowered = {k.lower(): k for k in known}
    close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.5)]
    if not close:
        return EMPTY
    joined = ", ".join(close)
    return tr("; did you mean: {joined}?", joined=joined)


def must_know(parameter: str, value: str, known: Any, what: Text) -> None:
    if value not in known:  # a set or dict: O(1); the list for suggestions is built only on failure
        s = suggest(value, known) if isinstance(value, str) and len(value) <= MAX_REFERENCE else EMPTY
        shown = printable(value if len(value) <= MAX_REFERENCE else value[:60] + "...")
        raise NotFoundError(tr("'{shown}' is not a known {what}{suggestion}", shown=shown, what=what, suggestion=s),
                            parameter=parameter)


def known_id(value: Any, parameter: str, known: Any, what: Text) -> str:
    """An id that must be one of `known`: NFC-normalised, then looked up (an id with characters
    the register refuses can never be known, so it gets the same answer as any unknown id)."""
    if not isinstance(value, str):
        raise InputError(tr("expected text"), parameter=parameter)
    value = normalize(value)
    must_know(parameter, value, known, what)
    return value


# Finance systems ask about the same few dates, amounts and budget keys over and over: what their
# text parses to is remembered (bounded; only valid values, since a failure raises).
@functools.lru_cache(maxsize=4096)
def _day_of(text: str) -> date:
    return parse_date(text)


@functools.lru_cache(maxsize=4096)
def _amount_of(text: str) -> Decimal:
    return parse_amount(text)


@functools.lru_cache(maxsize=4096)
def _clean(value: str) -> tuple[str, Text | None]:
    value = normalize(value)
    return value, identifier_problem(value)


def identifier(value: Any, parameter: str, *, limit: int = MAX_REFERENCE, what: Text | None = None) -> str:
    """A reference given by a caller: text, NFC, printable, not empty, bounded. `what` names it
    in the error (default: 'value')."""
    if type(value) is str and len(value) <= limit:
        clean, problem = _clean(value)
        if problem is None and value.strip():
            return clean
    what = what or tr("value")
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InputError(tr("expected a non-empty {what} of at most {limit} characters (printable)", what=what, limit=limit),
                         parameter=parameter)
    value = normalize(value)
    problem = identifier_problem(value)
    if problem is not None:
        raise InputError(tr("expected a non-empty {what} of at most {limit} characters (printable) ({problem})", what=what,
                            limit=limit, problem=problem), parameter=parameter)
    return value


def day(value: date | str | None, parameter: str, exact: bool = False) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return _day_of(value) if type(value) is str else parse_date(value)
    except FormatProblem as exc:
        expected = exc.expected if exact else tr("a date YYYY-MM-DD")
        raise InputError(tr("expected {expected}, found '{value}'", expected=expected, value=printable(str(value))[:60]),
                         parameter=parameter) from None


def amount(value: Decimal | str | int | None, parameter: str = "amount") -> Decimal | None:
    if value is None:
        return None
    try:
        found = _amount_of(value) if type(value) is str else parse_amount(value)
    except FormatProblem as exc:
        raise InputError(tr("expected {expected}, found '{value}'", expected=exc.expected, value=value),
                         parameter=parameter) from None
    return found.copy_abs() if found.is_zero() else found  # "-0" is 0.00, not -0.00


def moment(value: str | date | datetime | None, parameter: str = "as_known_on") -> str | None:
    """A moment of knowledge as a UTC ISO string; a bare date means the end of that day."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            if not 1800 <= value.year <= 2999:
                raise ValueError(value)
        except ValueError:
            raise InputError(tr("expected a date YYYY-MM-DD or a time stamp YYYY-MM-DDTHH:MM[:SS][+00:00], found '{value}'", value=value),
                             parameter=parameter) from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(23, 59, 59, 999999), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def question(state: RegisterState, actor: str, power: str, on: date | str | None = None,
             amount_: Decimal | str | int | None = None, budget_key: str | None = None, unit: str | None = None,
             document_type: str | None = None, issuer: str | None = None, matter: str | None = None,
             entity: str | None = None, actor_parameter: str = "actor", concerns: str | None = None) -> Question:
    """A validated question; unknown ids are NotFoundError with the closest ids suggested. Organs,
    entities and document types are those of the register's jurisdiction."""
    on = day(on, "on", exact=True) or date.today()
    value = amount(amount_)
    cat = state.catalogue
    actor = normalize(actor) if isinstance(actor, str) else actor
    if actor not in state.persons and actor not in state.positions and not cat.is_organ(actor):
        known_id(actor, actor_parameter, [*state.persons, *state.positions, *cat.organs], tr("person, position or organ"))
    # Each id is looked up first; `known_id` (which builds the message) only for one that is not known.
    if type(power) is not str or (power := normalize(power)) not in cat.powers:
        power = known_id(power, "power", cat.powers, tr("power"))
    if unit is not None and (type(unit) is not str or (unit := normalize(unit)) not in state.units):
        unit = known_id(unit, "unit", state.units, tr("unit"))
    if document_type is not None and (type(document_type) is not str
                                      or (document_type := normalize(document_type)) not in cat.document_types):
        document_type = known_id(document_type, "document_type", cat.document_types, tr("document type"))
    if issuer is not None and (type(issuer) is not str or (issuer := normalize(issuer)) not in cat.organs):
        issuer = known_id(issuer, "issuer", cat.organs, tr("organ"))
    if entity is not None and (type(entity) is not str or (entity := normalize(entity)) not in cat.entities):
        entity = known_id(entity, "entity", cat.entities, tr("legal entity"))
    if concerns is not None and (type(concerns) is not str or (concerns := normalize(concerns)) not in state.persons):
        concerns = known_id(concerns, "concerns", state.persons, tr("person"))
    entity = entity_of(cat, issuer, entity)
    budget_key = identifier(budget_key, "budget_key") if budget_key is not None else None
    matter = identifier(matter, "matter") if matter is not None else None
    return Question(actor=actor, power=power, on=on, amount=value, budget_key=budget_key, unit=unit,
                    document_type=document_type, issuer=issuer, matter=matter, entity=entity, concerns=concerns)


def entity_of(cat: Any, issuer: str | None, entity: str | None) -> str:
    """The legal entity of a question: given, or implied by the issuer (a vast bureau letter is an
    OCMW document), else the jurisdiction's default. Given and implied must agree."""
    implied = cat.entities_of(issuer) if issuer is not None else ()
    if entity is not None and implied and entity not in implied:
        raise InputError(tr("documents of {issuer} belong to {join}, not to {entity}", issuer=issuer, join=', '.join(implied), entity=entity),
                         parameter="entity")
    return entity or cat.implied_entity(issuer) or cat.book.default_entity


def not_in_future(q: Question, today: date) -> None:
    """A use is recorded when it happens: not for a day after today."""
    if q.on > today + FUTURE_SKEW:
        raise InputError(tr("a use is recorded when it happens, not for a later date ({isoformat} is after today, {isoformat2})", isoformat=q.on.isoformat(), isoformat2=today.isoformat()), parameter="on")
