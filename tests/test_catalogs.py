"""The gettext catalogs: every message in the code is in both, translated, with the same
placeholders, and nothing else is; the compiled catalogs are those of the sources; and the texts
the program prints come from them."""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delegations import texts
from delegations.texts import Amount, Day, Text, gettext, tr
from tools import catalogs

FOUND = catalogs.extracted()


def fields(template: str) -> set[str]:
    """The named str.format fields of a template (argparse's %-style texts have none)."""
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name is not None}


def percent_fields(template: str) -> list[str]:
    return sorted(re.findall(r"%(?:\([a-z_]+\))?[sdr]", template))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_catalog_has_exactly_the_messages_of_the_code(lang: str) -> None:
    assert FOUND, "no message found in the code: the extraction is broken"
    assert catalogs.problems(lang, FOUND) == []


def test_every_dutch_text_keeps_the_placeholders_of_its_message() -> None:
    cat = catalogs.read("nl")
    wrong = []
    for m in cat:
        if not m.id or not isinstance(m.id, str):
            continue
        if catalogs.ARGPARSE in m.auto_comments:
            if percent_fields(m.id) != percent_fields(m.string):
                wrong.append(m.id)
        elif fields(m.id) != fields(m.string):
            wrong.append(m.id)
    assert wrong == []


def test_english_is_the_message_itself_and_dutch_differs_somewhere() -> None:
    en, nl = catalogs.read("en"), catalogs.read("nl")
    assert all(m.string == m.id for m in en if m.id and isinstance(m.id, str))
    # A catalog that copied the English would pass the other tests: most Dutch texts differ.
    ids = [m.id for m in nl if m.id and isinstance(m.id, str)]
    assert sum(nl.get(i).string != i for i in ids) > 0.8 * len(ids)


def test_texts_are_read_from_the_compiled_catalogs() -> None:
    # Pick messages from the catalog itself: the program translates through the .mo files.
    nl = catalogs.read("nl")
    for m in list(nl)[1:40]:
        if isinstance(m.id, str) and m.id:
            assert gettext(m.id, "nl") == m.string
            assert gettext(m.id, "en") == m.id


def test_argparse_texts_have_dutch() -> None:
    from cli.argparse_nl import argparse_messages

    nl = catalogs.read("nl")
    ids = [msgid if isinstance(msgid, str) else msgid[0] for msgid in argparse_messages()]
    assert len(ids) > 20 and "show this help message and exit" in ids
    assert all(nl.get(k) is not None and nl.get(k).string for k in ids)
    # Some are the same in Dutch ("argument %(argument_name)s: %(message)s"); most are not.
    assert sum(nl.get(k).string != k for k in ids) > 0.8 * len(ids)
    assert gettext("show this help message and exit", "nl") != "show this help message and exit"


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("999999999999.99"), places=2))
def test_amounts_in_dutch_are_nl_be(value: Decimal) -> None:
    shown = texts.nl_amount(value)
    whole, cents = shown.split(",")
    assert len(cents) == 2 and re.fullmatch(r"\d{1,3}(\.\d{3})*", whole)
    assert Decimal(whole.replace(".", "") + "." + cents) == value
    assert Amount(value).render("en") == str(value.quantize(Decimal("0.01")))


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2999, 12, 31)))
def test_dates_in_both_languages(day: date) -> None:
    nl, en = Day(day).render("nl"), Day(day).render("en")
    assert nl.startswith(f"{day.day} ") and nl.endswith(f" {day.year}")
    assert nl.split()[1] == nl.split()[1].lower()  # Dutch month names have no capital
    assert en.split()[1][0].isupper()
    assert texts.long_date(day, "nl") == nl


def test_a_text_translates_its_parameters_in_the_same_language() -> None:
    inner = tr("Grant {grant} was revoked from {since} by {by}.", grant="G/1", since=Day(date(2025, 11, 1)), by="X")
    assert inner("nl") != inner("en") and "1 november 2025" in inner("nl") and "1 November 2025" in inner("en")
    outer = Text("{value}", {"value": inner})
    assert outer("nl") == inner("nl") and outer("en") == inner("en")
    assert texts.EMPTY("nl") == texts.EMPTY("en") == ""


def test_no_message_is_written_inside_an_f_string() -> None:
    """Babel finds tr("...") inside an f-string only on Python 3.12+ (PEP 701 tokens): such a
    message would be in the catalog on one Python and missing on another."""
    import ast

    inside = []
    for path in sorted((catalogs.REPO).glob("*/**/*.py")):
        if path.parts[len(catalogs.REPO.parts)] not in ("delegations", "registry", "cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) in ("tr", "N_", "_"):
                        inside.append(f"{path.relative_to(catalogs.REPO)}:{call.lineno}")
    assert inside == []
