"""An answer that leaves the registry carries its reasons as of the state it was decided on.

A refusal is explained lazily in the pure layer, and the explanation may ask for the amount used
of a yearly ceiling that the fast decision never needed (it stopped at the first reason). Had the
registry let that question reach its connection later, the reasons would read uses recorded after
the answer's `seq`, or the connection of another thread in the service's pool (mid-transaction),
or a closed one. Here the register moves on, or is closed, between the answer and its reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry import Registry
from tests.helpers import VERBINTENIS, new_register
from tests.test_four_eyes import ceiling_register

SCOPE = {"budget_key": "0119/6140000", "unit": "aankoop"}
ON = "2025-05-02"
ACTOR = "q-03"  # holds AD-F/1: at most 5000 an act, 6000 a year


def ceiling_reason(answer: Any) -> dict[str, str]:
    found = [f.details for f in answer.reasons if f.code == "ANNUAL_CEILING_EXCEEDED"]
    assert len(found) == 1, [f.code for f in answer.reasons]
    return found[0]


def record(reg: Registry, amount: str, reference: str) -> None:
    ex = reg.exercise(reg.question(ACTOR, VERBINTENIS, ON, amount=amount, **SCOPE), reference)
    assert ex.recorded is True, ex.to_dict("en")


def by_check(reg: Registry) -> Any:
    return reg.check(ACTOR, VERBINTENIS, ON, amount="5500", **SCOPE)


def by_check_many(reg: Registry) -> Any:
    (answer,) = reg.check_many([reg.question(ACTOR, VERBINTENIS, ON, amount="5500", **SCOPE)])
    return answer


def by_ask(reg: Registry) -> Any:
    return reg.ask(reg.question(ACTOR, VERBINTENIS, ON, amount="5500", **SCOPE))


def by_exercise(reg: Registry) -> Any:
    ex = reg.exercise(reg.question(ACTOR, VERBINTENIS, ON, amount="5500", **SCOPE), "REFUSED-1")
    assert not ex.recorded
    return ex.answer


ASKING = [by_check, by_check_many, by_ask, by_exercise]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = new_register(tmp_path, ceiling_register(10_000, 6_000, None, 3_000), "plafond")
    with Registry.open(path) as reg:
        record(reg, "4000", "EERDER-1")
    return path


@pytest.mark.parametrize("asking", ASKING, ids=lambda f: f.__name__)
def test_reasons_are_those_of_the_decided_state(db: Path, asking: Callable[[Registry], Any]) -> None:
    with Registry.open(db) as reg:
        answer = asking(reg)
        assert not answer.allowed
        with Registry.open(db) as other:  # another writer records a use the answer has not seen
            record(other, "1500", "LATER-1")
        assert reg.check(ACTOR, VERBINTENIS, ON, amount="600", **SCOPE).allowed is False  # 5500 used now
        details = ceiling_reason(answer)
        assert Decimal(details["used"]) == Decimal(4000), details
        # The same answer, reproduced from the log as of the answer's event, says the same.
        again = reg.answer_at(answer.question, answer.register["seq"])
        assert again.to_dict("en")["reasons"] == answer.to_dict("en")["reasons"]


@pytest.mark.parametrize("asking", ASKING, ids=lambda f: f.__name__)
def test_reasons_outlive_the_connection(db: Path, asking: Callable[[Registry], Any]) -> None:
    reg = Registry.open(db)
    answer = asking(reg)
    reg.close()
    assert Decimal(ceiling_reason(answer)["used"]) == Decimal(4000)
    assert {f.code for f in answer.reasons} >= {"AMOUNT_ABOVE_LIMIT", "ANNUAL_CEILING_EXCEEDED"}


@pytest.mark.parametrize("enabled", [True, False])
def test_check_many_leaves_the_collector_as_it_found_it(db: Path, enabled: bool) -> None:
    """`check_many` pauses the cyclic collector for the batch (its answers are kept, none is a
    cycle): on or off before, the same after, also when a question of the batch is not one."""
    import gc

    with Registry.open(db) as reg:
        qs = [reg.question(ACTOR, VERBINTENIS, ON, amount=a, **SCOPE) for a in ("1500", "5500", "2500", "1000")]
        (gc.enable if enabled else gc.disable)()
        try:
            answers = reg.check_many(qs)
            assert gc.isenabled() is enabled
            assert [a.allowed for a in answers] == [reg.ask(q).allowed for q in qs] == [True, False, False, True]  # 4000 used of 6000 a year
            with pytest.raises(AttributeError):
                reg.check_many([qs[0], "not a question"])  # type: ignore[list-item]
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
