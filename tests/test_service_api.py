"""The HTTP service against a real `delegaties serve` process: the native endpoints answer with the
CLI's `--json` for the same question on the same register, errors are RFC 9457 problem details with
the CLI's codes, and nothing but health, readiness, JWKS and OpenAPI answers without a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, VERBINTENIS, cli, copy_register, history, import_file
from tests.service_helpers import new_token, serve

# The demo's stories (examples/voorbeeldegem-demo.json): allowed and refused questions of every kind.
SCENARIOS = [story["question"] for story in json.loads((EXAMPLE.parent / "voorbeeldegem-demo.json").read_text())["scenarios"]]

PUBLIC = {"/health", "/ready", "/openapi.json", "/.well-known/jwks.json"}
Q = {"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02", "amount": "1200", "budget_key": "0119/6140000",
     "unit": "aankoop"}


def cli_args(q: dict) -> list[str]:
    out = []
    for key, value in q.items():
        out += [f"--{key.replace('_', '-')}", str(value)]
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("service")
    db = tmp / "voorbeeldegem.db"
    import_file(db, EXAMPLE)
    assert cli("--db", db, "keys", "new").code == 0
    tokens = {role: new_token("--db", db, role=role) for role in ("reader", "recorder", "admin")}
    with serve("--db", db, tmp=tmp) as server:
        yield server, db, tokens, tmp


def test_public_endpoints_answer_without_a_token(site) -> None:
    server, db, _, _ = site
    with server.client() as c:
        assert c.get("/health").json() == {"status": "ok"}
        assert c.get("/ready").json() == {"ready": True}
        doc = c.get("/openapi.json").json()
        assert doc["openapi"].startswith("3.1")
        assert c.get("/.well-known/jwks.json").json() == cli("--db", db, "keys", "export-jwks").json


def test_no_other_endpoint_answers_without_a_valid_token(site) -> None:
    server, db, tokens, _ = site
    with server.client() as c:
        paths = c.get("/openapi.json").json()["paths"]
    revoked = new_token("--db", db, role="admin")
    assert cli("--db", db, "tokens", "revoke", revoked.split(".")[2]).code == 0
    forged = tokens["admin"][:-4] + ("AAAA" if not tokens["admin"].endswith("AAAA") else "BBBB")
    checked = 0
    for path, ops in paths.items():
        if path in PUBLIC:
            continue
        url = path.replace("{kid}", "x")
        for method in ops:
            for token in (None, "garbage", forged, revoked):
                with server.client(token) as c:
                    r = c.request(method.upper(), url, json={})
                assert r.status_code == 401, (method, path, token, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "UNAUTHENTICATED" and r.json()["status"] == 401
                assert r.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked >= 15


def test_roles(site) -> None:
    server, _, tokens, _ = site
    with server.client(tokens["reader"]) as c:
        assert c.post("/v1/check", json=Q).status_code == 200
        for path, body in (("/v1/uses", {**Q, "reference": "R-1"}), ("/v1/attest", Q), ("/v1/import", None),
                           ("/v1/revoke", {"target": "x", "effective_from": "2025-01-01", "by": "y"})):
            r = c.post(path, json=body)
            assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", (path, r.text)
    with server.client(tokens["recorder"]) as c:
        assert c.post("/v1/attest", json=Q).status_code == 200
        assert c.get("/v1/keys").status_code == 403
        assert c.post("/v1/revoke", json={"target": "x", "effective_from": "2025-01-01", "by": "y"}).status_code == 403
    with server.client(tokens["admin"]) as c:
        assert c.get("/v1/keys").status_code == 200
        assert c.post("/v1/check", json=Q).status_code == 200  # an admin may also ask


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_check_answers_are_the_cli_json(site, lang: str) -> None:
    server, db, tokens, _ = site
    with server.client(tokens["reader"], lang=lang) as c:
        for q in SCENARIOS:
            r = c.post("/v1/check", json=q)
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
            mine = cli("--db", db, "--json", "--lang", lang, "check", *cli_args(q))
            assert mine.code in (0, 1)
            assert r.json() == mine.json, q
        refused = [q for q in SCENARIOS if not c.post("/v1/check", json=q).json()["allowed"]]
    assert refused  # the scenarios include refusals, whose texts are in the asked language


def test_who_signature_duties_and_report_are_the_cli_json(site) -> None:
    server, db, tokens, _ = site
    with server.client(tokens["reader"], lang="en") as c:
        who = {"power": "medeondertekening", "on": "2025-06-01", "document_type": "briefwisseling", "issuer": "college"}
        assert c.post("/v1/who", json=who).json() == cli("--db", db, "--json", "--lang", "en", "who", *cli_args(who)).json
        sig = {"document_type": "briefwisseling", "issuer": "college", "signer": "p-001", "cosigner": "p-010",
               "on": "2025-06-01"}
        r = c.post("/v1/check-signature", json=sig)
        assert r.status_code == 200
        assert r.json() == cli("--db", db, "--json", "--lang", "en", "check-signature", *cli_args(sig)).json
        r = c.get("/v1/duties", params={"on": "2025-12-31"})
        assert r.json() == cli("--db", db, "--json", "--lang", "en", "duties", "--on", "2025-12-31").json
        assert r.json()["duties"]
        r = c.get("/v1/report", params={"year": 2025, "format": "json", "on": "2025-12-31"})
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == cli("--db", db, "--json", "--lang", "en", "report", "--year", "2025", "--format", "json",
                               "--on", "2025-12-31").json
        csv = c.get("/v1/report", params={"year": 2025, "format": "csv", "on": "2025-12-31"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text == cli("--db", db, "--lang", "en", "report", "--year", "2025", "--format", "csv",
                               "--on", "2025-12-31").out
        html = c.get("/v1/report", params={"year": 2025, "format": "html"})
        assert html.headers["content-type"].startswith("text/html") and "<html" in html.text
        assert "script-src" not in html.headers["content-security-policy"]


def test_attest_and_verify(site) -> None:
    server, db, tokens, _ = site
    with server.client(tokens["recorder"]) as c:
        r = c.post("/v1/attest", json={**Q, "expires_in_days": 30})
        assert r.status_code == 200 and r.json()["allowed"] is True
        token = r.json()["token"]
        v = c.post("/v1/verify", json={"token": token, "against_register": True}).json()
    assert v == cli("--db", db, "--json", "verify", token, "--against-register").json
    assert v["valid"] is True and v["claims"]["jti"] == r.json()["jti"] and v["register_check"]["head_found"] is True
    with server.client(tokens["reader"]) as c:
        bad = c.post("/v1/verify", json={"token": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")}).json()
        assert bad["valid"] is False and bad["code"]
        wrong = c.post("/v1/verify", json={"token": token, "jwks": {"keys": "no"}})
        assert wrong.status_code == 422 and wrong.json()["code"] == "INVALID_JWKS"


def test_uses_record_replay_conflict_refusal(site) -> None:
    server, db, tokens, tmp = site
    twin = tmp / "twin.db"
    copy_register(db, twin)  # the same register, for the CLI to do the same thing to
    body = {**Q, "on": "2025-09-01", "amount": "8000", "reference": "BB-HTTP-1"}
    with server.client(tokens["recorder"]) as c:
        first = c.post("/v1/uses", json=body)
        assert first.status_code == 201, first.text
        again = c.post("/v1/uses", json=body)
        assert again.status_code == 200 and again.json()["replayed"] is True and first.json()["replayed"] is False
        same = {"register": None, "replayed": None}
        assert {**again.json(), **same} == {**first.json(), **same}  # the same answer, later
        other = c.post("/v1/uses", json={**body, "amount": "8001"})
        assert other.status_code == 409 and other.json()["code"] == "CONFLICT"
        assert other.headers["content-type"].startswith("application/problem+json")
        # the yearly ceiling of AD-2025-0007/1 is 20 000: a third 8 000 is refused, with the reasons
        assert c.post("/v1/uses", json={**body, "reference": "BB-HTTP-2"}).status_code == 201
        refused = c.post("/v1/uses", json={**body, "reference": "BB-HTTP-3"})
        assert refused.status_code == 422 and refused.json()["allowed"] is False and refused.json()["recorded"] is None
        assert "ANNUAL_CEILING_EXCEEDED" in {r["code"] for r in refused.json()["reasons"]}
        attested = c.post("/v1/uses", json={**body, "amount": "100", "reference": "BB-HTTP-4", "attest": True})
        assert attested.status_code == 201 and attested.json()["attestation"].count(".") == 2
        stale = c.post("/v1/uses", json={**body, "reference": "BB-HTTP-5", "as_known_on": "2025-01-01"})
        assert stale.status_code == 400  # a use is recorded against the register as it is now
    mine = cli("--db", twin, "--json", "check", *cli_args({k: v for k, v in body.items() if k != "reference"}),
               "--record", "BB-HTTP-1")
    assert mine.json == first.json()
    recorded = [e["summary"].split()[0] for e in history(db) if e["kind"] == "use.recorded"]
    assert recorded.count("BB-HTTP-1") == 1
    assert cli("--db", db, "--json", "fsck").json["ok"] is True


def test_errors_are_problem_details_with_the_cli_codes(site) -> None:
    server, db, tokens, _ = site
    with server.client(tokens["reader"], lang="en") as c:
        unknown = c.post("/v1/check", json={**Q, "actor": "p-0001"})
        mine = cli("--db", db, "--json", "--lang", "en", "check", *cli_args({**Q, "actor": "p-0001"}))
        assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")
        p = unknown.json()
        # the same code and text; each front end names the parameter its own way (`actor`, `--actor`)
        assert (p["code"], p["parameter"]) == (mine.json["code"], mine.json["parameter"]) == ("NOT_FOUND", "actor")
        assert p["detail"] == mine.json["error"].replace("--actor: ", "actor: ", 1)
        assert p["type"] == "about:blank" and p["status"] == 422 and "p-001" in p["detail"]
        typo = c.post("/v1/check", json={**Q, "ammount": "50000"})
        assert typo.status_code == 400 and typo.json()["code"] == "INPUT" and "ammount" in typo.json()["detail"]
        assert c.post("/v1/check", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
        assert c.get("/v1/nothing-here").json()["code"] == "NOT_FOUND"
    with server.client(tokens["reader"]) as c:  # Dutch unless English is asked for
        assert c.post("/v1/check", json={**Q, "actor": "p-0001"}).json()["detail"] == cli(
            "--db", db, "--json", "check", *cli_args({**Q, "actor": "p-0001"})).json["error"].replace("--actor", "actor", 1)


def test_changes_feed_with_a_cursor(site) -> None:
    server, db, tokens, _ = site
    with server.client(tokens["admin"]) as c:
        everything = c.get("/v1/changes").json()
        assert everything["events"] == [e for e in history(db)][: len(everything["events"])]
        head = everything["register"]["seq"]
        page = c.get("/v1/changes", params={"after": 10, "limit": 5}).json()
        assert [e["seq"] for e in page["events"]] == [11, 12, 13, 14, 15] and page["cursor"] == 15 and page["more"]
        r = c.post("/v1/revoke", json={"target": "AD-2025-0011/2", "effective_from": "2026-01-01", "by": "AD-2025-0099"})
        assert r.status_code == 200 and r.json()["recorded"] is True
        news = c.get("/v1/changes", params={"after": head}).json()
    assert [e["kind"] for e in news["events"]][-1] == "entity.put"
    assert "AD-2025-0011/2" in news["events"][-1]["summary"] and news["more"] is False
    assert news["cursor"] == news["register"]["seq"]


def test_import_by_an_admin(site, tmp_path: Path) -> None:
    server, _, tokens, _ = site
    with server.client(tokens["admin"], lang="en") as c:
        same = c.post("/v1/import", content=EXAMPLE.read_bytes(), params={"name": "voorbeeldegem.yaml"})
        assert same.status_code == 200 and same.json()["added"] == 0 and same.json()["changed"] == 0
        bad = c.post("/v1/import", content=b"format: delegaties/1\nadministration: 3\n", params={"name": "kapot.yaml"})
        assert bad.status_code == 422 and bad.json()["findings"]
        assert "kapot.yaml" in bad.json()["findings"][0]["file"]
