"""Where a register is: a file (SQLite), or a PostgreSQL URL with its administration (contract
section 9). Cheap to import: the PostgreSQL engine is loaded only for a URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pg import PgTarget

__all__ = ["DEFAULT_DB", "default_path", "is_pg", "is_url", "location"]

DEFAULT_DB = "delegaties.db"


def is_url(value: object) -> bool:
    """A PostgreSQL URL (the engine is imported only for one: a file register never pays for it)."""
    return isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))


def is_pg(where: object) -> bool:
    return hasattr(where, "conninfo")


def default_path() -> Path | str:
    value = os.environ.get("DELEGATIES_DB") or DEFAULT_DB
    return value if is_url(value) else Path(value)


def location(path: str | Path | None) -> Path | PgTarget:
    """Where a register is: a file, or a PostgreSQL URL (contract section 9)."""
    if path is None:
        path = default_path()
    if is_pg(path):
        return path  # type: ignore[return-value]
    if is_url(path):
        from .pg import parse_url

        return parse_url(str(path))
    return Path(path)
