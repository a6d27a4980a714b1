"""The `delegaties` command: a thin layer over `registry`.

Exit codes: 0 ok / allowed / valid, 1 refused / invalid, 2 usage or input error, 3 integrity failure.
Heavy modules are imported inside the command functions so that `--help` and a single
`check` start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from . import commands

EXIT_OK, EXIT_REFUSED, EXIT_INPUT, EXIT_INTEGRITY = 0, 1, 2, 3


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; say it in Dutch too
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: fout in de opties: {message}\n")
        sys.exit(EXIT_INPUT)


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    parser.add_argument("--db", default=default(None), help="pad van het register (standaard $DELEGATIES_DB of ./delegaties.db)")
    parser.add_argument("--json", action="store_true", default=default(False), help="antwoord als JSON")
    parser.add_argument("--lang", choices=("nl", "en"), default=default("nl"), help="taal van de uitvoer (nl of en)")


def _question_options(p: argparse.ArgumentParser, actor: bool = True) -> None:
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


class _Version(argparse.Action):
    """Looks the version up only when asked: importlib.metadata costs start-up time."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"delegaties {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("delegaties")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def build_parser() -> Parser:
    parser = Parser(prog="delegaties", description="Register van delegatiebesluiten: wie mag wat tekenen of beslissen, "
                    "op welke datum en op welke rechtsgrond.")
    _common(parser, suppress=False)
    parser.add_argument("--version", action=_Version, nargs=0, help="toon de versie")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", parser_class=Parser)
    sub.required = True

    def add(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _common(p, suppress=True)
        return p

    add("init", "maak een leeg register")
    p = add("validate", "controleer registerbestanden zonder iets te schrijven")
    p.add_argument("files", nargs="+", metavar="BESTAND")
    p = add("import", "valideer en lees registerbestanden atomair in")
    p.add_argument("files", nargs="+", metavar="BESTAND")
    p = add("check", "mag deze persoon dit doen?")
    _question_options(p)
    p.add_argument("--record", metavar="REF", help="leg de uitoefening vast onder deze referentie (als toegestaan)")
    p.add_argument("--attest", action="store_true", help="voeg een ondertekend attest toe")
    p = add("check-signature", "mag dit paar dit document (mede)ondertekenen?")
    p.add_argument("--document-type", dest="document_type", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--signer", required=True)
    p.add_argument("--cosigner", required=True)
    p.add_argument("--on")
    p.add_argument("--as-known-on", dest="as_known_on")
    p.add_argument("--matter")
    p.add_argument("--entity", help="rechtspersoon (standaard volgt ze uit --issuer)")
    p = add("who", "iedereen die deze bevoegdheid heeft, met ketens")
    _question_options(p, actor=False)
    p = add("revoke", "trek een besluit of delegatie in")
    p.add_argument("--target", required=True)
    p.add_argument("--from", dest="from_", required=True, metavar="DATUM")
    p.add_argument("--by", required=True, metavar="BESLUIT")
    p.add_argument("--reason")
    p = add("show", "toon een besluit, delegatie, functie, persoon of regel")
    p.add_argument("id")
    p = add("list", "lijst van besluiten")
    p.add_argument("--active-on", dest="active_on")
    add("history", "het gebeurtenissenlog")
    add("fsck", "controleer de hash-keten en de projecties")
    add("demo", "laad examples/ in een tijdelijk register en toon enkele antwoorden")
    commands.register_extra(sub, add)
    return parser


def _protect_kid(argv: list[str]) -> list[str]:
    # A kid is base64url and may start with "-": argparse would take it for an option.
    for i, arg in enumerate(argv[:-1]):
        nxt = argv[i + 1]
        if arg == "retire" and nxt.startswith("-") and len(nxt) == 43 and "=" not in nxt:
            return [*argv[: i + 1], "--", *argv[i + 1:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_protect_kid(list(sys.argv[1:] if argv is None else argv)))
    lang = args.lang
    try:
        return commands.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("onderbroken\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user
        from registry.errors import RegistryError

        if isinstance(exc, RegistryError):
            if args.json:
                out: dict[str, Any] = {"error": exc.text(lang), "code": exc.code, "exit": exc.exit_code}
                if exc.findings:
                    out["findings"] = [f.to_dict(lang) for f in exc.findings]
                print(json.dumps(out, ensure_ascii=False, indent=2))
            else:
                sys.stderr.write(exc.render(lang) + "\n")
            return exc.exit_code
        if os.environ.get("DELEGATIES_DEBUG"):
            raise
        text = ("onverwachte fout" if lang == "nl" else "unexpected error") + f": {type(exc).__name__}: {exc}"
        sys.stderr.write(text + "\n")
        return EXIT_INPUT


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
