"""What every command shares: global options, question options, output, opening the register,
and the names the command line gives to the library's parameters."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from delegations.texts import LANGS, Text, tr

EXIT_OK, EXIT_REFUSED, EXIT_INPUT, EXIT_INTEGRITY = 0, 1, 2, 3

# library parameter -> option of the command line (errors name parameters; we show our flags)
FLAGS = {"actor": "--actor", "power": "--power", "on": "--on", "amount": "--amount", "budget_key": "--budget-key",
         "unit": "--unit", "document_type": "--document-type", "issuer": "--issuer", "matter": "--matter",
         "entity": "--entity", "concerns": "--concerns", "as_known_on": "--as-known-on", "reference": "--record", "signer": "--signer",
         "cosigner": "--cosigner", "target": "--target", "from": "--from", "by": "--by", "reason": "--reason",
         "grant": "--grant", "period": "--period", "to": "--to", "year": "--year", "format": "--format",
         "out": "--out", "db": "--db", "active_on": "--active-on", "expect": "--expect", "checkpoint": "--checkpoint",
         "jwks": "--jwks", "kid": "KID", "id": "ID", "wait": "--wait", "token": "TOKEN"}


def seconds_type(lang: str):
    """The `type=` of --wait: a number of seconds from 0 to 3600, refused in `lang`."""

    def seconds(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(tr("expected a number of seconds, found '{value}'", value=value)(lang)) from None
        if not 0 <= number <= 3600:
            raise argparse.ArgumentTypeError(tr("expected 0 to 3600 seconds")(lang))
        return number

    return seconds


def common(parser: argparse.ArgumentParser, suppress: bool, lang: str = "nl") -> None:
    default = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    parser.add_argument("--db", default=default(None),
                        help=tr("path of the register (default $DELEGATIES_DB or ./delegaties.db)")(lang))
    parser.add_argument("--json", action="store_true", default=default(False), help=tr("answer as JSON")(lang))
    parser.add_argument("--lang", choices=LANGS, default=default("nl"), help=tr("language of the output (nl or en)")(lang))
    parser.add_argument("--wait", type=seconds_type(lang), default=default(10.0), metavar=tr("SECONDS")(lang),
                        help=tr("how long a writer waits for a busy register (default 10)")(lang))
    parser.add_argument("--data-dir", dest="data_dir", default=default(None), metavar=tr("DIR")(lang),
                        help=tr("directory with one register per administration (<administration>.db); "
                                "with --administration")(lang))
    parser.add_argument("--administration", default=default(None), metavar=tr("ADMINISTRATION")(lang),
                        help=tr("the administration in --data-dir the command works on")(lang))


def language_of(argv: list[str]) -> str:
    """The language `--lang` asks for in `argv` (the last one counts, as for argparse), before parsing:
    the parser itself, its help and its errors, speak that language. Dutch if none or unknown."""
    lang = "nl"
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.partition("=")[2]
    return lang if lang in LANGS else "nl"


def resolve_register(args: argparse.Namespace) -> None:
    """`--data-dir DIR --administration ID` names the register DIR/ID.db for every command but
    `serve`, which serves the whole directory."""
    from registry.errors import InputError

    if not getattr(args, "data_dir", None) or args.command == "serve":
        return
    from pathlib import Path

    from registry.tokens import ADMINISTRATION_ID

    if args.db:
        raise InputError(tr("choose --db or --data-dir, not both"))
    if not args.administration or not ADMINISTRATION_ID.fullmatch(args.administration):
        raise InputError(tr("--data-dir needs --administration ID (letters, digits, - and _)"))
    args.db = str(Path(args.data_dir) / f"{args.administration}.db")


def question_options(p: argparse.ArgumentParser, lang: str, actor: bool = True) -> None:
    if actor:
        p.add_argument("--actor", required=True,
                       help=tr("person (or position/organ) who acts")(lang))
    p.add_argument("--power", required=True,
                   help=tr("power, e.g. budgethouderschap.verbintenis")(lang))
    p.add_argument("--on", help=tr("date YYYY-MM-DD the question is about (default today)")(lang))
    p.add_argument("--as-known-on", dest="as_known_on",
                   help=tr("the register as known at this moment")(lang))
    p.add_argument("--amount", help=tr("amount in EUR, e.g. 1200.50")(lang))
    p.add_argument("--budget-key", dest="budget_key",
                   help=tr("budget key the act is charged to")(lang))
    p.add_argument("--unit", help=tr("organisational unit the act belongs to")(lang))
    p.add_argument("--document-type", dest="document_type",
                   help=tr("type of the document, e.g. bestelbon")(lang))
    p.add_argument("--issuer", help=tr("organ the document is issued by")(lang))
    p.add_argument("--matter", help=tr("matter or counterparty (e.g. KBO:0123456789)")(lang))
    p.add_argument("--concerns", metavar=tr("PERSON")(lang), help=tr("the person the act concerns")(lang))
    p.add_argument("--entity",
                   help=tr("legal entity (e.g. gemeente or ocmw; by default it follows from --issuer)")(lang))


def scope_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in ("amount", "budget_key", "unit", "document_type", "issuer", "matter", "entity",
                                          "concerns")}


def say(args: argparse.Namespace, text: Text) -> str:
    """A text in the language of the command line (`--lang`)."""
    return text(args.lang)


# Characters JSON leaves as they are but a terminal or a viewer acts on: C1 controls, format
# characters (bidi overrides, zero-width), line and paragraph separators.
_INVISIBLE = re.compile("[\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def json_text(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shown(value: Any) -> str:
    """One value inside a line of text output: never a control character, never a line break."""
    from delegations.identifiers import printable

    return printable("" if value is None else value)


def out(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    if args.json:
        print(json_text(data))
    elif text is not None:
        from delegations.identifiers import printable

        # Our own line breaks stay; anything else that does not print is shown as an escape.
        print("\n".join(printable(line) for line in text.split("\n")))


def open_registry(args: argparse.Namespace, create: bool = False, lazy: bool = False, readonly: bool = False):
    from registry import Registry

    return Registry.open(args.db, create=create, lazy=lazy, readonly=readonly, wait=args.wait)


def read_bounded(stream: Any, limit: int, what: str) -> bytes:
    """At most `limit` bytes from a binary stream; InputError when there is more."""
    from registry.errors import InputError

    chunks, size = [], 0
    while size <= limit:  # a pipe may give less than asked per read
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = (b"" if not chunks or isinstance(chunks[0], bytes) else "").join(chunks)
    if len(data) > limit:
        raise InputError(tr("{what}: more than {limit} bytes; that is not an attestation or key set", what=what, limit=limit))
    return data


def stdin_bytes() -> Any:
    return getattr(sys.stdin, "buffer", None) or sys.stdin
