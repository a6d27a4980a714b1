"""What every command shares: global options, question options, output, opening the register,
and the names the command line gives to the library's parameters."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from delegations.texts import tr

EXIT_OK, EXIT_REFUSED, EXIT_INPUT, EXIT_INTEGRITY = 0, 1, 2, 3

# library parameter -> option of the command line (errors name parameters; we show our flags)
FLAGS = {"actor": "--actor", "power": "--power", "on": "--on", "amount": "--amount", "budget_key": "--budget-key",
         "unit": "--unit", "document_type": "--document-type", "issuer": "--issuer", "matter": "--matter",
         "entity": "--entity", "concerns": "--concerns", "as_known_on": "--as-known-on", "reference": "--record", "signer": "--signer",
         "cosigner": "--cosigner", "target": "--target", "from": "--from", "by": "--by", "reason": "--reason",
         "grant": "--grant", "period": "--period", "to": "--to", "year": "--year", "format": "--format",
         "out": "--out", "db": "--db", "active_on": "--active-on", "expect": "--expect", "checkpoint": "--checkpoint",
         "jwks": "--jwks", "kid": "KID", "id": "ID", "wait": "--wait", "token": "TOKEN"}


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"verwacht een aantal seconden, gevonden '{value}'") from None
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError("verwacht 0 tot 3600 seconden")
    return seconds


def common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    parser.add_argument("--db", default=default(None), help="pad van het register (standaard $DELEGATIES_DB of ./delegaties.db)")
    parser.add_argument("--json", action="store_true", default=default(False), help="antwoord als JSON")
    parser.add_argument("--lang", choices=("nl", "en"), default=default("nl"), help="taal van de uitvoer (nl of en)")
    parser.add_argument("--wait", type=_seconds, default=default(10.0), metavar="SECONDEN",
                        help="hoe lang een schrijver wacht op een bezet register (standaard 10)")
    parser.add_argument("--data-dir", dest="data_dir", default=default(None), metavar="MAP",
                        help="map met één register per bestuur (<bestuur>.db); met --administration")
    parser.add_argument("--administration", default=default(None), metavar="BESTUUR",
                        help="het bestuur in --data-dir waarop het commando werkt")


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


def question_options(p: argparse.ArgumentParser, actor: bool = True) -> None:
    if actor:
        p.add_argument("--actor", required=True, help="persoon (of functie/orgaan) die handelt")
    p.add_argument("--power", required=True, help="bevoegdheid, bv. budgethouderschap.verbintenis")
    p.add_argument("--on", help="datum JJJJ-MM-DD waarover de vraag gaat (standaard vandaag)")
    p.add_argument("--as-known-on", dest="as_known_on", help="het register zoals gekend op dit tijdstip")
    p.add_argument("--amount", help="bedrag in EUR, bv. 1200.50")
    p.add_argument("--budget-key", dest="budget_key")
    p.add_argument("--unit")
    p.add_argument("--document-type", dest="document_type")
    p.add_argument("--issuer", help="orgaan waarvan het document uitgaat")
    p.add_argument("--matter", help="dossier of tegenpartij (bv. KBO:0123456789)")
    p.add_argument("--concerns", metavar="PERSOON", help="de persoon op wie de handeling betrekking heeft")
    p.add_argument("--entity", help="rechtspersoon (bv. gemeente of ocmw; standaard volgt ze uit --issuer)")


def scope_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in ("amount", "budget_key", "unit", "document_type", "issuer", "matter", "entity",
                                          "concerns")}


def say(args: argparse.Namespace, nl: str, en: str) -> str:
    return en if args.lang == "en" else nl


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
