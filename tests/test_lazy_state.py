"""The lazily loading state (one-shot CLI commands) answers exactly as the fully loaded one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import Registry

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "voorbeeldegem.yaml"
POWERS = ["budgethouderschap.verbintenis", "budgethouderschap.factuurgoedkeuring", "dagelijks_personeelsbeheer.vorming",
          "dagelijks_personeelsbeheer.verlof", "ondertekening", "medeondertekening"]


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    db = tmp_path_factory.mktemp("lazy") / "r.db"
    Registry.init(db).load(EXAMPLE)
    full, lazy = Registry.open(db), Registry.open(db, lazy=True)
    yield full, lazy
    full.close()
    lazy.close()


@settings(max_examples=150, deadline=None)
@given(actor=st.sampled_from([f"p-{i:03d}" for i in range(1, 13)] + ["ad", "dh-aankoop", "college"]),
       power=st.sampled_from(POWERS),
       on=st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 1, 31)),
       amount=st.none() | st.sampled_from(["500", "8000", "9000", "30000"]),
       key=st.none() | st.sampled_from(["0119/6140000", "0200/6100000", "0300/1"]),
       unit=st.none() | st.sampled_from(["aankoop", "techniek", "personeel"]),
       doc=st.none() | st.sampled_from(["briefwisseling", "notulen"]),
       issuer=st.none() | st.sampled_from(["college", "gemeenteraad"]),
       matter=st.none() | st.just("KBO:0999999999"))
def test_lazy_and_full_state_give_the_same_answer(registers, actor, power, on, amount, key, unit, doc, issuer, matter):
    full, lazy = registers
    scope = dict(amount=amount, budget_key=key, unit=unit, document_type=doc, issuer=issuer, matter=matter)
    expected = full.check(actor, power, on, **scope).to_dict("en")
    assert lazy.check(actor, power, on, **scope).to_dict("en") == expected


def test_lazy_state_reads_only_what_the_question_touches(registers):
    full, _lazy = registers
    lazy = Registry.open(full.path, lazy=True)
    lazy.check("p-001", "budgethouderschap.verbintenis", date(2025, 5, 2), amount="1200")
    state = lazy.state()
    assert "p-012" not in state.persons.cache  # never asked about
    assert not state.positions.complete and not state.decisions.complete
    lazy.close()
