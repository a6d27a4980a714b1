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
