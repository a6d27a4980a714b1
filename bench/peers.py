"""The same questions asked of pycasbin and cedarpy, with policies flattened from our register.

    python -m bench.peers DB QUESTIONS.json [--n N] [--rounds R]

Flattening: for every (person, power, entity, date) a question asks about, our own engine is
asked the scope-free question; each chain it finds valid becomes one "mandate" alternative with
the effective limits of that chain (lowest amount of per-act limits and annual ceilings, the
intersection of budget keys, units, document types and issuers along the chain, and the document
types the chain's rules or exclusions keep back). Conflicts of interest on that date become deny
rules. The register used here records no uses, so annual ceilings act as plain amount limits.

- pycasbin: an "RBAC + amount" model. The unit tree is the role hierarchy (`g`), budget keys use
  the built-in `keyMatch`, amounts a custom function. Each subject's policy lines are loaded
  before its question, as `load_filtered_policy` would: pycasbin scans every policy line on
  every `enforce`, so one enforcer with the whole city would measure the scan, not the model.
- cedarpy: idiomatic ABAC. A constant set of K+1 policies (K = most alternatives any mandate
  has) reads the limits from the mandate entity the request names as its resource; the policy
  set and the entities are parsed once (`PolicySet`, `Entities` handles) and reused, so the
  timing is `is_authorized_batch` itself, in batches of 1000.

Both peers are given every advantage that does not change the answers; their preparation
(flattening, policy building, parsing) is not timed. Ours is timed through the public API:
`Registry.check` (one call per question, ids validated) and `Registry.check_many`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any

from delegations.answer import GrantStep, LawStep, Question

BATCH = 1000
NONE = "\u2205"  # an empty intersection: nothing matches

CASBIN_MODEL = """
[request_definition]
r = sub, act, amount, key, unit, doc, issuer, matter

[policy_definition]
p = sub, act, max, key, unit, doc, issuer, excl, matter, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.sub == p.sub && r.act == p.act && (p.matter == "" || r.matter == p.matter) && \
(p.max == "" || r.amount < 0 || amountWithin(r.amount, p.max)) && \
(p.key == "*" || r.key == "" || keyMatch(r.key, p.key)) && \
(p.unit == "*" || r.unit == "" || g(r.unit, p.unit)) && \
(p.doc == "*" || r.doc == "" || r.doc == p.doc) && \
(p.issuer == "*" || r.issuer == "" || r.issuer == p.issuer) && \
(p.excl == "" || r.doc == "" || notListed(r.doc, p.excl))
"""

CEDAR_ALTERNATIVE = """
permit (principal, action, resource is Mandate)
when {
  resource.holder == principal && resource.act == action && resource has c%(i)d &&
  (!(context has amount) || !(resource.c%(i)d has max) || context.amount <= resource.c%(i)d.max) &&
  (!(context has key) || !(resource.c%(i)d has keys) || context.key.containsAny(resource.c%(i)d.keys)) &&
  (!(context has unit) || !(resource.c%(i)d has units) || context.unit.containsAny(resource.c%(i)d.units)) &&
  (!(context has doc) || ((!(resource.c%(i)d has docs) || resource.c%(i)d.docs.contains(context.doc)) &&
                          !resource.c%(i)d.excl.contains(context.doc))) &&
  (!(context has issuer) || !(resource.c%(i)d has issuers) || resource.c%(i)d.issuers.contains(context.issuer))
};
"""
CEDAR_CONFLICT = """
forbid (principal, action, resource is Mandate)
when { context has matter && resource.conflicts.contains(context.matter) };
"""


# -- questions ------------------------------------------------------------------------------

def scope_of(q: dict[str, Any]) -> dict[str, Any]:
    return {k: q[k] for k in ("amount", "budget_key", "unit", "document_type", "issuer", "matter", "entity") if k in q}


def to_question(reg: Any, q: dict[str, Any], state: Any = None) -> Question:
    return reg.question(q["actor"], q["power"], q["on"], state=state, **scope_of(q))


def cents(amount: Decimal | str) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


# -- flattening -----------------------------------------------------------------------------

def _intersect(current: set[str] | None, step: tuple[str, ...], within) -> set[str] | None:
    """Items admitted by every step so far, as one list (prefix keys and units nest)."""
    if not step:
        return current
    if current is None:
        return set(step)
    return {c for c in step if any(within(c, p) for p in current)} | {
        p for p in current if any(within(p, c) for c in step)}


def _key_within(inner: str, outer: str) -> bool:
    return inner.startswith(outer[:-1]) if outer.endswith("*") else inner == outer


def alternative(state: Any, chain: tuple) -> dict[str, Any]:
    """The effective limits of one valid chain, in plain data."""
    law = chain[0]
    assert isinstance(law, LawStep)
    grants = [s for s in chain if isinstance(s, GrantStep)]
    doc_types = state.catalogue.document_types
    cap: Decimal | None = None
    keys = units = docs = None
    issuers: set[str] | None = set(law.holding.issuers) or None
    excl: set[str] = set()
    if grants:
        rules = [law.rule] + [state.catalogue.rules[s.decision.legal_basis] for s in grants
                              if s.decision.legal_basis in state.catalogue.rules]
        excl |= {x for r in rules for x in r.not_delegable if x in doc_types}

    def unit_within(inner: str, outer: str) -> bool:
        return outer in state.unit_ancestors(inner)

    for step in grants:
        lim = step.grant.limits
        for value in (lim.max_amount, lim.annual_ceiling):
            if value is not None and (cap is None or value < cap):
                cap = value
        keys = _intersect(keys, lim.budget_keys, _key_within)
        units = _intersect(units, lim.units, unit_within)
        docs = _intersect(docs, lim.document_types, lambda a, b: a == b)
        issuers = _intersect(issuers, lim.issuers, lambda a, b: a == b)
        excl |= {x for x in lim.excluded if x in doc_types}
    return {"max": None if cap is None else cents(cap), "keys": None if keys is None else sorted(keys),
            "units": None if units is None else sorted(units), "docs": None if docs is None else sorted(docs),
            "issuers": None if issuers is None else sorted(issuers), "excl": sorted(excl)}


def mandate_id(q: dict[str, Any]) -> str:
    return f"{q['actor']}|{q['power']}|{q.get('entity', 'gemeente')}|{q['on']}"


def flatten(reg: Any, questions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """mandate id -> {actor, power, alternatives, conflicts} for every mandate the questions need."""
    state = reg.state()
    out: dict[str, dict[str, Any]] = {}
    for q in questions:
        mid = mandate_id(q)
        if mid in out:
            continue
        on = date.fromisoformat(q["on"])
        answer = reg.ask(Question(q["actor"], q["power"], on, entity=q.get("entity", "gemeente")), state=state)
        alternatives = [alternative(state, c) for c in answer.chains] if answer.allowed else []
        conflicts = sorted({c.matter for c in state.conflicts_by_person.get(q["actor"], ())
                            if c.from_ <= on and (c.until is None or on <= c.until)})
        out[mid] = {"actor": q["actor"], "power": q["power"], "alternatives": alternatives, "conflicts": conflicts}
    return out


def unit_path(state: Any, unit: str) -> list[str]:
    return list(state.unit_ancestors(unit))


def key_probe(key: str) -> list[str]:
    """Everything a budget key pattern could be that matches this key: `=key` and every prefix."""
    return ["=" + key] + [key[:i] for i in range(len(key) + 1)]


# -- pycasbin -------------------------------------------------------------------------------

class CasbinPeer:
    def __init__(self, state: Any, mandates: dict[str, dict[str, Any]]):
        import casbin
        from casbin.model import Model

        model = Model()
        model.load_model_from_text(CASBIN_MODEL)
        self.enforcer = e = casbin.Enforcer(model)
        e.add_function("amountWithin", lambda amount, limit: amount <= int(limit))
        e.add_function("notListed", lambda doc, listed: doc not in listed.split("|"))
        for unit in state.units.values():
            if unit.parent:
                e.add_named_grouping_policy("g", unit.id, unit.parent)
        self.lines: dict[str, list[list[str]]] = {}
        for mid, m in mandates.items():
            lines = []
            for a in m["alternatives"]:
                for key in _values(a["keys"]):
                    for unit in _values(a["units"]):
                        for doc in _values(a["docs"]):
                            for issuer in _values(a["issuers"]):
                                lines.append([mid, m["power"], "" if a["max"] is None else str(a["max"]), key, unit, doc,
                                              issuer, "|".join(a["excl"]), "", "allow"])
            for matter in m["conflicts"]:
                lines.append([mid, m["power"], "", "*", "*", "*", "*", "", matter, "deny"])
            self.lines[mid] = lines
        self.policy = e.model["p"]["p"]
        self.policy.policy = []

    def request(self, state: Any, q: dict[str, Any]) -> tuple:
        return (mandate_id(q), q["power"], cents(q["amount"]) if q.get("amount") is not None else -1,
                q.get("budget_key") or "", q.get("unit") or "", q.get("document_type") or "", q.get("issuer") or "",
                q.get("matter") or "")

    def load(self, mid: str) -> None:
        """The subject's own policy lines, as a filtered policy load would leave them."""
        self.policy.policy = self.lines[mid]

    def enforce(self, request: tuple) -> bool:
        return bool(self.enforcer.enforce(*request))


def _values(items: list[str] | None) -> list[str]:
    if items is None:
        return ["*"]
    return items or [NONE]


# -- cedarpy --------------------------------------------------------------------------------

class CedarPeer:
    def __init__(self, state: Any, mandates: dict[str, dict[str, Any]]):
        import cedarpy

        self.cedarpy = cedarpy
        k = max([len(m["alternatives"]) for m in mandates.values()] + [1])
        self.alternatives = k
        text = "".join(CEDAR_ALTERNATIVE % {"i": i} for i in range(k)) + CEDAR_CONFLICT
        self.policies = cedarpy.PolicySet.from_str(text)
        entities = []
        for mid, m in mandates.items():
            attrs: dict[str, Any] = {"holder": {"__entity": {"type": "Person", "id": m["actor"]}},
                                     "act": {"__entity": {"type": "Action", "id": m["power"]}},
                                     "conflicts": m["conflicts"]}
            for i, a in enumerate(m["alternatives"]):
                alt: dict[str, Any] = {"excl": a["excl"]}
                if a["max"] is not None:
                    alt["max"] = a["max"]
                if a["keys"] is not None:
                    alt["keys"] = [k[:-1] if k.endswith("*") else "=" + k for k in a["keys"]]
                for name in ("units", "docs", "issuers"):
                    if a[name] is not None:
                        alt[name] = a[name]
                attrs[f"c{i}"] = alt
            entities.append({"uid": {"type": "Mandate", "id": mid}, "attrs": attrs, "parents": []})
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))

    def request(self, state: Any, q: dict[str, Any]) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if q.get("amount") is not None:
            context["amount"] = cents(q["amount"])
        if q.get("budget_key") is not None:
            context["key"] = key_probe(q["budget_key"])
        if q.get("unit") is not None:
            context["unit"] = unit_path(state, q["unit"])
        for name, field in (("doc", "document_type"), ("issuer", "issuer"), ("matter", "matter")):
            if q.get(field) is not None:
                context[name] = q[field]
        return {"principal": {"type": "Person", "id": q["actor"]}, "action": {"type": "Action", "id": q["power"]},
                "resource": {"type": "Mandate", "id": mandate_id(q)}, "context": context}

    def batch(self, requests: list[dict[str, Any]]) -> list[bool]:
        return [r.allowed for r in self.cedarpy.is_authorized_batch(requests, self.policies, self.entities)]


# -- the comparison -------------------------------------------------------------------------

def available() -> dict[str, bool]:
    found = {}
    for name in ("casbin", "cedarpy"):
        try:
            __import__(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return found


def agreement(reg: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers of us and each installed peer, question by question (no timing)."""
    state = reg.state()
    mandates = flatten(reg, questions)
    ours = [reg.check(q["actor"], q["power"], q["on"], **scope_of(q)).allowed for q in questions]
    peers: dict[str, list[bool]] = {}
    have = available()
    if have["casbin"]:
        casbin = CasbinPeer(state, mandates)
        answers = []
        for q in questions:
            casbin.load(mandate_id(q))
            answers.append(casbin.enforce(casbin.request(state, q)))
        peers["pycasbin"] = answers
    if have["cedarpy"]:
        cedar = CedarPeer(state, mandates)
        requests = [cedar.request(state, q) for q in questions]
        peers["cedarpy"] = [a for i in range(0, len(requests), BATCH) for a in cedar.batch(requests[i:i + BATCH])]
    agree = [all(p[i] == ours[i] for p in peers.values()) for i in range(len(questions))]
    return {"ours": ours, "peers": peers, "agree": agree, "mandates": mandates}


def run(db: str, questions: list[dict[str, Any]], rounds: int = 3) -> dict[str, Any]:
    from registry import Registry

    reg = Registry.open(db)
    state = reg.state()
    started = time.perf_counter()
    mandates = flatten(reg, questions)
    flatten_s = time.perf_counter() - started
    casbin = CasbinPeer(state, mandates)
    cedar = CedarPeer(state, mandates)
    c_requests = [casbin.request(state, q) for q in questions]
    c_subjects = [r[0] for r in c_requests]
    d_requests = [cedar.request(state, q) for q in questions]
    typed = [to_question(reg, q, state) for q in questions]
    scopes = [(q["actor"], q["power"], q["on"], scope_of(q)) for q in questions]
    n = len(questions)

    ours_single: list[bool] = []
    ours_batch: list[bool] = []
    casbin_answers: list[bool] = []
    cedar_answers: list[bool] = []
    best = {"ours_check": float("inf"), "ours_check_many": float("inf"), "pycasbin": float("inf"),
            "cedarpy_batch": float("inf")}
    perf = time.perf_counter
    for _ in range(rounds):
        spent = dict.fromkeys(best, 0.0)
        ours_single, ours_batch, casbin_answers, cedar_answers = [], [], [], []
        # Interleaved by batch, so that a noisy neighbour slows everyone alike.
        for start in range(0, n, BATCH):
            stop = min(start + BATCH, n)
            t = perf()
            for actor, power, on, scope in scopes[start:stop]:
                ours_single.append(reg.check(actor, power, on, **scope).allowed)
            spent["ours_check"] += perf() - t
            t = perf()
            ours_batch += [a.allowed for a in reg.check_many(typed[start:stop])]
            spent["ours_check_many"] += perf() - t
            for i in range(start, stop):
                casbin.load(c_subjects[i])
                t = perf()
                ok = casbin.enforcer.enforce(*c_requests[i])
                spent["pycasbin"] += perf() - t
                casbin_answers.append(bool(ok))
            t = perf()
            cedar_answers += cedar.batch(d_requests[start:stop])
            spent["cedarpy_batch"] += perf() - t
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds / n * 1e6)
    agree = [ours_single[i] == casbin_answers[i] == cedar_answers[i] == ours_batch[i] for i in range(n)]
    disagreements = [{"question": questions[i], "ours": ours_single[i], "pycasbin": casbin_answers[i],
                      "cedarpy": cedar_answers[i], "mandate": mandates[mandate_id(questions[i])]}
                     for i in range(n) if not agree[i]][:5]
    lines = [len(v) for v in casbin.lines.values()]
    return {
        "ratio_vs_pycasbin": round(best["pycasbin"] / best["ours_check"], 2),
        "ratio_vs_cedarpy_batch": round(best["cedarpy_batch"] / best["ours_check_many"], 2),
        "agreement_with_peers": round(sum(agree) / n, 6),
        "us_per_check": {k: round(v, 2) for k, v in best.items()},
        "questions": n,
        "allowed_share": round(sum(ours_single) / n, 3),
        "mandates": len(mandates),
        "casbin_lines_per_subject_max": max(lines, default=0),
        "casbin_lines_total": sum(lines),
        "cedar_policies": cedar.alternatives + 1,
        "flatten_s": round(flatten_s, 2),
        "rounds": rounds,
        "disagreements": disagreements,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("questions")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    questions = json.loads(open(a.questions, encoding="utf-8").read())[: a.n]
    json.dump(run(a.db, questions, a.rounds), sys.stdout, default=str)
    print()


if __name__ == "__main__":
    main()
