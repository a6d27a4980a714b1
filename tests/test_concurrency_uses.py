"""Several processes check and record uses at once against one register with yearly ceilings.

Afterwards no ceiling is exceeded, every use reported as recorded is there exactly once, and the
register verifies (fsck).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO, VERBINTENIS, cli, history, new_register
from tests.test_four_eyes import ceiling_register

WORKERS = 5
CEILINGS = {"CBS-F/1": Decimal(10_000), "AD-F/1": Decimal(6_000), "DHA-F/1": Decimal(3_000)}
ACTORS = ("q-01", "q-03", "q-11", "q-06")

# One worker: wait for the starting signal, then check and record every planned use. Odd workers go
# through the command line (a new connection per use), even ones keep one Registry open.
WORKER = r"""
import io, json, sys, time
from contextlib import redirect_stdout
from pathlib import Path
from registry import Registry
from cli.main import main

db, plan_file, go, via_cli, power = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
plan = json.loads(Path(plan_file).read_text())
reg = None if via_cli else Registry.open(db)
print(json.dumps({"ready": True}), flush=True)
while not go.exists():
    time.sleep(0.005)
for actor, amount, ref, on in plan:
    if via_cli:
        buf = io.StringIO()
        with redirect_stdout(buf):
            code = main(["--db", db, "--json", "check", "--actor", actor, "--power", power, "--on", on,
                         "--amount", amount, "--budget-key", "0119/6140000", "--unit", "aankoop", "--record", ref])
        data = json.loads(buf.getvalue())
        allowed = code == 0 and data["recorded"] == ref
        if code not in (0, 1):
            raise SystemExit(f"exit {code}: {data}")
    else:
        answer = reg.check(actor, power, on, amount=amount, budget_key="0119/6140000", unit="aankoop")
        allowed = reg.record_use(answer, ref).allowed
    print(json.dumps({"ref": ref, "actor": actor, "amount": amount, "on": on, "allowed": allowed}), flush=True)
"""


def plans(seed: int) -> list[list[tuple[str, str, str, str]]]:
    rnd = random.Random(seed)
    shared = [(rnd.choice(ACTORS), str(rnd.randint(100, 1500)), f"SH-{i:02d}", "2025-05-02") for i in range(6)]
    out = []
    for w in range(WORKERS):
        own = [(rnd.choice(ACTORS), str(rnd.randint(100, 1500)), f"W{w}-{i:02d}",
                rnd.choice(["2025-03-03", "2025-06-30", "2025-11-12", "2026-01-15"])) for i in range(16)]
        mine = own + shared  # every worker also tries the shared references, with identical content
        rnd.shuffle(mine)
        out.append(mine)
    return out


def run_process_workers(url: str, tmp: Path, seed: int, timeout: float = 300) -> list[dict[str, Any]]:
    """The planned workers on register `url` (a file or a PostgreSQL URL), started together; their reports."""
    go = tmp / "go"
    procs = []
    try:
        for w, plan in enumerate(plans(seed)):
            plan_file = tmp / f"plan{w}.json"
            plan_file.write_text(json.dumps(plan))
            procs.append(subprocess.Popen([sys.executable, "-c", WORKER, url, str(plan_file), str(go), str(w % 2),
                                           VERBINTENIS],
                                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for p in procs:  # every worker has imported everything and opened the register
            line = p.stdout.readline()
            assert line and json.loads(line) == {"ready": True}, p.stderr.read() if not line else line
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            assert p.returncode == 0, err
            results += [json.loads(line) for line in out.splitlines()]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert len(results) == sum(len(plan) for plan in plans(seed))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_concurrent_check_and_record(tmp_path: Path, seed: int) -> None:
    db = new_register(tmp_path, ceiling_register(10_000, 6_000, None, 3_000), "gedeeld")
    results = run_process_workers(str(db), tmp_path, seed)

    conn = sqlite3.connect(db)
    uses = {ref: (actor, Decimal(amount), on) for ref, actor, amount, on in
            conn.execute('SELECT reference, actor, amount, "on" FROM uses')}
    sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for g, year, amount in conn.execute('SELECT "grant", year, amount FROM use_grants'):
        sums[(g, year)] += Decimal(amount)
    conn.close()

    # no ceiling exceeded, and the ceilings were actually reached (the test pushes against them)
    for (g, _year), total in sums.items():
        if g in CEILINGS:
            assert total <= CEILINGS[g], (g, total)
    assert any(not r["allowed"] for r in results)

    # no use lost: every reference a worker saw recorded is there, with its content ...
    allowed = {r["ref"]: (r["actor"], Decimal(r["amount"]), r["on"]) for r in results if r["allowed"]}
    assert uses == allowed
    # ... and none doubled: one use.recorded event per reference
    recorded = [e["summary"].split()[0] for e in history(db) if e["kind"] == "use.recorded"]
    assert sorted(recorded) == sorted(set(recorded)) == sorted(allowed)
    # the workers agree about each shared reference (identical content: the same answer)
    verdicts = defaultdict(set)
    for r in results:
        if r["ref"].startswith("SH-"):
            verdicts[r["ref"]].add(r["allowed"])
    assert all(len(v) == 1 for v in verdicts.values()), verdicts

    fsck = cli("--db", db, "--json", "fsck")
    assert fsck.code == 0 and fsck.json["ok"] is True, fsck
