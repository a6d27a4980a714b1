"""Errors the registry raises; the CLI maps them to exit codes 2 (input) and 3 (integrity)."""

from __future__ import annotations

from delegations.texts import Text


class RegistryError(Exception):
    exit_code = 2

    def __init__(self, text: Text, findings: list | None = None):
        super().__init__(text.nl)
        self.text = text
        self.findings = findings or []

    def render(self, lang: str = "nl") -> str:
        lines = [self.text(lang)]
        lines += [f.render(lang) for f in self.findings]
        return "\n".join(lines)


class InputError(RegistryError):
    """Bad input: nothing was written (exit 2)."""


class IntegrityError(RegistryError):
    """The stored register does not verify (exit 3)."""

    exit_code = 3


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
