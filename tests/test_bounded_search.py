"""The chain search is bounded while it enumerates, whatever the history.

Across many terms of office, subdelegations without `under` join every grant their delegator ever
received, so the chains that explain a refusal multiply at every level (hundreds of thousands on
a small register with fourteen terms). The explanation needs the first few; the search must stop
there, not enumerate everything and then cut (one question used to take 21 s). Work is counted
in steps of the search, not timed.
"""

from __future__ import annotations

from datetime import date

import pytest

from bench.generate import Params, write
from delegations import search
from registry import Registry

CAP = 100_000


@pytest.fixture(scope="module")
def many_terms(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("terms")
    city = write(tmp / "city.json", Params(persons=100, positions=40, grants=1000, seed=5))
    assert len({d["effective_from"][:4] for d in city.decisions}) >= 10  # many terms of history
    reg = Registry.init(tmp / "city.db")
    reg.load(tmp / "city.json", today=date(2025, 6, 30))
    yield reg, city.questions(300, seed=3)
    reg.close()


def unbounded(state, actor: str, power: str) -> int:
    n = 0
    for t in search.tails(state, actor):
        for _ in search._sources(state, t.principal, power, "gemeente", frozenset(), 0, t.window, False, True):
            n += 1
            if n >= CAP:
                return n
    return n


def test_explaining_a_refusal_costs_a_bounded_search(many_terms, monkeypatch: pytest.MonkeyPatch) -> None:
    reg, questions = many_terms
    calls = {"n": 0}
    original = search._through

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(search, "_through", counting)
    worst, worst_q = 0, None
    for q in questions:
        calls["n"] = 0
        answer = reg.check(q["actor"], q["power"], "1990-01-01")  # before every term: nothing holds
        assert not answer.allowed and answer.reasons
        if calls["n"] > worst:
            worst, worst_q = calls["n"], q
    monkeypatch.setattr(search, "_through", original)
    assert worst_q is not None
    # The register is a real worst case: enumerating every chain of that question is enormous ...
    assert unbounded(reg.state(), worst_q["actor"], worst_q["power"]) == CAP
    # ... while answering it took a few thousand steps of the search.
    assert worst <= 5_000, worst
