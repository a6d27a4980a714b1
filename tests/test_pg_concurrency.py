"""The PostgreSQL engine under concurrent writers, against a real server (tests/pg_server.py).

Several processes (half through the command line, half through one `Registry` each) and several
threads of one process (sharing its connection pool) check and record uses at once against yearly
ceilings: afterwards no ceiling is exceeded although the ceilings were reached, every use a worker
saw recorded is there exactly once, the workers agree on the shared references, the event seqs are
1..N without a gap and the register verifies. Two administrations of one database are written at
the same time without waiting for each other. A recording process killed with SIGKILL loses none
of the uses it saw committed and leaves neither half a use nor a held lock behind.


The SQLite versions of these tests are tests/test_concurrency_uses.py and tests/test_crash_safety.py.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry import Registry
from registry.errors import UnavailableError
from tests.helpers import REPO, VERBINTENIS, write_yaml
from tests.pg_helpers import pg_register_url
from tests.pg_server import APP, PgDatabase
from tests.test_concurrency_uses import ACTORS, CEILINGS, run_process_workers
from tests.test_four_eyes import ceiling_register

ADMINISTRATION = "proefgem"  # the id in tests.helpers.base_register, so the URL's administration
AANKOOP = {"budget_key": "0119/6140000", "unit": "aankoop"}
SETTING = "delegaties.administration"  # the per-transaction setting the row-level security reads


# -- shared with tests/test_pg_service.py -------------------------------------------------------------

def ceiling_url(db: PgDatabase, tmp: Path, administration: str = ADMINISTRATION) -> str:
    """A register with yearly ceilings (CBS-F/1 10 000, AD-F/1 6 000, DHA-F/1 3 000) for
    `administration` in `db`; its --db URL."""
    data = ceiling_register(10_000, 6_000, None, 3_000)
    data["administration"] = {**data["administration"], "id": administration}
    url = pg_register_url(db, administration)
    with Registry.init(url) as reg:
        reg.load(write_yaml(tmp / f"{administration}.yaml", data))
    return url


def app_rows(db: PgDatabase, administration: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows read directly as the application role with `administration` set, as an operator's
    psql would: not through the engine under test."""
    import psycopg

    with psycopg.connect(db.app_url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT set_config(%s, %s, false)", (SETTING, administration))
        return conn.execute(sql, params or None).fetchall()


def stored_uses(db: PgDatabase, administration: str = ADMINISTRATION) -> dict[str, tuple[str, Decimal, str]]:
    return {ref: (actor, Decimal(amount), on) for ref, actor, amount, on in
            app_rows(db, administration, 'SELECT reference, actor, amount, "on" FROM uses')}


def yearly_sums(db: PgDatabase, administration: str = ADMINISTRATION) -> dict[tuple[str, int], Decimal]:
    sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for g, year, amount in app_rows(db, administration, 'SELECT "grant", year, amount FROM use_grants'):
        sums[(g, year)] += Decimal(amount)
    return dict(sums)


def assert_ceilings_hold(db: PgDatabase, administration: str = ADMINISTRATION) -> None:
    sums = yearly_sums(db, administration)
    assert sums, "no use was recorded at all"
    for (g, year), total in sums.items():
        if g in CEILINGS:
            assert total <= CEILINGS[g], (administration, g, year, total)


def assert_chain_verifies(db: PgDatabase, url: str, administration: str = ADMINISTRATION) -> list[Any]:
    """fsck is clean and the seqs are 1..N without a gap; the events (for further checks)."""
    with Registry.open(url) as reg:
        assert reg.fsck() == []
        events = list(reg.history())
        head = reg.head
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert head == (events[-1].seq, events[-1].hash)
    # the same seqs seen directly in the table, as the application role
    assert [s for (s,) in app_rows(db, administration, "SELECT seq FROM events ORDER BY seq")] == seqs
    return events


def recorded_references(events: list[Any]) -> list[str]:
    return [e.data["reference"] for e in events if e.kind == "use.recorded"]


def assert_outcomes(db: PgDatabase, url: str, results: list[dict[str, Any]],
                    administration: str = ADMINISTRATION) -> None:
    """What the workers saw against what the register holds (`results`: ref, actor, amount, on, allowed)."""
    assert_ceilings_hold(db, administration)
    assert any(not r["allowed"] for r in results), "the ceilings were never reached: the test proves nothing"
    allowed = {r["ref"]: (r["actor"], Decimal(r["amount"]), r["on"]) for r in results if r["allowed"]}
    # no use lost, with its content ...
    assert stored_uses(db, administration) == allowed
    # ... and none doubled: one use.recorded event per reference
    recorded = recorded_references(assert_chain_verifies(db, url, administration))
    assert sorted(recorded) == sorted(set(recorded)) == sorted(allowed)
    # the workers agree about each shared reference (identical content: one answer)
    verdicts: dict[str, set[bool]] = defaultdict(set)
    for r in results:
        if r["ref"].startswith("SH-"):
            verdicts[r["ref"]].add(r["allowed"])
    assert verdicts and all(len(v) == 1 for v in verdicts.values()), verdicts


# -- several processes ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_processes_check_and_record_at_once(pg_db, tmp_path: Path, seed: int) -> None:
    url = ceiling_url(pg_db, tmp_path)
    results = run_process_workers(url, tmp_path, seed, timeout=120)
    assert_outcomes(pg_db, url, results)
    # the register is still usable by the next writer, and it decides by the sum the workers left
    used = yearly_sums(pg_db).get(("CBS-F/1", 2025), Decimal(0))
    with Registry.open(url) as reg:
        ex = reg.exercise(reg.question("q-01", VERBINTENIS, "2025-05-02", amount="1", **AANKOOP), "NA-AFLOOP")
    assert ex.recorded is (used + 1 <= CEILINGS["CBS-F/1"])


# -- several threads of one process --------------------------------------------------------------------

THREADS = 8


def thread_plans(seed: int, prefix: str, n: int = THREADS) -> list[list[tuple[str, str, str, str]]]:
    rnd = random.Random(seed)
    shared = [(rnd.choice(ACTORS), str(rnd.randint(100, 1500)), f"SH-{i:02d}", "2025-05-02") for i in range(5)]
    out = []
    for w in range(n):
        own = [(rnd.choice(ACTORS), str(rnd.randint(100, 1500)), f"{prefix}{w}-{i:02d}",
                rnd.choice(["2025-03-03", "2025-06-30", "2025-11-12", "2026-01-15"])) for i in range(10)]
        mine = own + shared
        rnd.shuffle(mine)
        out.append(mine)
    return out


def run_thread_workers(jobs: list[tuple[str, list[tuple[str, str, str, str]]]]) -> list[list[dict[str, Any]]]:
    """One thread per (url, plan), each with its own Registry; they start together. Even threads
    check and record in one call (`exercise`), odd ones check first and then record (`record_use`)."""
    start = threading.Barrier(len(jobs))

    def work(w: int, url: str, plan: list[tuple[str, str, str, str]]) -> list[dict[str, Any]]:
        out = []
        with Registry.open(url) as reg:
            start.wait(timeout=60)
            for actor, amount, ref, on in plan:
                if w % 2 == 0:
                    allowed = reg.exercise(reg.question(actor, VERBINTENIS, on, amount=amount, **AANKOOP), ref).recorded
                else:
                    allowed = reg.record_use(reg.check(actor, VERBINTENIS, on, amount=amount, **AANKOOP), ref).allowed
                out.append({"ref": ref, "actor": actor, "amount": amount, "on": on, "allowed": allowed})
        return out

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(work, w, url, plan) for w, (url, plan) in enumerate(jobs)]
        return [f.result(timeout=120) for f in futures]


class BackendCounter:
    """The most connections this test process had open to `db` at once, sampled from the server."""

    def __init__(self, db: PgDatabase):
        self.db, self.most, self._stop = db, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.db.superuser_url, autocommit=True, connect_timeout=10) as conn:
            while not self._stop.is_set():
                n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename = %s",
                                 (self.db.name, APP)).fetchone()[0]
                self.most = max(self.most, n)
                time.sleep(0.005)

    def __enter__(self) -> BackendCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def test_threads_with_a_registry_each_share_the_pool(pg_db, tmp_path: Path) -> None:
    from registry import pg

    url = ceiling_url(pg_db, tmp_path)
    with BackendCounter(pg_db) as backends:
        results = [r for chunk in run_thread_workers([(url, plan) for plan in thread_plans(3, "T")]) for r in chunk]
    assert len(results) == THREADS * 15
    assert_outcomes(pg_db, url, results)
    # eight registers, one process: never more connections than its one pool may hold
    assert 1 <= backends.most <= pg.POOL_SIZE, backends.most


def test_two_administrations_written_at_once_each_verify(pg_db, tmp_path: Path) -> None:
    urls = {admin: ceiling_url(pg_db, tmp_path, admin) for admin in ("bestuur-a", "bestuur-b")}
    jobs = [(urls[admin], plan) for admin, seed in (("bestuur-a", 4), ("bestuur-b", 5))
            for plan in thread_plans(seed, admin[-1].upper(), THREADS // 2)]
    chunks = run_thread_workers(jobs)
    for admin in urls:
        results = [r for (url, _), chunk in zip(jobs, chunks, strict=True) if url == urls[admin] for r in chunk]
        assert_outcomes(pg_db, urls[admin], results, admin)
    # each chain holds only its own administration's uses (the shared references are in both)
    for admin, url in urls.items():
        own = {r[:1] for r in recorded_references(assert_chain_verifies(pg_db, url, admin)) if not r.startswith("SH-")}
        assert own == {admin[-1].upper()}, (admin, own)


def test_a_writer_of_one_administration_never_waits_for_another(pg_db, tmp_path: Path) -> None:
    """While a write transaction of A is open (holding A's writer lock), B records at once and a
    second writer of A is told BUSY after its wait: the lock is per administration, and real."""
    urls = {admin: ceiling_url(pg_db, tmp_path, admin) for admin in ("bestuur-a", "bestuur-b")}
    holder = Registry.open(urls["bestuur-a"])
    other_a = Registry.open(urls["bestuur-a"], wait=0.5)
    b = Registry.open(urls["bestuur-b"], wait=10)
    try:
        qa = other_a.question("q-01", VERBINTENIS, "2025-05-02", amount="10", **AANKOOP)
        qb = b.question("q-01", VERBINTENIS, "2025-05-02", amount="10", **AANKOOP)
        with holder.store.transaction():
            t = time.monotonic()
            assert b.exercise(qb, "B-TIJDENS").recorded is True
            b_took = time.monotonic() - t
            t = time.monotonic()
            with pytest.raises(UnavailableError) as busy:
                other_a.exercise(qa, "A-TIJDENS")
            a_took = time.monotonic() - t
        assert busy.value.code == "BUSY"
        assert b_took < 5 and 0.4 <= a_took < 5, (b_took, a_took)
        # once A's transaction ended, A's writer goes on; nothing of the refused attempt was written
        assert other_a.exercise(qa, "A-NADIEN").recorded is True
    finally:
        for reg in (holder, other_a, b):
            reg.close()
    a_refs = recorded_references(assert_chain_verifies(pg_db, urls["bestuur-a"], "bestuur-a"))
    b_refs = recorded_references(assert_chain_verifies(pg_db, urls["bestuur-b"], "bestuur-b"))
    assert (a_refs, b_refs) == (["A-NADIEN"], ["B-TIJDENS"])


def test_writers_queued_on_one_administration_leave_the_others_a_connection(pg_db, tmp_path: Path) -> None:
    """Twelve writers of A queue behind an open transaction of A in this process; B, already open,
    records meanwhile."""
    from registry import pg

    urls = {admin: ceiling_url(pg_db, tmp_path, admin) for admin in ("bestuur-a", "bestuur-b")}
    holder = Registry.open(urls["bestuur-a"])
    b = Registry.open(urls["bestuur-b"], wait=2)
    qb = b.question("q-01", VERBINTENIS, "2025-05-02", amount="10", **AANKOOP)

    def queue(i: int) -> None:
        with contextlib.suppress(UnavailableError), Registry.open(urls["bestuur-a"], wait=3) as reg:
            reg.exercise(reg.question("q-01", VERBINTENIS, "2025-05-02", amount="10", **AANKOOP), f"A-WACHT-{i}")

    threads = [threading.Thread(target=queue, args=(i,)) for i in range(pg.POOL_SIZE + 2)]
    try:
        with holder.store.transaction():
            for t in threads:
                t.start()
            time.sleep(0.5)  # they are all waiting, for A's lock or for a connection
            assert b.exercise(qb, "B-TIJDENS").recorded is True
    finally:
        for t in threads:
            t.join(30)
        holder.close()
        b.close()


# -- a writer killed with SIGKILL ----------------------------------------------------------------------

# Records uses in a loop through one Registry; says "try REF" before and "done REF" after each
# commit. Amounts of 1 stay far below every ceiling, so each use is allowed.
RECORDER = r"""
import sys
from registry import Registry

url, prefix = sys.argv[1], sys.argv[2]
reg = Registry.open(url)
print("ready", flush=True)
for i in range(100000):
    ref = f"{prefix}-{i:05d}"
    print("try", ref, flush=True)
    q = reg.question("q-01", "budgethouderschap.verbintenis", "2025-05-02", amount="1",
                     budget_key="0119/6140000", unit="aankoop")
    ex = reg.exercise(q, ref)
    assert ex.recorded, ex.to_dict()
    print("done", ref, flush=True)
"""


def kill_after(proc: subprocess.Popen[str], done_wanted: int, extra: float) -> tuple[list[str], list[str]]:
    """Read the worker's lines until it reported `done_wanted` commits, wait `extra` s more (it
    goes on writing), SIGKILL it; the references it tried and those it saw committed."""
    assert proc.stdout is not None
    assert proc.stdout.readline().split() == ["ready"], proc.stderr.read() if proc.stderr else ""
    tried, done = [], []
    deadline = time.monotonic() + 60
    while len(done) < done_wanted:
        assert time.monotonic() < deadline and proc.poll() is None, (done, proc.stderr.read() if proc.stderr else "")
        word, ref = proc.stdout.readline().split()
        (tried if word == "try" else done).append(ref)
    time.sleep(extra)
    assert proc.poll() is None, "the worker stopped by itself"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    # Through the same reader as the lines before (communicate() would skip what it buffered).
    rest = proc.stdout.read()
    # What it printed between the last read and the kill; a line counts once its newline is out
    # (the kill may cut the last one short).
    for line in rest.split("\n")[:-1]:
        word, ref = line.split()
        (tried if word == "try" else done).append(ref)
    return tried, done


def test_a_recorder_killed_with_sigkill_loses_no_committed_use(pg_db, tmp_path: Path) -> None:
    url = ceiling_url(pg_db, tmp_path)
    rng = random.Random(11)
    seen_done: list[str] = []
    seen_tried: list[str] = []
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", RECORDER, url, f"K{round_}"], cwd=REPO, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            tried, done = kill_after(proc, done_wanted=rng.randint(3, 8), extra=rng.choice([0, 0.001, 0.005, 0.02]))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        assert len(done) >= 3
        seen_done += done
        seen_tried += tried
        # at once after the kill: the dead worker holds no lock, so the next writer need not wait
        t = time.monotonic()
        with Registry.open(url, wait=5) as reg:
            q = reg.question("q-01", VERBINTENIS, "2025-05-02", amount="1", **AANKOOP)
            assert reg.exercise(q, f"NA-{round_}").recorded is True
        assert time.monotonic() - t < 5
        seen_done.append(f"NA-{round_}")

        events = assert_chain_verifies(pg_db, url)
        recorded = recorded_references(events)
        assert len(recorded) == len(set(recorded))
        # every use the worker saw committed is there: durability of a commit against a client's death
        assert set(seen_done) <= set(recorded), sorted(set(seen_done) - set(recorded))
        # nothing it did not try, and of the one in flight at the kill: the whole use or nothing
        assert set(recorded) <= set(seen_tried) | set(seen_done)
        uses = {ref for (ref,) in app_rows(pg_db, ADMINISTRATION, "SELECT reference FROM uses")}
        with_grants = {ref for (ref,) in app_rows(pg_db, ADMINISTRATION, "SELECT DISTINCT reference FROM use_grants")}
        assert uses == with_grants == set(recorded)
    assert len(seen_done) >= 4 * 4
