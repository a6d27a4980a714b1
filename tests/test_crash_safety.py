"""Crash safety: `import` and `check --record` processes killed with SIGKILL at random moments.

After every kill the register verifies (`fsck` exit 0), every interrupted import is either
wholly present or wholly absent, and every interrupted use is either recorded (with its
projection rows) or absent. The random seed is in every assertion message for replay.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, cli, copy_register

VERB = "budgethouderschap.verbintenis"
ENTITIES_PER_FILE = 3 * 120  # persons + positions + appointments


def import_file(tmp: Path, i: int) -> Path:
    """A file of new entities only, so that its import is a sizeable transaction of its own."""
    lines = ["format: delegaties/1", "administration: {id: voorbeeldegem, name: Lokaal bestuur Voorbeeldegem}", "persons:"]
    n = ENTITIES_PER_FILE // 3
    lines += [f"  - {{id: c{i}-p{k}, name: Crashtest Persoon {k}}}" for k in range(n)]
    lines.append("positions:")
    lines += [f"  - {{id: c{i}-f{k}, name: Crashtest Functie {k}, unit: aankoop}}" for k in range(n)]
    lines.append("appointments:")
    lines += [f"  - {{person: c{i}-p{k}, position: c{i}-f{k}, from: 2024-01-01}}" for k in range(n)]
    path = tmp / f"crash-{i}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def spawn(*args: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def record_args(db: Path, ref: str) -> list[object]:
    return ["--db", db, "check", "--actor", "p-001", "--power", VERB, "--on", "2025-05-02", "--amount", "1",
            "--budget-key", "0119/6140000", "--unit", "aankoop", "--record", ref]


def kill_at(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL after `delay` seconds; True if the process was still running (a real kill)."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    if not alive:
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert proc.returncode in (0, 1), err  # finished on its own: it must have succeeded (or been refused)
        assert "Traceback" not in err
    return alive


def kill_on_write(proc: subprocess.Popen[bytes], wal: Path, extra: float) -> bool:
    """SIGKILL `extra` seconds after the process starts writing to the WAL: during or just after its commit."""
    def stamp() -> tuple[int, int]:
        try:
            st = wal.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    before = stamp()
    deadline = time.monotonic() + 120
    # an empty WAL created when the process opens the register is not a write yet
    while proc.poll() is None and (stamp() == before or stamp()[1] == 0) and time.monotonic() < deadline:
        time.sleep(0.0002)
    return kill_at(proc, extra)


def verify(db: Path, files: list[Path], refs: list[str], context: str) -> tuple[int, int]:
    r = cli("--db", db, "fsck")
    assert r.code == 0, (context, r)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        present = 0
        for f in files:
            n = conn.execute("SELECT count(*) FROM events WHERE kind = 'entity.put' AND json_extract(payload, '$.file') = ?",
                             (f.name,)).fetchone()[0]
            keys = conn.execute("SELECT count(*) FROM entities WHERE key LIKE ?", (f"{f.stem.replace('crash-', 'c')}-%",)).fetchone()[0]
            assert (n, keys) in ((0, 0), (ENTITIES_PER_FILE, ENTITIES_PER_FILE)), (context, f.name, n, keys)
            present += n > 0
        used = 0
        for ref in refs:
            events = conn.execute("SELECT count(*) FROM events WHERE kind = 'use.recorded' AND json_extract(payload, "
                                  "'$.reference') = ?", (ref,)).fetchone()[0]
            rows = conn.execute("SELECT count(*) FROM uses WHERE reference = ?", (ref,)).fetchone()[0]
            grants = conn.execute("SELECT count(*) FROM use_grants WHERE reference = ?", (ref,)).fetchone()[0]
            assert (events, rows) in ((0, 0), (1, 1)) and (grants > 0) == (rows == 1), (context, ref, events, rows, grants)
            used += rows
    finally:
        conn.close()
    return present, used


def run_kills(db: Path, tmp: Path, kills_wanted: int, seed: int, max_rounds: int) -> dict[str, int]:
    rng = random.Random(seed)
    # calibrate: how long does one import and one recorded check take here?
    t = time.monotonic()
    first = import_file(tmp, 0)
    assert kill_at(spawn("--db", db, "import", first), 120) is False
    import_time = time.monotonic() - t
    t = time.monotonic()
    assert kill_at(spawn(*record_args(db, "CAL-0")), 120) is False
    record_time = time.monotonic() - t
    files, refs = [first], ["CAL-0"]
    stats = {"kills": 0, "import_kills": 0, "record_kills": 0, "rounds": 0}
    for i in range(1, max_rounds + 1):
        if stats["kills"] >= kills_wanted:
            break
        f = import_file(tmp, i)
        ref = f"CRASH-{i}"
        files.append(f)
        refs.append(ref)
        wal = db.with_name(db.name + "-wal")
        if i % 3 == 1:  # the import alone, killed as its commit starts writing
            stats["import_kills"] += kill_on_write(spawn("--db", db, "import", f), wal, rng.choice([0, 0, 0.002, 0.02]))
        elif i % 3 == 2:  # the recorded check alone, killed as its commit starts writing
            stats["record_kills"] += kill_on_write(spawn(*record_args(db, ref)), wal, rng.choice([0, 0, 0.002, 0.02]))
        else:  # both at once against one register, each killed at a random moment of its lifetime
            importer = spawn("--db", db, "import", f)
            recorder = spawn(*record_args(db, ref))
            delays = sorted([(rng.uniform(0.3, 2.5) * import_time, importer, "import_kills"),
                             (rng.uniform(0.3, 2.5) * record_time, recorder, "record_kills")], key=lambda x: x[0])
            started = time.monotonic()
            for delay, proc, kind in delays:
                stats[kind] += kill_at(proc, max(0.0, delay - (time.monotonic() - started)))
        stats["kills"] = stats["import_kills"] + stats["record_kills"]
        stats["rounds"] = i
        verify(db, files, refs, f"seed={seed} round={i}")
    present, used = verify(db, files, refs, f"seed={seed} final")
    stats["imports_present"], stats["uses_present"] = present, used
    return stats


@pytest.fixture
def db(example_template: Path, tmp_path: Path) -> Path:
    return copy_register(example_template, tmp_path / "crash.db")


def test_a_few_kills(db: Path, tmp_path: Path) -> None:
    stats = run_kills(db, tmp_path, kills_wanted=4, seed=7, max_rounds=8)
    assert stats["kills"] >= 2, stats


@pytest.mark.slow
def test_fifty_kills_leave_a_verifying_register(db: Path, tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    stats = run_kills(db, tmp_path, kills_wanted=50, seed=seed, max_rounds=120)
    assert stats["kills"] >= 50, (seed, stats)
    assert stats["import_kills"] >= 10 and stats["record_kills"] >= 10, (seed, stats)
    # the register is still fully usable: a new import and a new recorded use both work
    r = cli("--db", db, "import", import_file(tmp_path, 999))
    assert r.code == 0, r
    r = cli(*record_args(db, "NA-DE-CRASH"))
    assert r.code == 0, r
    assert cli("--db", db, "fsck").code == 0
