"""Eight processes check, record and verify against one register for a sustained period.

Half of the workers go through the command line entry point (a new connection per command), half
keep one `Registry` open; all of them now and then run `fsck` while the others write. Afterwards:
no use lost, none doubled, no yearly ceiling exceeded, the ceilings were actually reached, no
`database is locked` (or any other error) reached a worker, and the register verifies.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import REPO, cli, copy_register

VERB = "budgethouderschap.verbintenis"
# Yearly ceilings in examples/voorbeeldegem.yaml of the chain p-001 (and p-002 as substitute) uses.
CEILINGS = {"AD-2025-0007/1": Decimal(20_000), "CBS-2025-0412/1": Decimal(250_000)}
YEARS = (2025, 2026)  # uses are recorded when they happen: never for a later year

WORKER = r"""
import io, json, random, sys, time, traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

db, wid, seconds, go = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4])
via_cli = wid % 2 == 0
rng = random.Random(wid)
from cli.main import main
from registry import Registry

reg = None if via_cli else Registry.open(db)
print(json.dumps({"ready": wid}), flush=True)
while not go.exists():
    time.sleep(0.005)

def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(["--db", db, *argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()

def emit(**kw):
    print(json.dumps(kw), flush=True)

end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
    roll = rng.random()
    year = rng.choice(__YEARS__)
    # p-002 only acts while p-001 is absent (2025-07-01..21), as substitute under the same grant
    actor, on = ("p-002", "2025-07-10") if year == 2025 and roll < 0.2 else ("p-001", f"{year}-05-0{rng.randint(1, 9)}")
    amount = str(rng.randint(100, 1500))
    ref = f"W{wid}-{n}"
    if n % 5 == 0:  # also attempted by the neighbouring worker, with identical content (idempotency)
        ref, actor, on, amount = f"SH-{wid // 2}-{n}", "p-001", f"{__YEARS__[(n // 5) % len(__YEARS__)]}-06-15", "250"
    try:
        if roll > 0.93:
            code, out, err = run("--json", "fsck")
            emit(kind="fsck", code=code, out=out[:2000], err=err[:2000])
            continue
        if roll > 0.85:
            code, out, err = run("--json", "history")
            emit(kind="history", code=code, n=len(json.loads(out)) if code == 0 else None, err=err[:2000])
            continue
        if via_cli:
            code, out, err = run("--json", "check", "--actor", actor, "--power", "__VERB__", "--on", on, "--amount", amount,
                                 "--budget-key", "0119/6140000", "--unit", "aankoop", "--record", ref)
            data = json.loads(out) if out.strip().startswith("{") else {}
            emit(kind="use", ref=ref, actor=actor, on=on, amount=amount, code=code, allowed=code == 0 and data.get("recorded") == ref,
                 codes=sorted({r["code"] for r in data.get("reasons", [])}), err=err[:2000])
        else:
            answer = reg.check(actor, "__VERB__", on, amount=amount, budget_key="0119/6140000", unit="aankoop")
            fresh = reg.record_use(answer, ref)
            emit(kind="use", ref=ref, actor=actor, on=on, amount=amount, code=0 if fresh.allowed else 1,
                 allowed=fresh.allowed, codes=sorted({r.code for r in fresh.reasons}), err="")
    except Exception:
        emit(kind="exception", ref=ref, err=traceback.format_exc()[-3000:])
""".replace("__YEARS__", repr(YEARS)).replace("__VERB__", VERB)


def run_workers(db: Path, tmp: Path, workers: int, seconds: float) -> list[dict]:
    go = tmp / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db), str(w), str(seconds), str(go)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(workers)]
    for p in procs:  # all started and connected before the clock starts
        line = p.stdout.readline()
        assert line, p.stderr.read()
        assert "ready" in json.loads(line)
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 300)
        assert p.returncode == 0, err[-3000:]
        assert "locked" not in err and "Traceback" not in err, err[-3000:]
        results += [json.loads(line) for line in out.splitlines()]
    return results


def verify(db: Path, results: list[dict]) -> dict[str, int]:
    # nothing but answers reached the workers: no exception, no exit 2/3, no "database is locked"
    problems = [r for r in results if r["kind"] == "exception" or r.get("code") not in (0, 1)
                or "locked" in r.get("err", "") or "busy" in r.get("err", "")]
    assert not problems, problems[:5]
    for r in results:
        if r["kind"] == "fsck":  # verified while the others were writing
            assert r["code"] == 0 and json.loads(r["out"])["ok"] is True, r

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        stored = {ref: (actor, Decimal(amount), on) for ref, actor, amount, on in
                  conn.execute('SELECT reference, actor, amount, "on" FROM uses')}
        events = Counter(json.loads(p)["reference"] for (p,) in
                         conn.execute("SELECT payload FROM events WHERE kind = 'use.recorded'"))
        sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for grant, year, amount in conn.execute('SELECT "grant", year, amount FROM use_grants'):
            sums[(grant, year)] += Decimal(amount)
    finally:
        conn.close()

    uses = [r for r in results if r["kind"] == "use"]
    allowed = {r["ref"]: (r["actor"], Decimal(r["amount"]), r["on"]) for r in uses if r["allowed"]}
    # no use lost, none invented: exactly the uses the workers were told are recorded
    assert stored == allowed
    # none doubled: one event per reference, also for references two workers both recorded
    assert all(n == 1 for n in events.values()) and set(events) == set(allowed)
    # a shared reference got the same verdict from both workers that tried it
    verdicts: dict[str, set[bool]] = defaultdict(set)
    for r in uses:
        if r["ref"].startswith("SH-"):
            verdicts[r["ref"]].add(r["allowed"])
    assert all(len(v) == 1 for v in verdicts.values()), verdicts
    # no ceiling exceeded ...
    for (grant, year), total in sums.items():
        if grant in CEILINGS:
            assert total <= CEILINGS[grant], (grant, year, total)
    # ... and the test pushed against them
    refused_for_ceiling = sum("ANNUAL_CEILING_EXCEEDED" in r["codes"] for r in uses if not r["allowed"])
    fsck = cli("--db", db, "--json", "fsck")
    assert fsck.code == 0 and fsck.json["ok"] is True, fsck
    return {"uses": len(uses), "recorded": len(allowed), "refused_for_ceiling": refused_for_ceiling,
            "fscks": sum(r["kind"] == "fsck" for r in results), "shared": len(verdicts)}


@pytest.fixture
def db(example_template: Path, tmp_path: Path) -> Path:
    return copy_register(example_template, tmp_path / "gedeeld.db")


def test_four_workers_briefly(db: Path, tmp_path: Path) -> None:
    stats = verify(db, run_workers(db, tmp_path, workers=4, seconds=2.5))
    assert stats["recorded"] > 0, stats


@pytest.mark.slow
def test_eight_workers_for_25_seconds(db: Path, tmp_path: Path) -> None:
    stats = verify(db, run_workers(db, tmp_path, workers=8, seconds=25))
    # every year's ceiling of AD-2025-0007/1 was reached, and the register saw real contention
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    per_year = dict(conn.execute('SELECT year, sum(CAST(amount AS REAL)) FROM use_grants WHERE "grant" = ? GROUP BY year',
                                 ("AD-2025-0007/1",)).fetchall())
    conn.close()
    assert stats["refused_for_ceiling"] > 0 and stats["fscks"] > 0, stats
    assert all(per_year.get(y, 0) > 20_000 - 1500 for y in YEARS), per_year
