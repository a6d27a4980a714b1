"""The annual report over a year with a million recorded uses.

    python -m bench.bench_report [USES]

The example register is loaded, then USES uses of 2025 are appended in one transaction. Each is
a real `use.recorded` event (the hash chain stays intact, so `fsck` verifies) applied through
the same projection handler as `Registry.record_use`; the handler's statements are collected
and written with executemany. The uses copy the chains of a few allowed answers and vary date,
amount and budget key. Ceilings are not re-checked: this measures reporting, not checking, so
the report shows ceilings used far beyond 100 %.

The report (figures plus HTML) then runs in a fresh child process, so the peak memory reported
is that of the report alone. Goal: under 10 s on a 2-core machine. `run(quick=True)` (used by
`bench.run` with BENCH_QUICK=1) fills 200 000 uses only and leaves `report_1m_uses_s` null: the
figure is measured, never extrapolated.
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

GOAL_S = 10.0
YEAR = 2025
AS_OF = date(2026, 3, 31)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "voorbeeldegem.yaml"
CHUNK = 20_000
QUICK_USES = 200_000  # a 1M fill alone takes about a minute; quick runs measure a smaller year

# (question, budget keys to cycle through, first day, last day): each answer's chain is reused.
TEMPLATES = [
    (dict(actor="p-001", power="budgethouderschap.verbintenis", on="2025-05-02", amount="100",
          budget_key="0119/6140000", unit="aankoop"), ["0119/6140000", "0119/6140100", "0119/6140200"], "2025-02-03", "2025-12-31"),
    (dict(actor="p-003", power="budgethouderschap.factuurgoedkeuring", on="2025-05-02", amount="100",
          budget_key="0119/6100000", unit="bestuur"), ["0119/6100000", "0200/6100000"], "2025-02-01", "2025-12-31"),
    (dict(actor="p-004", power="budgethouderschap.verbintenis", on="2025-05-02", amount="100",
          budget_key="0200/6100000", unit="techniek"), ["0200/6100000", "0200/6110000"], "2025-02-03", "2025-08-31"),
    (dict(actor="p-006", power="dagelijks_personeelsbeheer.vorming", on="2025-04-01", amount="100"), [None],
     "2025-03-10", "2025-12-31"),
    (dict(actor="p-010", power="medeondertekening", on="2025-06-01", document_type="briefwisseling", issuer="college"),
     [None], "2025-04-01", "2025-12-31"),
]


class _Batch:
    """Stands in for a connection inside a projection handler: statements are kept for executemany."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = defaultdict(list)

    def execute(self, sql: str, args: tuple = ()) -> None:
        self.rows[sql].append(tuple(args))

    def flush(self, conn) -> None:
        for sql, rows in self.rows.items():
            conn.executemany(sql, rows)
        self.rows.clear()


def _cents(i: int, has_amount: bool) -> int | None:
    return 1 + (i * 7919) % 250_000 if has_amount else None  # 0.01 .. 2500.00 EUR


def fill(reg, uses: int, prefix: str = "BENCH") -> dict[str, Any]:
    """Append `uses` uses of 2025 in one transaction; returns the expected figures per grant and key."""
    from registry import projections
    from registry.store import Event, canonical, event_hash
    from registry.uses import payload as _use_payload

    plans = []
    for question, keys, first, last in TEMPLATES:
        answer = reg.check(**question)
        if not answer.allowed:
            raise RuntimeError(f"template not allowed: {question}: {[r.code for r in answer.reasons]}")
        base = _use_payload(answer.question, answer, "", None)
        start = date.fromisoformat(first)
        plans.append((base, _template(base, canonical), keys, start, (date.fromisoformat(last) - start).days + 1))
    handler = projections.HANDLERS["use.recorded"]
    totals: dict[tuple[int, str | None], list[int]] = defaultdict(lambda: [0, 0])
    batch = _Batch()
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    with reg.store.transaction() as tx:
        seq, prev = tx.seq, tx.prev
        stamp = max(stamp, tx.last_stamp)
        events: list[tuple] = []
        for i in range(uses):
            n = i % len(plans)
            base, template, keys, start, span = plans[n]
            step = i // len(plans)
            cents = _cents(i, base["amount"] is not None)
            on = (start + timedelta(days=step % span)).isoformat()
            amount = "null" if cents is None else f'"{cents // 100}.{cents % 100:02d}"'
            key = keys[step % len(keys)]
            body = template.format(amount=amount, key="null" if key is None else f'"{key}"', on=on,
                                   ref=f"{prefix}-{i:07d}")
            if i < len(plans):  # the text template must give exactly what canonical() gives
                assert body == canonical(json.loads(body)), body
            seq += 1
            h = event_hash(seq, stamp, "use.recorded", body, prev)
            events.append((seq, stamp, "use.recorded", body, prev, h))
            handler(batch, Event(seq, stamp, "use.recorded", body, prev, h))  # type: ignore[arg-type]
            prev = h
            total = totals[(n, key)]
            total[0] += 1
            total[1] += cents or 0
            if len(events) >= CHUNK:
                _flush(tx.conn, events, batch)
        _flush(tx.conn, events, batch)
    return _expected(plans, totals)


def _template(base: dict[str, Any], canonical) -> str:
    """The canonical payload text with fields to fill in; references, dates, amounts and keys need no escaping."""
    marks = {"amount": "@@A@@", "budget_key": "@@K@@", "on": "@@O@@", "reference": "@@R@@"}
    text = canonical({**base, **marks}).replace("{", "{{").replace("}", "}}")
    for field, slot in (("amount", "amount"), ("budget_key", "key")):
        text = text.replace(f'"{marks[field]}"', "{" + slot + "}")
    return text.replace(marks["on"], "{on}").replace(marks["reference"], "{ref}")


def _expected(plans: list[tuple], totals: dict[tuple[int, str | None], list[int]]) -> dict[str, Any]:
    expected: dict[str, Any] = {"uses": 0, "cents": 0, "grants": defaultdict(lambda: [0, 0]),
                                "keys": defaultdict(lambda: [0, 0])}
    for (n, key), (count, cents) in totals.items():
        expected["uses"] += count
        expected["cents"] += cents
        for g in plans[n][0]["grants"]:
            for slot in (expected["grants"][g], expected["keys"][(g, key)]):
                slot[0] += count
                slot[1] += cents
    return expected


def _flush(conn, events: list[tuple], batch: _Batch) -> None:
    conn.executemany("INSERT INTO events (seq, recorded_at, kind, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?)", events)
    batch.flush(conn)
    events.clear()


def build(path: Path, uses: int) -> dict[str, Any]:
    from registry import Registry

    reg = Registry.init(path)
    reg.load(EXAMPLE)
    # A throw-away file: no journal and no fsync while filling (the report reads it afterwards).
    reg.store.conn.execute("PRAGMA journal_mode=OFF")
    reg.store.conn.execute("PRAGMA synchronous=OFF")
    t0 = time.perf_counter()
    expected = fill(reg, uses)
    reg.close()
    return {"fill_s": round(time.perf_counter() - t0, 2), "expected_uses": expected["uses"],
            "expected_amount": str(Decimal(expected["cents"]).scaleb(-2))}


def report_once(path: Path) -> dict[str, Any]:
    """Time the annual report (figures + HTML) in this process; meant to run in a fresh child."""
    from registry import Registry

    reg = Registry.open(path)
    t0 = time.perf_counter()
    data = reg.annual_report(YEAR, "nl", as_of=AS_OF)
    figures_s = time.perf_counter() - t0
    html = reg.render_report(data, "html", "nl")
    total_s = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": round(total_s, 3), "figures_s": round(figures_s, 3), "peak_rss_mb": round(peak, 1),
            "uses": data["summary"]["uses"], "amount": data["summary"]["amount"], "html_bytes": len(html)}


def run(uses: int = 1_000_000, quick: bool = False) -> dict[str, Any]:
    """`report_1m_uses_s` is measured, never extrapolated: quick mode (fewer uses) leaves it null."""
    if quick:
        uses = min(uses, QUICK_USES)
    with tempfile.TemporaryDirectory(prefix="delegaties-bench-report-") as tmp:
        path = Path(tmp) / "bench.db"
        built = build(path, uses)
        proc = subprocess.run([sys.executable, "-m", "bench.bench_report", "--report-only", str(path)],
                              capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
        child = json.loads(proc.stdout)
        size_mb = round(path.stat().st_size / 2**20, 1)
    if child["uses"] != built["expected_uses"] or child["amount"] != built["expected_amount"]:
        raise RuntimeError(f"report figures differ from what was recorded: {child} vs {built}")
    full = uses >= 1_000_000
    return {"uses": uses, "report_1m_uses_s": child["seconds"] if full else None, "report_s": child["seconds"],
            "figures_s": child["figures_s"], "peak_rss_mb": child["peak_rss_mb"], "html_bytes": child["html_bytes"],
            "db_mb": size_mb, "fill_s": built["fill_s"], "goal_s": GOAL_S,
            "within_goal": child["seconds"] < GOAL_S if full else None,
            "python": platform.python_version(), "machine": platform.machine()}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--report-only"]:
        print(json.dumps(report_once(Path(argv[1]))))
        return 0
    uses = int(argv[0]) if argv else 1_000_000
    print(json.dumps(run(uses), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
