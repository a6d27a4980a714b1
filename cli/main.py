"""The `delegaties` command: a thin layer over `registry`.

Exit codes: 0 ok / allowed / valid, 1 refused / invalid, 2 usage or input error, 3 integrity
failure; a library error's exit code comes from its class. Heavy modules are imported inside the
command functions so that `--help` and a single `check` start fast.

Commands live in modules that each offer `register(sub, add)`: it adds their subparsers and sets
`run` (the handler) on each. `COMMAND_MODULES` below is the one list of them.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import attest_cmds, commands, report_cmds, service_cmds, whatif_cmds
from .options import EXIT_INPUT, EXIT_OK, FLAGS, common, json_text, resolve_register

# Wiring a new command module: import it and add it here.
COMMAND_MODULES = (commands, attest_cmds, report_cmds, service_cmds, whatif_cmds)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; say it in Dutch too
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: fout in de opties: {message}\n")
        sys.exit(EXIT_INPUT)


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
    common(parser, suppress=False)
    parser.add_argument("--version", action=_Version, nargs=0, help="toon de versie")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", parser_class=Parser)
    sub.required = True

    def add(name: str, help: str, into=None) -> argparse.ArgumentParser:
        p = (into or sub).add_parser(name, help=help, description=help)
        common(p, suppress=True)
        return p

    for module in COMMAND_MODULES:
        module.register(sub, add)
    return parser


def _protect_kid(argv: list[str]) -> list[str]:
    # A kid is base64url and may start with "-": argparse would take it for an option.
    for i, arg in enumerate(argv[:-1]):
        nxt = argv[i + 1]
        if arg in ("retire", "activate") and nxt.startswith("-") and len(nxt) == 43 and "=" not in nxt:
            return [*argv[: i + 1], "--", *argv[i + 1:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_protect_kid(list(sys.argv[1:] if argv is None else argv)))
    lang = args.lang
    try:
        resolve_register(args)
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("onderbroken\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user
        from registry.errors import RegistryError

        if isinstance(exc, RegistryError):
            names = {**FLAGS, **getattr(args, "flag_names", {})}
            if args.json:
                print(json_text({**exc.to_dict(lang, names), "exit": exc.exit_code}))
            else:
                from delegations.identifiers import printable

                sys.stderr.write("\n".join(printable(line) for line in exc.render(lang, names).split("\n")) + "\n")
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
