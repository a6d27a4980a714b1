"""Reporting duties: periods, due dates and fulfilment events, and the reports built on them.

A duty is computed, never stored: from each grant's `reporting` entries (and the notice a rule
such as DLB-283 demands) and the grant's validity. Only its fulfilment is an event
(`duty.done`), projected into `duties_done`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from functools import cache
from typing import Any

from delegations import periods as pd
from delegations.texts import Text, tr

from . import projections
from .errors import InputError, NotFoundError
from .questions import day, identifier, suggest
from .store import Event


def _reports():
    # The report code (csv, templates) is only needed by `report` and `demo`, not by a `check`.
    from . import reports

    return reports


TABLE = "duties_done"
FORMATS = ("html", "md", "json", "csv")


def has_table(conn: sqlite3.Connection) -> bool:
    """Registers created before this module existed have no table yet: then nothing was done."""
    if getattr(conn, "engine", "sqlite") != "sqlite":
        return True  # PostgreSQL: the versioned schema has every table
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone() is not None


def done_records(conn: sqlite3.Connection) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(grant, period, to) -> (done on, reference) for calendar and notice duties (few rows)."""
    if not has_table(conn):
        return {}
    rows = conn.execute(f'SELECT "grant", period, "to", "on", reference FROM {TABLE} WHERE every != \'act\'')  # noqa: S608
    return {(g, p, t): (on, ref) for g, p, t, on, ref in rows}


def act_rows(conn: sqlite3.Connection, spec: pd.DutySpec, first: date, last: date) -> list[tuple]:
    """(use reference, use date, done on, done reference) for each use of the grant in [first, last]."""
    base = ('FROM use_grants ug JOIN uses u ON u.reference = ug.reference {join}'
            'WHERE ug."grant" = ? AND u."on" BETWEEN ? AND ? ORDER BY u."on", u.reference')
    args = (spec.grant, first.isoformat(), last.isoformat())
    if not has_table(conn):
        return [(ref, on, None, None) for ref, on in conn.execute('SELECT u.reference, u."on" ' + base.format(join=""), args)]
    join = f'LEFT JOIN {TABLE} dd ON dd."grant" = ug."grant" AND dd.period = ug.reference AND dd."to" = ? '
    return conn.execute('SELECT u.reference, u."on", dd."on", dd.reference ' + base.format(join=join),
                        (spec.to, *args)).fetchall()


def duty_item(spec: pd.DutySpec, period: str, start: date, end: date, done: tuple[str, str] | None,
              on: date) -> dict[str, Any]:
    due = end + timedelta(days=spec.within_days)
    if done is not None:
        status = "done"
    else:
        status = "overdue" if due < on else "due"
    return {"grant": spec.grant, "decision": spec.decision, "to": spec.to, "every": spec.every, "period": period,
            "from": start.isoformat(), "until": end.isoformat(), "due": due.isoformat(), "status": status,
            "done_on": done[0] if done else None, "reference": done[1] if done else None,
            "late": bool(done and done[0] > due.isoformat()), "content": spec.content}


def grant_of(state: Any, grant: str) -> tuple[Any, Any]:
    if grant not in state.grants:
        s = suggest(grant, state.grants)
        raise NotFoundError(tr("'{grant}' is not a known grant{suggestion}", grant=grant, suggestion=s),
                            parameter="grant")
    return state.grants[grant]


def list_duties(state: Any, conn: sqlite3.Connection, on: date | str | None = None,
                grant: str | None = None) -> list[dict[str, Any]]:
    """Duties whose period has ended by `on` (default today): due, overdue or done."""
    on = day(on, "on") or date.today()
    if grant is not None:
        grant_of(state, grant)
    done = done_records(conn)
    last = on - timedelta(days=1)  # a period has ended when its last day lies before `on`
    out: list[dict[str, Any]] = []
    for gid in sorted(state.grants):
        if grant is not None and gid != grant:
            continue
        g, d = state.grants[gid]
        val = pd.validity(state, g, d)
        if val is None:
            continue
        start, end = val
        for spec in pd.duty_specs(state, g, d):
            if spec.every == "act":
                for ref, used_on, done_on, done_ref in act_rows(conn, spec, start, min(end or last, last)):
                    when = date.fromisoformat(used_on)
                    out.append(duty_item(spec, ref, when, when, (done_on, done_ref) if done_on else None, on))
                continue
            for p in pd.duty_periods(spec, start, end, start, last):
                out.append(duty_item(spec, p.id, p.start, p.end, done.get((gid, p.id, spec.to)), on))
    out.sort(key=lambda x: (x["due"], x["grant"], x["period"], x["to"]))
    return out


def record_done(store: Any, state: Any, grant: str, period: str, on: date | str, reference: str,
                to: str | None = None) -> Event | None:
    """Record that a duty was fulfilled (a `duty.done` event); None when it was recorded already."""
    g, d = grant_of(state, grant)
    when = day(on, "on")
    if when is None:
        raise InputError(tr("expected a date YYYY-MM-DD"), parameter="on")
    reference = identifier(reference, "reference", what=tr("reference"))
    specs = [s for s in pd.duty_specs(state, g, d) if to is None or s.to == to]
    span = _duty_span(store.conn, grant, period, specs, pd.validity(state, g, d))
    if span is None:
        raise InputError(_no_such_duty(grant, period, pd.duty_specs(state, g, d), to), parameter="period")
    matching, start, end = span
    if len(matching) > 1:
        raise InputError(tr("{grant} has several duties for period {period}; choose the recipient (one of: {join})", grant=grant, period=period, join=', '.join(s.to for s in matching)), parameter="to")
    spec = matching[0]
    if when < end:
        raise InputError(tr("period {period} runs until {end}; it cannot be reported on {when}", period=period, end=end, when=when), parameter="on")
    payload = {"grant": grant, "period": period, "to": spec.to, "every": spec.every, "on": when.isoformat(),
               "reference": reference}
    with store.transaction() as tx:
        row = tx.execute(f'SELECT "on", reference FROM {TABLE} WHERE "grant" = ? AND period = ? AND "to" = ?',  # noqa: S608
                         (grant, period, spec.to)).fetchone()
        if row is not None:
            if tuple(row) == (payload["on"], reference):
                return None
            from .errors import ConflictError

            raise ConflictError(tr("{grant} {period} to {to} is already recorded as done on {on} ({reference}).", grant=grant,
                                   period=period, to=spec.to, on=row[0], reference=row[1]))
        ev = tx.append("duty.done", payload)
        projections.apply(tx.conn, ev)
    return ev


def _duty_span(conn: sqlite3.Connection, grant: str, period: str, specs: list[pd.DutySpec],
               val: tuple[date, date | None] | None) -> tuple[list[pd.DutySpec], date, date] | None:
    if val is None:
        return None
    start, end = val
    cal = pd.parse_period(period)
    if cal is not None:
        matching = [s for s in specs if s.every == cal.every]
        return (matching, cal.start, cal.end) if matching and cal.overlaps(start, end) else None
    if period == pd.NOTIFY:
        matching = [s for s in specs if s.every == pd.NOTIFY]
        return (matching, start, start) if matching else None
    matching = [s for s in specs if s.every == "act"]
    row = conn.execute('SELECT u."on" FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
                       'WHERE ug."grant" = ? AND ug.reference = ?', (grant, period)).fetchone()
    if not matching or row is None:
        return None
    when = date.fromisoformat(row[0])
    return matching, when, when


def _no_such_duty(grant: str, period: str, specs: list[pd.DutySpec], to: str | None) -> Text:
    if not specs:
        return tr("{grant} has no reporting duty", grant=grant)
    kinds = ", ".join(sorted({f"{s.every} -> {s.to}" for s in specs}))
    hint = " (" + to + ")" if to else ""
    return tr("'{period}'{hint} is not a period of a duty of {grant} while it is in force (duties: {kinds}; periods such as 2025-M01, 2025-Q1, 2025-H1, 2025, notify or a use reference)", period=period, hint=hint, grant=grant, kinds=kinds)


# -- reports ------------------------------------------------------------------------------------

def period_report(reg: Any, grant: str, period: str, on: date | str | None = None, lang: str = "nl") -> dict[str, Any]:
    """What a delegate hands in for one period: the uses of the grant (and of grants below it)."""
    state = reg.state()
    g, d = grant_of(state, grant)
    cal = pd.parse_period(period)
    if cal is not None:
        first, last = cal.start, cal.end
    else:
        row = reg.store.conn.execute('SELECT "on" FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
                                     'WHERE ug."grant" = ? AND ug.reference = ?', (grant, period)).fetchone()
        if row is None:
            raise InputError(tr("expected a period such as 2025-Q1, 2025-M03, 2025-H1 or 2025, or the reference of a use of {grant}; found '{period}'", grant=grant, period=period), parameter="period")
        first = last = date.fromisoformat(row[0])
    on = day(on, "on") or date.today()
    items = list_duties(state, reg.store.conn, on=max(on, last + timedelta(days=1)), grant=grant)
    duties = [x for x in items if x["period"] == period]
    return _reports().period_report(reg, state, g, d, period, first, last, duties, lang)


def annual_report(reg: Any, year: int, lang: str = "nl", as_of: date | str | None = None) -> dict[str, Any]:
    """The annual delegation report as plain data (the JSON form); `as_of` fixes duty statuses."""
    from delegations.converter import MAX_YEAR, MIN_YEAR

    # The years a register date may have: periods, due dates and the look-ahead stay in the calendar.
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(tr("expected a year from {MIN_YEAR} to {MAX_YEAR} such as 2025, found '{year}'", MIN_YEAR=MIN_YEAR, MAX_YEAR=MAX_YEAR, year=year),
                         parameter="year")
    return _reports().annual_report(reg, year, lang, day(as_of, "on") or date.today())


def render(report: dict[str, Any], fmt: str = "html", lang: str = "nl") -> str:
    if fmt not in FORMATS:
        raise InputError(tr("expected one of {join}, found '{fmt}'", join=', '.join(FORMATS), fmt=fmt), parameter="format")
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return _reports().to_csv(report)
    if fmt == "md":
        report = _reports().md_data(report)  # escaped once here, so macros never escape twice
    return _environment(fmt, lang).get_template(f"{report['kind']}.{fmt}.j2").render(r=report)


@cache
def _environment(fmt: str, lang: str):
    """HTML escapes every value (autoescape); Markdown gets data escaped beforehand (`reports.md_data`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    html = fmt == "html"
    from delegations.identifiers import printable

    # finalize: no value of the register can put a control or bidi character into the page.
    from delegations.texts import catalog

    env = Environment(loader=PackageLoader("registry", "templates"), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"],
                      finalize=lambda v: printable(v) if isinstance(v, str) and not hasattr(v, "__html__") else v)
    env.install_gettext_translations(catalog(lang), newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(lang=lang, charts=lambda r: _reports().charts(r, lang))
    env.filters.update(amount=lambda v: _reports().fmt_amount(v, lang), date=lambda v: pd.long_date(v, lang),
                       pct=lambda v: _reports().fmt_pct(v, lang), num=lambda v: _reports().fmt_int(v, lang),
                       label=lambda v: _reports().label(v, lang))
    # Only web addresses become links: a `javascript:` source stays plain text.
    env.tests["http_url"] = lambda v: isinstance(v, str) and v.lower().startswith(("https://", "http://"))
    return env
