"""The fast path's merged scope test drops only groups that another kept group implies.

`CompiledChain.admits` tests a chain's budget-key and unit restrictions as the few groups that no
narrower group implies (`compiled._irredundant`). A question must pass all of a chain's groups; so
for any groups and any question, passing the kept ones must be exactly passing all of them. The
engine-equivalence property covers whole registers; this one aims at the reduction itself, with
groups that overlap, nest, repeat and contradict.
"""

from __future__ import annotations

from hypothesis import strategies as st

from delegations.compiled import _irredundant, _keys_imply, _units_imply
from delegations.rules.scoping import Allowed, Keys
from tests.helpers import property_tests

KEYS = ["0119/6140000", "0119/6141000", "0119/6150000", "0120/6140000", "0120/7000000", "0119/61", "01"]
PATTERNS = ["0119/*", "0119/614*", "0119/6140000", "0120/*", "01*", "0119/6150000", "0120/7000000", "0*", "0119/61*"]
# bestuur > financien > {aankoop, boekhouding}; bestuur > sociaal > {thuiszorg}; a stray unit
PARENT = {"bestuur": None, "financien": "bestuur", "aankoop": "financien", "boekhouding": "financien",
          "sociaal": "bestuur", "thuiszorg": "sociaal", "los": None}


def ancestors(unit: str) -> frozenset[str]:
    seen = []
    while unit is not None and unit not in seen:
        seen.append(unit)
        unit = PARENT.get(unit)  # type: ignore[assignment]
    return frozenset(seen)


def key_group(patterns: list[str]) -> Keys:
    return Keys(frozenset(p for p in patterns if not p.endswith("*")),
                tuple(p[:-1] for p in patterns if p.endswith("*")), None)  # type: ignore[arg-type]


def passes_keys(key: str, groups: tuple) -> bool:
    return all(key in g.exact or key.startswith(g.prefixes) for g in groups)


def passes_units(units: tuple[frozenset[str], ...], groups: tuple) -> bool:
    return all(any(not g.items.isdisjoint(above) for above in units) for g in groups)


def units_imply(narrow: Allowed, wide: Allowed) -> bool:
    return _units_imply(ancestors, narrow, wide)


key_groups = st.lists(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3, unique=True).map(key_group),
                      max_size=5).map(tuple)
unit_groups = st.lists(st.lists(st.sampled_from(sorted(PARENT)), min_size=1, max_size=3, unique=True).map(
    lambda us: Allowed(frozenset(us), None)), max_size=5).map(tuple)  # type: ignore[arg-type]


def kept_key_groups_admit_exactly_what_all_groups_admit(groups: tuple, keys: list[str]) -> None:
    kept = _irredundant(groups, _keys_imply)
    assert len(kept) <= len(groups)
    for key in keys:
        assert passes_keys(key, kept) == passes_keys(key, groups), (key, kept)


def kept_unit_groups_admit_exactly_what_all_groups_admit(groups: tuple, asked: list[str]) -> None:
    kept = _irredundant(groups, units_imply)
    units = tuple(ancestors(u) for u in asked)  # an act about a person may be about several units
    assert passes_units(units, kept) == passes_units(units, groups), (asked, kept)


test_key_groups, test_key_groups_thorough = property_tests(
    kept_key_groups_admit_exactly_what_all_groups_admit, 300, 5000, groups=key_groups,
    keys=st.lists(st.sampled_from(KEYS + [p.rstrip("*") for p in PATTERNS]), min_size=1))
test_unit_groups, test_unit_groups_thorough = property_tests(
    kept_unit_groups_admit_exactly_what_all_groups_admit, 300, 5000, groups=unit_groups,
    asked=st.lists(st.sampled_from(sorted(PARENT)), min_size=1, max_size=2))


def test_a_narrowing_chain_keeps_one_group() -> None:
    chain = (key_group(["0*"]), key_group(["0119/*", "0120/*"]), key_group(["0119/614*"]), key_group(["0119/6140000"]))
    assert _irredundant(chain, _keys_imply) == (chain[-1],)
    units = (Allowed(frozenset({"bestuur"}), None), Allowed(frozenset({"financien"}), None),  # type: ignore[arg-type]
             Allowed(frozenset({"aankoop"}), None))  # type: ignore[arg-type]
    assert _irredundant(units, units_imply) == (units[-1],)
