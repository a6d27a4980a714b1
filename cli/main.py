"""The `delegaties` command: a thin layer over `registry`.

Exit codes: 0 ok / allowed / valid, 1 refused / invalid, 2 usage or input error, 3 integrity
failure; a library error's exit code comes from its class. Heavy modules are imported inside the
command functions so that `--help` and a single `check` start fast.

Commands live in modules that each offer `register(sub, add, lang)`: it adds their subparsers and
sets `run` (the handler) on each, with every help text in `lang` (`tr("English")(lang)`). `COMMAND_MODULES` below is the one list of them.

A command line that names its command plainly (`delegaties --db x --json check ...`) gets a parser
whose other subcommands have their name and help text but no options: building every option of
thirty commands costs more than the answer of one `check`. Anything less plain (`--help` before
the command, an abbreviated or unknown option, no command) builds them all.
"""

from __future__ import annotations

import argparse
import os
import sys

from delegations.texts import tr

from . import attest_cmds, commands, pg_cmds, report_cmds, service_cmds, whatif_cmds
from .options import EXIT_INPUT, EXIT_OK, FLAGS, common, json_text, language_of, resolve_register

# Wiring a new command module: import it and add it here.
COMMAND_MODULES = (commands, attest_cmds, report_cmds, service_cmds, whatif_cmds, pg_cmds)


class Parser(argparse.ArgumentParser):
    """An argument parser that speaks `lang` (its own texts through `cli.argparse_nl`)."""

    _adding = False

    def __init__(self, *args, lang: str = "nl", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lang = lang

    def add_argument(self, *args, **kwargs):
        # argparse makes a help formatter for every option it adds, only to check its metavar, and
        # for subcommands, to format a prefix without options; one that does not ask the terminal
        # for its width (which imports shutil) does for both.
        self._adding = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._adding = False

    def add_subparsers(self, **kwargs):
        self._adding = True
        try:
            return super().add_subparsers(**kwargs)
        finally:
            self._adding = False

    def _get_formatter(self):
        if self._adding:
            return self.formatter_class(prog=self.prog, width=80)
        return super()._get_formatter()

    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; say it in our words
        self.print_usage(sys.stderr)
        sys.stderr.write(tr("{prog}: error in the options: {message}", prog=self.prog, message=message)(self.lang) + "\n")
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


class _Unbuilt:
    """Stands in for the parser of a subcommand the command line does not ask for: its options
    (and nested subcommands) are not built. The subcommand itself is listed as usual."""

    def add_argument(self, *args, **kwargs) -> None:
        return None

    def set_defaults(self, **kwargs) -> None:
        return None

    def add_subparsers(self, **kwargs) -> _Unbuilt:
        return self

    def add_argument_group(self, *args, **kwargs) -> _Unbuilt:
        return self

    def add_mutually_exclusive_group(self, **kwargs) -> _Unbuilt:
        return self


# Global options (`common`) as the command line may give them before the command.
_GLOBAL_WITH_VALUE = frozenset(("--db", "--lang", "--wait", "--data-dir", "--administration"))
_GLOBAL_FLAGS = frozenset(("--json",))


def command_of(argv: list[str]) -> str | None:
    """The command `argv` names, if it names one plainly: the first argument after global options
    written out in full (`--db X`, `--db=X`, `--json`). None for anything else (`--help`, `--version`,
    an abbreviated or unknown option, `--`, no command): the whole parser is built then."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _GLOBAL_WITH_VALUE:
            i += 2
        elif arg in _GLOBAL_FLAGS or (arg.startswith("--") and "=" in arg and arg.partition("=")[0] in _GLOBAL_WITH_VALUE):
            i += 1
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


def build_parser(lang: str = "nl", only: str | None = None) -> Parser:
    """The parser of the command line, with its help and its errors (argparse's own texts too) in `lang`.
    With `only` (a command name) the other commands are listed but their options are not built."""
    from .argparse_nl import install

    install(lang)
    parser = Parser(prog="delegaties", lang=lang, description=tr(
        "Register of delegation decisions: who may sign or decide what, on which date and on which legal basis.")(lang))
    common(parser, suppress=False, lang=lang)
    parser.add_argument("--version", action=_Version, nargs=0, help=tr("show the version")(lang))
    sub = parser.add_subparsers(dest="command", metavar=tr("COMMAND")(lang), parser_class=Parser)
    sub.required = True

    unbuilt = _Unbuilt()

    def add(name: str, help: str, into=None) -> argparse.ArgumentParser:
        if isinstance(into, _Unbuilt):
            return into  # type: ignore[return-value]
        p = (into or sub).add_parser(name, help=help, description=help, lang=lang)
        if into is None and only is not None and name != only:
            return unbuilt  # type: ignore[return-value]
        common(p, suppress=True, lang=lang)
        return p

    for module in COMMAND_MODULES:
        module.register(sub, add, lang)
    if only is not None and only not in sub.choices:  # not a command: build all, as for any error
        return build_parser(lang)
    return parser


def _protect_kid(argv: list[str]) -> list[str]:
    # A kid is base64url and may start with "-": argparse would take it for an option.
    for i, arg in enumerate(argv[:-1]):
        nxt = argv[i + 1]
        if arg in ("retire", "activate") and nxt.startswith("-") and len(nxt) == 43 and "=" not in nxt:
            return [*argv[: i + 1], "--", *argv[i + 1:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    argv = _protect_kid(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(language_of(argv), only=command_of(argv))
    args = parser.parse_args(argv)
    lang = args.lang
    try:
        resolve_register(args)
        return args.run(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write(tr("interrupted")(lang) + "\n")
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
        text = tr("unexpected error: {kind}: {error}", kind=type(exc).__name__, error=str(exc))
        sys.stderr.write(text(lang) + "\n")
        return EXIT_INPUT


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
