"""Projections: how each event kind changes the read tables, every one of them here.

The same handlers run when an event is appended and when `fsck` replays the whole log into an
in-memory database, so the comparison is exact by construction. The SQL runs unchanged on
SQLite and PostgreSQL (upserts as INSERT ... ON CONFLICT, which both know). Event kinds without a handler
(`checkpoint.issued`) live in the log only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .store import Event, canonical, sha256

Handler = Callable[[sqlite3.Connection, Event], None]

# table -> ORDER BY clause, compared by fsck
TABLES: dict[str, str] = {"meta": "key", "entities": "kind, key", "uses": "reference", "use_grants": "reference, \"grant\"",
                          "refusals": "reference", "grant_index": "\"grant\"", "keys": "kid", "attestations": "jti",
                          "duties_done": '"grant", period, "to"'}


def _administration(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES ('administration', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (canonical(event.data),))


def _entity(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    body = canonical(d["data"])
    conn.execute("INSERT INTO entities (kind, key, data, sha256, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) "
                 "DO UPDATE SET data = excluded.data, sha256 = excluded.sha256, seq = excluded.seq",
                 (d["kind"], d["key"], body, sha256(body), event.seq))
    if d["kind"] == "decision":
        index_grants(conn, d["key"], d["data"])


def index_grants(conn: sqlite3.Connection, decision: str, data: dict) -> None:
    """grant -> decision and recipient, so one question reads only the decisions on its chains."""
    conn.execute("DELETE FROM grant_index WHERE decision = ?", (decision,))
    conn.executemany("INSERT INTO grant_index (\"grant\", decision, recipient) VALUES (?, ?, ?) ON CONFLICT (\"grant\") "
                     "DO UPDATE SET decision = excluded.decision, recipient = excluded.recipient",
                     [(g["id"], decision, g["to"]) for g in data.get("grants", ())])


def put_entities(conn: sqlite3.Connection, puts: list[tuple[Event, str, str, str, str, Any]]) -> None:
    """`_entity` for a run of `entity.put` events at once: (event, kind, key, canonical data,
    its sha256, the data) each, in the order of the log. The tables end as applying the events one
    by one leaves them: the rows in order (a later put of the same entity wins), and for decisions
    the grant index of each decision replaced, all old rows of the run's decisions deleted before
    the new ones are written (the same, since no decision occurs twice in a run; else one by one)."""
    if not puts:
        return
    decisions = [p for p in puts if p[1] == "decision"]
    if len({p[2] for p in decisions}) != len(decisions):
        for event, *_rest in puts:
            _entity(conn, event)
        return
    conn.executemany("INSERT INTO entities (kind, key, data, sha256, seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) "
                     "DO UPDATE SET data = excluded.data, sha256 = excluded.sha256, seq = excluded.seq",
                     [(kind, key, body, digest, event.seq) for event, kind, key, body, digest, _data in puts])
    if decisions:
        conn.executemany("DELETE FROM grant_index WHERE decision = ?", [(p[2],) for p in decisions])
        conn.executemany("INSERT INTO grant_index (\"grant\", decision, recipient) VALUES (?, ?, ?) ON CONFLICT (\"grant\") "
                         "DO UPDATE SET decision = excluded.decision, recipient = excluded.recipient",
                         [(g["id"], key, g["to"]) for _e, _k, key, _b, _d, data in decisions for g in data.get("grants", ())])


def _use(conn: sqlite3.Connection, event: Event) -> None:
    u = event.data
    year = int(u["on"][:4])
    conn.execute(
        "INSERT INTO uses (reference, \"on\", year, actor, power, amount, budget_key, unit, matter, grants, jti, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (u["reference"], u["on"], year, u["actor"], u["power"], u["amount"], u["budget_key"], u["unit"], u["matter"],
         canonical(u["grants"]), u.get("jti"), event.seq))
    amount = u["amount"] or "0"
    for g in u["grants"]:
        conn.execute("INSERT INTO use_grants (reference, \"grant\", year, amount) VALUES (?, ?, ?, ?)",
                     (u["reference"], g, year, amount))


def _refused(conn: sqlite3.Connection, event: Event) -> None:
    u = event.data
    conn.execute("INSERT INTO refusals (reference, \"on\", year, actor, power, amount, codes, grants, seq) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (u["reference"], u["on"], int(u["on"][:4]), u["actor"], u["power"], u["amount"], canonical(u["codes"]),
                  canonical(u["grants"]), event.seq))


def active_key(conn: sqlite3.Connection, kind: str, d: dict[str, Any]) -> None:
    """Which key signs: the one added or activated last, until it is retired; then none (an
    older key is never re-activated behind the operator's back)."""
    if kind in ("key.added", "key.activated"):
        conn.execute("INSERT INTO meta (key, value) VALUES ('active_kid', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (d["kid"],))
    elif kind == "key.retired":
        conn.execute("DELETE FROM meta WHERE key = 'active_kid' AND value = ?", (d["kid"],))


def _key_added(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    conn.execute("INSERT INTO keys (kid, jwk, added_at, retired_at, seq) VALUES (?, ?, ?, NULL, ?)",
                 (d["kid"], canonical(d["jwk"]), d["added_at"], event.seq))
    active_key(conn, event.kind, d)


def _key_activated(conn: sqlite3.Connection, event: Event) -> None:
    active_key(conn, event.kind, event.data)


def _key_retired(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    conn.execute("UPDATE keys SET retired_at = ? WHERE kid = ?", (d["retired_at"], d["kid"]))
    active_key(conn, event.kind, d)


def _attestation(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    conn.execute("INSERT INTO attestations (jti, kid, iat, actor, power, allowed, question_sha256, grants, seq) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (d["jti"], d["kid"], d["iat"], d["actor"], d["power"], int(d["allowed"]), d["question_sha256"],
                  canonical(d["grants"]), event.seq))


def _duty_done(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    conn.execute('INSERT INTO duties_done ("grant", period, "to", every, "on", reference, seq) '
                 'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("grant", period, "to") DO UPDATE SET every = excluded.every, '
                 '"on" = excluded."on", reference = excluded.reference, seq = excluded.seq', (d["grant"], d["period"], d["to"], d["every"], d["on"], d["reference"],
                                                  event.seq))


HANDLERS: dict[str, Handler] = {
    "administration.set": _administration,
    "entity.put": _entity,
    "use.recorded": _use,
    "use.refused": _refused,
    "key.added": _key_added,
    "key.activated": _key_activated,
    "key.retired": _key_retired,
    "attestation.issued": _attestation,
    "duty.done": _duty_done,
}


def apply(conn: sqlite3.Connection, event: Event) -> None:
    fn = HANDLERS.get(event.kind)
    if fn is not None:
        fn(conn, event)


def used_amount(conn: sqlite3.Connection, grant: str, year: int, exclude: str | None = None,
                until_seq: int | None = None) -> Decimal:
    """The amount used of `grant` in `year`; without the use `exclude`; only uses recorded up to
    event `until_seq` when given (the register as it was then)."""
    total = Decimal(0)
    if until_seq is None:
        rows = conn.execute("SELECT amount FROM use_grants WHERE \"grant\" = ? AND year = ? AND reference IS NOT ?",
                            (grant, year, exclude))
    else:
        rows = conn.execute("SELECT ug.amount FROM use_grants ug JOIN uses u ON u.reference = ug.reference "
                            "WHERE ug.\"grant\" = ? AND ug.year = ? AND ug.reference IS NOT ? AND u.seq <= ?",
                            (grant, year, exclude, until_seq))
    for (amount,) in rows:
        total += Decimal(amount)
    return total
