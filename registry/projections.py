"""Projections: how each event kind changes the read tables.

The same handlers run when an event is appended and when `fsck` replays the whole log into an
in-memory database, so the comparison is exact by construction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal

from .store import Event, canonical, sha256

Handler = Callable[[sqlite3.Connection, Event], None]
HANDLERS: dict[str, Handler] = {}
# table -> ORDER BY clause, compared by fsck
TABLES: dict[str, str] = {"meta": "key", "entities": "kind, key", "uses": "reference", "use_grants": "reference, \"grant\"",
                          "refusals": "reference", "grant_index": "\"grant\""}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def apply(conn: sqlite3.Connection, event: Event) -> None:
    fn = HANDLERS.get(event.kind)
    if fn is not None:
        fn(conn, event)


@handler("administration.set")
def _administration(conn: sqlite3.Connection, event: Event) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('administration', ?)", (canonical(event.data),))


@handler("entity.put")
def _entity(conn: sqlite3.Connection, event: Event) -> None:
    d = event.data
    body = canonical(d["data"])
    conn.execute("INSERT OR REPLACE INTO entities (kind, key, data, sha256, seq) VALUES (?, ?, ?, ?, ?)",
                 (d["kind"], d["key"], body, sha256(body), event.seq))
    if d["kind"] == "decision":
        index_grants(conn, d["key"], d["data"])


def index_grants(conn: sqlite3.Connection, decision: str, data: dict) -> None:
    """grant -> decision and recipient, so one question reads only the decisions on its chains."""
    conn.execute("DELETE FROM grant_index WHERE decision = ?", (decision,))
    conn.executemany("INSERT OR REPLACE INTO grant_index (\"grant\", decision, recipient) VALUES (?, ?, ?)",
                     [(g["id"], decision, g["to"]) for g in data.get("grants", ())])


@handler("use.recorded")
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


@handler("use.refused")
def _refused(conn: sqlite3.Connection, event: Event) -> None:
    u = event.data
    conn.execute("INSERT INTO refusals (reference, \"on\", year, actor, power, amount, codes, grants, seq) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (u["reference"], u["on"], int(u["on"][:4]), u["actor"], u["power"], u["amount"], canonical(u["codes"]),
                  canonical(u["grants"]), event.seq))


def used_amount(conn: sqlite3.Connection, grant: str, year: int, exclude: str | None = None) -> Decimal:
    total = Decimal(0)
    for (amount,) in conn.execute("SELECT amount FROM use_grants WHERE \"grant\" = ? AND year = ? AND reference IS NOT ?",
                                  (grant, year, exclude)):
        total += Decimal(amount)
    return total
