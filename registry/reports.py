"""Figures of the annual delegation report and of a periodic report, as plain data.

Uses are aggregated in SQL: one GROUP BY over the `uses` projection, whose `grants` column
lists every grant of the use's chain, so a year with a million uses yields a handful of rows and
never a million Python objects. Amounts are summed exactly as integer cents (the register
accepts at most two decimals); should that overflow, an exact Decimal aggregate takes over.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from delegations import model as m
from delegations import periods as pd
from delegations.catalogue import power_covers
from delegations.identifiers import printable
from delegations.state import RegisterState
from delegations.texts import N_, Day, Given, Text, format_number, gettext, tr

FORMAT = "delegaties-rapport/1"
LABELS = {
    "month": N_("monthly"), "quarter": N_("quarterly"), "half_year": N_("half-yearly"), "year": N_("yearly"),
    "act": N_("per act"), "notify": N_("notice"),
    "done": N_("done"), "late": N_("late"), "missing": N_("missing"), "open": N_("not yet due"),
    "due": N_("due"), "overdue": N_("overdue"),
    "in_force": N_("in force"), "revoked": N_("revoked"), "expired": N_("expired"),
    "organ": N_("organ"), "position": N_("position"), "person": N_("person"),
    "titular": N_("titular"), "acting": N_("acting"),
}

# Exact cents of a decimal text with at most two decimals ('1200' -> 120000, '12.5' -> 1250);
# CAST takes the leading integer of a text, the fraction is padded to two digits.
_CENTS = ("(CAST({a} AS INTEGER) * 100 + CASE WHEN instr({a}, '.') "
          "THEN CAST(substr({a} || '00', instr({a}, '.') + 1, 2) AS INTEGER) ELSE 0 END)")


# -- formatting -----------------------------------------------------------------------------

def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def fmt_amount(value: str | Decimal | None, lang: str) -> str:
    """'8.500,00 EUR' (nl-BE), '8,500.00 EUR' (en)."""
    if value is None:
        return "-"
    return f"{format_number(Decimal(str(value)).quantize(Decimal('0.01')), '#,##0.00', lang)} EUR"


def fmt_int(value: int, lang: str) -> str:
    """'1.234' (nl-BE), '1,234' (en)."""
    return format_number(value, "#,##0", lang)


def fmt_pct(value: str | None, lang: str) -> str:
    """'12,5 %' (nl-BE), '12.5%' (en): the digits of the report's value, without grouping."""
    if value is None:
        return "-"
    digits = len(value.partition(".")[2])
    return tr("{value}%", value=format_number(Decimal(value), "0." + "0" * digits if digits else "0", lang))(lang)


def label(value: str | None, lang: str) -> str:
    if value is None:
        return "-"
    msgid = LABELS.get(value)
    return gettext(msgid, lang) if msgid else value


_MD = str.maketrans({"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "*": "\\*", "`": "\\`",
                     "[": "\\[", "]": "\\]", "\r": " ", "\n": " "})


def md_escape(value: Any) -> str:
    """Every value printed by a Markdown template: no HTML, no table breaks, no links."""
    return "" if value is None else printable(str(value)).translate(_MD)


def md_data(value: Any) -> Any:
    """The report with every string escaped for Markdown (keys stay as they are)."""
    if isinstance(value, str):
        return md_escape(value)
    if isinstance(value, dict):
        return {k: md_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [md_data(v) for v in value]
    return value


def principal(state: RegisterState, ident: str, lang: str) -> dict[str, str]:
    organ = state.catalogue.organ_name(ident, lang)  # organ names come from the jurisdiction's rulebook
    if organ is not None:
        return {"id": ident, "name": organ, "kind": "organ"}
    if ident in state.positions:
        return {"id": ident, "name": state.positions[ident].name, "kind": "position"}
    if ident in state.persons:
        return {"id": ident, "name": state.persons[ident].name, "kind": "person"}
    return {"id": ident, "name": ident, "kind": "position"}


# -- SQL aggregation ------------------------------------------------------------------------

class _DecimalSum:
    def __init__(self) -> None:
        self.total = Decimal(0)

    def step(self, value: str | None) -> None:
        if value:
            self.total += Decimal(value)

    def finalize(self) -> str:
        return str(self.total)


def _summed(conn: sqlite3.Connection, sql: str, column: str, args: tuple) -> list[tuple]:
    """Run `sql` with {sum} as the exact sum of `column`; rows end with a Decimal."""
    if getattr(conn, "engine", "sqlite") == "postgresql":  # numeric: exact at any size
        rows = conn.execute(sql.format(sum=f"SUM(CAST({column} AS numeric))"), args).fetchall()
        return [(*r[:-1], Decimal(r[-1] or 0)) for r in rows]
    try:
        rows = conn.execute(sql.format(sum="SUM(" + _CENTS.format(a=column) + ")"), args).fetchall()
        return [(*r[:-1], Decimal(r[-1] or 0).scaleb(-2)) for r in rows]
    except sqlite3.OperationalError as exc:
        if "overflow" not in str(exc):
            raise
    conn.create_aggregate("delegaties_dsum", 1, _DecimalSum)  # type: ignore[arg-type]
    rows = conn.execute(sql.format(sum=f"delegaties_dsum({column})"), args).fetchall()
    return [(*r[:-1], Decimal(r[-1])) for r in rows]


class Figures:
    """Per grant and per (grant, budget key): number of uses and exact total, for one year."""

    def __init__(self, conn: sqlite3.Connection, year: int):
        self.uses: dict[str, int] = defaultdict(int)
        self.amount: dict[str, Decimal] = defaultdict(Decimal)
        self.by_key: dict[str, dict[str | None, list]] = defaultdict(dict)
        self.keys: dict[str | None, list] = {}
        self.total_uses, self.total_amount = 0, Decimal(0)
        rows = _summed(conn, "SELECT grants, budget_key, count(*), {sum} FROM uses WHERE year = ? GROUP BY grants, budget_key",
                       "amount", (year,))
        for grants, key, n, total in rows:
            self.total_uses += n
            self.total_amount += total
            _add(self.keys, key, n, total)
            for g in json.loads(grants or "[]"):
                self.uses[g] += n
                self.amount[g] += total
                _add(self.by_key[g], key, n, total)
        # Uses per month, per grant of the chain: what the chart of the annual report shows.
        self.months: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
        for grants, month, n in conn.execute(
                'SELECT grants, CAST(substr("on", 6, 2) AS INTEGER), count(*) FROM uses WHERE year = ? GROUP BY 1, 2',
                (year,)):
            for g in json.loads(grants or "[]"):
                if 1 <= month <= 12:
                    self.months[g][month - 1] += n
        pg = getattr(conn, "engine", "sqlite") == "postgresql"
        self.refusals: dict[str, int] = dict(conn.execute(
            "SELECT j.value, count(*) FROM refusals r, jsonb_array_elements_text(CAST(r.grants AS jsonb)) j(value) "
            "WHERE r.year = ? GROUP BY j.value" if pg else
            "SELECT j.value, count(*) FROM refusals r, json_each(r.grants) j WHERE r.year = ? AND json_valid(r.grants) "
            "GROUP BY j.value", (year,)).fetchall())
        self.total_refusals = conn.execute("SELECT count(*) FROM refusals WHERE year = ?", (year,)).fetchone()[0]
        # Attestations are counted in the year they were issued; one pass over the log for both figures.
        counts = conn.execute(
            "WITH a AS MATERIALIZED (SELECT payload FROM events WHERE kind = 'attestation.issued' "  # noqa: S608 - fixed text
            "AND recorded_at >= ? AND recorded_at < ?) "
            "SELECT NULL, count(*) FROM a UNION ALL " + (
                "SELECT j.value, count(*) FROM a, jsonb_array_elements_text(CASE WHEN jsonb_typeof(CAST(a.payload AS "
                "jsonb) -> 'grants') = 'array' THEN CAST(a.payload AS jsonb) -> 'grants' ELSE '[]' END) j(value) "
                "GROUP BY j.value" if pg else
                "SELECT j.value, count(*) FROM a, json_each(a.payload, '$.grants') j "
                "WHERE json_type(a.payload, '$.grants') = 'array' GROUP BY j.value"),
            (f"{year:04d}", f"{year + 1:04d}")).fetchall()
        self.total_attestations = counts[0][1]
        self.attestations: dict[str, int] = dict(counts[1:])


def _add(table: dict, key: Any, n: int, total: Decimal) -> None:
    entry = table.setdefault(key, [0, Decimal(0)])
    entry[0] += n
    entry[1] += total


def _key_rows(table: dict[str | None, list]) -> list[dict[str, Any]]:
    return [{"budget_key": k, "uses": n, "amount": money(a)}
            for k, (n, a) in sorted(table.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]


def amended(conn: sqlite3.Connection, year: int) -> list[dict[str, Any]]:
    """Entities stored again (changed) during the year: every entity.put for a key that existed."""
    seen: set[tuple[str, str]] = set()
    out = []
    lo, hi = f"{year:04d}", f"{year + 1:04d}"
    pg = getattr(conn, "engine", "sqlite") == "postgresql"
    for kind, key, seq, stamp, file in conn.execute(
            "SELECT CAST(payload AS jsonb) ->> 'kind', CAST(payload AS jsonb) ->> 'key', seq, recorded_at, "
            "CAST(payload AS jsonb) ->> 'file' FROM events WHERE kind = 'entity.put' ORDER BY seq" if pg else
            "SELECT json_extract(payload, '$.kind'), json_extract(payload, '$.key'), seq, recorded_at, "
            "json_extract(payload, '$.file') FROM events WHERE kind = 'entity.put' ORDER BY seq"):
        if (kind, key) in seen and lo <= stamp < hi:
            out.append({"kind": kind, "key": key, "seq": seq, "recorded_on": stamp[:10], "file": file})
        seen.add((kind, key))
    return out


# -- the annual report ----------------------------------------------------------------------

def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def _revocation(rev: m.Revocation | None) -> dict[str, Any] | None:
    if rev is None:
        return None
    return {"target": rev.target, "effective_from": rev.effective_from.isoformat(), "by": rev.by, "reason": rev.reason}


def _positions_of(state: RegisterState, to: str) -> list[str]:
    if to in state.positions:
        return [to]
    if state.catalogue.is_organ(to) and not state.catalogue.is_collegial(to):
        return sorted(p.id for p in state.positions.values() if p.kind == to)
    return []


def holders(state: RegisterState, to: str, lo: date, hi: date) -> list[dict[str, Any]]:
    """Who held the receiving position(s) at some time in [lo, hi]."""
    if to in state.persons:
        return [{"person": to, "name": state.persons[to].name, "position": None, "from": None, "until": None,
                 "capacity": None}]
    out = []
    for pos in _positions_of(state, to):
        for a in state.appointments_by_position.get(pos, ()):
            if a.from_ <= hi and (a.until is None or a.until >= lo):
                person = state.persons.get(a.person)
                out.append({"person": a.person, "name": person.name if person else a.person, "position": pos,
                            "from": a.from_.isoformat(), "until": _iso(a.until), "capacity": a.capacity})
    return out


def vacancies(state: RegisterState, position: str, lo: date, hi: date) -> list[tuple[date, date]]:
    """Stretches of [lo, hi] during which nobody held the position."""
    spans = sorted((max(a.from_, lo), min(a.until or hi, hi)) for a in state.appointments_by_position.get(position, ())
                   if a.from_ <= hi and (a.until is None or a.until >= lo))
    out, cursor = [], lo
    for start, end in spans:
        if start > cursor:
            out.append((cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
    if cursor <= hi:
        out.append((cursor, hi))
    return out


def duty_status(due: date, done_on: str | None, as_of: date) -> str:
    if done_on is not None:
        return "late" if done_on > due.isoformat() else "done"
    return "missing" if due < as_of else "open"


def _act_counts(conn: sqlite3.Connection, spec: pd.DutySpec, year: int, as_of: date, joined: bool) -> dict[str, int]:
    """Duties per act for one grant and year, counted in SQL (a use is a period)."""
    shift = f"+{spec.within_days} days"
    if joined:
        row = conn.execute(
            'SELECT count(*), total(dd."on" <= date(u."on", ?)), total(dd."on" > date(u."on", ?)), '
            'total(dd."on" IS NULL AND date(u."on", ?) < ?) FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
            'LEFT JOIN duties_done dd ON dd."grant" = ug."grant" AND dd.period = ug.reference AND dd."to" = ? '
            'WHERE ug."grant" = ? AND ug.year = ?', (shift, shift, shift, as_of.isoformat(), spec.to, spec.grant, year)).fetchone()
    else:
        row = conn.execute('SELECT count(*), 0, 0, total(date(u."on", ?) < ?) FROM use_grants ug JOIN uses u '
                           'ON u.reference = ug.reference WHERE ug."grant" = ? AND ug.year = ?',
                           (shift, as_of.isoformat(), spec.grant, year)).fetchone()
    n, done, late, missing = (int(x or 0) for x in row)
    return {"done": done, "late": late, "missing": missing, "open": n - done - late - missing}


def annual_report(reg: Any, year: int, lang: str, as_of: date) -> dict[str, Any]:
    from .duties import done_records, has_table

    state: RegisterState = reg.state()
    conn = reg.store.conn
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    fig = Figures(conn, year)
    done = done_records(conn)
    joined = has_table(conn)
    seq, head = reg.head
    entries: list[dict[str, Any]] = []
    duty_items: list[dict[str, Any]] = []
    act_items: list[dict[str, Any]] = []
    for gid in sorted(state.grants):
        g, d = state.grants[gid]
        val = pd.validity(state, g, d)
        if val is None or val[0] > y1 or (val[1] is not None and val[1] < y0):
            continue
        start, end = val
        counts = dict.fromkeys(("done", "late", "missing", "open"), 0)
        for spec in pd.duty_specs(state, g, d):
            if spec.every == "act":
                c = _act_counts(conn, spec, year, as_of, joined)
                act_items.append({"grant": gid, "to": spec.to, "every": "act", "content": spec.content, **c})
                for k, v in c.items():
                    counts[k] += v
                continue
            for p in pd.duty_periods(spec, start, end, y0, y1):
                rec = done.get((gid, p.id, spec.to))
                due = p.due(spec.within_days)
                status = duty_status(due, rec[0] if rec else None, as_of)
                counts[status] += 1
                duty_items.append({"grant": gid, "to": spec.to, "every": spec.every, "period": p.id,
                                   "from": p.start.isoformat(), "until": p.end.isoformat(), "due": due.isoformat(),
                                   "status": status, "done_on": rec[0] if rec else None,
                                   "reference": rec[1] if rec else None, "content": spec.content})
        entries.append(_grant_entry(state, g, d, start, end, fig, counts, y0, y1, lang))
    rule_of = {e["id"]: state.catalogue.rules.get(e["decision"]["legal_basis"]) for e in entries}
    findings = _findings(state, entries, done, rule_of, y0, y1, lang)
    decisions = _decisions(state, entries, y0, y1, lang)
    summary_duties = {k: sum(e["duties"][k] for e in entries) for k in ("done", "late", "missing", "open")}
    admin = state.administration
    return {
        "format": FORMAT, "kind": "annual", "year": year, "lang": lang, "as_of": as_of.isoformat(),
        "administration": {"id": admin.id, "name": admin.name} if admin else None,
        "register": {"seq": seq, "head": head},
        "summary": {"decisions": len(decisions), "grants": len(entries), "uses": fig.total_uses,
                    "amount": money(fig.total_amount), "refusals": fig.total_refusals,
                    "attestations": fig.total_attestations, "duties": summary_duties,
                    "findings": len(findings), "budget_keys": _key_rows(fig.keys)},
        "tree": _tree(state, entries, lang),
        "decisions": decisions,
        "grants": entries,
        "changes": _changes(state, entries, conn, y0, y1),
        "duties": {"items": sorted(duty_items, key=lambda x: (x["due"], x["grant"], x["to"])), "per_act": act_items},
        "findings": findings,
    }


def _grant_entry(state: RegisterState, g: m.Grant, d: m.Decision, start: date, end: date | None, fig: Figures,
                 duties: dict[str, int], y0: date, y1: date, lang: str) -> dict[str, Any]:
    amount = fig.amount.get(g.id, Decimal(0))
    ceiling = g.limits.annual_ceiling
    share = None
    if ceiling:
        share = str((amount * 100 / ceiling).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    rev = pd.revocation(state, g, d)
    status = "in_force"
    # A revocation from 1 January next year still ends the grant within this year.
    if rev is not None and end == rev.effective_from - timedelta(days=1) and y0 <= rev.effective_from <= y1 + timedelta(days=1):
        status = "revoked"
    elif end is not None and end == d.effective_until and end <= y1:
        status = "expired"
    return {
        "id": g.id, "decision": {"id": d.id, "title": d.title, "legal_basis": d.legal_basis, "source": d.source},
        "by": principal(state, d.by, lang), "to": principal(state, g.to, lang), "under": g.under,
        "powers": list(g.powers), "valid_from": start.isoformat(), "valid_until": _iso(end), "status": status,
        "revocation": _revocation(rev),
        "uses": fig.uses.get(g.id, 0), "amount": money(amount), "budget_keys": _key_rows(fig.by_key.get(g.id, {})),
        "uses_by_month": list(fig.months.get(g.id, [0] * 12)),
        "max_amount": money(g.limits.max_amount) if g.limits.max_amount is not None else None,
        "annual_ceiling": money(ceiling) if ceiling is not None else None, "ceiling_used_pct": share,
        "refusals": fig.refusals.get(g.id, 0), "attestations": fig.attestations.get(g.id, 0),
        "reporting": [{"to": r.to, "every": r.every, "within_days": r.within_days, "content": r.content}
                      for r in g.reporting],
        "duties": duties, "holders": holders(state, g.to, max(start, y0), min(end or y1, y1)),
    }


def _decisions(state: RegisterState, entries: list[dict[str, Any]], y0: date, y1: date, lang: str) -> list[dict[str, Any]]:
    grants_of: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        grants_of[e["decision"]["id"]].append(e["id"])
    out = []
    for d in sorted(state.decisions.values(), key=lambda d: (d.decided_on, d.id)):
        if d.id not in grants_of:
            continue
        rev = state.revocation_of(d.id)
        out.append({"id": d.id, "title": d.title, "by": principal(state, d.by, lang), "legal_basis": d.legal_basis,
                    "entity": d.entity, "decided_on": d.decided_on.isoformat(), "effective_from": d.effective_from.isoformat(),
                    "effective_until": _iso(d.effective_until), "source": d.source,
                    "review_every_years": d.review_every_years, "revocation": _revocation(rev), "grants": grants_of[d.id]})
    return out


def _changes(state: RegisterState, entries: list[dict[str, Any]], conn: sqlite3.Connection, y0: date, y1: date) -> dict[str, Any]:
    lo, hi = y0.isoformat(), y1.isoformat()
    new = [{"grant": e["id"], "decision": e["decision"]["id"], "to": e["to"]["id"], "effective_from": e["valid_from"]}
           for e in entries if lo <= e["valid_from"] <= hi]
    revoked = [{"grant": e["id"], "decision": e["decision"]["id"], "to": e["to"]["id"],
                "effective_from": e["revocation"]["effective_from"], "by": e["revocation"]["by"],
                "reason": e["revocation"]["reason"], "target": e["revocation"]["target"]}
               for e in entries if e["status"] == "revoked"]
    expired = [{"grant": e["id"], "decision": e["decision"]["id"], "to": e["to"]["id"], "until": e["valid_until"]}
               for e in entries if e["status"] == "expired"]
    return {"new": new, "revoked": revoked, "expired": expired, "amended": amended(conn, y0.year)}


def _finding(code: str, grant: str | None, decision: str | None, lang: str, text: Text, **details: Any) -> dict[str, Any]:
    return {"code": code, "grant": grant, "decision": decision, "text": text(lang), "details": details}


def _organ_lower(state: RegisterState, ident: str) -> Text | str:
    """The name of the organ (or position) to notify, in lower case, in the language of the text."""
    organ = state.catalogue.organs.get(ident)
    if organ is not None:
        return Given(organ.name("nl").lower(), organ.name("en").lower())
    return principal(state, ident, "nl")["name"].lower()


def _findings(state: RegisterState, entries: list[dict[str, Any]], done: dict[tuple[str, str, str], tuple[str, str]],
              rule_of: dict, y0: date, y1: date, lang: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    soon = y1 + timedelta(days=90)
    reviewed: set[str] = set()
    for e in entries:
        gid, did, to = e["id"], e["decision"]["id"], e["to"]
        start, end = date.fromisoformat(e["valid_from"]), date.fromisoformat(e["valid_until"]) if e["valid_until"] else None
        if to["kind"] == "position":
            for a, b in vacancies(state, to["id"], max(start, y0), min(end or y1, y1)):
                out.append(_finding("VACANT_POSITION", gid, did, lang, tr("{gid}: position {name} ({id}) was vacant from {start} to {end}", gid=gid, name=to["name"], id=to["id"],
                                       start=Day(a), end=Day(b)), position=to["id"], **{"from": a.isoformat(), "until": b.isoformat()}))
        if not e["reporting"]:
            out.append(_finding("MISSING_REPORTING_DUTY", gid, did, lang, tr("{gid}: the grant does not say how its exercise is reported", gid=gid)))
        d = state.decisions[did]
        if d.review_every_years and did not in reviewed:
            reviewed.add(did)
            due = _add_years(d.decided_on, d.review_every_years)
            if due <= min(end or y1, y1):
                out.append(_finding("REVIEW_OVERDUE", None, did, lang, tr("{did}: review (every {years} years) was due on {due}", did=did,
                                                                   years=d.review_every_years, due=Day(due)), due=due.isoformat()))
        if end is not None and y1 < end <= soon:
            out.append(_finding("ENDING_SOON", gid, did, lang, tr("{gid}: ends on {end}, within 90 days after the year", gid=gid,
                                                                  end=Day(end)), until=end.isoformat()))
        rule = rule_of.get(gid)
        # The council(s) to inform come from the duties the rule demands (one per legal entity of the act).
        notified = [s.to for s in pd.duty_specs(state, state.grants[gid][0], d) if s.every == pd.NOTIFY] \
            if rule is not None else []
        for council in notified:
            # The notice may have been given in an earlier year.
            notice = done.get((gid, pd.NOTIFY, council))
            done_on = notice[0] if notice else None
            organ = _organ_lower(state, council)
            text = tr("{gid}: delegation under {rule} must be notified to the {organ}; notified on {on}", gid=gid,
                      rule=rule.id, organ=organ, on=Day(done_on)) if done_on else \
                tr("{gid}: delegation under {rule} must be notified to the {organ}; no notice recorded yet", gid=gid,
                   rule=rule.id, organ=organ)
            out.append(_finding("NOTIFY_COUNCIL", gid, did, lang, text, rule=rule.id, to=council, done_on=done_on))
    return out


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _tree(state: RegisterState, entries: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """organ -> grants -> positions -> persons; a grant hangs below the grant its delegator received."""
    by_id = {e["id"]: e for e in entries}
    received: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        received[e["to"]["id"]].append(e["id"])
    children: dict[str, list[str]] = defaultdict(list)
    roots: dict[str, list[str]] = defaultdict(list)
    for gid, e in by_id.items():
        parent = _parent(state, gid, by_id, received)
        (children[parent] if parent else roots[e["by"]["id"]]).append(gid)
    seen: set[str] = set()

    def node(gid: str) -> dict[str, Any]:
        seen.add(gid)
        e = by_id[gid]
        return {"grant": gid, "decision": e["decision"]["id"], "to": e["to"], "powers": e["powers"], "status": e["status"],
                "valid_from": e["valid_from"], "valid_until": e["valid_until"], "holders": e["holders"],
                "uses": e["uses"], "amount": e["amount"],
                "children": [node(c) for c in sorted(children[gid]) if c not in seen]}

    order = {o: i for i, o in enumerate(state.catalogue.organs)}
    out = [{"principal": principal(state, root, lang), "grants": [node(g) for g in sorted(gids)]}
           for root, gids in sorted(roots.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]
    # Grants whose parents form a cycle are reached from no root; they still belong in the picture.
    for gid in sorted(set(by_id) - seen):
        if gid not in seen:
            out.append({"principal": by_id[gid]["by"], "grants": [node(gid)]})
    return out


def _parent(state: RegisterState, gid: str, by_id: dict[str, dict], received: dict[str, list[str]]) -> str | None:
    g, d = state.grants[gid]
    if g.under is not None:
        return g.under if g.under in by_id and g.under != gid else None
    receivers = {d.by}
    kind = state.kind_of(d.by)
    if kind is not None and state.catalogue.is_organ(kind):
        receivers.add(kind)
    receivers |= set(_positions_of(state, d.by))
    for who in sorted(receivers):
        for pid in received.get(who, ()):
            if pid != gid and any(power_covers(pp, p) for pp in state.grants[pid][0].powers for p in g.powers):
                return pid
    return None


def charts(report: dict[str, Any], lang: str) -> dict[str, Any]:
    """The geometry of the annual report's charts (for the HTML template)."""
    from . import charts as c

    return c.annual(report, lang)


# -- the periodic report --------------------------------------------------------------------

def period_report(reg: Any, state: RegisterState, g: m.Grant, d: m.Decision, period: str, first: date, last: date,
                  duties: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    conn = reg.store.conn
    where = ('FROM use_grants ug JOIN uses u ON u.reference = ug.reference '
             'WHERE ug."grant" = ? AND u."on" BETWEEN ? AND ?')
    args = (g.id, first.isoformat(), last.isoformat())
    uses = []
    for ref, on, actor, power, amount, key, unit, matter, grants in conn.execute(
            'SELECT u.reference, u."on", u.actor, u.power, u.amount, u.budget_key, u.unit, u.matter, u.grants '
            + where + ' ORDER BY u."on", u.reference', args):
        uses.append({"reference": ref, "on": on, "actor": principal(state, actor, lang), "power": power,
                     "amount": money(Decimal(amount)) if amount else None, "budget_key": key, "unit": unit,
                     "matter": matter, "grants": json.loads(grants or "[]")})
    keys: dict[str | None, list] = {}
    for key, n, total in _summed(conn, "SELECT u.budget_key, count(*), {sum} " + where + " GROUP BY u.budget_key",
                                 "u.amount", args):
        _add(keys, key, n, total)
    seq, head = reg.head
    admin = state.administration
    return {
        "format": FORMAT, "kind": "period", "lang": lang,
        "administration": {"id": admin.id, "name": admin.name} if admin else None,
        "register": {"seq": seq, "head": head},
        "grant": {"id": g.id, "decision": {"id": d.id, "title": d.title, "legal_basis": d.legal_basis, "source": d.source},
                  "by": principal(state, d.by, lang), "to": principal(state, g.to, lang), "powers": list(g.powers),
                  "annual_ceiling": money(g.limits.annual_ceiling) if g.limits.annual_ceiling is not None else None},
        "period": {"id": period, "from": first.isoformat(), "until": last.isoformat()},
        "duties": duties,
        "uses": uses,
        "totals": {"uses": sum(n for n, _ in keys.values()), "amount": money(sum((a for _, a in keys.values()), Decimal(0)))},
        "budget_keys": _key_rows(keys),
    }


# -- CSV ------------------------------------------------------------------------------------

ANNUAL_COLUMNS = ("record", "grant", "decision", "to", "budget_key", "status", "valid_from", "valid_until", "uses", "amount",
                  "annual_ceiling", "ceiling_used_pct", "refusals", "attestations", "duties_done", "duties_late",
                  "duties_missing", "duties_open", "period", "due", "done_on", "reference", "effective", "code", "detail")
PERIOD_COLUMNS = ("reference", "on", "actor", "power", "amount", "budget_key", "unit", "matter", "grants")


def _cell(value: Any) -> Any:
    # A text cell that a spreadsheet would read as a formula is prefixed with a quote.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(report: dict[str, Any]) -> str:
    buf = io.StringIO()
    if report["kind"] == "period":
        w = csv.DictWriter(buf, PERIOD_COLUMNS, lineterminator="\r\n")
        w.writeheader()
        for u in report["uses"]:
            w.writerow({k: _cell(v) for k, v in {**u, "actor": u["actor"]["id"], "grants": " ".join(u["grants"])}.items()})
        return buf.getvalue()
    w = csv.DictWriter(buf, ANNUAL_COLUMNS, lineterminator="\r\n")
    w.writeheader()

    def row(**kv: Any) -> None:
        w.writerow({k: _cell(v) for k, v in kv.items()})

    s = report["summary"]
    row(record="total", uses=s["uses"], amount=s["amount"], refusals=s["refusals"], attestations=s["attestations"],
        **{f"duties_{k}": v for k, v in s["duties"].items()})
    for k in s["budget_keys"]:
        row(record="budget_key", budget_key=k["budget_key"], uses=k["uses"], amount=k["amount"])
    for e in report["grants"]:
        row(record="grant", grant=e["id"], decision=e["decision"]["id"], to=e["to"]["id"], status=e["status"],
            valid_from=e["valid_from"], valid_until=e["valid_until"], uses=e["uses"], amount=e["amount"],
            annual_ceiling=e["annual_ceiling"], ceiling_used_pct=e["ceiling_used_pct"], refusals=e["refusals"],
            attestations=e["attestations"], **{f"duties_{k}": v for k, v in e["duties"].items()})
        for k in e["budget_keys"]:
            row(record="grant_budget_key", grant=e["id"], budget_key=k["budget_key"], uses=k["uses"], amount=k["amount"])
    ch = report["changes"]
    for c in ch["new"]:
        row(record="change", status="new", grant=c["grant"], decision=c["decision"], to=c["to"], effective=c["effective_from"])
    for c in ch["revoked"]:
        row(record="change", status="revoked", grant=c["grant"], decision=c["decision"], to=c["to"],
            effective=c["effective_from"], reference=c["by"], detail=c["reason"])
    for c in ch["expired"]:
        row(record="change", status="expired", grant=c["grant"], decision=c["decision"], to=c["to"], effective=c["until"])
    for c in ch["amended"]:
        row(record="change", status="amended", detail=f"{c['kind']} {c['key']}", effective=c["recorded_on"])
    for x in report["duties"]["items"]:
        row(record="duty", grant=x["grant"], to=x["to"], status=x["status"], period=x["period"], due=x["due"],
            done_on=x["done_on"], reference=x["reference"], detail=x["every"])
    for x in report["duties"]["per_act"]:
        row(record="duty_act", grant=x["grant"], to=x["to"], detail="act",
            **{f"duties_{k}": x[k] for k in ("done", "late", "missing", "open")})
    for f in report["findings"]:
        row(record="finding", grant=f["grant"], decision=f["decision"], code=f["code"], detail=f["text"])
    return buf.getvalue()
