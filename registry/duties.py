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
from pathlib import Path
from typing import Any

from delegations import periods as pd
from delegations.converter import FormatProblem, parse_date
from delegations.texts import Text

from . import projections
from .errors import InputError
from .store import EXTRA_TABLES, Event


def _reports():
    # The report code (csv, templates) is only needed by `report` and `demo`, not by a `check`.
    from . import reports

    return reports

TABLE = "duties_done"
FORMATS = ("html", "md", "json", "csv")


DDL = (f'CREATE TABLE IF NOT EXISTS {TABLE} ("grant" TEXT, period TEXT, "to" TEXT, every TEXT, "on" TEXT, '
       'reference TEXT, seq INTEGER, PRIMARY KEY ("grant", period, "to"))')


def _create_table(db) -> None:
    """Plain DDL, so the same statement can also run inside an open write transaction."""
    db.conn.execute(DDL)


if _create_table not in EXTRA_TABLES:
    EXTRA_TABLES.append(_create_table)
projections.TABLES[TABLE] = '"grant", period, "to"'


@projections.handler("duty.done")
def _duty_done(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    conn.execute(f'INSERT OR REPLACE INTO {TABLE} ("grant", period, "to", every, "on", reference, seq) '  # noqa: S608
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (d["grant"], d["period"], d["to"], d["every"], d["on"], d["reference"],
                                                  event.seq))


def has_table(conn: sqlite3.Connection) -> bool:
    """Registers created before this module existed have no table yet: then nothing was done."""
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


def _date(option: str, value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except FormatProblem:
        raise InputError(Text(f"{option}: verwacht een datum JJJJ-MM-DD, gevonden '{value}'",
                              f"{option}: expected a date YYYY-MM-DD, found '{value}'")) from None


def _reference(value: str | None) -> str:
    if not value or not value.strip() or len(value) > 200 or "\x00" in value:
        raise InputError(Text("--ref: verwacht een niet-lege referentie van hoogstens 200 tekens",
                              "--ref: expected a non-empty reference of at most 200 characters"))
    return value


class DutiesMixin:
    """Registry methods for reporting duties and reports; `Registry` inherits them."""

    def _grant(self, grant: str):
        from .registry import _suggest

        state = self.state()
        if grant not in state.grants:
            s = _suggest(grant, state.grants)
            raise InputError(Text(f"--grant: '{grant}' is geen gekende delegatie{s.nl}",
                                  f"--grant: '{grant}' is not a known grant{s.en}"))
        return state, *state.grants[grant]

    def duties(self, on: date | str | None = None, grant: str | None = None) -> list[dict[str, Any]]:
        """Duties whose period has ended by `on` (default today): due, overdue or done."""
        on = _date("--on", on) or date.today()
        state = self.state()
        if grant is not None:
            self._grant(grant)
        conn = self.store.conn
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
                        day = date.fromisoformat(used_on)
                        out.append(duty_item(spec, ref, day, day, (done_on, done_ref) if done_on else None, on))
                    continue
                for p in pd.duty_periods(spec, start, end, start, last):
                    out.append(duty_item(spec, p.id, p.start, p.end, done.get((gid, p.id, spec.to)), on))
        out.sort(key=lambda x: (x["due"], x["grant"], x["period"], x["to"]))
        return out

    def duty_done(self, grant: str, period: str, on: date | str, reference: str, to: str | None = None) -> Event | None:
        """Record that a duty was fulfilled (a `duty.done` event); None when it was recorded already."""
        state, g, d = self._grant(grant)
        day = _date("--on", on)
        if day is None:
            raise InputError(Text("--on: verwacht een datum JJJJ-MM-DD", "--on: expected a date YYYY-MM-DD"))
        reference = _reference(reference)
        specs = [s for s in pd.duty_specs(state, g, d) if to is None or s.to == to]
        val = pd.validity(state, g, d)
        span = self._duty_span(grant, period, specs, val)
        if span is None:
            raise InputError(self._no_such_duty(grant, period, pd.duty_specs(state, g, d), to))
        matching, start, end = span
        if len(matching) > 1:
            raise InputError(Text(f"--period {period}: {grant} heeft meerdere plichten voor deze periode; kies met --to "
                                  f"(een van: {', '.join(s.to for s in matching)})",
                                  f"--period {period}: {grant} has several duties for this period; choose with --to "
                                  f"(one of: {', '.join(s.to for s in matching)})"))
        spec = matching[0]
        if day < end:
            raise InputError(Text(f"--on: de periode {period} loopt tot {end}; een rapportering ervoor kan niet op {day}",
                                  f"--on: period {period} runs until {end}; it cannot be reported on {day}"))
        payload = {"grant": grant, "period": period, "to": spec.to, "every": spec.every, "on": day.isoformat(),
                   "reference": reference}
        with self.store.transaction() as tx:
            tx.execute(DDL)  # registers created before duties existed
            row = tx.execute(f'SELECT "on", reference FROM {TABLE} WHERE "grant" = ? AND period = ? AND "to" = ?',  # noqa: S608
                             (grant, period, spec.to)).fetchone()
            if row is not None:
                if tuple(row) == (payload["on"], reference):
                    return None
                raise InputError(Text(f"{grant} {period} aan {spec.to} staat al als gedaan op {row[0]} ({row[1]}).",
                                      f"{grant} {period} to {spec.to} is already recorded as done on {row[0]} ({row[1]})."))
            ev = tx.append("duty.done", payload)
            projections.apply(tx.conn, ev)
        return ev

    def _duty_span(self, grant: str, period: str, specs: list[pd.DutySpec],
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
        row = self.store.conn.execute('SELECT u."on" FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
                                      'WHERE ug."grant" = ? AND ug.reference = ?', (grant, period)).fetchone()
        if not matching or row is None:
            return None
        day = date.fromisoformat(row[0])
        return matching, day, day

    @staticmethod
    def _no_such_duty(grant: str, period: str, specs: list[pd.DutySpec], to: str | None) -> Text:
        if not specs:
            return Text(f"{grant} heeft geen rapporteringsplicht", f"{grant} has no reporting duty")
        kinds = ", ".join(sorted({f"{s.every} -> {s.to}" for s in specs}))
        hint = " (--to " + to + ")" if to else ""
        return Text(f"--period: '{period}'{hint} is geen periode van een plicht van {grant} binnen zijn geldigheid "
                    f"(plichten: {kinds}; periodes zoals 2025-M01, 2025-Q1, 2025-H1, 2025, notify of een "
                    "uitoefeningsreferentie)",
                    f"--period: '{period}'{hint} is not a period of a duty of {grant} while it is in force "
                    f"(duties: {kinds}; periods such as 2025-M01, 2025-Q1, 2025-H1, 2025, notify or a use reference)")

    # -- reports --------------------------------------------------------------------------------
    def period_report(self, grant: str, period: str, on: date | str | None = None, lang: str = "nl") -> dict[str, Any]:
        """What a delegate hands in for one period: the uses of the grant (and of grants below it)."""
        state, g, d = self._grant(grant)
        cal = pd.parse_period(period)
        if cal is not None:
            first, last = cal.start, cal.end
        else:
            row = self.store.conn.execute('SELECT "on" FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
                                          'WHERE ug."grant" = ? AND ug.reference = ?', (grant, period)).fetchone()
            if row is None:
                raise InputError(Text(f"--period: verwacht een periode zoals 2025-Q1, 2025-M03, 2025-H1 of 2025, of een "
                                      f"referentie van een uitoefening van {grant}; gevonden '{period}'",
                                      f"--period: expected a period such as 2025-Q1, 2025-M03, 2025-H1 or 2025, or the "
                                      f"reference of a use of {grant}; found '{period}'"))
            first = last = date.fromisoformat(row[0])
        on = _date("--on", on) or date.today()
        duties = [x for x in self.duties(on=max(on, last + timedelta(days=1)), grant=grant) if x["period"] == period]
        return _reports().period_report(self, state, g, d, period, first, last, duties, lang)

    def annual_report(self, year: int, lang: str = "nl", as_of: date | str | None = None) -> dict[str, Any]:
        """The annual delegation report as plain data (the JSON form); `as_of` fixes duty statuses."""
        if not isinstance(year, int) or not 1900 <= year <= 9998:
            raise InputError(Text(f"--year: verwacht een jaartal zoals 2025, gevonden '{year}'",
                                  f"--year: expected a year such as 2025, found '{year}'"))
        return _reports().annual_report(self, year, lang, _date("--on", as_of) or date.today())

    def render_report(self, report: dict[str, Any], fmt: str = "html", lang: str = "nl") -> str:
        if fmt not in FORMATS:
            raise InputError(Text(f"--format: verwacht een van {', '.join(FORMATS)}, gevonden '{fmt}'",
                                  f"--format: expected one of {', '.join(FORMATS)}, found '{fmt}'"))
        if fmt == "json":
            return json.dumps(report, ensure_ascii=False, indent=2) + "\n"
        if fmt == "csv":
            return _reports().to_csv(report)
        if fmt == "md":
            report = _reports().md_data(report)  # escaped once here, so macros never escape twice
        return _environment(fmt, lang).get_template(f"{report['kind']}.{fmt}.j2").render(r=report)

    def write_report(self, report: dict[str, Any], fmt: str, lang: str, out: str | Path) -> Path:
        path = Path(out)
        try:
            path.write_text(self.render_report(report, fmt, lang), encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(Text(f"--out: kan {path} niet schrijven ({exc.strerror})",
                                  f"--out: cannot write {path} ({exc.strerror})")) from None
        return path

    def demo_report(self, lang: str = "nl") -> str:
        path = self.write_report(self.annual_report(2025, lang), "html", lang, Path.cwd() / "delegaties-rapport-2025.html")
        return (f"Annual report 2025 written to {path} (open it in a browser; it prints on A4)." if lang == "en" else
                f"Jaarrapport 2025 geschreven naar {path} (open het in een browser; het drukt af op A4).")


@cache
def _environment(fmt: str, lang: str):
    """HTML escapes every value (autoescape); Markdown gets data escaped beforehand (`reports.md_data`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    html = fmt == "html"
    env = Environment(loader=PackageLoader("registry", "templates"), autoescape=html, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(t=lambda nl, en: en if lang == "en" else nl, lang=lang, charts=lambda r: _reports().charts(r, lang))
    env.filters.update(amount=lambda v: _reports().fmt_amount(v, lang), date=lambda v: pd.long_date(v, lang),
                       pct=lambda v: _reports().fmt_pct(v, lang), num=lambda v: _reports().fmt_int(v, lang),
                       label=lambda v: _reports().label(v, lang))
    # Only web addresses become links: a `javascript:` source stays plain text.
    env.tests["http_url"] = lambda v: isinstance(v, str) and v.lower().startswith(("https://", "http://"))
    return env
