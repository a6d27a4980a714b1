"""fsck: recompute the hash chain and rebuild every projection in memory to compare."""

from __future__ import annotations

import json
import sqlite3

from delegations.texts import Text

from . import projections
from .store import GENESIS, Event, Store, create_schema, event_hash


def fsck(store: Store) -> list[Text]:
    problems: list[Text] = []
    try:
        rows = store.conn.execute("SELECT seq, recorded_at, kind, payload, prev, hash FROM events ORDER BY rowid").fetchall()
    except sqlite3.DatabaseError as exc:
        return [Text(f"het gebeurtenissenlog is niet leesbaar: {exc}", f"the event log is not readable: {exc}")]
    events = _chain(rows, problems)
    if problems:
        return problems
    problems += _projections(store, events)
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
            problems.append(Text(f"gebeurtenis {row[0]!r}: onleesbare rij", f"event {row[0]!r}: unreadable row"))
            return events
        if seq != expected:
            problems.append(Text(f"gebeurtenis {seq}: verwacht volgnummer {expected} (gebeurtenis verwijderd of verplaatst)",
                                 f"event {seq}: expected sequence number {expected} (event deleted or moved)"))
            return events
        if ev.prev != prev:
            problems.append(Text(f"gebeurtenis {seq}: verwijst niet naar de hash van gebeurtenis {seq - 1}",
                                 f"event {seq}: does not point to the hash of event {seq - 1}"))
            return events
        if not all(isinstance(x, str) for x in (ev.recorded_at, ev.kind, ev.payload, ev.hash)) or \
                event_hash(seq, ev.recorded_at, ev.kind, ev.payload, ev.prev) != ev.hash:
            problems.append(Text(f"gebeurtenis {seq}: inhoud of hash gewijzigd (hash klopt niet)",
                                 f"event {seq}: content or hash changed (hash does not match)"))
            return events
        if ev.recorded_at < last_stamp:
            problems.append(Text(f"gebeurtenis {seq}: tijdstip ligt voor dat van de vorige gebeurtenis",
                                 f"event {seq}: time stamp before the previous event's"))
            return events
        try:
            json.loads(ev.payload)
        except ValueError:
            problems.append(Text(f"gebeurtenis {seq}: inhoud is geen JSON", f"event {seq}: payload is not JSON"))
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
        return [Text(f"gebeurtenis {ev.seq}: kan niet opnieuw toegepast worden ({exc})",
                     f"event {ev.seq}: cannot be replayed ({exc})")]
    for table, order in projections.TABLES.items():
        try:
            stored = store.conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # noqa: S608 - fixed names
        except sqlite3.DatabaseError as exc:
            return [Text(f"tabel {table} is niet leesbaar: {exc}", f"table {table} is not readable: {exc}")]
        rebuilt = mem.conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # noqa: S608
        if stored != rebuilt:
            return [_difference(table, stored, rebuilt)]
    return []


def _difference(table: str, stored: list[tuple], rebuilt: list[tuple]) -> Text:
    for a, b in zip(stored, rebuilt, strict=False):
        if a != b:
            seq = b[-1] if isinstance(b[-1], int) else "?"
            return Text(f"projectie {table} wijkt af bij rij {b[:2]} (gebeurtenis {seq}): opgeslagen {a!r}",
                        f"projection {table} differs at row {b[:2]} (event {seq}): stored {a!r}")
    if len(stored) > len(rebuilt):
        return Text(f"projectie {table} bevat een rij zonder gebeurtenis: {stored[len(rebuilt)]!r}",
                    f"projection {table} holds a row without an event: {stored[len(rebuilt)]!r}")
    missing = rebuilt[len(stored)]
    return Text(f"projectie {table} mist een rij: {missing[:2]} (gebeurtenis {missing[-1]})",
                f"projection {table} misses a row: {missing[:2]} (event {missing[-1]})")
