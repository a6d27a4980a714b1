"""Import of a register file into a fresh register through the real path (`Registry.load`).

    python -m bench.bench_import FILE [FILE...] --db NEW.db

Validation (format, references, rulebook, the delegator's own power on the effective date) and
the atomic write of every entity as a hash-chained event are both part of the time. `cpu_s` is
the CPU time of this process over the same span (on a machine shared with other work the wall
time varies with their load; the CPU time much less).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any


def run(paths: list[str], db: str) -> dict[str, Any]:
    from registry import Registry

    if os.path.exists(db):
        os.remove(db)
    reg = Registry.init(db)
    started, cpu = time.perf_counter(), time.process_time()
    result = reg.load(*paths)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    state = reg.state()
    reg.close()
    return {
        "import_s": round(seconds, 3),
        "cpu_s": round(cpu, 3),  # this process only: on a shared machine closer to the quiet figure
        "grants": len(state.grants),
        "entities": result.added,
        "events": len(result.events),
        "warnings": dict(Counter(f.code for f in result.findings)),
        "bytes": sum(Path(p).stat().st_size for p in paths),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def fill_unvalidated(paths: str | list[str], db: str) -> None:
    """The entities of register files written as `Registry.load` writes them (`registry.importer`),
    without the validation, one transaction per file: for preparing the check benchmarks' registers
    quickly (the events are the ones a load of the same files in one call per file would write)."""
    from delegations.validate import parse
    from registry import Registry, importer
    from registry.files import read_file
    from registry.gcpause import gc_paused

    if os.path.exists(db):
        os.remove(db)
    reg = Registry.init(db)
    for path in [paths] if isinstance(paths, str) else paths:
        f, problems = parse(read_file(path), path)
        if f is None:
            raise SystemExit(f"{path}: {problems[0].render('en')}")
        with gc_paused(), reg.store.transaction() as tx:
            importer.write(tx, [(path, f)], reg.store.meta("administration"))
    reg.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--db", required=True)
    a = ap.parse_args(argv)
    json.dump(run(a.files, a.db), sys.stdout)
    print()


if __name__ == "__main__":
    main()
