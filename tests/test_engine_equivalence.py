"""One rule engine: the compiled fast path and the explaining evaluation give identical answers.

Random registers (a gemeente and its OCMW, decisions of every kind of delegator, limits, periods,
revocations, absences, conflicts, acting appointments and substitutes) and random questions go
through `check(..., fast=True)` (the precomputed periods, first-reason exits, caches) and through
`check(..., fast=False)` on a fresh snapshot (every rule of every chain, the time rule of each
step). The answers, with their chains, limits, conditions and reasons, must be the same.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import event
from hypothesis import strategies as st

from delegations import model as m
from delegations.answer import Question
from delegations.evaluate import check
from delegations.state import MODEL, RegisterState, entity_key
from tests.helpers import property_tests

START = date(2024, 1, 1)
UNITS = {"bestuur": (None, None), "financien": ("bestuur", None), "aankoop": ("financien", None),
         "sociaal": ("bestuur", "ocmw")}
POSITIONS = [
    m.Position("ad", "Algemeen directeur", "algemeen_directeur", "bestuur"),
    m.Position("aad", "Adjunct-algemeen directeur", "adjunct_algemeen_directeur", "bestuur"),
    m.Position("fd", "Financieel directeur", "financieel_directeur", "financien"),
    m.Position("bm", "Burgemeester", "burgemeester", "bestuur", substitutes=("sch-2",)),
    m.Position("sch-1", "Schepen 1", "schepen", "bestuur", rank=1),
    m.Position("sch-2", "Schepen 2", "schepen", "bestuur", rank=2),
    m.Position("vz", "Voorzitter", "voorzitter_gemeenteraad", "bestuur"),
    m.Position("rl", "Raadslid", "raadslid", "bestuur"),
    m.Position("dh", "Diensthoofd", "personeelslid", "aankoop", True, ("mw",)),
    m.Position("mw", "Medewerker", "personeelslid", "aankoop"),
    m.Position("soc", "Maatschappelijk werker", "personeelslid", "sociaal"),
]
PERSONS = {f"x-{p.id}": p.id for p in POSITIONS}
LOCAL = m.Rule("LOKAAL-BH", "Reglement budgethouderschap", holder="college", powers=("budgethouderschap",),
               delegable_to=("algemeen_directeur",), subdelegable_to=("personeelslid",))
VISUM = m.Rule("VISUM", "Visumreglement", holder="gemeenteraad", visum_exempt=(m.VisumExemption(Decimal("5000")),))
BH, VB = "budgethouderschap", "budgethouderschap.verbintenis"
# (by, to, powers, legal basis, entity): plausible decisions, some of them unlawful on purpose
TEMPLATES = [
    ("gemeenteraad", "college", (BH,), "DLB-41", "gemeente"),
    ("college", "ad", (BH,), "DLB-57", "gemeente"),
    ("college", "ad", (VB,), "LOKAAL-BH", "gemeente"),
    ("college", "dh", (VB,), "DLB-41", "gemeente"),  # unlawful: the college reaches staff through the AD
    ("college", "sch-1", (VB,), "DLB-57", "gemeente"),  # unlawful: to a member of the college
    ("ad", "dh", (VB,), "DLB-57", "gemeente"),
    ("ad", "aad", (VB, "budgethouderschap.factuurgoedkeuring"), "LOKAAL-BH", "gemeente"),
    ("dh", "mw", (VB,), "DLB-57", "gemeente"),
    ("ocmw_raad", "vast_bureau", (BH,), "DLB-78", "ocmw"),
    ("vast_bureau", "ad", (BH,), "DLB-85", "ocmw"),
    ("ad", "soc", (VB,), "DLB-85", ("gemeente", "ocmw")),
    ("ad", "mw", ("medeondertekening",), "DLB-283", ("gemeente", "ocmw")),
    ("ad", "x-mw", ("medeondertekening",), "DLB-283", "gemeente"),  # to a person
    ("vz", "sch-1", ("ondertekening",), "DLB-281", "gemeente"),
    ("bm", "sch-2", ("ondertekening",), "DLB-280", "gemeente"),
    ("ad", "dh", ("dagelijks_personeelsbeheer",), "DLB-170", ("gemeente", "ocmw")),
]
KEYS = ["0119/6140000", "0119/6150000", "0200/6100000"]
KEY_PATTERNS = ["0119/61*", "0119/6140*", "02*"]
DOCS = ["briefwisseling", "notulen", "besluit"]
ISSUERS = ["college", "gemeenteraad", "vast_bureau", "burgemeester"]
POWERS = [VB, "budgethouderschap.factuurgoedkeuring", "ondertekening", "medeondertekening",
          "dagelijks_personeelsbeheer.verlof"]
ACTORS = [*PERSONS, "college", "ad", "vast_bureau"]

days = st.integers(min_value=0, max_value=900).map(lambda n: START + timedelta(days=n))
money = st.integers(min_value=0, max_value=600).map(lambda n: Decimal(n * 100))


def sometimes(strategy: st.SearchStrategy, empty: Any) -> st.SearchStrategy:
    """Mostly no restriction, so that chains often hold and both outcomes are common."""
    return st.one_of(st.just(empty), st.just(empty), strategy)


@st.composite
def limits(draw: st.DrawFn) -> m.Limits:
    def subset(items: list[str], size: int = 2) -> st.SearchStrategy:
        return sometimes(st.lists(st.sampled_from(items), min_size=1, max_size=size, unique=True).map(tuple), ())

    return m.Limits(
        max_amount=draw(sometimes(money, None)), annual_ceiling=draw(sometimes(money, None)),
        budget_keys=draw(subset(KEY_PATTERNS)), units=draw(subset(list(UNITS))), document_types=draw(subset(DOCS)),
        issuers=draw(subset(ISSUERS)),
        excluded=draw(subset(["decretale_graad", "notulen", "budgethouderschap.factuurgoedkeuring"], 1)),
        only_when_absent=draw(sometimes(st.just("dh"), None)))


@st.composite
def registers(draw: st.DrawFn) -> dict[str, list[Any]]:
    # A lawful backbone in force most of the time, so that many questions are allowed, and
    # random decisions (some unlawful) on top.
    backbone = [1, 5, 7, 11, 13, 14, 15, 8, 9, 10]
    chosen = (backbone if draw(st.integers(0, 3)) else backbone[:draw(st.integers(0, len(backbone)))]) + draw(
        st.lists(st.integers(0, len(TEMPLATES) - 1), max_size=6))
    decisions, revocations = [], []
    for n, i in enumerate(chosen):
        by, to, powers, basis, entity = TEMPLATES[i]
        start = draw(st.sampled_from([START, START]) | days)
        until = draw(st.none() | st.none() | st.integers(0, 500).map(lambda k, s=start: s + timedelta(days=k)))
        g = m.Grant(f"D{n}/1", to, powers, limits=draw(limits()),
                    requires=m.Requirements(draw(sometimes(st.just("fd"), None)), draw(sometimes(money, None))),
                    subdelegation=m.SubdelegationPolicy(draw(st.integers(0, 3)) > 0, draw(st.integers(1, 2))))
        decisions.append(m.Decision(f"D{n}", f"Besluit {n}", by, start, start, basis, entity, until, grants=(g,)))
        if draw(st.integers(0, 5)) == 0:
            revocations.append(m.Revocation(draw(st.sampled_from([f"D{n}", f"D{n}/1"])), draw(days), "INTR"))
    appointments = [m.Appointment(person, pos, date(2020, 1, 1)) for person, pos in PERSONS.items()]
    if draw(st.booleans()):
        appointments.append(m.Appointment("x-dh", "ad", draw(days), draw(st.none() | days), "acting"))
    if draw(st.booleans()):
        appointments.append(m.Appointment("x-mw", "bm", draw(days), None, "acting"))
    absences = [m.Absence(draw(st.sampled_from(list(PERSONS))), start, start + timedelta(days=draw(st.integers(0, 60))))
                for start in draw(st.lists(days, max_size=3))]
    conflicts = [m.Conflict(draw(st.sampled_from(sorted(PERSONS))), "KBO:1", draw(st.sampled_from([START, *draw(
        st.lists(days, max_size=1))]))) for _ in range(draw(st.integers(0, 2)))]
    return {"decision": decisions, "revocation": revocations, "appointment": appointments, "absence": absences,
            "conflict": conflicts}


def boundaries(parts: dict[str, list[Any]]) -> list[date]:
    """The days where a period begins or ends, and the days next to them: where an off-by-one hides."""
    found: set[date] = set()
    for d in parts["decision"]:
        found |= {d.effective_from, *([d.effective_until] if d.effective_until else [])}
    found |= {r.effective_from for r in parts["revocation"]}
    found |= {x for a in parts["absence"] for x in (a.from_, a.until)}
    found |= {x for a in parts["appointment"] for x in (a.from_, a.until) if x is not None}
    return sorted({x + timedelta(days=k) for x in found for k in (-1, 0, 1)})


def receivers(parts: dict[str, list[Any]]) -> list[tuple[str, str, str | None]]:
    """(actor, power, entity) that some grant reaches: questions a register can answer yes to."""
    holders = {pos: person for person, pos in PERSONS.items()}
    return [(holders.get(g.to, g.to), p if p != BH else VB, d.entities[-1]) for d in parts["decision"]
            for g in d.grants for p in g.powers if p in POWERS or p == BH]


@st.composite
def questions(draw: st.DrawFn, near: list[date], likely: list[tuple[str, str, str | None]]) -> Question:
    actor, power, entity = draw(st.sampled_from(likely)) if likely and draw(st.booleans()) else (
        draw(st.sampled_from(ACTORS)), draw(st.sampled_from(POWERS)), draw(st.sampled_from([None, "ocmw"])))
    signing = power in ("ondertekening", "medeondertekening")
    on = draw(st.sampled_from(near)) if near and draw(st.integers(0, 3)) else draw(days)
    return Question(
        actor=actor, power=power, on=on, amount=draw(st.none() | money),
        budget_key=draw(st.none() | st.sampled_from(KEYS)), unit=draw(st.none() | st.sampled_from(list(UNITS))),
        document_type=draw(st.sampled_from(DOCS)) if signing and draw(st.booleans()) else None,
        issuer=draw(st.sampled_from(ISSUERS)) if signing and draw(st.booleans()) else None,
        matter=draw(st.none() | st.just("KBO:1")), entity=None if signing else entity,
        concerns=draw(st.none() | st.sampled_from(["x-fd", "x-mw"])))


def state_of(parts: dict[str, list[Any]]) -> RegisterState:
    objects: dict[str, list[Any]] = {
        "unit": [m.Unit(u, u.title(), parent, entity) for u, (parent, entity) in UNITS.items()],
        "position": POSITIONS, "person": [m.Person(p, p) for p in PERSONS], "rule": [LOCAL, VISUM], **parts}
    entities: dict[str, dict[str, object]] = {kind: {} for kind in MODEL}
    for kind, items in objects.items():
        entities[kind] = {entity_key(kind, o): o for o in items}
    return RegisterState(m.Administration("proefdorp", "Proefdorp"), entities)


def usage(grant: str, year: int) -> Decimal:
    return Decimal((sum(map(ord, grant)) * year) % 7 * 1000)


def _same_answer(parts: dict[str, list[Any]], data: st.DataObject) -> None:
    fast_state, slow_state = state_of(parts), state_of(parts)
    asked = data.draw(st.lists(questions(boundaries(parts), receivers(parts)), min_size=1, max_size=6),
                      label="questions")
    for q in asked:
        fast = check(fast_state, q, usage=usage).to_dict("en")
        again = check(fast_state, q, usage=usage).to_dict("en")  # from the caches
        slow = check(slow_state, q, usage=usage, fast=False).to_dict("en")
        event(f"allowed: {fast['allowed']}")
        assert fast == again
        assert fast == slow, (q, fast, slow)


test_fast_path_and_explanation_agree, test_fast_path_and_explanation_agree_thorough = property_tests(
    _same_answer, 150, 1500, parts=registers(), data=st.data())
