"""Profiles of the benchmarks that miss their goal: where the time goes, in a few lines each.

    python -m bench.profile warm   DB QUESTIONS.json [--n N]    # Registry.check, warm (2nd pass)
    python -m bench.profile batch  DB QUESTIONS.json [--n N]    # Registry.check_many, warm
    python -m bench.profile first  DB QUESTIONS.json [--n N]    # cold checks (fresh caches each)
    python -m bench.profile import FILE [FILE...]               # Registry.load into a fresh register
    python -m bench.profile cli    DB QUESTIONS.json            # python -X importtime of one CLI check

cProfile's own overhead inflates many small calls, so the shares matter, not the absolute times.
Each report lists the top functions by own time (`tottime`) with their share of the total, and
the top by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
from typing import Any

from bench.peers import scope_of, to_question


def report(prof: cProfile.Profile, top: int = 14) -> str:
    stats = pstats.Stats(prof)
    total = stats.total_tt or 1e-9
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    out = io.StringIO()
    out.write(f"total {total:.3f} s profiled\n  own%   cum%  calls  function\n")
    for (file, line, name), (_cc, nc, tt, ct, _callers) in rows:
        out.write(f"{tt / total * 100:6.1f} {ct / total * 100:6.1f} {nc:7d}  {_short(file)}:{line}({name})\n")
    out.write("  by cumulative time:\n")
    for (file, line, name), (_cc, nc, tt, ct, _callers) in sorted(
            stats.stats.items(), key=lambda kv: -kv[1][3])[:top]:  # type: ignore[attr-defined]
        out.write(f"{tt / total * 100:6.1f} {ct / total * 100:6.1f} {nc:7d}  {_short(file)}:{line}({name})\n")
    return out.getvalue()


def _short(file: str) -> str:
    for marker in ("/site-packages/", "/wt-bench/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def _open(db: str, questions_file: str, n: int) -> tuple[Any, list[dict[str, Any]]]:
    from registry import Registry

    reg = Registry.open(db)
    reg.state()
    questions = json.loads(open(questions_file, encoding="utf-8").read())[:n]
    return reg, questions


def warm(db: str, questions_file: str, n: int) -> str:
    reg, questions = _open(db, questions_file, n)
    asks = [(q["actor"], q["power"], q["on"], scope_of(q)) for q in questions]
    for actor, power, on, scope in asks:
        reg.check(actor, power, on, **scope)
    prof = cProfile.Profile()
    prof.enable()
    for actor, power, on, scope in asks:
        reg.check(actor, power, on, **scope)
    prof.disable()
    return report(prof)


def batch(db: str, questions_file: str, n: int) -> str:
    reg, questions = _open(db, questions_file, n)
    typed = [to_question(reg, q) for q in questions]
    reg.check_many(typed)
    prof = cProfile.Profile()
    prof.enable()
    reg.check_many(typed)
    prof.disable()
    return report(prof)


def first(db: str, questions_file: str, n: int, cap: float = 15.0) -> str:
    """Cold checks; one that runs longer than `cap` seconds is interrupted (its first `cap`
    seconds stay in the profile)."""
    import signal

    from bench.bench_first import Capped, _alarm
    from delegations.state import Caches

    reg, questions = _open(db, questions_file, n)
    state = reg.state()
    q0 = questions[0]
    reg.check(q0["actor"], q0["power"], q0["on"], **scope_of(q0))  # the lazy indexes, once
    prof = cProfile.Profile()
    signal.signal(signal.SIGALRM, _alarm)
    capped = 0
    for q in questions:
        state.cache = Caches()
        try:
            signal.setitimer(signal.ITIMER_REAL, cap)
            prof.enable()
            reg.check(q["actor"], q["power"], q["on"], **scope_of(q))
        except Capped:
            capped += 1
        finally:
            prof.disable()
            signal.setitimer(signal.ITIMER_REAL, 0)
    return f"{len(questions)} cold checks, {capped} interrupted after {cap} s\n" + report(prof)


def import_(paths: list[str]) -> str:
    from registry import Registry

    with tempfile.TemporaryDirectory() as tmp:
        reg = Registry.init(os.path.join(tmp, "import.db"))
        prof = cProfile.Profile()
        prof.enable()
        reg.load(*paths)
        prof.disable()
        reg.close()
    return report(prof)


def cli(db: str, questions_file: str) -> str:
    q = next(x for x in json.loads(open(questions_file, encoding="utf-8").read()) if x.get("amount"))
    argv = [sys.executable, "-X", "importtime", "-m", "cli.main", "--db", db, "--json", "check", "--actor",
            q["actor"], "--power", q["power"], "--on", q["on"]]
    subprocess.run(argv, capture_output=True, check=False)  # bytecode cache
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cum, name = line[len("import time:"):].split("|")
        rows.append((int(cum), int(own), name[1:].rstrip()))
    total = sum(own for _cum, own, _n in rows) or 1
    top_level = sorted((r for r in rows if not r[2].startswith(" ")), reverse=True)[:10]
    out = io.StringIO()
    out.write(f"imports: {total / 1000:.1f} ms in {len(rows)} modules\n  cum ms  module (imported at top level)\n")
    for cum, _own, name in top_level:
        out.write(f"{cum / 1000:8.1f}  {name}\n")
    out.write("  own ms  module (largest own import time)\n")
    for _cum, own, name in sorted(rows, key=lambda r: -r[1])[:10]:
        out.write(f"{own / 1000:8.1f}  {name.strip()}\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("warm", "batch", "first", "import", "cli"))
    ap.add_argument("args", nargs="+")
    ap.add_argument("--n", type=int, default=5000)
    a = ap.parse_args(argv)
    if a.what == "import":
        print(import_(a.args))
    elif a.what == "cli":
        print(cli(*a.args[:2]))
    else:
        print({"warm": warm, "batch": batch, "first": first}[a.what](a.args[0], a.args[1], a.n))


if __name__ == "__main__":
    main()
