"""A reader never answers from a stale register: every commit, by any connection or process, is
seen by the next check.

A reader does not query the database before every check: it compares the WAL-index header of
the -shm file first (`store.ShmWatch`) and asks `PRAGMA data_version` only when that changed.
Here writers on other connections (and in another process) record uses, change decisions and
checkpoint the WAL (which restarts it from its first frame) in arbitrary order, and after every
step the reader's answer is the one a freshly opened register gives, at the writer's head.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import Registry
from tests.helpers import VERBINTENIS, copy_register, decision, grant, import_file, new_register, write_yaml
from tests.test_four_eyes import ceiling_register

SCOPE = {"budget_key": "0119/6140000", "unit": "aankoop"}
ON = "2025-05-02"
ACTOR = "q-03"  # AD-F/1: at most 5000 an act, with a yearly ceiling


def ask(reg: Registry, amount: str = "400") -> tuple[bool, int, tuple[str, ...]]:
    a = reg.check(ACTOR, VERBINTENIS, ON, amount=amount, **SCOPE)
    return a.allowed, a.register["seq"], tuple(f.code for f in a.reasons)


def fresh(db: Path) -> tuple[bool, int, tuple[str, ...]]:
    with Registry.open(db) as reg:
        return ask(reg)


EXAMPLES = itertools.count()
OPS = st.lists(st.sampled_from(["use", "refused", "decision", "checkpoint-truncate", "checkpoint-restart",
                                "checkpoint-passive", "nothing"]), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("stale")
    return new_register(tmp, ceiling_register(100_000, 3_000, None, None), "plafond")


def _copy(src: Path, dst: Path) -> Path:
    return copy_register(src, dst)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, readonly=st.booleans())
def test_every_commit_is_seen_by_the_next_check(original: Path, tmp_path: Path, ops: list[str], readonly: bool) -> None:
    # A new name for every example: hypothesis runs examples in one tmp_path, and a register copied
    # over a name whose -wal and -shm files another example left behind would read their frames.
    db = _copy(original, tmp_path / f"r{next(EXAMPLES)}.db")
    writer = Registry.open(db)
    reader = Registry.open(db, readonly=readonly)
    try:
        assert ask(reader) == fresh(db)
        assert reader.store._watch, "the reader watches the WAL index (the register is in WAL mode)"
        added: list[dict] = []
        for n, op in enumerate(ops):
            if op == "use":
                writer.exercise(writer.question(ACTOR, VERBINTENIS, ON, amount="400", **SCOPE), f"U-{n}")
            elif op == "refused":
                writer.exercise(writer.question(ACTOR, VERBINTENIS, ON, amount="9999", **SCOPE), f"R-{n}")
            elif op == "decision":  # new entities; the first one revokes AD-F/1, which changes the answer
                data = ceiling_register(100_000, 3_000, None, None)
                added.append(decision(f"AD-X{n}", "ad", [grant(f"AD-X{n}/1", "dh-t")], effective_from="2025-01-01"))
                data["decisions"] += added
                data["revocations"] = [{"target": "AD-F/1", "effective_from": "2025-01-01", "by": added[0]["id"],
                                        "reason": "herschikking"}]
                import_file(db, write_yaml(tmp_path / f"v{n}.yaml", data))
            elif op.startswith("checkpoint"):
                writer.store.conn.execute(f"PRAGMA wal_checkpoint({op.split('-')[1].upper()})").fetchall()
            seen = ask(reader)
            assert seen == fresh(db), (n, op)
            assert seen[1] == writer.head[0]
    finally:
        reader.close()
        writer.close()


def test_a_commit_by_another_process_is_seen(original: Path, tmp_path: Path) -> None:
    db = _copy(original, tmp_path / "p.db")
    with Registry.open(db, readonly=True) as reader:
        before = ask(reader)
        for n in range(3):
            script = (
                "import sys; from registry import Registry\n"
                "with Registry.open(sys.argv[1]) as reg:\n"
                f"    q = reg.question({ACTOR!r}, {VERBINTENIS!r}, {ON!r}, amount='1000', **{SCOPE!r})\n"
                f"    assert reg.exercise(q, 'P-{n}').recorded\n"
                "    reg.store.conn.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()\n")
            subprocess.run([sys.executable, "-c", script, str(db)], check=True, timeout=120)
            seen = ask(reader)
            assert seen == fresh(db)
            assert seen[1] > before[1]
            before = seen
        assert ask(reader, "1000")[0] is False  # 3000 used: the yearly ceiling is reached


def test_without_wal_the_reader_asks_the_database(original: Path, tmp_path: Path) -> None:
    db = _copy(original, tmp_path / "d.db")
    with Registry.open(db) as reg:
        reg.store.conn.execute("PRAGMA journal_mode=DELETE").fetchall()
    writer = Registry.open(db)
    reader = Registry.open(db)
    try:
        ask(reader)
        assert reader.store._watch is False
        writer.exercise(writer.question(ACTOR, VERBINTENIS, ON, amount="2900", **SCOPE), "D-1")
        assert ask(reader) == fresh(db)
        assert ask(reader)[0] is False  # 2900 of 3000 used
    finally:
        reader.close()
        writer.close()

