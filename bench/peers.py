"""The same questions asked of pycasbin (as shipped and with its matcher cached), cedarpy and
regorus (OPA, through `opa_eval`), with policies flattened from our register.

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
- pycasbin, matcher cached (`CachedCasbinPeer`): the same, with `_get_expression` memoized in a
  subclass of `casbin.Enforcer` (pycasbin re-parses its matcher on every `enforce` otherwise).
- regorus (`RegorusPeer`): `REGO_POLICY` over the mandates as the `data` document, one
  `evaluate_parsed` of a pre-encoded JSON input per question.

Every peer is given every advantage that does not change the answers; their preparation
(flattening, policy building, parsing, request building) is not timed in the ratios; the
flattening is timed apart and reported (`flatten_s`). Ours is timed through the public API:
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

# The same questions in Rego, over the same flattened mandates as the `data` document. Sets are
# JSON objects (member -> true) so that membership is one lookup: the request's budget-key probe
# and unit path, and each alternative's keys / units / docs / issuers / excl. A null field means
# "no restriction"; an empty object means "nothing matches" (an empty intersection).
REGO_POLICY = """
package delegaties

import rego.v1

default allow := false

allow if {
	m := data.mandates[input.mandate]
	not conflicted(m)
	some a in m.alternatives
	amount_ok(a)
	key_ok(a)
	unit_ok(a)
	doc_ok(a)
	issuer_ok(a)
}

conflicted(m) if m.conflicts[input.matter]

amount_ok(a) if not input.amount
amount_ok(a) if a.max == null
amount_ok(a) if {
	a.max != null
	input.amount <= a.max
}

key_ok(a) if not input.key
key_ok(a) if a.keys == null
key_ok(a) if {
	a.keys != null
	some k, _ in a.keys
	input.key[k]
}

unit_ok(a) if not input.unit
unit_ok(a) if a.units == null
unit_ok(a) if {
	a.units != null
	some u, _ in a.units
	input.unit[u]
}

doc_ok(a) if not input.doc
doc_ok(a) if {
	input.doc
	doc_listed(a)
	not a.excl[input.doc]
}

doc_listed(a) if a.docs == null
doc_listed(a) if {
	a.docs != null
	a.docs[input.doc]
}

issuer_ok(a) if not input.issuer
issuer_ok(a) if a.issuers == null
issuer_ok(a) if {
	a.issuers != null
	a.issuers[input.issuer]
}
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
        from casbin.model import Model

        model = Model()
        model.load_model_from_text(CASBIN_MODEL)
        self.enforcer = e = self.enforcer_class()(model)
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

    @staticmethod
    def enforcer_class() -> type:
        import casbin

        return casbin.Enforcer

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


# -- pycasbin, matcher cached ---------------------------------------------------------------

class CachedCasbinPeer(CasbinPeer):
    """pycasbin as a speed-minded user would run it: the same model and policy lines, but the
    matcher is compiled once. pycasbin 1.43 has no public switch for this: `enforce_ex` calls
    the static `_get_expression(expr, functions)` on every request, which rewrites `&&`/`||`/`!`
    and `ast.parse`s the matcher again (~74 % of an `enforce`). Overriding that one static method
    in a subclass with a memo keyed by the matcher string is the least invasive fix (the
    `functions` of the first call are kept; they close over the same role manager, whose links
    do not change here). Everything else (policy scan, effector, logging call) is pycasbin's own."""

    @staticmethod
    def enforcer_class() -> type:
        import casbin

        class MatcherCachedEnforcer(casbin.Enforcer):
            _compiled: dict[str, Any] = {}

            @staticmethod
            def _get_expression(expr, functions=None):
                found = MatcherCachedEnforcer._compiled.get(expr)
                if found is None:
                    found = MatcherCachedEnforcer._compiled[expr] = casbin.Enforcer._get_expression(expr, functions)
                return found

        return MatcherCachedEnforcer


# -- regorus (OPA) --------------------------------------------------------------------------

class RegorusPeer:
    """The Rego policy `REGO_POLICY` in regorus through `opa_eval` (in process). The mandates are
    the `data` document, parsed once; each question is one JSON input (encoded outside the timed
    call, as a caller that builds its input once would) and one `evaluate_parsed`."""

    def __init__(self, state: Any, mandates: dict[str, dict[str, Any]], workdir: str | None = None):
        import os
        import tempfile

        import opa_eval

        data = {"mandates": {mid: {"conflicts": dict.fromkeys(m["conflicts"], True),
                                   "alternatives": [_rego_alternative(a) for a in m["alternatives"]]}
                             for mid, m in mandates.items()}}
        fd, self.policy_path = tempfile.mkstemp(suffix=".rego", dir=workdir)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(REGO_POLICY)
        self.engine = opa_eval.OpaEval(self.policy_path, json.dumps(data), query="data.delegaties.allow")
        os.unlink(self.policy_path)

    def request(self, state: Any, q: dict[str, Any]) -> str:
        given: dict[str, Any] = {"mandate": mandate_id(q)}
        if q.get("amount") is not None:
            given["amount"] = cents(q["amount"])
        if q.get("budget_key") is not None:
            given["key"] = dict.fromkeys(key_probe(q["budget_key"]), True)
        if q.get("unit") is not None:
            given["unit"] = dict.fromkeys(unit_path(state, q["unit"]), True)
        for name, field in (("doc", "document_type"), ("issuer", "issuer"), ("matter", "matter")):
            if q.get(field) is not None:
                given[name] = q[field]
        return json.dumps(given)

    def evaluate(self, request: str) -> bool:
        return _rego_allowed(self.engine.evaluate_parsed(request))


def _rego_alternative(a: dict[str, Any]) -> dict[str, Any]:
    def as_set(items: list[str] | None) -> dict[str, bool] | None:
        return None if items is None else dict.fromkeys(items, True)

    keys = None if a["keys"] is None else [k[:-1] if k.endswith("*") else "=" + k for k in a["keys"]]
    return {"max": a["max"], "keys": as_set(keys), "units": as_set(a["units"]), "docs": as_set(a["docs"]),
            "issuers": as_set(a["issuers"]), "excl": dict.fromkeys(a["excl"], True)}


def _rego_allowed(result: Any) -> bool:
    """`evaluate_parsed` gives the query's value; accept a bare bool or OPA's result envelope."""
    if isinstance(result, bool):
        return result
    if isinstance(result, dict) and "result" in result:
        return _rego_allowed(result["result"])
    if isinstance(result, list) and len(result) == 1:
        first = result[0]
        if isinstance(first, dict) and "expressions" in first:
            return _rego_allowed(first["expressions"][0]["value"])
        return _rego_allowed(first)
    raise TypeError(f"unexpected regorus result {result!r}")


# -- the comparison -------------------------------------------------------------------------

PEERS = {"casbin": "casbin", "cedarpy": "cedarpy", "regorus": "opa_eval"}


def available() -> dict[str, bool]:
    found = {}
    for name, module in PEERS.items():
        try:
            __import__(module)
            found[name] = True
        except ImportError:
            found[name] = False
    return found


def _casbin_answers(peer: CasbinPeer, state: Any, questions: list[dict[str, Any]]) -> list[bool]:
    answers = []
    for q in questions:
        peer.load(mandate_id(q))
        answers.append(peer.enforce(peer.request(state, q)))
    return answers


def agreement(reg: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers of us and each installed peer, question by question (no timing)."""
    state = reg.state()
    mandates = flatten(reg, questions)
    ours = [reg.check(q["actor"], q["power"], q["on"], **scope_of(q)).allowed for q in questions]
    peers: dict[str, list[bool]] = {}
    have = available()
    if have["casbin"]:
        peers["pycasbin"] = _casbin_answers(CasbinPeer(state, mandates), state, questions)
        peers["pycasbin_cached"] = _casbin_answers(CachedCasbinPeer(state, mandates), state, questions)
    if have["cedarpy"]:
        cedar = CedarPeer(state, mandates)
        requests = [cedar.request(state, q) for q in questions]
        peers["cedarpy"] = [a for i in range(0, len(requests), BATCH) for a in cedar.batch(requests[i:i + BATCH])]
    if have["regorus"]:
        rego = RegorusPeer(state, mandates)
        peers["regorus"] = [rego.evaluate(rego.request(state, q)) for q in questions]
    agree = [all(p[i] == ours[i] for p in peers.values()) for i in range(len(questions))]
    return {"ours": ours, "peers": peers, "agree": agree, "mandates": mandates}


def run(db: str, questions: list[dict[str, Any]], rounds: int = 3) -> dict[str, Any]:
    """Every peer on the same questions, interleaved per batch of 1000, best of `rounds`."""
    from registry import Registry

    reg = Registry.open(db)
    state = reg.state()
    started = time.perf_counter()
    mandates = flatten(reg, questions)
    flatten_s = time.perf_counter() - started
    casbin = CasbinPeer(state, mandates)
    cached = CachedCasbinPeer(state, mandates)
    cedar = CedarPeer(state, mandates)
    rego = RegorusPeer(state, mandates)
    c_requests = [casbin.request(state, q) for q in questions]
    c_subjects = [r[0] for r in c_requests]
    d_requests = [cedar.request(state, q) for q in questions]
    r_requests = [rego.request(state, q) for q in questions]
    typed = [to_question(reg, q, state) for q in questions]
    scopes = [(q["actor"], q["power"], q["on"], scope_of(q)) for q in questions]
    n = len(questions)
    names = ("ours_check", "ours_check_many", "pycasbin", "pycasbin_cached", "cedarpy_batch", "regorus")
    best = dict.fromkeys(names, float("inf"))
    answers: dict[str, list[bool]] = {}
    perf = time.perf_counter
    for _ in range(rounds):
        spent = dict.fromkeys(names, 0.0)
        answers = {name: [] for name in names}
        # Interleaved by batch, so that a noisy neighbour slows everyone alike.
        for start in range(0, n, BATCH):
            stop = min(start + BATCH, n)
            got = answers["ours_check"]
            t = perf()
            for actor, power, on, scope in scopes[start:stop]:
                got.append(reg.check(actor, power, on, **scope).allowed)
            spent["ours_check"] += perf() - t
            t = perf()
            answers["ours_check_many"] += [a.allowed for a in reg.check_many(typed[start:stop])]
            spent["ours_check_many"] += perf() - t
            for name, peer in (("pycasbin", casbin), ("pycasbin_cached", cached)):
                enforce, got = peer.enforcer.enforce, answers[name]
                for i in range(start, stop):
                    peer.load(c_subjects[i])  # the subject's policy lines (a filtered load): not timed
                    t = perf()
                    ok = enforce(*c_requests[i])
                    spent[name] += perf() - t
                    got.append(bool(ok))
            t = perf()
            answers["cedarpy_batch"] += cedar.batch(d_requests[start:stop])
            spent["cedarpy_batch"] += perf() - t
            evaluate, got = rego.engine.evaluate_parsed, answers["regorus"]
            t = perf()
            raw = [evaluate(x) for x in r_requests[start:stop]]
            spent["regorus"] += perf() - t
            got += [_rego_allowed(x) for x in raw]
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds / n * 1e6)
    ours = answers["ours_check"]
    peer_names = [x for x in names if x != "ours_check"]
    wrong = {name: sum(answers[name][i] != ours[i] for i in range(n)) for name in peer_names}
    agree = [all(answers[name][i] == ours[i] for name in peer_names) for i in range(n)]
    disagreements = [{"question": questions[i], "ours": ours[i], **{name: answers[name][i] for name in peer_names},
                      "mandate": mandates[mandate_id(questions[i])]} for i in range(n) if not agree[i]][:5]
    lines = [len(v) for v in casbin.lines.values()]
    us = best["ours_check"]
    return {
        "ratio_vs_pycasbin": round(best["pycasbin"] / us, 2),
        "ratio_vs_pycasbin_cached": round(best["pycasbin_cached"] / us, 2),
        "ratio_vs_regorus": round(best["regorus"] / us, 2),
        "ratio_vs_cedarpy_batch": round(best["cedarpy_batch"] / best["ours_check_many"], 2),
        "agreement_with_peers": round(sum(agree) / n, 6),
        "disagreement_count": {**wrong, "any": n - sum(agree)},
        "us_per_check": {k: round(v, 2) for k, v in best.items()},
        "questions": n,
        "allowed_share": round(sum(ours) / n, 3),
        "mandates": len(mandates),
        "casbin_lines_per_subject_max": max(lines, default=0),
        "casbin_lines_total": sum(lines),
        "cedar_policies": cedar.alternatives + 1,
        "flatten_s": round(flatten_s, 3),
        "flatten_us_per_mandate": round(flatten_s / max(1, len(mandates)) * 1e6, 1),
        "flatten_over_our_check": round(flatten_s / max(1, len(mandates)) * 1e6 / us, 2),
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
