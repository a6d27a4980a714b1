"""Fixtures shared by the behaviour tests. Registers always live in pytest's temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, copy_register


@pytest.fixture(scope="session")
def example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example imported once per session; tests get copies, never this file."""
    from registry import Registry

    path = tmp_path_factory.mktemp("template") / "voorbeeldegem.db"
    reg = Registry.init(path)
    reg.load(EXAMPLE)
    reg.close()
    return path


@pytest.fixture
def example_db(example_template: Path, tmp_path: Path) -> Path:
    """A private copy of the example register for one test (it may write to it)."""
    return copy_register(example_template, tmp_path / "voorbeeldegem.db")


# -- PostgreSQL: real throwaway servers on loopback (tests/pg_server.py) ------------------------------

@pytest.fixture(scope="session")
def pg_bin_dir() -> Path:
    """The PostgreSQL server programs; without them the test skips, or fails under DELEGATIES_REQUIRE_PG=1
    (CI sets it, so a missing server cannot pass for green)."""
    import os

    from tests.pg_server import find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = ("no PostgreSQL server programs (initdb) found via pg_config, /usr/lib/postgresql/*/bin "
                  "or PATH; install Debian's postgresql-15")
        if os.environ.get("DELEGATIES_REQUIRE_PG") == "1":
            pytest.fail(f"{reason} (DELEGATIES_REQUIRE_PG=1 forbids skipping)", pytrace=False)
        pytest.skip(reason)
    return bin_dir


@pytest.fixture(scope="session")
def pg_cluster(pg_bin_dir: Path):
    """One PostgreSQL server for the session, deleted at its end."""
    from tests.pg_server import Cluster

    cluster = Cluster.start(pg_bin_dir)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_replica(pg_cluster):
    """A hot standby of pg_cluster, started only when a test asks for it."""
    replica = pg_cluster.start_replica()
    yield replica
    replica.stop()


@pytest.fixture(scope="session")
def _pg_db_names():
    import itertools

    return (f"t_{n}" for n in itertools.count(1))


@pytest.fixture
def pg_new_db(pg_cluster, _pg_db_names):
    """Make fresh databases (tests.pg_server.PgDatabase) in pg_cluster; dropped after the test."""
    made = []

    def new_db():
        made.append(pg_cluster.database(next(_pg_db_names)))
        return made[-1]

    yield new_db
    for db in made:
        pg_cluster.drop_database(db.name)


@pytest.fixture
def pg_db(pg_new_db):
    """A fresh database for this test: name, owner_url, superuser_url, app_url(administration=None)."""
    return pg_new_db()
