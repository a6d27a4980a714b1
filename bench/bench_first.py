"""The slowest first (cold) check on a register with a long history.

    python -m bench.bench_first DB QUESTIONS.json [--n N] [--budget SECONDS]

One process opens the register and loads its state (timed apart, `state_load_s`). One
throw-away check builds the snapshot's lazy indexes (`first_check_after_open_ms`, reported
apart: a once-per-process cost, like the state load). Then every sampled question is asked
with every derived cache of the snapshot emptied first (`state.cache` replaced by a fresh
`Caches()`: no compiled chains, heads, verdicts or scope sets of any earlier question), so each
timed `Registry.check` does the whole cold search through the register's history, as the first
question about an (actor, power) does in a fresh process. `worst_first_check_ms` is the slowest.
A time budget stops the sample early; the report says how many questions ran. One check that
runs longer than `--cap` seconds is interrupted (SIGALRM): it is not measured, so the worst is
then unknown (null) and the report gives the lower bound it is known to exceed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from typing import Any

from bench.peers import scope_of


class Capped(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Capped


def run(db: Any, questions: list[dict[str, Any]], budget: float = 120.0, cap: float = 60.0) -> dict[str, Any]:
    """`db` is a path, or an open `Registry` (bench_check hands over its own after the warm pass)."""
    from delegations.state import Caches
    from registry import Registry

    perf = time.perf_counter
    t = perf()
    reg = Registry.open(db) if isinstance(db, str) else db
    state = reg.state()
    load_s = perf() - t
    capped: list[dict[str, Any]] = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    q0 = questions[0]
    t = perf()
    reg.check(q0["actor"], q0["power"], q0["on"], **scope_of(q0))
    after_open = perf() - t
    stop_at = perf() + budget
    times: list[tuple[float, dict[str, Any], bool]] = []
    for q in questions:
        state.cache = Caches()
        actor, power, on, scope = q["actor"], q["power"], q["on"], scope_of(q)
        try:
            signal.setitimer(signal.ITIMER_REAL, cap)
            t = perf()
            answer = reg.check(actor, power, on, **scope)
            took = perf() - t
            signal.setitimer(signal.ITIMER_REAL, 0)
            times.append((took, q, answer.allowed))
        except Capped:
            capped.append(q)
        if perf() > stop_at:
            break
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
    state.cache = Caches()  # nothing half-built by an interrupted check stays behind
    assert reg.state() is state, "the snapshot changed during the benchmark"
    ms = sorted(x[0] * 1e3 for x in times) or [float("nan")]
    worst = max(times, key=lambda x: x[0]) if times else (float("nan"), {}, None)
    terms = sorted({d.effective_from.year for d in state.decisions.values()})
    return {
        "worst_first_check_ms": None if capped else round(ms[-1], 2),
        "worst_measured_ms": round(ms[-1], 2),
        "capped": len(capped),
        "cap_s": cap,
        "capped_questions": capped[:5],
        "first_check_p50_ms": round(ms[len(ms) // 2], 3),
        "first_check_p99_ms": round(ms[min(len(ms) - 1, int(0.99 * len(ms)))], 3),
        "first_check_mean_ms": round(sum(ms) / len(ms), 3),
        "first_check_after_open_ms": round(after_open * 1e3, 2),
        "slowest_questions": [{"ms": round(s * 1e3, 2), "allowed": a, **q}
                              for s, q, a in sorted(times, key=lambda x: -x[0])[:5]],
        "worst_allowed": worst[2],
        "questions": len(times) + len(capped),
        "questions_planned": len(questions),
        "state_load_s": round(load_s, 2),
        "grants": len(state.grants),
        "terms": len(terms),
        "first_term": terms[0] if terms else None,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("questions")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--budget", type=float, default=120.0, help="seconds for the sample at most")
    ap.add_argument("--cap", type=float, default=60.0, help="seconds one check may take at most")
    a = ap.parse_args(argv)
    questions = json.loads(open(a.questions, encoding="utf-8").read())[: a.n]
    json.dump(run(a.db, questions, a.budget, a.cap), sys.stdout)
    print()


if __name__ == "__main__":
    main()
