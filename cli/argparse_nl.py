"""Argparse's own texts ("usage:", "show this help message and exit", its error messages)
through our catalogs, so `delegaties --help` speaks the language of `--lang`.

Argparse looks its texts up through the module-level `_` and `ngettext` it imported from
gettext; pointing those at our catalog for the chosen language translates every one of them,
on every Python version, without copying argparse. The ids come from the running Python's
argparse source, plus those of the other Pythons we support (`OTHER_VERSIONS`), so the catalogs
keep them whichever Python rebuilds them, and the catalog test names any text a new Python adds.

Only argparse's singular texts are ids: its two plural texts ('expected %s argument(s)' for
`nargs=N`, 'conflicting option string(s)' for a programming error) are not reachable from our
options, and the catalogs' JSON merge fills singular ids only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from delegations.texts import catalog

# The ids of Python 3.12's and 3.13's argparse (`argparse_messages(path)` of their argparse.py),
# kept here so that a catalog rebuilt on another Python still translates them.
OTHER_VERSIONS = (
    ' (default: %(default)s)',
    '%(heading)s:',
    '%(prog)s: error: %(message)s\n',
    '%(prog)s: warning: %(message)s\n',
    '%r is not callable',
    "'required' is an invalid argument for positionals",
    '.__call__() not defined',
    'ambiguous option: %(option)s could match %(matches)s',
    'argument "-" with mode %r',
    'argument %(argument_name)s: %(message)s',
    "argument '%(argument_name)s' is deprecated",
    "can't open '%(filename)s': %(error)s",
    'cannot have multiple subparser arguments',
    'cannot merge actions - two groups are named %r',
    "command '%(parser_name)s' is deprecated",
    'conflicting subparser alias: %s',
    'conflicting subparser: %s',
    'dest= is required for options like %r',
    'expected at least one argument',
    'expected at most one argument',
    'expected one argument',
    'ignored explicit argument %r',
    'invalid %(type)s value: %(value)r',
    'invalid choice: %(value)r (choose from %(choices)s)',
    'invalid conflict_resolution value: %r',
    'invalid option string %(option)r: must start with a character %(prefix_chars)r',
    'mutually exclusive arguments must be optional',
    'not allowed with argument %s',
    'one of the arguments %s is required',
    "option '%(option)s' is deprecated",
    'options',
    'positional arguments',
    "show program's version number and exit",
    'show this help message and exit',
    'subcommands',
    'the following arguments are required: %s',
    'unexpected option string: %s',
    'unknown parser %(parser_name)r (choices: %(choices)s)',
    'unrecognized arguments: %s',
    'usage: ',
)


def install(lang: str) -> None:
    """Argparse speaks `lang` from now on (in this process: only the CLI calls this)."""
    t = catalog(lang)
    argparse._ = t.gettext  # type: ignore[attr-defined]
    argparse.ngettext = t.ngettext  # type: ignore[attr-defined]


def argparse_messages(path: str | Path | None = None) -> list[str]:
    """Every singular text an argparse translates: that of the file `path`, or, without a path,
    the running Python's plus `OTHER_VERSIONS`."""
    from babel.messages.extract import extract_python

    with open(path or argparse.__file__, "rb") as f:
        found = {m for _line, _func, m, _comments in extract_python(f, {"_": None, "ngettext": (1, 2)}, [], {})
                 if isinstance(m, str) and m}
    if path is None:
        found.update(OTHER_VERSIONS)
    return sorted(found)
