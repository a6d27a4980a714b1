"""Registers on the throwaway PostgreSQL server of the tests: the schema made by its owner, the
application role given access to an administration, and the URL a user would pass to --db."""

from __future__ import annotations

from tests.pg_server import APP, PgDatabase

EXAMPLE_ADMINISTRATION = "voorbeeldegem"


def prepared(db: PgDatabase, *administrations: str) -> PgDatabase:
    """The schema in `db` (as its owner), with the app role given access to `administrations`."""
    from registry import pg

    owner = pg.parse_url(db.owner_url)
    pg.upgrade(owner, [APP])
    for administration in administrations or (EXAMPLE_ADMINISTRATION,):
        pg.access(owner, APP, administration)
    return db


def pg_register_url(db: PgDatabase, administration: str = EXAMPLE_ADMINISTRATION) -> str:
    """The --db URL of `administration`'s register in `db` (schema and access made first)."""
    prepared(db, administration)
    return db.app_url(administration)
