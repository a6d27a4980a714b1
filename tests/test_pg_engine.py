"""The PostgreSQL engine against a real server: the same answers as SQLite, a migrated register
with the same head, tenants isolated even against hand-written SQL, a versioned schema, and
tampering found by fsck. Registers are made through the one fixture `register`, with a parameter
per engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import Registry
from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, write_yaml
from tests.pg_helpers import pg_register_url, prepared
from tests.pg_server import APP

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def register(request, tmp_path: Path) -> Callable[[str], str]:
    """new(administration) -> the location of a new, empty register on this test's engine."""
    made = iter(range(1, 1000))

    if request.param == "sqlite":
        return lambda administration="voorbeeldegem": str(tmp_path / f"r{next(made)}.db")
    new_db = request.getfixturevalue("pg_new_db")
    return lambda administration="voorbeeldegem": pg_register_url(new_db(), administration)


def sqlite_copy_on_postgresql(tmp_path: Path, pg_db) -> tuple[Registry, Registry]:
    lite = tmp_path / "lite.db"
    reg, _ = Registry.import_files(lite, EXAMPLE)
    reg.close()
    url = pg_register_url(pg_db)
    from registry.migrate import migrate

    migrate(lite, url)
    return Registry.open(lite), Registry.open(url)


def comparable(answer: Any) -> dict[str, Any]:
    return answer.to_dict("en")


# -- the same answers -----------------------------------------------------------------------------
def test_a_migrated_register_has_the_same_head_history_and_answers(tmp_path: Path, pg_db) -> None:
    lite, pg = sqlite_copy_on_postgresql(tmp_path, pg_db)
    with lite, pg:
        assert pg.head == lite.head and pg.head[0] > 50
        assert [e.hash for e in pg.history()] == [e.hash for e in lite.history()]
        assert pg.fsck() == [] and lite.fsck() == []
        for power in ("budgethouderschap.verbintenis", "ondertekening", "medeondertekening"):
            assert [comparable(a) for a in pg.who(power, "2025-05-02")] == \
                [comparable(a) for a in lite.who(power, "2025-05-02")]
    # and back: a third copy, from PostgreSQL to a new file, has the same head again
    back = tmp_path / "back.db"
    r = cli("--json", "migrate", "--from", pg_db.app_url("voorbeeldegem"), "--to", back)
    assert r.code == 0, r
    with Registry.open(back) as copy, Registry.open(tmp_path / "lite.db") as original:
        assert copy.head == original.head and r.json["head"] == original.head[1]
        assert copy.fsck() == []


@pytest.fixture(scope="module")
def twin(tmp_path_factory, pg_cluster):
    """The example on SQLite and its copy on PostgreSQL, for the property test (read-only)."""
    tmp = tmp_path_factory.mktemp("twin")
    db = pg_cluster.database("twin_example")
    lite, pg = sqlite_copy_on_postgresql(tmp, db)
    yield lite, pg
    lite.close()
    pg.close()
    pg_cluster.drop_database("twin_example")


def _questions():
    actors = st.sampled_from(["p-001", "p-002", "p-003", "p-004", "p-005", "p-006", "p-007", "p-ad", "p-fd", "nobody"])
    powers = st.sampled_from(["budgethouderschap.verbintenis", "budgethouderschap.vastlegging", "ondertekening",
                              "medeondertekening", "personeelsbeheer.verlof"])
    days = st.integers(0, 3 * 365).map(lambda n: (date(2024, 1, 1) + timedelta(days=n)).isoformat())
    amounts = st.one_of(st.none(), st.integers(0, 200_000).map(lambda c: str(Decimal(c) / 4)))
    keys = st.one_of(st.none(), st.sampled_from(["0119/6140000", "0200/6140000", "0119/6130000", "0900/2200000"]))
    units = st.one_of(st.none(), st.sampled_from(["aankoop", "financien", "personeel"]))
    return st.fixed_dictionaries({"actor": actors, "power": powers, "on": days, "amount": amounts,
                                  "budget_key": keys, "unit": units})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_questions())
def test_both_engines_give_the_same_answer(twin, q: dict[str, Any]) -> None:
    lite, pg = twin
    outcomes = []
    for reg in (lite, pg):
        try:
            outcomes.append(("answer", comparable(reg.check(q["actor"], q["power"], q["on"],
                                                             **{k: q[k] for k in ("amount", "budget_key", "unit") if q[k]}))))
        except Exception as exc:  # noqa: BLE001 - an unknown id is an answer too: the same error on both
            outcomes.append(("error", type(exc).__name__, getattr(exc, "code", None)))
    assert outcomes[0] == outcomes[1]


def _ceiling_file(tmp: Path, administration: str) -> Path:
    data = base_register(decisions=[
        decision("CBS-F", "college", [grant("CBS-F/1", "ad", ["budgethouderschap"],
                                            limits={"annual_ceiling": 5000, "max_amount": 2000},
                                            subdelegation={"allowed": True, "max_depth": 1})]),
    ])
    data["administration"]["id"] = administration
    return write_yaml(tmp / f"{administration}.yaml", data)


def _ad_person(reg: Registry) -> str:
    return next(a.person for a in reg.state().appointments.values() if a.position == "ad")


def test_uses_against_a_ceiling_decide_alike(register, tmp_path: Path) -> None:
    """The same uses, in the same order, are allowed and refused alike, with the same reasons and
    the same register seq, on either engine; the used amount of the yearly ceiling is exact."""
    where = register("proefgem")
    reg, _ = Registry.import_files(where, _ceiling_file(tmp_path, "proefgem"))
    with reg:
        actor = _ad_person(reg)
        seen = []
        for i, amount in enumerate(["1500", "1999.99", "0.01", "1600", "1499.99", "2000.01"]):
            ex = reg.exercise(reg.question(actor, VERBINTENIS, f"2025-03-0{i + 1}", amount=amount), f"U-{i}")
            seen.append((ex.recorded, [f.code for f in ex.answer.reasons]))
        assert seen == [(True, []), (True, []), (True, []), (False, ["ANNUAL_CEILING_EXCEEDED"]), (True, []),
                        (False, ["AMOUNT_ABOVE_LIMIT", "ANNUAL_CEILING_EXCEEDED"])]
        refused = reg.check(actor, VERBINTENIS, "2025-12-31", amount="0.02")
        assert [f.details.get("used") for f in refused.reasons] == ["4999.99"]
        assert reg.fsck() == []


def test_as_known_on_reproduces_an_earlier_answer(register, tmp_path: Path) -> None:
    where = register("proefgem")
    reg, _ = Registry.import_files(where, _ceiling_file(tmp_path, "proefgem"))
    with reg:
        actor = _ad_person(reg)
        before = reg.check(actor, VERBINTENIS, "2025-05-02", amount="100")
        last = list(reg.history())[-1].recorded_at
        assert before.allowed
        import time

        time.sleep(0.01)  # the revocation's stamp is later than `last`
        assert reg.revoke("CBS-F", "2025-04-01", by="GR-2025-01") is not None
        now = reg.check(actor, VERBINTENIS, "2025-05-02", amount="100")
        then = reg.check(actor, VERBINTENIS, "2025-05-02", amount="100", as_known_on=last)
        assert not now.allowed
        assert then.allowed and then.register["seq"] == before.register["seq"]


# -- tenants ---------------------------------------------------------------------------------------
def _connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def test_one_administration_cannot_read_or_write_another_with_hand_written_sql(pg_db, tmp_path: Path) -> None:
    from psycopg import errors
    from psycopg import sql as q

    prepared(pg_db, "bestuur-a", "bestuur-b")
    # a second login, with access to B only
    pg_db.cluster.sql(q.SQL("CREATE ROLE app_b LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT"))
    pg_db.cluster.sql(q.SQL("GRANT CONNECT ON DATABASE {} TO app_b").format(q.Identifier(pg_db.name)))
    from registry import pg

    pg.upgrade(pg.parse_url(pg_db.owner_url), ["app_b"])
    pg.access(pg.parse_url(pg_db.owner_url), "app_b", "bestuur-b")
    for admin, url in (("bestuur-a", pg_db.app_url("bestuur-a")),
                       ("bestuur-b", pg_db.cluster.url("app_b", pg_db.name, administration="bestuur-b"))):
        reg, _ = Registry.import_files(url, _ceiling_file(tmp_path, admin))
        reg.close()
    b_url = pg_db.cluster.url("app_b", pg_db.name)
    tables = ["events", "entities", "meta", "grant_index", "uses", "use_grants", "keys", "service_tokens"]
    with _connect(b_url) as conn:
        conn.execute("BEGIN")
        conn.execute("SELECT set_config('delegaties.administration', 'bestuur-a', true)")
        for table in tables:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table  # noqa: S608
        conn.execute("ROLLBACK")
        # naming A's rows directly, without the setting, or with row security off: nothing either
        assert conn.execute("SELECT count(*) FROM events WHERE administration = 'bestuur-a'").fetchone()[0] == 0
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SET row_security = off")
            conn.execute("SELECT count(*) FROM events")
        conn.execute("SET row_security = on")
        for statement in (
                "INSERT INTO meta (administration, key, value) VALUES ('bestuur-a', 'x', 'y')",
                "UPDATE events SET kind = 'x'",
                "DELETE FROM events",
                "ALTER TABLE events NO FORCE ROW LEVEL SECURITY",
                "DROP POLICY tenant ON uses",
                "INSERT INTO access (role, administration) VALUES ('app_b', 'bestuur-a')"):
            conn.execute("BEGIN")
            conn.execute("SELECT set_config('delegaties.administration', 'bestuur-a', true)")
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.execute("ROLLBACK")
        # its own rows it sees
        conn.execute("BEGIN")
        conn.execute("SELECT set_config('delegaties.administration', 'bestuur-b', true)")
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] > 10
        conn.execute("ROLLBACK")
    # and through the library: A's register cannot even be opened with B's login
    r = cli("--json", "--db", pg_db.cluster.url("app_b", pg_db.name, administration="bestuur-a"), "history")
    assert r.code == 2 and r.json["code"] == "PERMISSION_DENIED", r
    with Registry.open(pg_db.app_url("bestuur-a")) as a:
        assert a.fsck() == [] and a.administration().id == "bestuur-a"


def test_files_of_another_administration_are_refused(pg_db, tmp_path: Path) -> None:
    url = pg_register_url(pg_db, "bestuur-a")
    r = cli("--json", "--db", url, "import", _ceiling_file(tmp_path, "bestuur-b"))
    assert r.code == 2, r
    with Registry.open(url, create=True) as reg:
        assert reg.head[0] == 0


def test_the_application_role_owns_nothing_and_row_security_is_forced(pg_db) -> None:
    from registry.pg import TABLES

    pg_register_url(pg_db)
    rows = pg_db.cluster.sql("SELECT c.relname, pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity "
                             "FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace",
                             database=pg_db.name)
    found = {name: (owner, rls, forced) for name, owner, rls, forced in rows}
    for table in TABLES:
        assert found[table] == ("delegaties_owner", True, True), table
    assert all(owner != APP for owner, _rls, _forced in found.values())


def test_the_schema_is_versioned_and_upgrade_is_idempotent(pg_db) -> None:
    r = cli("--json", "--db", pg_db.owner_url, "upgrade", "--app-role", APP)
    assert r.code == 0 and (r.json["before"], r.json["after"]) == (0, 1), r
    r = cli("--json", "--db", pg_db.owner_url, "upgrade", "--app-role", APP)
    assert r.code == 0 and (r.json["before"], r.json["after"]) == (1, 1), r
    assert pg_db.cluster.sql("SELECT version FROM delegaties_schema", database=pg_db.name) == [(1,)]
    # the application role cannot change the schema
    r = cli("--json", "--db", pg_db.app_url(), "upgrade")
    assert r.code == 2, r
    # a database without the schema is said to be one, with exit 2 and a code
    bare = pg_db.cluster.database(pg_db.name + "_bare")
    try:
        r = cli("--json", "--db", bare.app_url("x"), "history")
        assert r.code == 2 and r.json["code"] in ("SCHEMA_VERSION", "NO_SCHEMA", "PERMISSION_DENIED"), r
    finally:
        pg_db.cluster.drop_database(bare.name)


def test_an_unreachable_server_is_said_at_once_without_the_password() -> None:
    import time

    started = time.monotonic()
    r = cli("--json", "--db", "postgresql://delegaties_app:geheim-wachtwoord@127.0.0.1:1/x?administration=a", "history")
    assert r.code == 2 and r.json["code"] == "DATABASE_UNAVAILABLE", r
    assert time.monotonic() - started < 8
    assert "geheim-wachtwoord" not in r.out + r.err
    r = cli("--json", "--db", "postgresql://delegaties_app@127.0.0.1:1/x", "history")
    assert r.code == 2, r  # no administration in the URL


# -- integrity -----------------------------------------------------------------------------------
def _as_superuser(db, *statements: str) -> None:
    with _connect(db.superuser_url) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.mark.parametrize("tamper, expect", [
    ("UPDATE uses SET amount = '1' WHERE reference = 'U-1'", "uses"),
    ("ALTER TABLE events DISABLE TRIGGER events_append_only; UPDATE events SET payload = replace(payload, '1500', '15') "
     "WHERE kind = 'use.recorded'; ALTER TABLE events ENABLE TRIGGER events_append_only", "event"),
    ("DROP TRIGGER events_append_only ON events", "events_append_only"),
    ("ALTER TABLE uses NO FORCE ROW LEVEL SECURITY", "uses"),
    ("DROP POLICY tenant ON keys", "keys"),
])
def test_fsck_finds_tampering_on_postgresql(pg_db, tmp_path: Path, tamper: str, expect: str) -> None:
    url = pg_register_url(pg_db, "proefgem")
    reg, _ = Registry.import_files(url, _ceiling_file(tmp_path, "proefgem"))
    with reg:
        actor = _ad_person(reg)
        for i, amount in enumerate(["1500", "900"]):
            assert reg.exercise(reg.question(actor, VERBINTENIS, "2025-03-03", amount=amount), f"U-{i}").recorded
        assert reg.fsck() == []
    _as_superuser(pg_db, *tamper.split("; "))
    r = cli("--json", "--lang", "en", "--db", url, "fsck")
    assert r.code == 3 and not r.json["ok"], r
    assert any(expect in p for p in r.json["problems"]), r.json


def test_a_log_cut_short_is_found_with_a_published_point(pg_db, tmp_path: Path) -> None:
    url = pg_register_url(pg_db, "proefgem")
    reg, _ = Registry.import_files(url, _ceiling_file(tmp_path, "proefgem"))
    seq, head = reg.head
    reg.close()
    _as_superuser(pg_db, "ALTER TABLE events DISABLE TRIGGER events_append_only",
                  f"DELETE FROM events WHERE seq >= {seq - 1}",  # noqa: S608
                  f"DELETE FROM entities WHERE seq >= {seq - 1}",  # noqa: S608
                  "ALTER TABLE events ENABLE TRIGGER events_append_only")
    r = cli("--json", "--db", url, "fsck", "--expect", f"{seq}:{head}")
    assert r.code == 3, r


# -- the command line, on either engine --------------------------------------------------------------
DEMO = __import__("json").loads((EXAMPLE.parent / "voorbeeldegem-demo.json").read_text(encoding="utf-8"))


def _flags(question: dict[str, Any]) -> list[str]:
    return [x for k, v in question.items() for x in (f"--{k.replace('_', '-')}", str(v))]


def _outcome(db: str, question: dict[str, Any]) -> tuple:
    r = cli("--json", "--db", db, "check", *_flags(question))
    data = r.json or {}
    return (r.code, data.get("allowed"), sorted(f["code"] for f in data.get("reasons", [])),
            data.get("chains"), data.get("effective_limits"), data.get("register", {}).get("seq"))


def test_the_demo_scenarios_answer_alike_through_the_cli(pg_db, tmp_path: Path) -> None:
    lite = tmp_path / "lite.db"
    url = pg_register_url(pg_db)
    for db in (lite, url):
        r = cli("--db", db, "import", EXAMPLE)
        assert r.code == 0, r
    for scenario in DEMO["scenarios"]:
        assert _outcome(str(lite), scenario["question"]) == _outcome(url, scenario["question"]), scenario["title"]["en"]


def test_keys_attestations_checkpoints_and_reports_on_either_engine(register, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DELEGATIES_KEYS", str(tmp_path / "keys"))
    db = register("voorbeeldegem")
    assert cli("--db", db, "import", EXAMPLE).code == 0
    assert cli("--db", db, "keys", "new").code == 0
    question = DEMO["scenarios"][0]["question"]
    r = cli("--db", db, "--json", "check", *_flags(question), "--record", "BEST-1", "--attest")
    assert r.code == 0 and r.json["recorded"] == "BEST-1" and r.json["attestation"], r
    token = r.json["attestation"]
    r = cli("--db", db, "--json", "verify", token, "--against-register")
    assert r.code == 0 and r.json["valid"] is True, r
    again = cli("--db", db, "--json", "check", *_flags(question), "--record", "BEST-1")
    assert again.code == 0 and again.json["replayed"] is True, again  # idempotent per reference
    cp = tmp_path / "cp.json"
    assert cli("--db", db, "checkpoint", "--out", cp).code == 0
    r = cli("--db", db, "--json", "fsck", "--checkpoint", cp)
    assert r.code == 0 and r.json["ok"] and r.json["points"] == 1, r
    r = cli("--db", db, "--json", "report", "--year", "2025", "--format", "json")
    assert r.code == 0, r
    summary = r.json["summary"]
    assert (summary["uses"], summary["amount"]) == (1, str(Decimal(question["amount"]).quantize(Decimal("0.01"))))
    assert summary["budget_keys"] == [{"budget_key": question["budget_key"], "uses": 1, "amount": summary["amount"]}]


# -- other registers: another jurisdiction, and a generated city --------------------------------------
def _city(tmp: Path) -> tuple[Path, list[dict[str, Any]]]:
    import json

    from bench.generate import City, Params

    city = City(Params.small())
    path = tmp / "city.json"
    path.write_text(json.dumps(city.register()), encoding="utf-8")
    return path, city.questions(150, seed=3)


def _awb(tmp: Path) -> tuple[Path, list[dict[str, Any]]]:
    path = EXAMPLE.parent / "voorbeeldstad-awb.yaml"
    with Registry.import_files(tmp / "probe.db", path)[0] as reg:
        state = reg.state()
        persons = sorted(state.persons)
        powers = sorted(state.catalogue.powers)
    days = ["2024-03-01", "2025-05-02", "2026-10-10"]
    return path, [{"actor": p, "power": w, "on": d} for p in persons for w in powers[:12] for d in days]


@pytest.mark.parametrize("source", [_city, _awb], ids=["generated-city", "nl-awb"])
def test_other_registers_answer_alike_on_both_engines(source, pg_new_db, tmp_path: Path) -> None:
    from bench.peers import scope_of
    from registry.migrate import migrate

    path, asked = source(tmp_path)
    assert len(asked) > 20
    lite = tmp_path / "lite.db"
    reg, _ = Registry.import_files(lite, path)
    admin = reg.administration().id
    reg.close()
    url = pg_register_url(pg_new_db(), admin)
    done = migrate(lite, url)
    with Registry.open(lite) as a, Registry.open(url) as b:
        assert b.head == a.head == (done.seq, done.head)
        allowed = 0
        for q in asked:
            scope = scope_of(q)
            results = []
            for reg in (a, b):
                try:
                    results.append(comparable(reg.check(q["actor"], q["power"], q["on"], **scope)))
                except Exception as exc:  # noqa: BLE001 - the same refusal of the question on both
                    results.append((type(exc).__name__, getattr(exc, "code", None)))
            assert results[0] == results[1], q
            allowed += isinstance(results[0], dict) and results[0]["allowed"]
        assert allowed > 0  # the questions reach real chains, not only refusals


def test_reporting_duties_and_what_changed_on_either_engine(register, tmp_path: Path) -> None:
    db = register("voorbeeldegem")
    assert cli("--db", db, "import", EXAMPLE).code == 0
    before = cli("--db", db, "--json", "duties", "--on", "2025-12-31").json["duties"]
    duty = next(d for d in before if d["status"] == "overdue")
    r = cli("--db", db, "--json", "duties", "done", "--grant", duty["grant"], "--period", duty["period"],
            "--on", duty["until"], "--ref", "MEMO-1")
    assert r.code == 0 and r.json["recorded"] is True, r
    again = cli("--db", db, "--json", "duties", "done", "--grant", duty["grant"], "--period", duty["period"],
                "--on", duty["until"], "--ref", "MEMO-1")
    assert again.code == 0 and again.json["recorded"] is False  # the same report twice: written once
    after = cli("--db", db, "--json", "duties", "--on", "2025-12-31").json["duties"]
    done = [d for d in after if (d["grant"], d["period"]) == (duty["grant"], duty["period"])]
    assert [(d["status"], d["done_on"], d["reference"]) for d in done] == [("done", duty["until"], "MEMO-1")]
    assert len(after) == len(before)
    # what changed since before the import: everything gained, nothing lost
    r = cli("--db", db, "--json", "diff", "--as-known-on", "2000-01-01")
    assert r.code == 0 and r.json["gained"] and not r.json["lost"], r


def test_the_register_url_comes_from_delegaties_db_and_postgres_scheme_too(pg_db, monkeypatch) -> None:
    url = pg_register_url(pg_db)
    assert cli("--db", url, "import", EXAMPLE).code == 0
    monkeypatch.setenv("DELEGATIES_DB", url)
    r = cli("--json", "check", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02")
    assert r.code in (0, 1) and r.json["register"]["seq"] > 50, r
    monkeypatch.delenv("DELEGATIES_DB")
    short = url.replace("postgresql://", "postgres://", 1)
    assert cli("--json", "--db", short, "fsck").json["ok"] is True
    r = cli("--json", "--db", pg_db.owner_url, "access", "--role", "Not-A-Role", "--administration", "x")
    assert r.code == 2 and "Not-A-Role" in r.json["error"], r
