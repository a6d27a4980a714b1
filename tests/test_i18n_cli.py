"""The command line speaks the language of `--lang`: its own texts, argparse's headings, help and
usage errors, and every option's help text, all through the gettext catalogs.

The assertions compare with our catalogs (`gettext(msgid, lang)`), not with argparse's wording,
so a new Python that rewords a text fails only the catalog test, not these."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from cli.argparse_nl import OTHER_VERSIONS, argparse_messages
from cli.main import build_parser
from cli.options import language_of
from cli.render import amount, every
from delegations.texts import catalog, gettext, tr
from tests.helpers import cli

# argparse's own texts that a help page shows
HEADINGS = ("usage: ", "positional arguments", "options", "show this help message and exit")


def flat(text: str) -> str:
    """Help text without argparse's line wrapping."""
    return " ".join(text.split())


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) for the parser and every subcommand under it, nested ones too."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*path, name))


def subcommand_helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {a.dest: a.help for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for a in action._choices_actions}


# -- help pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [(), ("check",), ("keys", "retire"), ("tokens", "new"), ("report",)])
def test_help_is_dutch_by_default(command: tuple[str, ...]) -> None:
    r = cli(*command, "--help")
    assert r.code == 0, r
    assert r.out.startswith(gettext("usage: ", "nl")), r
    assert f"{gettext('options', 'nl')}:" in r.out
    assert gettext("show this help message and exit", "nl") in r.out
    for english in HEADINGS:
        assert english.strip() not in r.out, (english, r.out)
    assert "--lang {nl,en}" in r.out and gettext("language of the output (nl or en)", "nl") in flat(r.out)


def test_main_help_lists_the_commands_in_dutch() -> None:
    r = cli("--help")
    text = flat(r.out)
    assert gettext("positional arguments", "nl") in r.out
    assert gettext("COMMAND", "nl") in r.out
    assert flat(gettext("Register of delegation decisions: who may sign or decide what, on which date and on which "
                        "legal basis.", "nl")) in text
    assert gettext("may this person do this?", "nl") in text
    assert gettext("show the version", "nl") in text


@pytest.mark.parametrize("how", [("--lang", "en"), ("--lang=en",)])
@pytest.mark.parametrize("command", [(), ("check",), ("keys", "retire")])
def test_help_is_english_with_lang_en(how: tuple[str, ...], command: tuple[str, ...]) -> None:
    r = cli(*how, *command, "--help")
    assert r.code == 0, r
    assert r.out.startswith("usage: "), r
    assert "options:" in r.out and "show this help message and exit" in r.out
    for dutch in (gettext(t, "nl") for t in HEADINGS):
        assert dutch.strip() not in r.out, (dutch, r.out)
    assert "language of the output (nl or en)" in flat(r.out)


def test_lang_after_the_command_counts_too() -> None:
    r = cli("check", "--help", "--lang", "en")
    assert r.out.startswith("usage: ") and "person (or position/organ) who acts" in flat(r.out), r


def test_language_of_the_command_line() -> None:
    assert language_of([]) == "nl"
    assert language_of(["--lang", "en", "check"]) == "en"
    assert language_of(["check", "--lang=en"]) == "en"
    assert language_of(["--lang", "en", "--lang", "nl"]) == "nl"  # the last one counts, as for argparse
    assert language_of(["--lang", "fr"]) == "nl"  # argparse refuses it, in Dutch
    assert language_of(["--lang"]) == "nl"
    assert language_of(["keys", "retire", "--", "--lang=en"]) == "nl"  # after -- it is a value


# -- every option has a help text, in both languages -----------------------------------------------

@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_option_and_command_has_a_help_text(lang: str) -> None:
    missing = []
    for path, parser in parsers(build_parser(lang)):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not isinstance(action.help, str) or not action.help.strip() or action.help == argparse.SUPPRESS:
                missing.append((" ".join(path), action.option_strings or action.dest))
        for name, text in subcommand_helps(parser).items():
            if not text or not text.strip():
                missing.append((" ".join(path), name))
        if path and not (parser.description or "").strip():
            missing.append((" ".join(path), "description"))
    assert not missing


def test_the_dutch_help_texts_are_the_catalogs_translations_of_the_english_ones() -> None:
    """Every help text, description and metavar goes through the catalog: the Dutch parser says
    exactly what the catalog makes of the English parser's text."""
    nl = dict(parsers(build_parser("nl")))
    en = dict(parsers(build_parser("en")))
    assert nl.keys() == en.keys()
    untranslated, wrong = [], []
    ids = catalog("nl")._catalog  # type: ignore[attr-defined]
    for path, en_parser in en.items():
        nl_parser = nl[path]
        pairs = [(en_parser.description or "", nl_parser.description or "")]
        pairs += [(a.help or "", b.help or "") for a, b in zip(en_parser._actions, nl_parser._actions, strict=True)]
        pairs += list(zip(subcommand_helps(en_parser).values(), subcommand_helps(nl_parser).values(), strict=True))
        pairs += [(a.metavar, b.metavar) for a, b in zip(en_parser._actions, nl_parser._actions, strict=True)
                  if isinstance(a.metavar, str)]
        for english, dutch in pairs:
            if not english:
                continue
            if english in LITERAL_METAVARS:  # what the user types, not a word to translate
                assert dutch == english, (path, english, dutch)
                continue
            if english not in ids:
                untranslated.append((path, english))
            elif gettext(english, "nl") != dutch:
                wrong.append((path, english, dutch))
    assert not untranslated
    assert not wrong
    # and Dutch it is: the help of a few options as the command line had it before the catalogs
    check = {a.dest: a.help for a in nl[("check",)]._actions}
    assert check["actor"] == "persoon (of functie/orgaan) die handelt"
    assert check["wait"] == "hoe lang een schrijver wacht op een bezet register (standaard 10)"
    assert check["help"] == gettext("show this help message and exit", "nl")


LITERAL_METAVARS = ("REF", "T1", "T2", "SEQ:HEAD", "done", "TOKEN_ID", "URL", "N")


# -- usage errors ------------------------------------------------------------------------------------

def test_a_usage_error_is_dutch_with_exit_2() -> None:
    r = cli("check", "--power", "x")
    assert r.code == 2, r
    assert r.err.startswith(gettext("usage: ", "nl")), r
    message = gettext("the following arguments are required: %s", "nl") % "--actor"
    said = tr("{prog}: error in the options: {message}", prog="delegaties check", message=message)
    assert said.nl in r.err and said.nl.startswith("delegaties check: fout in de opties: "), r
    assert "usage:" not in r.err and "required" not in r.err


def test_a_usage_error_is_english_with_lang_en() -> None:
    r = cli("--lang", "en", "check", "--power", "x")
    assert r.code == 2, r
    assert r.err.startswith("usage: "), r
    said = tr("{prog}: error in the options: {message}", prog="delegaties check",
              message="the following arguments are required: --actor")
    assert said.en in r.err, r
    assert gettext("usage: ", "nl") not in r.err and "fout in de opties" not in r.err


@pytest.mark.parametrize(("lang", "args"), [("nl", ()), ("en", ("--lang", "en"))])
def test_argparse_errors_of_values_are_translated(lang: str, args: tuple[str, ...]) -> None:
    r = cli(*args, "report", "--format", "pdf")
    assert r.code == 2, r
    choose = gettext("invalid choice: %(value)r (choose from %(choices)s)", lang)
    assert choose.split("%")[0] in r.err, r
    r = cli(*args, "--wait", "lang", "history")
    assert r.code == 2 and tr("expected a number of seconds, found '{value}'", value="lang")(lang) in r.err, r


def test_no_command_names_the_command_in_the_language() -> None:
    assert gettext("COMMAND", "nl") in cli().err
    assert "COMMAND" in cli("--lang", "en").err


# -- argparse's texts in the catalog, for every Python we support ------------------------------------

ARGPARSE_SOURCES = [Path("/root/.pyenv/versions/3.12.1/lib/python3.12/argparse.py"),
                    Path("/root/.pyenv/versions/3.13.0/lib/python3.13/argparse.py"), Path(argparse.__file__)]


@pytest.mark.parametrize("source", ARGPARSE_SOURCES, ids=lambda p: p.parent.name)
def test_the_catalog_keeps_argparse_texts_of_every_supported_python(source: Path) -> None:
    if not source.exists():
        pytest.skip(f"{source} is not installed here")
    assert set(argparse_messages(source)) <= set(argparse_messages())


def test_argparse_messages_are_the_running_pythons_plus_the_others() -> None:
    running = set(argparse_messages(argparse.__file__))
    assert set(argparse_messages()) == running | set(OTHER_VERSIONS)
    assert "show this help message and exit" in running


PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdr]")


def test_every_argparse_text_has_dutch_with_the_same_placeholders() -> None:
    ids = catalog("nl")._catalog  # type: ignore[attr-defined]
    for msgid in argparse_messages():
        assert ids.get(msgid), msgid
        assert sorted(PLACEHOLDER.findall(ids[msgid])) == sorted(PLACEHOLDER.findall(msgid)), msgid


# -- the CLI's own words ----------------------------------------------------------------------------

def test_amounts_as_before() -> None:
    assert amount("8500.00", "nl") == "8.500,00 EUR"
    assert amount("8500.00", "en") == "8500.00 EUR"
    assert amount("1234567.5", "nl") == "1.234.567,50 EUR"


def test_reporting_periods_through_the_catalog() -> None:
    assert every("month", "nl") == "maandelijks" and every("month", "en") == "monthly"
    assert every("fortnight", "nl") == "fortnight"  # unknown: as it is
