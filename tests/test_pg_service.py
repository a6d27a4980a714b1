"""`delegaties serve` on PostgreSQL, against real servers (tests/pg_server.py) and a real HTTP client.

- `--db postgresql://LOGIN@HOST/DB` (no administration) serves every administration the login has
  access to under /t/<id>/: a token works under its own administration only (403 elsewhere), an
  administration that is not served is NOT_FOUND, whether it has no register, no access or nothing.
- `--db URL?administration=ID`: many HTTP recorders at once keep the yearly ceilings, and every use
  answered 201 is in the register exactly once.
- `--read-db REPLICA_URL`: reads come from a streaming replica, and `?min_seq=N` (or `Min-Seq: N`)
  never gets an answer from before seq N, also while the replica is held back; a min_seq beyond the
  primary's head gets the primary's head, never a seq that does not exist.

"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from registry import Registry
from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, write_yaml
from tests.pg_helpers import prepared
from tests.pg_server import APP
from tests.service_helpers import new_token, record_concurrently, serve
from tests.test_pg_concurrency import (
    AANKOOP,
    ADMINISTRATION,
    app_rows,
    assert_ceilings_hold,
    assert_chain_verifies,
    ceiling_url,
    recorded_references,
    stored_uses,
)
from tests.test_service_concurrency import CLIENTS, plan

PROEFGEM_Q = {"actor": "q-01", "power": VERBINTENIS, "on": "2025-05-02", "amount": "500"}
VOORBEELDEGEM_Q = {"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02"}
USE = {"actor": "q-01", "power": VERBINTENIS, "on": "2025-05-02", "amount": "1", **AANKOOP}


def keys_env(tmp: Path) -> dict[str, str]:
    # The service's signing keys live in a directory of the host: never the repository's.
    return {"DELEGATIES_KEYS": str(tmp / "keys")}


# -- one database, many administrations, one service ------------------------------------------------

@pytest.fixture(scope="module")
def site(pg_cluster, tmp_path_factory):
    """voorbeeldegem (the bundled example) and proefgem in one database, served by one process from
    the URL without administration. derde: access, no register. vierde: a register, access taken
    away again (its token was made before). nergens: nothing at all."""
    from registry import pg

    tmp = tmp_path_factory.mktemp("pg-site")
    db = pg_cluster.database(f"svc_{uuid.uuid4().hex[:12]}")
    try:
        prepared(db, "voorbeeldegem", "proefgem", "derde", "vierde")
        with Registry.init(db.app_url("voorbeeldegem")) as reg:
            reg.load(EXAMPLE)
        proefgem = base_register(decisions=[decision("CBS-P", "college", [grant("CBS-P/1", "ad")])])
        with Registry.init(db.app_url("proefgem")) as reg:
            reg.load(write_yaml(tmp / "proefgem.yaml", proefgem))
        vierde = base_register(decisions=[decision("CBS-V", "college", [grant("CBS-V/1", "ad")])])
        vierde["administration"] = {"id": "vierde", "name": "Lokaal bestuur Vierde"}
        with Registry.init(db.app_url("vierde")) as reg:
            reg.load(write_yaml(tmp / "vierde.yaml", vierde))
        tokens = {admin: {role: new_token("--db", db.app_url(admin), role=role) for role in ("reader", "recorder")}
                  for admin in ("voorbeeldegem", "proefgem", "vierde")}
        assert pg.access(pg.parse_url(db.owner_url), APP, "vierde", revoke=True) is True
        with serve("--db", db.app_url(), tmp=tmp, env=keys_env(tmp)) as server:
            yield server, db, tokens
    finally:
        pg_cluster.drop_database(db.name)


def test_each_administration_is_served_under_its_prefix(site) -> None:
    server, db, tokens = site
    with server.client(tokens["proefgem"]["reader"]) as c:
        r = c.post("/t/proefgem/v1/check", json=PROEFGEM_Q)
        assert r.status_code == 200 and r.json()["allowed"] is True
        # the body is the CLI's --json for the same question on the same register
        assert r.json() == cli("--db", db.app_url("proefgem"), "--json", "check", "--actor", "q-01", "--power",
                               VERBINTENIS, "--on", "2025-05-02", "--amount", "500").json
        assert c.post("/v1/check", json=PROEFGEM_Q).status_code == 404  # no unprefixed routes
    with server.client(tokens["voorbeeldegem"]["reader"]) as c:
        r = c.post("/t/voorbeeldegem/v1/check", json=VOORBEELDEGEM_Q)
        assert r.status_code == 200 and r.json()["allowed"] is True and r.json()["question"]["actor"] == "p-001"
        with Registry.open(db.app_url("voorbeeldegem")) as reg:
            assert (r.json()["register"]["seq"], r.json()["register"]["head"]) == reg.head
        # an actor of the other administration is unknown here: the registers do not mix
        assert c.post("/t/voorbeeldegem/v1/check", json=PROEFGEM_Q).json()["code"] == "NOT_FOUND"


def test_a_recorder_writes_into_its_own_administration_only(site) -> None:
    server, db, tokens = site
    before = {}
    for admin in ("voorbeeldegem", "proefgem"):
        with Registry.open(db.app_url(admin)) as reg:
            before[admin] = reg.head
    ref = f"MULTI-{uuid.uuid4().hex[:8]}"
    with server.client(tokens["proefgem"]["recorder"]) as c:
        r = c.post("/t/proefgem/v1/uses", json={**PROEFGEM_Q, "reference": ref})
        assert r.status_code == 201 and r.json()["recorded"] == ref
    with Registry.open(db.app_url("proefgem")) as reg:
        assert reg.head[0] == before["proefgem"][0] + 1
        assert ref in recorded_references(list(reg.history())) and reg.fsck() == []
    with Registry.open(db.app_url("voorbeeldegem")) as reg:
        assert reg.head == before["voorbeeldegem"]
    assert app_rows(db, "voorbeeldegem", "SELECT count(*) FROM uses WHERE reference = %s", (ref,)) == [(0,)]


def test_a_token_of_one_administration_gets_403_on_another(site) -> None:
    server, db, tokens = site
    with Registry.open(db.app_url("proefgem")) as reg:
        head = reg.head
    for role in ("reader", "recorder"):
        with server.client(tokens["voorbeeldegem"][role]) as c:
            for method, path, body in (("POST", "/t/proefgem/v1/check", PROEFGEM_Q),
                                       ("POST", "/t/proefgem/v1/uses", {**PROEFGEM_Q, "reference": "X-403"}),
                                       ("GET", "/t/proefgem/v1/changes", None),
                                       ("POST", "/t/proefgem/access/v1/evaluation", {}),
                                       ("POST", "/t/derde/v1/check", PROEFGEM_Q),
                                       ("POST", "/t/nergens/v1/check", PROEFGEM_Q)):
                r = c.request(method, path, json=body)
                assert r.status_code == 403, (role, path, r.text)
                assert r.json()["code"] == "FORBIDDEN" and "q-01" not in r.text
    with Registry.open(db.app_url("proefgem")) as reg:  # nothing was written by the refused calls
        assert reg.head == head


NOT_SERVED = ("derde", "vierde", "nergens")  # no register / no access any more / nothing


def test_an_administration_that_is_not_served_is_not_found(site) -> None:
    server, _, tokens = site
    with server.client() as c:
        answers = {admin: c.get(f"/t/{admin}/.well-known/jwks.json") for admin in NOT_SERVED}
        assert c.get("/t/proefgem/.well-known/jwks.json").json() == {"keys": []}
    for admin, r in answers.items():
        assert r.json()["code"] == "NOT_FOUND", (admin, r.status_code, r.text)
    # the three cases look alike: a caller cannot tell which administrations exist in the database
    assert len({(r.status_code, r.json()["code"]) for r in answers.values()}) == 1
    # a token of an administration whose access was taken away no longer authenticates at all
    with server.client(tokens["vierde"]["reader"]) as c:
        r = c.post("/t/vierde/v1/check", json=PROEFGEM_Q)
        assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"


def test_an_administration_that_is_not_served_is_404(site) -> None:
    server, _, _ = site
    with server.client() as c:
        for admin in NOT_SERVED:
            assert c.get(f"/t/{admin}/.well-known/jwks.json").status_code == 404, admin


def test_ready_and_health(site) -> None:
    server, _, _ = site
    with server.client() as c:
        r = c.get("/ready")
        assert r.status_code == 200 and r.json() == {"ready": True}
        assert c.get("/health").status_code == 200


def test_readiness_probes_do_not_disturb_the_token_look_ups(site) -> None:
    server, _, tokens = site
    stop = threading.Event()

    def probe() -> int:
        n = 0
        with server.client() as c:
            while not stop.is_set():
                assert c.get("/ready").status_code == 200
                n += 1
        return n

    def ask(_: int) -> dict[int, int]:
        codes: dict[int, int] = {}
        with server.client(tokens["voorbeeldegem"]["reader"]) as c:
            for _ in range(150):
                r = c.get("/t/voorbeeldegem/v1/changes?after=1000000")
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
        return codes

    with ThreadPoolExecutor(4) as pool:
        probes = [pool.submit(probe) for _ in range(2)]
        try:
            answers = list(pool.map(ask, range(2)))
        finally:
            stop.set()
        assert all(p.result() > 0 for p in probes)
    assert answers == [{200: 150}] * 2


# -- many HTTP recorders at once on one administration ------------------------------------------------

def test_concurrent_http_recorders_never_exceed_a_ceiling(pg_db, tmp_path: Path) -> None:
    url = ceiling_url(pg_db, tmp_path)
    token = new_token("--db", url, role="recorder")
    plans = plan(7)
    with serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path)) as server:
        results = record_concurrently(server, token, plans, {"power": VERBINTENIS, **AANKOOP})
    assert len(results) == sum(len(p) for p in plans)
    assert_ceilings_hold(pg_db)
    assert any(code == 422 for _, code, _ in results)  # the ceilings were reached
    accepted = {i["reference"]: (i["actor"], Decimal(i["amount"]), i["on"]) for i, code, _ in results
                if code in (200, 201)}
    assert stored_uses(pg_db) == accepted
    created = [i["reference"] for i, code, _ in results if code == 201]
    assert sorted(created) == sorted(set(created)) == sorted(accepted)  # each use created exactly once
    for ref in {i["reference"] for i, _, _ in results if i["reference"].startswith("SH-")}:
        codes = sorted(code for i, code, _ in results if i["reference"] == ref)
        assert codes in ([200] * (CLIENTS - 1) + [201], [422] * CLIENTS), (ref, codes)
    for item, code, body in results:
        assert body["recorded"] == (item["reference"] if code in (200, 201) else None)
    recorded = recorded_references(assert_chain_verifies(pg_db, url))
    assert sorted(recorded) == sorted(set(recorded)) == sorted(accepted)


# -- a read replica ---------------------------------------------------------------------------------------

@pytest.fixture
def replicated(pg_cluster, pg_replica, pg_db, tmp_path: Path):
    """A ceiling register on the primary and the URL of its copy on the replica, replayed."""
    url = ceiling_url(pg_db, tmp_path)
    token = new_token("--db", url, role="recorder")
    pg_cluster.wait_replayed(pg_replica)
    replica_url = pg_replica.url(APP, pg_db.name, administration=ADMINISTRATION)
    return url, replica_url, token


def on_primary_chain(url: str, register: dict[str, Any]) -> bool:
    """Whether (seq, head) of an answer is a point of the primary's chain."""
    with Registry.open(url) as reg:
        return reg.store.hash_at(register["seq"]) == register["head"]


def replica_backends(pg_replica, database: str) -> int:
    return pg_replica.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND usename = %s",
                          params=(database, APP))[0][0]


def test_a_read_with_min_seq_never_comes_from_before_that_seq(replicated, pg_replica, pg_db, tmp_path: Path) -> None:
    url, replica_url, token = replicated
    with serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path), options=("--read-db", replica_url)) as server, \
            server.client(token) as c:
        seen: dict[str, int] = {}
        points: list[dict[str, Any]] = []
        for i in range(20):
            ref = f"REP-{i:02d}"
            r = c.post("/v1/uses", json={**USE, "reference": ref})
            assert r.status_code == 201 and r.json()["recorded"] == ref, r.text
            # the answer says the register it was decided on; the use is the next event
            n = r.json()["recorded_seq"]
            assert n == r.json()["register"]["seq"] + 1  # the use is the event after the one decided on
            seen[ref] = n
            how = i % 3
            if how == 0:
                answer = c.post(f"/v1/check?min_seq={n}", json=USE)
            elif how == 1:
                answer = c.post("/v1/check", json=USE, headers={"Min-Seq": str(n)})
            else:
                answer = c.get(f"/v1/changes?after={n - 1}&min_seq={n}")
                assert answer.status_code == 200, answer.text
                assert [(e["seq"], e["kind"], e["summary"].split()[0]) for e in answer.json()["events"]][:1] == \
                    [(n, "use.recorded", ref)]
            assert answer.status_code == 200, answer.text
            assert answer.json()["register"]["seq"] >= n, (i, n, answer.json()["register"])
            points.append(answer.json()["register"])
        # without min_seq: some seq, perhaps older, but it says which
        plain = c.post("/v1/check", json=USE)
        assert plain.status_code == 200
        points.append(plain.json()["register"])
        with Registry.open(url) as reg:
            assert 1 <= plain.json()["register"]["seq"] <= reg.head[0]
            # every answer's (seq, head) is a true point of the primary's chain
            assert all(reg.store.hash_at(p["seq"]) == p["head"] for p in points), points
        assert replica_backends(pg_replica, pg_db.name) >= 1  # reads did go to the replica
        for bad in ("abc", "-1", "1.5", "9" * 19):
            r = c.post(f"/v1/check?min_seq={bad}", json=USE)
            assert r.status_code == 400 and r.json()["code"] == "INVALID_INPUT", (bad, r.text)
            r = c.post("/v1/check", json=USE, headers={"Min-Seq": bad})
            assert r.status_code == 400 and r.json()["code"] == "INVALID_INPUT", (bad, r.text)
    with Registry.open(url) as reg:  # each use is where its answer said: the event after its register
        events = {e.data["reference"]: e.seq for e in reg.history() if e.kind == "use.recorded"}
    assert events == seen


def test_a_min_seq_beyond_the_primary_gets_the_primary_head(replicated, tmp_path: Path) -> None:
    url, replica_url, token = replicated
    with serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path), options=("--read-db", replica_url)) as server, \
            server.client(token) as c:
        with Registry.open(url) as reg:
            head = reg.head
        t = time.monotonic()
        r = c.post(f"/v1/check?min_seq={head[0] + 1000}", json=USE)
        took = time.monotonic() - t
        assert r.status_code == 200, r.text
        assert (r.json()["register"]["seq"], r.json()["register"]["head"]) == head  # it claims no seq it lacks
        assert took < 10, took
        r = c.get(f"/v1/changes?after=0&min_seq={head[0] + 1000}")
        assert r.status_code == 200 and r.json()["register"]["seq"] == head[0]


@pytest.fixture
def replay_paused(pg_replica):
    """The replica stops replaying WAL (it stays up and answers, with what it has) until the test ends."""
    pg_replica.sql("SELECT pg_wal_replay_pause()")
    # PostgreSQL 14 tells when the pause has taken effect; before it, the request is all there is.
    paused = ("SELECT pg_get_wal_replay_pause_state() = 'paused'"
              if int(pg_replica.sql("SHOW server_version_num")[0][0]) >= 140000 else "SELECT pg_is_wal_replay_paused()")
    deadline = time.monotonic() + 10
    while not pg_replica.sql(paused)[0][0]:
        assert time.monotonic() < deadline, "the replica did not pause its replay"
        time.sleep(0.02)
    try:
        yield
    finally:
        pg_replica.sql("SELECT pg_wal_replay_resume()")


def test_a_replica_held_back_answers_old_without_min_seq_and_never_with_it(replicated, pg_cluster, pg_replica,
                                                                           replay_paused, tmp_path: Path) -> None:
    url, replica_url, token = replicated
    with serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path), options=("--read-db", replica_url)) as server, \
            server.client(token) as c:
        stale = c.post("/v1/check", json=USE).json()["register"]
        r = c.post("/v1/uses", json={**USE, "reference": "ACHTER-1"})
        assert r.status_code == 201
        n = r.json()["recorded_seq"]
        assert n == r.json()["register"]["seq"] + 1  # the use is the event after the one decided on
        assert n > stale["seq"]
        # the replica stays behind: a plain read says so (its own, older seq, truthfully)
        plain = c.post("/v1/check", json=USE).json()["register"]
        assert plain == stale and on_primary_chain(url, plain)
        # with min_seq the answer waits a moment, then comes from the primary
        for ask in (lambda: c.post(f"/v1/check?min_seq={n}", json=USE),
                    lambda: c.post("/v1/check", json=USE, headers={"Min-Seq": str(n)}),
                    lambda: c.get(f"/v1/changes?after={n - 1}&min_seq={n}")):
            t = time.monotonic()
            r = ask()
            assert r.status_code == 200 and r.json()["register"]["seq"] >= n, r.text
            assert time.monotonic() - t < 10
        assert r.json()["events"][0]["summary"].split()[0] == "ACHTER-1"


def test_many_administrations_with_a_replica_honour_min_seq(pg_cluster, pg_replica, pg_db, tmp_path: Path) -> None:
    """The same through `serve --db URL-without-administration --read-db REPLICA-URL-without-one`."""
    ceiling_url(pg_db, tmp_path)
    token = new_token("--db", pg_db.app_url(ADMINISTRATION), role="recorder")
    pg_cluster.wait_replayed(pg_replica)
    with serve("--db", pg_db.app_url(), tmp=tmp_path, env=keys_env(tmp_path),
               options=("--read-db", pg_replica.url(APP, pg_db.name))) as server, server.client(token) as c:
        prefix = f"/t/{ADMINISTRATION}"
        for i in range(5):
            r = c.post(f"{prefix}/v1/uses", json={**USE, "reference": f"MR-{i}"})
            assert r.status_code == 201, r.text
            n = r.json()["recorded_seq"]
            assert n == r.json()["register"]["seq"] + 1  # the use is the event after the one decided on
            r = c.post(f"{prefix}/v1/check?min_seq={n}", json=USE)
            assert r.status_code == 200 and r.json()["register"]["seq"] >= n, r.text
        assert replica_backends(pg_replica, pg_db.name) >= 1


def test_a_replica_url_without_administration_serves_the_db_administration(replicated, pg_db, tmp_path: Path,
                                                                          pg_replica) -> None:
    """Either the replica's copy of the --db administration answers, or serve refuses to start."""
    url, _, token = replicated
    try:
        with serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path),
                   options=("--read-db", pg_replica.url(APP, pg_db.name))) as server, server.client(token) as c:
            r = c.post("/v1/check", json=USE)
            assert r.status_code == 200, r.text
            assert r.json()["register"]["seq"] >= 1
    except AssertionError as refused:
        if "serve exited with 2" not in str(refused):
            raise


def test_the_service_refuses_a_replica_of_another_administration(replicated, pg_db, pg_replica, tmp_path) -> None:
    url, _, _ = replicated
    other = pg_replica.url(APP, pg_db.name, administration="bestuur-x")
    with pytest.raises(AssertionError, match="serve exited with 2"), \
            serve("--db", url, tmp=tmp_path, env=keys_env(tmp_path), options=("--read-db", other)):
        pass


def test_a_replica_that_cannot_be_reached_leaves_the_reads_to_the_primary(pg_db, tmp_path: Path) -> None:
    """A replica that is down (nothing listens on its port) does not take the reads down with it:
    they are answered by the primary, promptly, with the primary's seq."""
    from tests.service_helpers import free_port

    url = ceiling_url(pg_db, tmp_path)
    token = new_token("--db", url, role="recorder")
    dead = f"postgresql://{APP}@127.0.0.1:{free_port()}/{pg_db.name}"
    with serve("--db", url, tmp=tmp_path, options=("--read-db", dead)) as server, server.client(token) as c:
        r = c.post("/v1/uses", json={**USE, "reference": "DOWN-1"})
        assert r.status_code == 201, r.text
        n = r.json()["recorded_seq"]
        for query in ("", f"?min_seq={n}"):
            started = time.monotonic()
            answer = c.post(f"/v1/check{query}", json=USE)
            assert answer.status_code == 200, answer.text
            assert answer.json()["register"]["seq"] >= n and on_primary_chain(url, answer.json()["register"])
            assert time.monotonic() - started < 10
