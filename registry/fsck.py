"""fsck: recompute the hash chain, rebuild every projection in memory to compare, compare every
table, index and trigger definition with the schema, and check published points (checkpoints)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from delegations.texts import N_, Text, tr

from . import projections
from .checkpoints import compare
from .schema import TRIGGERS, create_schema, definitions, expected_definitions
from .store import GENESIS, Event, Store, event_hash


def fsck(store: Store, points: tuple[tuple[int, str, str], ...] = ()) -> list[Text]:
    """Problems found (empty: all verifies). `points` are published (seq, head, source) the
    register must still contain."""
    # One read transaction: the log and the projections must come from the same snapshot, or a use
    # committed by another process between two SELECTs looks like a projection row without an event.
    with store.snapshot():
        return _fsck(store, points)


def _fsck(store: Store, points: tuple[tuple[int, str, str], ...]) -> list[Text]:
    problems: list[Text] = []
    try:
        # SQLite: in the order the rows were written (a row moved or renumbered shows); PostgreSQL has no rowid.
        order = "rowid" if store.engine == "sqlite" else "seq"
        rows = store.conn.execute(f"SELECT seq, recorded_at, kind, payload, prev, hash FROM events ORDER BY {order}").fetchall()  # noqa: S608
    except sqlite3.DatabaseError as exc:
        return [tr("the event log is not readable: {exc}", exc=exc)]
    events = _chain(rows, problems)
    # A published point is checked against the events that verify: a cut-short log is found even
    # when what remains is a perfect chain.
    hashes = {e.seq: e.hash for e in events}
    for seq, head, source in points:
        problems += compare(len(events), lambda s: GENESIS if s == 0 else hashes.get(s), seq, head, source)
    if problems:
        return problems
    problems += _projections(store, events)
    if not problems:
        problems += _schema(store)
    return problems


def _chain(rows: list[tuple], problems: list[Text]) -> list[Event]:
    prev, expected = GENESIS, 1
    events = []
    last_stamp = ""
    for row in rows:
        try:
            ev = Event(*row)
            seq = int(ev.seq)
        except (TypeError, ValueError):
            problems.append(tr("event {value!r}: unreadable row", value=row[0]))
            return events
        if seq != expected:
            problems.append(tr("event {seq}: expected sequence number {expected} (event deleted or moved)", seq=seq, expected=expected))
            return events
        if ev.prev != prev:
            problems.append(tr("event {seq}: does not point to the hash of event {value}", seq=seq, value=seq - 1))
            return events
        if not all(isinstance(x, str) for x in (ev.recorded_at, ev.kind, ev.payload, ev.hash)) or \
                event_hash(seq, ev.recorded_at, ev.kind, ev.payload, ev.prev) != ev.hash:
            problems.append(tr("event {seq}: content or hash changed (hash does not match)", seq=seq))
            return events
        if ev.recorded_at < last_stamp:
            problems.append(tr("event {seq}: time stamp before the previous event's", seq=seq))
            return events
        try:
            json.loads(ev.payload)
        except ValueError:
            problems.append(tr("event {seq}: payload is not JSON", seq=seq))
            return events
        last_stamp = ev.recorded_at
        prev, expected = ev.hash, expected + 1
        events.append(ev)
    return events


def _projections(store: Store, events: list[Event]) -> list[Text]:
    import sqlite_utils

    mem = sqlite_utils.Database(memory=True)
    create_schema(mem)
    try:
        for ev in events:
            projections.apply(mem.conn, ev)
    except Exception as exc:  # noqa: BLE001 - a payload that cannot be replayed is itself a finding
        return [tr("event {seq}: cannot be replayed ({exc})", seq=ev.seq, exc=exc)]
    for table, order in projections.TABLES.items():
        rebuilt_cur = mem.conn.execute(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608 - fixed names
        rebuilt = rebuilt_cur.fetchall()
        # The same columns in the same order (PostgreSQL's tables also carry the administration).
        columns = ", ".join(f'"{d[0]}"' for d in rebuilt_cur.description)
        try:
            stored = [tuple(r) for r in store.conn.execute(f"SELECT {columns} FROM {table} ORDER BY {order}").fetchall()]  # noqa: S608
        except sqlite3.DatabaseError as exc:
            # A register older than a projection has no table for it; that is only wrong if some event needs it.
            if "no such table" not in str(exc) or rebuilt:
                return [tr("table {table} is not readable: {exc}", table=table, exc=exc)]
            continue
        if Counter(stored) != Counter(rebuilt):  # as multisets: PostgreSQL sorts text by its collation
            columns = [d[0] for d in rebuilt_cur.description]
            last = events[-1].seq if events else 0
            return [_difference(table, stored, rebuilt, _seq_finder(table, columns, mem.conn, events), last)]
    return []


def _seq_finder(table: str, columns: list[str], mem: sqlite3.Connection, events: list[Event]):
    """How to find the event that wrote a (rebuilt) row of `table`, so that fsck can name it."""
    if "seq" in columns:
        i = columns.index("seq")
        return lambda row: row[i]
    if "reference" in columns:  # use_grants: the use's event
        i = columns.index("reference")
        return lambda row: (mem.execute("SELECT seq FROM uses WHERE reference = ?", (row[i],)).fetchone() or (None,))[0]
    if table == "meta":
        admin = [e.seq for e in events if e.kind == "administration.set"]
        return lambda row: admin[-1] if row[0] == "administration" and admin else None
    return lambda row: None


def _claimed(row: tuple) -> int | None:
    # Projection tables with an event reference keep it in their last column, `seq`.
    return row[-1] if row and isinstance(row[-1], int) and not isinstance(row[-1], bool) else None


def _short(row: tuple) -> str:
    text = repr(row)
    return text if len(text) <= 300 else text[:297] + "..."


def _difference(table: str, stored: list[tuple], rebuilt: list[tuple], seq_of, last: int) -> Text:
    # Compare as multisets: a changed, deleted or inserted row is named by itself, whatever its position.
    have, want = Counter(stored), Counter(rebuilt)
    missing = [r for r in rebuilt if want[r] > have[r]]
    extra = [r for r in stored if have[r] > want[r]]
    beyond = sorted(((s, r) for r in extra if isinstance(s := _claimed(r), int) and s > last), key=lambda x: x[0])
    if beyond:  # rows of events that are no longer in the log: the log was cut short
        seq, row = beyond[0]
        return tr("event {seq}: missing from the log (last is {last}), but projection {table} holds a row of it: {value}", seq=seq, last=last, table=table, value=_short(row))
    if missing:
        seqs = [s for s in (seq_of(r) for r in missing) if isinstance(s, int)]
        first = min(seqs) if seqs else None
        row = next((r for r in missing if seq_of(r) == first), missing[0])
        value = _short(row)
        if first is None:
            return tr("projection {table} does not match: expected {value}; stored instead: {stored}", table=table,
                      value=value, stored=_short(extra[0])) if extra else \
                tr("projection {table} does not match: expected {value} (row missing)", table=table, value=value)
        return tr("event {seq}: projection {table} does not match: expected {value}; stored instead: {stored}", seq=first,
                  table=table, value=value, stored=_short(extra[0])) if extra else \
            tr("event {seq}: projection {table} does not match: expected {value} (row missing)", seq=first, table=table,
               value=value)
    return tr("projection {table} holds a row without an event: {value}", table=table, value=_short(extra[0]))


def _schema(store: Store) -> list[Text]:
    """Every table, index and trigger as the schema defines it: the append-only triggers are the
    first thing a tamperer drops or replaces with a no-op, and an extra trigger can rewrite rows."""
    if store.engine != "sqlite":
        from .pg import schema_problems

        return schema_problems(store.conn)
    stored, expected = definitions(store.conn), expected_definitions()
    problems = []
    for (kind, name), sql in sorted(expected.items()):
        have = stored.get((kind, name))
        if have is None and kind == "table":
            continue  # a register older than a projection: _projections already judged its rows
        if have is None:
            problems.append(tr("the event log's protection {name} is missing (dropped?)", name=name) if name in TRIGGERS
                            else tr("{kind} {name} is missing", kind=tr(_KIND[kind]), name=name))
        elif have != sql:
            problems.append(tr("{kind} {name} was changed: its definition differs from the schema", kind=tr(_KIND[kind]),
                               name=name))
    for (kind, name) in sorted(set(stored) - set(expected)):
        if kind in ("trigger", "view") or (kind == "table" and name in projections.TABLES):
            problems.append(tr("unexpected {kind} {name} in the register (added?)", kind=tr(_KIND[kind]), name=name))
    return problems


_KIND = {"table": N_("table"), "index": N_("index"), "trigger": N_("trigger"), "view": N_("view")}
