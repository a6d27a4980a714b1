"""The check path of two source trees against each other, in alternating processes.

    git worktree add /tmp/base HEAD~1
    python -m bench.compare_trees /tmp/base . DB QUESTIONS.json [--rounds 3] [--n 5000]

On a shared machine timings drift by tens of percent within minutes; a ratio of two trees measured
alternately on the same register and questions does not. Each round runs one process per tree
(`PYTHONPATH` set to the tree, so its `delegations` and `registry` are imported); each process
loads the register, answers the stream once (untimed), then reports the warm `Registry.check`
p50 (wall) and the CPU time per call of `Registry.check`, of `evaluate.check` alone, of question
validation and of `check_many`, best of 5 passes. Printed: the medians over the rounds and their
ratio new/old.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

MEASURE = r'''
import json, sys, time
from bench.peers import scope_of
from registry import Registry
from delegations.evaluate import check as evaluate
db, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
qs = json.load(open(path, encoding="utf-8"))[:n]
reg = Registry.open(db)
st = reg.state()
args = [(q["actor"], q["power"], q["on"], scope_of(q)) for q in qs]
for a in args:
    reg.check(a[0], a[1], a[2], **a[3])
typed = [reg.question(a[0], a[1], a[2], state=st, **a[3]) for a in args]
out = {}
def cpu(label, f):
    best = float("inf")
    for _ in range(5):
        t = time.process_time(); f(); best = min(best, time.process_time() - t)
    out[label] = best / len(args) * 1e6
lat = []
for a in args:
    t = time.perf_counter(); reg.check(a[0], a[1], a[2], **a[3]); lat.append(time.perf_counter() - t)
lat.sort()
out["check_p50_wall_us"] = lat[len(lat) // 2] * 1e6
cpu("check_cpu_us", lambda: [reg.check(a[0], a[1], a[2], **a[3]) for a in args])
cpu("evaluate_cpu_us", lambda: [evaluate(st, q) for q in typed])
cpu("question_cpu_us", lambda: [reg.question(a[0], a[1], a[2], state=st, **a[3]) for a in args])
cpu("check_many_cpu_us", lambda: reg.check_many(typed))
print(json.dumps(out))
'''


def measure(tree: str, db: str, questions: str, n: int) -> dict[str, float]:
    tree = os.path.abspath(tree)
    env = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run([sys.executable, "-c", MEASURE, os.path.abspath(db), os.path.abspath(questions), str(n)],
                          cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("db")
    ap.add_argument("questions")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=5000)
    a = ap.parse_args(argv)
    runs: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(a.rounds):
        runs["old"].append(measure(a.old, a.db, a.questions, a.n))
        runs["new"].append(measure(a.new, a.db, a.questions, a.n))
    result = {}
    for key in runs["old"][0]:
        old = statistics.median(r[key] for r in runs["old"])
        new = statistics.median(r[key] for r in runs["new"])
        result[key] = {"old": round(old, 2), "new": round(new, 2), "new_over_old": round(new / old, 3)}
        print(f"{key:20s} old {old:8.2f}  new {new:8.2f}  new/old {new / old:5.2f}")
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
