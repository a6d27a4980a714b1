"""The one error hierarchy of the library. Every error carries a stable `code`; the front ends
derive what they need from it and nothing else: the CLI its exit code, the HTTP service its status
and an RFC 9457 problem document. Texts are bilingual; `findings` hold validation findings.

An error about one argument names it by its library `parameter` (`actor`, `amount`, `on`): the
front ends put their own name for it in front of the text (`--actor`, a JSON field), so that the
library never speaks in CLI flags.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, NoReturn

from delegations.texts import N_, Text, tr

__all__ = ["RegistryError", "InputError", "NotFoundError", "ConflictError", "UnavailableError", "IntegrityError",
           "AssertionBroken", "restore", "restore_value", "from_sqlite"]


class RegistryError(Exception):
    """Base of every error the library raises on purpose."""

    code = "INPUT"
    exit_code = 2
    http_status = 422

    def __init__(self, text: Text, findings: list | None = None, *, code: str | None = None,
                 parameter: str | None = None):
        super().__init__(f"{parameter}: {text.nl}" if parameter else text.nl)
        self.text = text
        self.findings = findings or []
        self.parameter = parameter
        if code is not None:
            self.code = code

    def message(self, lang: str = "nl", names: Mapping[str, str] | None = None) -> str:
        """The text, preceded by the parameter under the caller's name for it (`--amount: ...`)."""
        if self.parameter is None:
            return self.text(lang)
        return f"{(names or {}).get(self.parameter, self.parameter)}: {self.text(lang)}"

    def render(self, lang: str = "nl", names: Mapping[str, str] | None = None) -> str:
        lines = [self.message(lang, names)]
        lines += [f.render(lang) for f in self.findings]
        return "\n".join(lines)

    def to_dict(self, lang: str = "nl", names: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message(lang, names), "code": self.code}
        if self.parameter is not None:
            out["parameter"] = self.parameter
        if self.findings:
            out["findings"] = [f.to_dict(lang) for f in self.findings]
        return out


class InputError(RegistryError):
    """Bad input (a parameter, a file): nothing was written (exit 2)."""


class NotFoundError(InputError):
    """An id that is not in the register (an unknown actor, grant, decision, key)."""

    code = "NOT_FOUND"
    # The ids arrive in request bodies and query parameters, not in the URL path: the request is
    # well-formed but names something this register does not hold (422, not 404).
    http_status = 422


class ConflictError(InputError):
    """A write that contradicts what is recorded (the same reference with other content)."""

    code = "CONFLICT"
    http_status = 409


class UnavailableError(RegistryError):
    """The register cannot be used right now (exit 2, nothing written). Codes: BUSY (another
    writer holds the lock), READ_ONLY (no write permission or a read-only file system), DISK_FULL,
    IO_ERROR, CANT_OPEN, CLOCK_BEHIND (the system clock is behind the last event), NO_ACTIVE_KEY,
    KEY_UNUSABLE, DATABASE_ERROR."""

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
        raise_unreadable(what)


def restore_value(value: object, cls: type, what: str):
    """`restore` of stored data already parsed from its JSON (a part of a stored entity)."""
    from delegations.converter import structure

    try:
        return structure(value, cls)
    except Exception:  # noqa: BLE001 - as in `restore`
        raise_unreadable(what)


def raise_unreadable(what: str) -> NoReturn:
    raise IntegrityError(tr("stored {what} is unreadable or does not fit the format; run 'delegaties fsck'", what=what)) from None


# SQLite primary result codes (sqlite3.h) -> (our code, the cause)
_SQLITE = {
    5: ("BUSY", N_("the register is busy: another writer holds the lock")),
    6: ("BUSY", N_("the register is busy (table locked)")),
    7: ("DATABASE_ERROR", N_("out of memory")),
    8: ("READ_ONLY", N_("the register is read-only (no write permission, or a read-only file system)")),
    10: ("IO_ERROR", N_("input/output error of the file system")),
    13: ("DISK_FULL", N_("the disk is full")),
    14: ("CANT_OPEN", N_("the register (or its -wal/-shm file) cannot be opened or created; check the permissions of the "
                       "file and its directory")),
    3: ("READ_ONLY", N_("no access to the register (permissions)")),
    23: ("READ_ONLY", N_("no access to the register (permissions)")),
}


def _cause(primary: int, path: object) -> int:
    """SQLite reports a read-only file system as "unable to open" and a full disk while growing
    the -shm file as an I/O error; the file system tells which it is."""
    import os

    if primary not in (8, 10, 13, 14) or not path:
        return primary
    directory = os.path.dirname(os.path.abspath(str(path))) or "."
    try:
        fs = os.statvfs(directory)
    except OSError:
        return primary
    if fs.f_flag & getattr(os, "ST_RDONLY", 1):
        return 8
    if fs.f_bavail * fs.f_frsize < 64 * 1024:
        return 13
    if primary in (10, 14) and os.path.exists(str(path)) and not os.access(str(path), os.W_OK):
        return 8
    return primary


def from_sqlite(exc: sqlite3.Error, path: object) -> RegistryError:
    """The library error for a failure of SQLite itself: operational trouble (busy, read-only,
    disk full, I/O) is UnavailableError with a specific code; a damaged file or a database that is
    not a register is an IntegrityError."""
    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    detail = str(exc)
    if primary in (11, 26) or (isinstance(exc, sqlite3.OperationalError) and "no such" in detail):
        return IntegrityError(tr("{path}: not a readable delegation register ({detail}); run 'delegaties fsck'", path=path, detail=detail))
    if primary == 0 and "full" in detail:  # some paths give no code; the text is SQLite's own
        primary = 13
    primary = _cause(primary, path)
    code, cause = _SQLITE.get(primary, ("DATABASE_ERROR", N_("database error")))
    return UnavailableError(tr("{path}: {cause} ({detail}); nothing was written", path=path, cause=tr(cause), detail=detail),
                            code=code)
