"""How writers of one administration are serialised on PostgreSQL: measured, then chosen.

    python -m bench.bench_pg_locking [--writers 8] [--uses 240]

Several threads check and record uses (each its own Registry, one shared pool) against one
register with a yearly ceiling on a throwaway cluster. Two ways:

- `advisory` (what the engine does): a transaction-scoped advisory lock per administration,
  taken at BEGIN; the head, the ceilings' used amounts and the append are read under it.
- `serializable`: SERIALIZABLE transactions without the lock; a conflict (SQLSTATE 40001, or the
  unique key of the next seq) is retried by the writer.

Both must leave the ceiling unexceeded and the chain gap-free; reported: uses per second, retries,
and the ratio serializable / advisory in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

CEILING = 50_000


def _register(tmp: Path) -> Path:
    from tests.helpers import base_register, decision, grant, write_yaml

    data = base_register(decisions=[decision("CBS-F", "college", [grant(
        "CBS-F/1", "ad", ["budgethouderschap"], limits={"annual_ceiling": CEILING, "max_amount": 5000})])])
    data["administration"]["id"] = "proefgem"
    return write_yaml(tmp / "proefgem.yaml", data)


def run_mode(mode: str, url: str, writers: int, uses: int) -> dict:
    from registry import Registry, pg
    from registry.errors import UnavailableError

    original = pg.PgConnection._begin
    if mode == "serializable":
        def _begin(self, write: bool) -> None:
            lease = self.pool.connection(timeout=self.wait)
            raw = lease.__enter__()
            raw.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            with raw.cursor() as cur:
                self._scope(cur)
            self._held, self._lease = raw, lease
        pg.PgConnection._begin = _begin
    retries = 0
    lock = threading.Lock()
    try:
        with Registry.open(url) as reg:
            actor = next(a.person for a in reg.state().appointments.values() if a.position == "ad")

        def work(w: int) -> int:
            nonlocal retries
            done = 0
            with Registry.open(url) as reg:
                for i in range(uses // writers):
                    q = reg.question(actor, "budgethouderschap.verbintenis", "2025-05-02", amount=str(300 + (i % 7)))
                    for _attempt in range(100):
                        try:
                            done += bool(reg.exercise(q, f"{mode}-{w}-{i}").recorded)
                            break
                        except UnavailableError:
                            with lock:
                                retries += 1
            return done

        t = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            recorded = sum(pool.map(work, range(writers)))
        elapsed = time.perf_counter() - t
        with Registry.open(url) as reg:
            problems = reg.fsck()
            used = sum((Decimal(a) for (a,) in reg.store.conn.execute("SELECT amount FROM uses")), Decimal(0))
    finally:
        pg.PgConnection._begin = original
    return {"mode": mode, "uses_per_s": round((uses // writers * writers) / elapsed, 1), "recorded": recorded,
            "retries": retries, "used": str(used), "ceiling_held": used <= CEILING, "fsck_clean": problems == []}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--uses", type=int, default=240)
    args = ap.parse_args(argv)
    from registry import Registry
    from tests.pg_helpers import pg_register_url
    from tests.pg_server import Cluster

    cluster = Cluster.start()
    try:
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            for n, mode in enumerate(["advisory", "serializable", "advisory", "serializable"]):
                url = pg_register_url(cluster.database(f"lock{n}"), "proefgem")
                Registry.import_files(url, _register(Path(tmp)))[0].close()
                out.append(run_mode(mode, url, args.writers, args.uses))
                print(json.dumps(out[-1]))
        by = {m: [r["uses_per_s"] for r in out if r["mode"] == m] for m in ("advisory", "serializable")}
        ratio = round(sum(by["serializable"]) / sum(by["advisory"]), 2)
        print(json.dumps({"serializable_over_advisory": ratio}))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
