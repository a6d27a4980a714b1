"""One process, many administrations: `serve --data-dir DIR` serves DIR/<id>.db under /t/<id>,
and a token of one administration never reads another."""

from __future__ import annotations

import pytest

from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, import_file, write_yaml
from tests.service_helpers import new_token, serve

PROEFGEM_Q = {"actor": "q-01", "power": VERBINTENIS, "on": "2025-05-02", "amount": "500"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multi")
    data = tmp / "registers"
    data.mkdir()
    import_file(data / "voorbeeldegem.db", EXAMPLE)
    proefgem = base_register(decisions=[decision("CBS-P", "college", [grant("CBS-P/1", "ad")])])
    import_file(data / "proefgem.db", write_yaml(tmp / "proefgem.yaml", proefgem))
    tokens = {admin: {role: new_token("--data-dir", data, "--administration", admin, role=role)
                      for role in ("reader", "recorder")} for admin in ("voorbeeldegem", "proefgem")}
    with serve("--data-dir", data, tmp=tmp) as server:
        yield server, data, tokens


def test_each_administration_under_its_prefix(site) -> None:
    server, data, tokens = site
    with server.client(tokens["proefgem"]["reader"]) as c:
        r = c.post("/t/proefgem/v1/check", json=PROEFGEM_Q)
        assert r.status_code == 200 and r.json()["allowed"] is True
        assert r.json() == cli("--db", data / "proefgem.db", "--json", "check", "--actor", "q-01", "--power", VERBINTENIS,
                               "--on", "2025-05-02", "--amount", "500").json
        assert c.post("/t/proefgem/access/v1/evaluation", json={
            "subject": {"type": "person", "id": "q-01"}, "action": {"name": VERBINTENIS},
            "resource": {"type": "invoice", "id": "F-1"}, "context": {"on": "2025-05-02"}}).json()["decision"] is True
        assert c.post("/v1/check", json=PROEFGEM_Q).status_code == 404  # no unprefixed routes with --data-dir
    with server.client(tokens["voorbeeldegem"]["reader"]) as c:
        r = c.post("/t/voorbeeldegem/v1/check", json={"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02"})
        assert r.status_code == 200 and r.json()["question"]["actor"] == "p-001"
    with server.client() as c:
        a = c.get("/t/voorbeeldegem/.well-known/jwks.json")
        assert a.status_code == 200 and a.json() == {"keys": []}


def test_a_token_of_one_administration_gets_403_on_another(site) -> None:
    server, _, tokens = site
    for role in ("reader", "recorder"):
        with server.client(tokens["voorbeeldegem"][role], lang="en") as c:
            for method, path, body in (("POST", "/t/proefgem/v1/check", PROEFGEM_Q),
                                       ("POST", "/t/proefgem/v1/uses", {**PROEFGEM_Q, "reference": "X-1"}),
                                       ("GET", "/t/proefgem/v1/changes", None),
                                       ("GET", "/t/proefgem/v1/report?year=2025", None),
                                       ("POST", "/t/proefgem/access/v1/evaluation", {}),
                                       ("POST", "/t/nergensgem/v1/check", PROEFGEM_Q)):
                r = c.request(method, path, json=body)
                assert r.status_code == 403, (role, path, r.text)
                p = r.json()
                assert p["code"] == "FORBIDDEN" and "q-01" not in r.text
                assert path.split("/")[2] in p["detail"]
    with server.client(tokens["proefgem"]["recorder"]) as c:
        # nothing was recorded in proefgem by the refused calls above
        assert all(e["kind"] != "use.recorded" for e in c.get("/t/proefgem/v1/changes").json()["events"])


def test_without_or_with_a_bad_token_401_everywhere(site) -> None:
    server, _, tokens = site
    forged = tokens["proefgem"]["reader"].replace("dlg.proefgem.", "dlg.voorbeeldegem.")
    for token in (None, forged, "dlg.nergensgem.0123456789ab." + "A" * 43):
        with server.client(token) as c:
            for path in ("/t/proefgem/v1/check", "/t/voorbeeldegem/v1/check", "/t/nergensgem/v1/check"):
                assert c.post(path, json=PROEFGEM_Q).status_code == 401, (token, path)


def test_tokens_are_bound_to_the_administration_given(site) -> None:
    _, data, _ = site
    listed = cli("--data-dir", data, "--administration", "proefgem", "--json", "tokens", "list").json
    assert {t["administration"] for t in listed} == {"proefgem"} and len(listed) == 2
    r = cli("--data-dir", data, "tokens", "list")
    assert r.code == 2  # --data-dir needs --administration
    r = cli("--data-dir", data, "--administration", "../etc", "tokens", "list")
    assert r.code == 2


def test_how_many_administrations_stay_loaded_is_a_setting(tmp_path) -> None:
    from cli.main import build_parser
    from cli.service_cmds import service_config

    args = build_parser("en").parse_args(["--data-dir", str(tmp_path), "serve", "--max-administrations", "300"])
    assert service_config(args).max_administrations == 300
    args = build_parser("en").parse_args(["--data-dir", str(tmp_path), "serve"])
    assert service_config(args).max_administrations == 64
    r = cli("--data-dir", tmp_path, "serve", "--max-administrations", "0")
    assert r.code == 2
