"""Reporting periods: ids, bounds and due dates, and long dates in Dutch and English.

Period ids: `2025-M01`..`2025-M12`, `2025-Q1`..`2025-Q4`, `2025-H1`/`2025-H2`, `2025` (year).
A duty for a period falls due `within_days` after the period's last day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from attrs import frozen

from . import model as m
from .state import RegisterState

# every -> months per period
SPAN = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
_ID = re.compile(r"^(\d{4})(?:-(?:M(0[1-9]|1[0-2])|Q([1-4])|H([12])))?$")


@frozen
class Period:
    id: str
    every: str
    start: date
    end: date

    def due(self, within_days: int) -> date:
        return self.end + timedelta(days=within_days)

    def overlaps(self, start: date, end: date | None) -> bool:
        return self.start <= (end or date.max) and start <= self.end


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _make(every: str, year: int, index: int) -> Period:
    """The index-th period (1-based) of a year."""
    span = SPAN[every]
    first = (index - 1) * span + 1
    last = first + span - 1
    pid = {"month": f"{year}-M{index:02d}", "quarter": f"{year}-Q{index}", "half_year": f"{year}-H{index}",
           "year": f"{year}"}[every]
    return Period(pid, every, date(year, first, 1), _month_end(year, last))


def period_of(every: str, day: date) -> Period:
    return _make(every, day.year, (day.month - 1) // SPAN[every] + 1)


def periods(every: str, start: date, end: date) -> list[Period]:
    """Every calendar period of this kind that overlaps [start, end] (both inclusive)."""
    if every not in SPAN:
        raise ValueError(f"not a calendar period: {every}")
    out: list[Period] = []
    p = period_of(every, start)
    while p.start <= end:
        out.append(p)
        p = period_of(every, p.end + timedelta(days=1))
    return out


def parse_period(pid: str) -> Period | None:
    """A calendar period from its id, or None when the id is not one."""
    m = _ID.match(pid.strip())
    if m is None:
        return None
    year = int(m.group(1))
    if year < 1:
        return None
    if m.group(2):
        return _make("month", year, int(m.group(2)))
    if m.group(3):
        return _make("quarter", year, int(m.group(3)))
    if m.group(4):
        return _make("half_year", year, int(m.group(4)))
    return _make("year", year, 1)


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def long_date(day: date | str | None, lang: str = "nl") -> str:
    """date(2025, 2, 1) -> '1 februari 2025' (nl-BE) or '1 February 2025' (en), by Babel."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    from .texts import long_date as babel_long_date

    return babel_long_date(day, lang)


# -- grants: when they are in force and which duties they carry ------------------------------

NOTIFY = "notify"
# The decree names no term for informing the council (DLB art. 283); two monthly council
# sessions is what a careful administration would allow itself.
NOTIFY_WITHIN_DAYS = 60


@frozen
class DutySpec:
    """One reporting duty of a grant: an entry of `reporting`, or the notice a rule demands."""

    grant: str
    decision: str
    to: str
    every: str  # month, quarter, half_year, year, act, or notify
    within_days: int
    content: str | None = None


def revocation(state: RegisterState, g: m.Grant, d: m.Decision) -> m.Revocation | None:
    """The revocation that ends this grant first (of the grant itself or of its decision)."""
    from .rules import revocation as first

    return first(state, g, d)


def validity(state: RegisterState, g: m.Grant, d: m.Decision) -> tuple[date, date | None] | None:
    """First and last day in force (None: open-ended); None when a revocation took it away before it began."""
    from .rules import grant_window

    window = grant_window(state, g, d)
    if window is None:
        return None
    return window[0], (None if window[1] == date.max else window[1])


def duty_specs(state: RegisterState, g: m.Grant, d: m.Decision) -> list[DutySpec]:
    specs = [DutySpec(g.id, d.id, r.to, r.every, r.within_days, r.content) for r in g.reporting]
    cat = state.catalogue
    rule = cat.rules.get(d.legal_basis)
    if rule is not None and rule.notify:
        specs.append(DutySpec(g.id, d.id, rule.notify, NOTIFY, NOTIFY_WITHIN_DAYS, None))
    if rule is not None and rule.notify_councils:
        # The council of every legal entity the delegation acts for is informed (DLB-283).
        for council in dict.fromkeys(cat.entities[e].council for e in d.entities if e in cat.entities):
            specs.append(DutySpec(g.id, d.id, council, NOTIFY, NOTIFY_WITHIN_DAYS, None))
    return specs


def notice_period(start: date) -> Period:
    """The one-off notice of a delegation is due from its first day."""
    return Period(NOTIFY, NOTIFY, start, start)


def duty_periods(spec: DutySpec, start: date, end: date | None, lo: date, hi: date) -> list[Period]:
    """Periods of a duty that overlap the grant's validity [start, end] and end within [lo, hi].

    A period counts as soon as the grant was in force on one of its days."""
    if spec.every == NOTIFY:
        return [notice_period(start)] if lo <= start <= hi else []
    if spec.every not in SPAN:
        return []
    last = min(end, hi) if end is not None else hi
    first = max(start, period_of(spec.every, lo).start)
    if last < first:
        return []
    return [p for p in periods(spec.every, first, last) if lo <= p.end <= hi]
