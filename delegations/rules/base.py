"""What every rule shares: the evaluation it adds to, the question worked out once, the entity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import model as m
from ..answer import Finding, Question
from ..texts import Text

if TYPE_CHECKING:
    from ..state import RegisterState


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


class Asked(NamedTuple):
    """A question with what every chain needs of it, worked out once."""

    q: Question
    units: tuple[frozenset[str], ...] | None  # the units the act is about, each with the units above it
    concerned: frozenset[str]  # kinds of the person the act concerns, on the date


NOBODY: frozenset[str] = frozenset()


def asked(state: RegisterState, q: Question) -> Asked:
    if q.concerns is None:  # the common case, quickly
        return Asked(q, None if q.unit is None else (state.ancestors(q.unit),), NOBODY)
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
