"""Argparse's own texts ("usage:", "show this help message and exit", its error messages)
through our catalogs, so `delegaties --help` speaks the language of `--lang`.

Argparse looks its texts up through the module-level `_` and `ngettext` it imported from
gettext; pointing those at our catalog for the chosen language translates every one of them,
on every Python version, without copying argparse. The ids come from the running Python's
argparse source, so the catalog test names any text a new Python adds.
"""

from __future__ import annotations

import argparse

from delegations.texts import catalog


def install(lang: str) -> None:
    """Argparse speaks `lang` from now on (in this process: only the CLI calls this)."""
    t = catalog(lang)
    argparse._ = t.gettext  # type: ignore[attr-defined]
    argparse.ngettext = t.ngettext  # type: ignore[attr-defined]


def argparse_messages() -> list[str | tuple[str, str]]:
    """Every text the running Python's argparse translates (singular, or (singular, plural))."""
    from babel.messages.extract import extract_python

    with open(argparse.__file__, "rb") as f:
        found = [m for _line, _func, m, _comments in extract_python(f, {"_": None, "ngettext": (1, 2)}, [], {})]
    ok = {m for m in found if isinstance(m, str) and m or isinstance(m, tuple) and all(m)}
    return sorted(ok, key=str)
