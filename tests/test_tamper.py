"""Tamper evidence: random mutations of a stored register, made as an attacker would, are all caught.

The attacker drops the append-only triggers, edits (or edits the database file directly), and
puts the triggers back. `fsck` must exit 3 and its first problem must name the first bad event.
Each mutation is generated from a seeded random source; the seed and the mutation are in every
assertion message so that a failure can be replayed.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from registry import Registry
from registry.store import sha256
from tests.helpers import EXAMPLE, cli, copy_register

VERB = "budgethouderschap.verbintenis"
TRIGGERS = ("events_no_update", "events_no_delete")


@dataclass
class Mutation:
    description: str
    expect: Callable[[str], bool]  # does fsck's first problem name the right event?


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plus recorded uses, refusals and a revocation: every projection table has rows."""
    path = tmp_path_factory.mktemp("tamper") / "template.db"
    with Registry.init(path) as reg:
        reg.load(EXAMPLE)
        for i, (amount, on) in enumerate([("1200", "2025-05-02"), ("800.50", "2025-06-10"), ("99999", "2025-06-11"),
                                          ("3000", "2025-09-01"), ("12.34", "2025-11-30"), ("8500", "2025-03-03")]):
            answer = reg.check("p-001", VERB, on, amount=Decimal(amount), budget_key="0119/6140000", unit="aankoop")
            reg.record_use(answer, f"BB-2025-{i:04d}")
        reg.revoke("AD-2025-0011/2", "2025-12-01", "AD-2025-0040", "herschikking")
        answer = reg.check("p-002", VERB, "2025-05-05", amount=Decimal("10"), budget_key="0119/6140000", unit="aankoop")
        reg.record_use(answer, "BB-2025-0100")
    restore_triggers(path)  # (a no-op for the triggers) folds the WAL in: file-level edits see everything
    assert cli("--db", path, "fsck").code == 0
    conn = sqlite3.connect(path)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
              for t in ("events", "entities", "uses", "use_grants", "refusals")}
    conn.close()
    assert all(counts.values()), counts
    return path


# -- the attacker's tools ----------------------------------------------------------------------------------------

def sql_edit(db: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for name in TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        # The expression index on appointments refuses malformed JSON; an attacker drops it too.
        conn.execute("DROP INDEX IF EXISTS entities_appointment_position")
        for sql, args in statements:
            conn.execute(sql, args)
        conn.execute("COMMIT")
    finally:
        conn.close()
    restore_triggers(db)


def restore_triggers(db: Path) -> None:
    """A careful attacker puts the protection back, so that only the content can give him away."""
    conn = sqlite3.connect(db, isolation_level=None)
    for name, op in (("events_no_update", "UPDATE"), ("events_no_delete", "DELETE")):
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {op} ON events "
                     "BEGIN SELECT RAISE(ABORT, 'het gebeurtenissenlog is alleen-toevoegen'); END")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def rows(db: Path, sql: str, args: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def other_char(rng: random.Random, c: str) -> str:
    pool = "0123456789abcdefghijklmnopqrstuvwxyz{}[]:,\"- "
    return rng.choice([x for x in pool if x != c])


def names_event(seq: int) -> Callable[[str], bool]:
    return lambda text: re.search(rf"(gebeurtenis|volgnummer) {seq}\b", text) is not None


# -- mutations: each edits `db` and says which event fsck must name -------------------------------------------

def event_byte(db: Path, rng: random.Random) -> Mutation:
    seq, payload = rng.choice(rows(db, "SELECT seq, payload FROM events"))
    i = rng.randrange(len(payload))
    changed = payload[:i] + other_char(rng, payload[i]) + payload[i + 1:]
    sql_edit(db, ("UPDATE events SET payload = ? WHERE seq = ?", (changed, seq)))
    return Mutation(f"byte {i} of event {seq}'s payload", names_event(seq))


def event_field(db: Path, rng: random.Random) -> Mutation:
    (last,) = rows(db, "SELECT max(seq) FROM events")[0]
    seq = rng.randint(1, last)
    column = rng.choice(["recorded_at", "kind", "prev", "hash", "hash_of_other"])
    if column == "recorded_at":
        (stamp,) = rows(db, "SELECT recorded_at FROM events WHERE seq = ?", (seq,))[0]
        i = rng.choice([k for k, c in enumerate(stamp) if c.isdigit()])
        value = stamp[:i] + str((int(stamp[i]) + rng.randint(1, 9)) % 10) + stamp[i + 1:]
    elif column == "kind":
        (kind,) = rows(db, "SELECT kind FROM events WHERE seq = ?", (seq,))[0]
        value = rng.choice([k for k in ("entity.put", "use.recorded", "use.refused", "administration.set") if k != kind])
    elif column == "hash_of_other":
        other = rng.choice([s for s in range(1, last + 1) if s != seq])
        (value,) = rows(db, "SELECT hash FROM events WHERE seq = ?", (other,))[0]
        column = "hash"
    else:
        value = sha256(str(rng.random()))
    sql_edit(db, (f"UPDATE events SET {column} = ? WHERE seq = ?", (value, seq)))  # noqa: S608 - column from a fixed list
    return Mutation(f"{column} of event {seq} replaced", names_event(seq))


def event_rehashed(db: Path, rng: random.Random) -> Mutation:
    """Change a payload and recompute its hash: the chain breaks at the next event (or the projections differ)."""
    from registry.store import event_hash

    (last,) = rows(db, "SELECT max(seq) FROM events")[0]
    seq = rng.randint(1, last - 1)
    s, stamp, kind, payload, prev = rows(db, "SELECT seq, recorded_at, kind, payload, prev FROM events WHERE seq = ?",
                                         (seq,))[0]
    changed = payload.replace('"', "'", 1) if rng.random() < 0.5 else payload + " "
    sql_edit(db, ("UPDATE events SET payload = ?, hash = ? WHERE seq = ?", (changed, event_hash(s, stamp, kind, changed, prev),
                                                                           seq)))
    # fsck names the rewritten event itself when its payload is no longer JSON, else the next one,
    # whose `prev` no longer matches
    return Mutation(f"event {seq} rewritten with a recomputed hash",
                    lambda text: names_event(seq)(text) or names_event(seq + 1)(text))


def event_deleted(db: Path, rng: random.Random) -> Mutation:
    (last,) = rows(db, "SELECT max(seq) FROM events")[0]
    seq = rng.choice([rng.randint(1, last), last])
    sql_edit(db, ("DELETE FROM events WHERE seq = ?", (seq,)))
    return Mutation(f"event {seq} deleted (last is {last})", names_event(seq))


def event_reordered(db: Path, rng: random.Random) -> Mutation:
    (last,) = rows(db, "SELECT max(seq) FROM events")[0]
    if rng.random() < 0.5:  # swap the contents of two events
        a, b = sorted(rng.sample(range(1, last + 1), 2))
        cols = "recorded_at, kind, payload, prev, hash"
        ra = rows(db, f"SELECT {cols} FROM events WHERE seq = ?", (a,))[0]  # noqa: S608 - fixed names
        rb = rows(db, f"SELECT {cols} FROM events WHERE seq = ?", (b,))[0]  # noqa: S608
        update = "UPDATE events SET recorded_at = ?, kind = ?, payload = ?, prev = ?, hash = ? WHERE seq = ?"
        sql_edit(db, (update, (*rb, a)), (update, (*ra, b)))
        return Mutation(f"events {a} and {b} swapped", names_event(a))
    seq = rng.randint(1, last - 1)  # move one event to the end
    sql_edit(db, ("UPDATE events SET seq = ? WHERE seq = ?", (last + 1, seq)))
    return Mutation(f"event {seq} moved to the end", names_event(seq))


def projection_amount(db: Path, rng: random.Random) -> Mutation:
    table = rng.choice(["uses", "use_grants", "refusals"])
    key = "reference"
    ref, amount = rng.choice(rows(db, f"SELECT {key}, amount FROM {table} WHERE amount IS NOT NULL"))  # noqa: S608
    new = str(Decimal(amount) + rng.choice([Decimal("0.01"), Decimal(1), Decimal(-1), Decimal(1000)]))
    sql_edit(db, (f"UPDATE {table} SET amount = ? WHERE reference = ? AND rowid = (SELECT min(rowid) FROM {table} "  # noqa: S608
                  "WHERE reference = ?)", (new, ref, ref)))
    (seq,) = rows(db, "SELECT seq FROM uses WHERE reference = ? UNION ALL SELECT seq FROM refusals WHERE reference = ?",
                  (ref, ref))[0]
    return Mutation(f"amount of {ref} in {table}: {amount} -> {new}", names_event(seq))


def projection_date(db: Path, rng: random.Random) -> Mutation:
    if rng.random() < 0.5:
        table = rng.choice(["uses", "refusals"])
        ref, on, seq = rng.choice(rows(db, f'SELECT reference, "on", seq FROM {table}'))  # noqa: S608 - fixed names
        new = on[:-1] + other_char(rng, on[-1]) if rng.random() < 0.5 else "2024" + on[4:]
        sql_edit(db, (f'UPDATE {table} SET "on" = ? WHERE reference = ?', (new, ref)))  # noqa: S608
        return Mutation(f"date of {ref} in {table}: {on} -> {new}", names_event(seq))
    candidates = [(k, key, d, s) for k, key, d, s in rows(db, "SELECT kind, key, data, seq FROM entities")
                  if re.search(r"\d{4}-\d{2}-\d{2}", d)]
    kind, key, data, seq = rng.choice(candidates)
    dates = re.findall(r"\d{4}-\d{2}-\d{2}", data)
    old = rng.choice(dates)
    new = f"{int(old[:4]) + rng.choice([-1, 1])}{old[4:]}"
    sql_edit(db, ("UPDATE entities SET data = ? WHERE kind = ? AND key = ?", (data.replace(old, new, 1), kind, key)))
    return Mutation(f"date {old} -> {new} in {kind} {key}", names_event(seq))


def projection_entity(db: Path, rng: random.Random) -> Mutation:
    kind, key, data, digest, seq = rng.choice(rows(db, "SELECT kind, key, data, sha256, seq FROM entities"))
    what = rng.choice(["amount", "sha256", "seq", "data_byte"])
    if what == "amount" and re.search(r'"\d+"', data):
        old = rng.choice(re.findall(r'"(\d+)"', data))
        sql_edit(db, ("UPDATE entities SET data = ? WHERE kind = ? AND key = ?",
                      (data.replace(f'"{old}"', f'"{int(old) + 1}"', 1), kind, key)))
        return Mutation(f"number {old} +1 in {kind} {key}", names_event(seq))
    if what == "sha256":
        sql_edit(db, ("UPDATE entities SET sha256 = ? WHERE kind = ? AND key = ?", (sha256(data + " "), kind, key)))
        return Mutation(f"sha256 of {kind} {key} replaced", names_event(seq))
    if what == "seq":
        sql_edit(db, ("UPDATE entities SET seq = ? WHERE kind = ? AND key = ?", (seq - 1, kind, key)))
        return Mutation(f"seq of {kind} {key}: {seq} -> {seq - 1}", names_event(seq))
    i = rng.randrange(len(data))
    sql_edit(db, ("UPDATE entities SET data = ? WHERE kind = ? AND key = ?", (data[:i] + other_char(rng, data[i]) + data[i + 1:],
                                                                              kind, key)))
    return Mutation(f"byte {i} of {kind} {key}", names_event(seq))


def projection_row_deleted(db: Path, rng: random.Random) -> Mutation:
    table = rng.choice(["entities", "uses", "use_grants", "refusals", "meta"])
    if table == "meta":
        (seq,) = rows(db, "SELECT max(seq) FROM events WHERE kind = 'administration.set'")[0]
        sql_edit(db, ("DELETE FROM meta WHERE key = 'administration'", ()))
        return Mutation("meta administration row deleted", names_event(seq))
    rowid, = rng.choice(rows(db, f"SELECT rowid FROM {table}"))  # noqa: S608 - fixed names
    if table == "use_grants":
        (ref,) = rows(db, "SELECT reference FROM use_grants WHERE rowid = ?", (rowid,))[0]
        (seq,) = rows(db, "SELECT seq FROM uses WHERE reference = ?", (ref,))[0]
    else:
        (seq,) = rows(db, f"SELECT seq FROM {table} WHERE rowid = ?", (rowid,))[0]  # noqa: S608
    sql_edit(db, (f"DELETE FROM {table} WHERE rowid = ?", (rowid,)))  # noqa: S608
    return Mutation(f"row {rowid} of {table} deleted", names_event(seq))


def projection_row_added(db: Path, rng: random.Random) -> Mutation:
    table = rng.choice(["entities", "uses", "use_grants", "refusals"])
    if table == "entities":
        sql_edit(db, ("INSERT INTO entities (kind, key, data, sha256, seq) VALUES ('person', 'p-666', ?, ?, ?)",
                      ('{"id":"p-666","name":"Ingeschoven Persoon"}', sha256("x"), rng.randint(1, 60))))
    elif table == "uses":
        sql_edit(db, ('INSERT INTO uses (reference, "on", year, actor, power, amount, budget_key, unit, matter, grants, jti, '
                      "seq) VALUES ('BB-VALS', '2025-05-05', 2025, 'p-001', ?, '1.00', NULL, NULL, NULL, '[]', NULL, ?)",
                      (VERB, rng.randint(1, 60))))
    elif table == "use_grants":
        sql_edit(db, ('INSERT INTO use_grants (reference, "grant", year, amount) VALUES (\'BB-2025-0000\', \'VALS/1\', '
                      "2025, '1.00')", ()))
    else:
        sql_edit(db, ('INSERT INTO refusals (reference, "on", year, actor, power, amount, codes, grants, seq) VALUES '
                      "('BB-VALS', '2025-05-05', 2025, 'p-001', ?, '1.00', '[]', '[]', ?)", (VERB, rng.randint(1, 60))))
    return Mutation(f"extra row in {table}", lambda text: table in text and "zonder gebeurtenis" in text)


def file_byte(db: Path, rng: random.Random) -> Mutation:
    """Edit the database file itself: one byte inside an event's payload as stored on disk."""
    raw = bytearray(db.read_bytes())
    candidates = []
    for seq, payload in rows(db, "SELECT seq, payload FROM events"):
        blob = payload.encode("utf-8")
        if len(blob) < 1500 and raw.count(blob) == 1:
            candidates.append((seq, blob))
    seq, blob = rng.choice(candidates)
    start = raw.find(blob)
    i = rng.choice([k for k, b in enumerate(blob) if b < 0x80])
    raw[start + i] = ord(other_char(rng, chr(blob[i])))
    db.write_bytes(bytes(raw))
    return Mutation(f"file byte in event {seq}'s payload (offset {start + i})", names_event(seq))


def file_byte_projection(db: Path, rng: random.Random) -> Mutation:
    """Edit the database file itself: one character of a stored entity hash."""
    raw = bytearray(db.read_bytes())
    kind, key, digest, seq = rng.choice([r for r in rows(db, "SELECT kind, key, sha256, seq FROM entities")
                                         if raw.count(r[2].encode()) == 1])
    start = raw.find(digest.encode())
    i = rng.randrange(len("sha256:"), len(digest))
    raw[start + i] = ord(rng.choice([c for c in "0123456789abcdef" if c != digest[i]]))
    db.write_bytes(bytes(raw))
    return Mutation(f"file byte in the sha256 of {kind} {key}", names_event(seq))


MUTATORS = [event_byte, event_field, event_rehashed, event_deleted, event_reordered, projection_amount, projection_date,
            projection_entity, projection_row_deleted, projection_row_added, file_byte, file_byte_projection]


def mutate_and_check(template: Path, tmp: Path, seed: int, mutator: Callable[[Path, random.Random], Mutation]) -> str:
    db = copy_register(template, tmp / f"m{seed}.db")
    mutation = mutator(db, random.Random(seed))
    r = cli("--db", db, "--json", "fsck")
    context = f"seed={seed} mutator={mutator.__name__}: {mutation.description}"
    assert r.code == 3, (context, r)
    first = r.json["problems"][0]
    assert mutation.expect(first), (context, first)
    db.unlink()
    return mutator.__name__


@pytest.mark.parametrize("mutator", MUTATORS, ids=[m.__name__ for m in MUTATORS])
def test_each_kind_of_mutation_is_caught(mutator: Callable, template: Path, tmp_path: Path) -> None:
    for seed in range(3):
        mutate_and_check(template, tmp_path, 1000 * MUTATORS.index(mutator) + seed, mutator)


@pytest.mark.slow
def test_240_random_mutations_are_all_caught(template: Path, tmp_path: Path) -> None:
    base = random.randrange(1_000_000)
    done: dict[str, int] = {}
    for n in range(240):
        seed = base + n
        mutator = MUTATORS[random.Random(seed).randrange(len(MUTATORS))]
        name = mutate_and_check(template, tmp_path, seed, mutator)
        done[name] = done.get(name, 0) + 1
    assert sum(done.values()) == 240 and len(done) == len(MUTATORS), done


def test_dropped_triggers_alone_are_reported(template: Path, tmp_path: Path) -> None:
    db = copy_register(template, tmp_path / "r.db")
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.close()
    r = cli("--db", db, "--json", "fsck")
    assert r.code == 3 and "events_no_update" in r.json["problems"][0], r


def test_untouched_copy_verifies(template: Path, tmp_path: Path) -> None:
    """The premise: copying alone changes nothing, so every failure above comes from the mutation."""
    db = copy_register(template, tmp_path / "r.db")
    restore_triggers(db)
    r = cli("--db", db, "--json", "fsck")
    assert r.code == 0, r
    assert json.loads(r.out)["ok"] is True
