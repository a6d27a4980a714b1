"""Storage and history of the delegation register (SQLite event log with projections)."""

from .errors import ConflictError, InputError, IntegrityError, NotFoundError, RegistryError, UnavailableError
from .registry import Registry

__all__ = ["Registry", "Exercise", "RegistryError", "InputError", "NotFoundError", "ConflictError", "UnavailableError",
           "IntegrityError"]


def __getattr__(name: str):
    if name == "Exercise":  # imported on first use: a one-shot `check` never exercises
        from .uses import Exercise

        return Exercise
    raise AttributeError(name)
