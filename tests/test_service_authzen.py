"""AuthZEN 1.0 Access Evaluation API against a real server: the specification's own request
examples (verbatim) get answers of the specification's shape, and the same shapes with our
actors and powers get our answers, with the check answer (contract section 4) as `context`."""

from __future__ import annotations

import copy

import pytest

from tests.helpers import EXAMPLE, VERBINTENIS, cli, import_file
from tests.service_helpers import new_token, serve

# -- the examples of the specification (Authorization API 1.0), verbatim --------------------------
SPEC_EVALUATION = {
    "subject": {"type": "user", "id": "alice@example.com"},
    "resource": {"type": "account", "id": "123"},
    "action": {"name": "can_read", "properties": {"method": "GET"}},
    "context": {"time": "1985-10-26T01:22-07:00"},
}
SPEC_HTTPS_EVALUATION = {
    "subject": {"type": "user", "id": "alice@example.com"},
    "resource": {"type": "todo", "id": "1"},
    "action": {"name": "can_read"},
    "context": {"time": "1985-10-26T01:22-07:00"},
}
SPEC_THREE = {"evaluations": [
    {"subject": {"type": "user", "id": "alice@example.com"}, "action": {"name": "can_read"},
     "resource": {"type": "document", "id": doc}, "context": {"time": "2024-05-31T15:22-07:00"}}
    for doc in ("boxcarring.md", "subject-search.md", "resource-search.md")]}
SPEC_DEFAULTS = {
    "subject": {"type": "user", "id": "alice@example.com"},
    "context": {"time": "2024-05-31T15:22-07:00"},
    "evaluations": [{"action": {"name": "can_read"}, "resource": {"type": "document", "id": doc}}
                    for doc in ("boxcarring.md", "subject-search.md", "resource-search.md")],
}
SPEC_OVERRIDE = {
    "subject": {"type": "user", "id": "alice@example.com"},
    "context": {"time": "2024-05-31T15:22-07:00"},
    "action": {"name": "can_read"},
    "evaluations": [
        {"resource": {"type": "document", "id": "boxcarring.md"}},
        {"resource": {"type": "document", "id": "subject-search.md"}},
        {"action": {"name": "can_edit"}, "resource": {"type": "document", "id": "resource-search.md"}},
    ],
}
SPEC_OPTIONS = {  # the specification's own fragment: no action anywhere
    "evaluations": [{"resource": {"type": "doc", "id": "1"}, "subject": {"type": "doc", "id": "2"}}],
    "options": {"evaluations_semantic": "execute_all", "another_option": "value"},
}


def spec_semantics(semantic: str) -> dict:
    return {"subject": {"type": "user", "id": "alice@example.com"}, "action": {"name": "read"},
            "options": {"evaluations_semantic": semantic},
            "evaluations": [{"resource": {"type": "document", "id": i}} for i in ("1", "2", "3")]}


def decision_shaped(d: dict) -> bool:
    """A Decision of the specification: a boolean `decision` and, optionally, an object `context`."""
    return isinstance(d.get("decision"), bool) and isinstance(d.get("context", {}), dict) and set(d) <= {"decision", "context"}


# -- our register -------------------------------------------------------------------------------------
ALLOWED = {"subject": {"type": "person", "id": "p-001"}, "action": {"name": VERBINTENIS},
           "resource": {"type": "invoice", "id": "BB-2025-00042",
                        "properties": {"budget_key": "0119/6140000", "unit": "aankoop"}},
           "context": {"on": "2025-05-02", "amount": "1200"}}
REFUSED = copy.deepcopy(ALLOWED)
REFUSED["context"]["amount"] = "9000"  # above the 8 500 of AD-2025-0007/1


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authzen")
    db = tmp / "voorbeeldegem.db"
    import_file(db, EXAMPLE)
    token = new_token("--db", db, role="reader")
    with serve("--db", db, tmp=tmp) as server, server.client(token) as client:
        yield client, db


def test_specification_examples_single(site) -> None:
    c, _ = site
    for body in (SPEC_EVALUATION, SPEC_HTTPS_EVALUATION):
        r = c.post("/access/v1/evaluation", json=body, headers={"X-Request-ID": "bfe9eb29-ab87-4ca3-be83-a1d5d8305716"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.headers["x-request-id"] == "bfe9eb29-ab87-4ca3-be83-a1d5d8305716"
        d = r.json()
        assert decision_shaped(d)
        # alice and can_read are not in a delegation register: closed, with the reason in the context
        assert d["decision"] is False and d["context"]["error"]["status"] == 422


def test_specification_examples_batch(site) -> None:
    c, _ = site
    for body in (SPEC_THREE, SPEC_DEFAULTS, SPEC_OVERRIDE):
        r = c.post("/access/v1/evaluations", json=body)
        assert r.status_code == 200
        out = r.json()["evaluations"]
        assert len(out) == 3 and all(decision_shaped(d) and d["decision"] is False for d in out)
    counts = {s: len(c.post("/access/v1/evaluations", json=spec_semantics(s)).json()["evaluations"])
              for s in ("execute_all", "deny_on_first_deny", "permit_on_first_permit")}
    assert counts == {"execute_all": 3, "deny_on_first_deny": 1, "permit_on_first_permit": 3}
    missing = c.post("/access/v1/evaluations", json=SPEC_OPTIONS)
    assert missing.status_code == 400 and "action" in missing.json()["detail"]
    # without `evaluations`, the batch endpoint answers like the single one
    assert len(c.post("/access/v1/evaluations", json=SPEC_EVALUATION).json()["evaluations"]) == 1


def test_our_answers_in_the_authzen_shape(site) -> None:
    c, db = site
    for body in (ALLOWED, REFUSED):
        d = c.post("/access/v1/evaluation", json=body).json()
        mine = cli("--db", db, "--json", "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02",
                   "--amount", body["context"]["amount"], "--budget-key", "0119/6140000", "--unit", "aankoop")
        assert d == {"decision": mine.json["allowed"], "context": mine.json}
    assert c.post("/access/v1/evaluation", json=ALLOWED).json()["decision"] is True
    assert c.post("/access/v1/evaluation", json=REFUSED).json()["decision"] is False


def test_our_semantics_defaults_and_overrides(site) -> None:
    c, _ = site
    base = {"subject": ALLOWED["subject"], "action": ALLOWED["action"], "context": ALLOWED["context"],
            "resource": ALLOWED["resource"]}
    evaluations = [{}, {"context": REFUSED["context"]}, {"context": {"on": "2025-05-02", "amount": "100"}}]
    got = {}
    for s in ("execute_all", "deny_on_first_deny", "permit_on_first_permit"):
        out = c.post("/access/v1/evaluations", json={**base, "evaluations": evaluations,
                                                     "options": {"evaluations_semantic": s}}).json()["evaluations"]
        got[s] = [d["decision"] for d in out]
    assert got == {"execute_all": [True, False, True], "deny_on_first_deny": [True, False],
                   "permit_on_first_permit": [True]}
    # the evaluation's own context replaces the default one as a whole; `time` gives the date
    timed = {**base, "context": {"time": "2025-05-02T10:00+02:00", "amount": "1200"}}
    assert c.post("/access/v1/evaluation", json=timed).json()["context"]["question"]["on"] == "2025-05-02"
    bad = c.post("/access/v1/evaluations", json={**base, "options": {"evaluations_semantic": "sometimes"}})
    assert bad.status_code == 400 and bad.json()["code"] == "INPUT"


def test_malformed_requests_are_400_and_unknown_fields_are_ignored(site) -> None:
    c, _ = site
    for body in ({"action": {"name": "x"}, "resource": {"type": "t", "id": "1"}},
                 {"subject": {"id": "p-001"}, "action": {"name": VERBINTENIS}, "resource": {"type": "t", "id": "1"}}):
        r = c.post("/access/v1/evaluation", json=body)
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    extra = copy.deepcopy(ALLOWED)
    extra["future_field"] = {"x": 1}
    extra["subject"]["properties"] = {"department": "Aankoop"}
    assert c.post("/access/v1/evaluation", json=extra).json()["decision"] is True
    wrong_type = copy.deepcopy(ALLOWED)
    wrong_type["context"]["on"] = 20250502
    d = c.post("/access/v1/evaluation", json=wrong_type).json()
    assert d["decision"] is False and d["context"]["error"]["code"] == "INPUT"
