"""The one error hierarchy of the library. Every error carries a stable `code`; the front ends
derive what they need from it and nothing else: the CLI its exit code, the HTTP service its status
and an RFC 9457 problem document. Texts are bilingual; `findings` hold validation findings."""

from __future__ import annotations

from delegations.texts import Text

__all__ = ["RegistryError", "InputError", "NotFoundError", "ConflictError", "UnavailableError", "IntegrityError",
           "AssertionBroken", "restore"]


class RegistryError(Exception):
    """Base of every error the library raises on purpose."""

    code = "INPUT"
    exit_code = 2
    http_status = 422

    def __init__(self, text: Text, findings: list | None = None, *, code: str | None = None):
        super().__init__(text.nl)
        self.text = text
        self.findings = findings or []
        if code is not None:
            self.code = code

    def render(self, lang: str = "nl") -> str:
        lines = [self.text(lang)]
        lines += [f.render(lang) for f in self.findings]
        return "\n".join(lines)


class InputError(RegistryError):
    """Bad input (a parameter, a file): nothing was written (exit 2)."""


class NotFoundError(InputError):
    """An id that is not in the register (an unknown actor, grant, decision, key)."""

    code = "NOT_FOUND"
    http_status = 404


class ConflictError(InputError):
    """A write that contradicts what is recorded (the same reference with other content)."""

    code = "CONFLICT"
    http_status = 409


class UnavailableError(RegistryError):
    """The register cannot be used right now: busy, read-only, disk full, I/O error (exit 2)."""

    code = "UNAVAILABLE"
    http_status = 503


class IntegrityError(RegistryError):
    """The stored register does not verify (exit 3)."""

    code = "INTEGRITY"
    exit_code = 3
    http_status = 500


class AssertionBroken(RegistryError):
    """A write refused because an expectation the caller made its condition would break
    (`import --assert`): nothing was written (exit 1, like a refused check)."""

    code = "ASSERTION_BROKEN"
    exit_code = 1
    http_status = 409


def restore(data: str, cls: type, what: str):
    """A stored entity back as a model object. Stored data was valid when it was written; if it
    no longer is (edited behind our back, or written under older rules) that is an integrity
    failure naming the entity, not a crash."""
    import json

    from delegations.converter import structure

    try:
        return structure(json.loads(data), cls)
    except Exception:  # noqa: BLE001 - any failure means the stored row is not what we wrote
        raise IntegrityError(Text(f"opgeslagen {what} is onleesbaar of voldoet niet aan het formaat; voer 'delegaties fsck' uit",
                                  f"stored {what} is unreadable or does not fit the format; run 'delegaties fsck'")) from None
