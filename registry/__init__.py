"""Storage and history of the delegation register (SQLite event log with projections)."""

from .errors import ConflictError, InputError, IntegrityError, NotFoundError, RegistryError, UnavailableError
from .registry import Registry
from .uses import Exercise

__all__ = ["Registry", "Exercise", "RegistryError", "InputError", "NotFoundError", "ConflictError", "UnavailableError",
           "IntegrityError"]
