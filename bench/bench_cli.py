"""Cold start of one `delegaties check` process against the city-scale register.

    python -m bench.bench_cli DB --actor ID --power ID [--on DATE] [--runs N]
    python -m bench.bench_cli DB --questions Q.json [--index I] [--runs N]   # a question with its scope

Wall time of the whole process (interpreter start, imports, opening the register, loading the
state, the check, the JSON answer), divided by the wall time of `python -c pass` on the same
interpreter, medians of interleaved runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def command() -> list[str]:
    script = Path(sys.executable).parent / "delegaties"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def wall(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    t = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    return time.perf_counter() - t, done.returncode


def run(db: str, question: dict[str, Any], runs: int = 7) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE")}
    check = command() + ["--db", db, "--json", "check", "--actor", question["actor"], "--power", question["power"],
                         "--on", question["on"]]
    for opt, key in (("--amount", "amount"), ("--budget-key", "budget_key"), ("--unit", "unit"),
                     ("--document-type", "document_type"), ("--issuer", "issuer"), ("--matter", "matter"),
                     ("--entity", "entity")):
        if question.get(key) is not None:
            check += [opt, str(question[key])]
    bare = [sys.executable, "-c", "pass"]
    wall(bare, env)
    _, code = wall(check, env)  # warms the page cache and the bytecode cache
    if code not in (0, 1):
        raise RuntimeError(f"delegaties check exited {code}: {' '.join(check)}")
    cli, python = [], []
    for _ in range(runs):
        python.append(wall(bare, env)[0])
        cli.append(wall(check, env)[0])
    cli_s, py_s = statistics.median(cli), statistics.median(python)
    return {"cli_cold_check_over_python_startup": round(cli_s / py_s, 2), "cli_check_s": round(cli_s, 4),
            "python_startup_s": round(py_s, 4), "runs": runs, "exit": code, "command": " ".join(check)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--actor")
    ap.add_argument("--power")
    ap.add_argument("--on", default="2025-07-08")
    ap.add_argument("--questions", help="a JSON list of questions (bench/generate.py): ask one of them, with its scope")
    ap.add_argument("--index", type=int, default=0, help="which question of --questions (default the first)")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args(argv)
    if a.questions:
        question = json.loads(Path(a.questions).read_text(encoding="utf-8"))[a.index]
    elif a.actor and a.power:
        question = {"actor": a.actor, "power": a.power, "on": a.on}
    else:
        ap.error("give --actor and --power, or --questions")
    json.dump(run(a.db, question, a.runs), sys.stdout)
    print()


if __name__ == "__main__":
    main()
