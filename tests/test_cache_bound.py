"""The caches of a long-running process stay bounded, and dropping them changes no answer.

`Caches.bound` drops the searched chains (candidates, compiled heads, unexplained refusals and
legality verdicts) once more than `state.CHAIN_LIMIT` are kept. Here the cap is set far below the
working set of a generated city's question stream, so the caches are dropped many times in the
middle of the stream: every answer (allowed, its chains, its reasons) must equal the answer of a
state that never drops anything, and what is kept never exceeds the cap by more than one search.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import Params, write
from bench.peers import scope_of
from delegations import state as state_module
from registry import Registry

LIMIT = 60


def answered(reg: Registry, questions: list[dict]) -> list[tuple]:
    out = []
    for q in questions:
        a = reg.check(q["actor"], q["power"], q["on"], **scope_of(q))
        out.append((a.allowed, a.grants, tuple(f.code for f in a.reasons)))
    return out


def test_dropped_caches_give_the_same_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.bench_import import fill_unvalidated

    city = write(tmp_path / "city.json", Params.small())
    fill_unvalidated(str(tmp_path / "city.json"), str(tmp_path / "city.db"))
    questions = city.questions(400, seed=3)
    with Registry.open(tmp_path / "city.db") as reg:
        unbounded = answered(reg, questions)
        assert reg.state().cache.kept > 4 * LIMIT  # the stream's working set is far above the cap
    monkeypatch.setattr(state_module, "CHAIN_LIMIT", LIMIT)
    with Registry.open(tmp_path / "city.db") as reg:
        cache = reg.state().cache
        most, drops, before = 0, 0, 0
        got = []
        for q in questions:
            got += answered(reg, [q])
            drops += cache.kept < before
            before = cache.kept
            most = max(most, cache.kept)
        assert got == unbounded
        assert drops >= 3
        assert most <= LIMIT + 256 * 3  # one search adds at most its candidates, heads and refusals
