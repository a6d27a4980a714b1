"""Rules of time: when a grant, an appointment or a local regulation is in force."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from .. import model as m
from ..answer import GrantStep, LawStep, Question
from ..messages import msg
from ..texts import N_, Text, tr
from .base import Evaluation, Window

if TYPE_CHECKING:
    from ..state import RegisterState


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


_WHAT = {"grant": N_("Grant"), "appointment": N_("Appointment"), "rule": N_("Regulation")}


def _what(kind: str) -> dict[str, Text]:
    return {"what": Text(_WHAT[kind])}


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
        ev.refuse("NOT_YET_EFFECTIVE", msg("NOT_YET_EFFECTIVE", id=_appointment(a), since=a.from_.isoformat(), on=on,
                                           **_what("appointment")))
    elif a.until is not None and q.on > a.until:
        ev.refuse("EXPIRED", msg("EXPIRED", id=_appointment(a), until=a.until.isoformat(), on=on,
                                 **_what("appointment")))


def _appointment(a: m.Appointment) -> Text:
    return tr("{person} as {position}", person=a.person, position=a.position)


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
