"""The date index of an actor's candidate chains finds exactly the chains in force on a date.

`compiled.Plan` cuts the time line where the set of chains in force changes and works out each
stretch once; `evaluate.check` reads the stretch of the question's date instead of testing every
chain. For any periods (overlapping, nested, touching, one day long, open-ended, at the ends of
the calendar) and any date, asked in any order, the stretch must hold exactly the chains whose
period covers the date, in the plan's order, without the statically refused ones among those
tried, and in the order a refusal explains them.
"""

from __future__ import annotations

from datetime import date, timedelta

from attrs import define
from hypothesis import strategies as st

from delegations.compiled import Plan
from tests.helpers import property_tests

EDGES = [date.min, date.min + timedelta(days=1), date(2019, 1, 1), date(2020, 2, 29),
         date.max - timedelta(days=1), date.max]


@define
class Compiled:  # what the plan reads of a compiled chain
    cites_root: bool
    static: bool


@define
class Chain:  # what the plan reads of a candidate
    start: date
    end: date
    compiled: Compiled
    steps: tuple


days = st.one_of(st.sampled_from(EDGES), st.dates(date(2018, 1, 1), date(2022, 12, 31)))


@st.composite
def chains(draw: st.DrawFn) -> Chain:
    a, b = sorted([draw(days), draw(days)])
    return Chain(a, b, Compiled(draw(st.booleans()), draw(st.booleans())),
                 tuple(range(draw(st.integers(1, 4)))))


def body(cands: list[Chain], asked: list[date]) -> None:
    plan = Plan.of(cands)  # type: ignore[arg-type]
    for on in asked + asked[::-1]:  # a stretch asked again is the one worked out before
        seg = plan.at(on)
        expected = [c for c in cands if c.start <= on <= c.end]
        assert list(seg.current) == expected
        assert list(seg.tried) == [c for c in expected if not c.compiled.static]
        assert list(seg.near) == sorted(expected, key=lambda c: (not c.compiled.cites_root, len(c.steps)))


test_plan_finds_the_chains_in_force, test_plan_finds_the_chains_in_force_thorough = property_tests(
    body, 300, 5000, cands=st.lists(chains(), max_size=12), asked=st.lists(days, min_size=1, max_size=12))


def test_no_chain_no_stretch() -> None:
    plan = Plan.of([])
    assert plan.at(date(2020, 1, 1)).current == () and plan.at(date.max).tried == ()
