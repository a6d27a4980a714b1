"""Storage and history of the delegation register (SQLite event log with projections)."""

from .errors import InputError, IntegrityError, RegistryError
from .registry import Registry

__all__ = ["Registry", "RegistryError", "InputError", "IntegrityError"]
