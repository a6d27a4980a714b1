"""Warm in-process `Registry.check` latency and `Registry.check_many` throughput.

    python -m bench.bench_check DB QUESTIONS.json [--n N] [--budget SECONDS]

One process opens the register and loads its state once. The question stream is then asked
twice through `Registry.check` (ids validated, as a library caller would): the first pass meets
every (actor, power) for the first time, the second pass is the warm steady state of a
long-running service (`check_warm_*`). `check_many` then answers the whole stream at once.
Resident memory (`rss_mb`) is read after the two passes of the question stream, with the
register's state and every cache loaded (the answers are not kept); the peak, which also holds
the whole stream's `check_many` answers at once, is `rss_peak_mb`.
A time budget stops a pass early on a slow engine; the report says how many questions ran.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

from bench.peers import scope_of


def quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def current_rss_mb() -> float | None:
    """Resident memory now (VmRSS), not the peak: what a long-running service holds."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def timed_pass(reg: Any, questions: list[dict[str, Any]], budget: float) -> tuple[list[float], list[bool]]:
    perf = time.perf_counter
    stop_at = perf() + budget
    latencies: list[float] = []
    allowed: list[bool] = []
    for q in questions:
        actor, power, on, scope = q["actor"], q["power"], q["on"], scope_of(q)
        t = perf()
        answer = reg.check(actor, power, on, **scope)
        latencies.append(perf() - t)
        allowed.append(answer.allowed)
        if t > stop_at:
            break
    return latencies, allowed


def run(db: str, questions: list[dict[str, Any]], budget: float = 120.0,
        cold_questions: list[dict[str, Any]] | None = None, first_budget: float = 60.0,
        first_cap: float = 60.0) -> dict[str, Any]:
    """With `cold_questions`, the cold first checks of `bench_first` follow in the same process (one state
    load less on a big register), after every figure of this benchmark has been taken."""
    from bench.peers import to_question
    from registry import Registry

    perf = time.perf_counter
    t = perf()
    reg = Registry.open(db)
    state = reg.state()
    load_s = perf() - t
    rss_loaded = current_rss_mb()
    first, _ = timed_pass(reg, questions, budget)
    asked = questions[: len(first)]
    warm, allowed = timed_pass(reg, asked, budget)
    asked = asked[: len(warm)]
    rss_after_stream = current_rss_mb()
    typed = [to_question(reg, q, state) for q in asked]
    t = perf()
    answers = reg.check_many(typed)
    batch_s = perf() - t
    assert [a.allowed for a in answers] == allowed, "check_many disagrees with check"
    first.sort()
    lat = sorted(warm)
    us = 1e6
    cold = None
    if cold_questions:
        from bench import bench_first

        cold = bench_first.run(reg, cold_questions, first_budget, first_cap)
    return {
        "first_check": cold,
        "check_warm_p50_us": round(quantile(lat, 0.50) * us, 1),
        "check_warm_p99_us": round(quantile(lat, 0.99) * us, 1),
        "check_batch_per_s": round(len(typed) / batch_s, 1) if batch_s > 0 else None,
        "rss_mb": rss_after_stream,
        "rss_after_load_mb": rss_loaded,
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "check_warm_mean_us": round(sum(lat) / len(lat) * us, 1),
        "check_warm_max_us": round(lat[-1] * us, 1),
        "check_first_p50_us": round(quantile(first, 0.50) * us, 1),
        "check_first_p99_us": round(quantile(first, 0.99) * us, 1),
        "check_first_mean_us": round(sum(first) / len(first) * us, 1),
        "questions": len(lat),
        "questions_planned": len(questions),
        "allowed_share": round(sum(allowed) / len(allowed), 3),
        "state_load_s": round(load_s, 3),
        "grants": len(state.grants),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("questions")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per pass at most")
    ap.add_argument("--first", help="also the cold first checks of bench_first on these questions")
    ap.add_argument("--first-budget", type=float, default=60.0)
    ap.add_argument("--first-cap", type=float, default=60.0)
    a = ap.parse_args(argv)
    questions = json.loads(open(a.questions, encoding="utf-8").read())[: a.n]
    cold = json.loads(open(a.first, encoding="utf-8").read()) if a.first else None
    json.dump(run(a.db, questions, a.budget, cold, a.first_budget, a.first_cap), sys.stdout)
    print()


if __name__ == "__main__":
    main()
