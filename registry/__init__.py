"""Storage and history of the delegation register (SQLite event log with projections).

`Registry` (and with it the model, the converter and the evaluation) is imported on first use:
the errors alone are cheap, and a command that fails before it opens a register, or only looks
at its options, never pays for the rest.
"""

from .errors import ConflictError, InputError, IntegrityError, NotFoundError, RegistryError, UnavailableError

__all__ = ["Registry", "Exercise", "RegistryError", "InputError", "NotFoundError", "ConflictError", "UnavailableError",
           "IntegrityError"]


def __getattr__(name: str):
    if name == "Registry":
        from .registry import Registry

        globals()["Registry"] = Registry  # looked up once
        return Registry
    if name == "Exercise":  # a one-shot `check` never exercises
        from .uses import Exercise

        return Exercise
    raise AttributeError(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
