"""User-facing text through gettext catalogs (Dutch by default, English with `lang="en"`).

Every message is written once, in English, as a gettext message id with named `str.format`
placeholders: `tr("Grant {grant} was revoked from {since}.", grant=g, since=d)`. The Dutch text
lives in `delegations/locale/nl/LC_MESSAGES/delegaties.po` (compiled to `.mo`, both packaged);
the English catalog holds the source texts, so a wording can be changed without touching code.
`make catalogs` extracts the ids (Babel), updates both catalogs and compiles them; the tests
refuse a catalog with a missing, untranslated or unused entry.

A `Text` is translated only when read: a batch of refusals is mostly never printed. Its
parameters are rendered in the same language: a `Text` parameter is translated, an `Amount`
or a date is formatted as nl-BE (Babel) in Dutch.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

LANGS = ("nl", "en")
DOMAIN = "delegaties"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
BABEL_LOCALE = {"nl": "nl_BE", "en": "en"}


@cache
def catalog(lang: str) -> _gettext.NullTranslations:
    """The catalog of `lang` (Dutch for an unknown one), read on first use. The packaged `.mo` is
    opened directly: `gettext.translation` would look for regional variants through the `locale`
    module first, which costs a one-shot command more than reading the catalog."""
    lang = lang if lang in LANGS else "nl"
    try:
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as fp:
            return _gettext.GNUTranslations(fp)
    except FileNotFoundError:  # pragma: no cover - catalogs not compiled: as gettext would
        return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def gettext(msgid: str, lang: str = "nl") -> str:
    return catalog(lang).gettext(msgid)


def N_(msgid: str) -> str:
    """Marks a message id for extraction where it is translated later (tables of labels)."""
    return msgid


class Text:
    """A message id with its parameters, translated when read."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: Mapping[str, object] | None = None) -> None:
        self.msgid = msgid
        self.params = dict(params) if params else {}

    def __call__(self, lang: str = "nl") -> str:
        if not self.msgid:
            return ""  # gettext keeps the empty id for the catalog's header
        text = gettext(self.msgid, lang)
        if not self.params:
            return text
        return text.format(**{k: localise(v, lang) for k, v in self.params.items()})

    @property
    def nl(self) -> str:
        return self("nl")

    @property
    def en(self) -> str:
        return self("en")

    def __str__(self) -> str:
        return self("nl")

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash((self.msgid, tuple(sorted((k, str(v)) for k, v in self.params.items()))))

    def __reduce__(self) -> tuple:
        return (type(self), (self.msgid, self.params))


class Given(Text):
    """A text given in both languages by data (a rulebook's organ names), not by the catalogs."""

    __slots__ = ("pair",)

    def __init__(self, nl: str, en: str) -> None:
        super().__init__(en)
        self.pair = (nl, en)

    def __call__(self, lang: str = "nl") -> str:
        return self.pair[1] if lang == "en" else self.pair[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Given) and self.pair == other.pair

    def __hash__(self) -> int:
        return hash(self.pair)

    def __reduce__(self) -> tuple:
        return (type(self), self.pair)


EMPTY = Text("")


def tr(msgid: str, /, **params: object) -> Text:
    """The one way to write a user-facing message (the extraction keyword)."""
    return Text(msgid, params)


class Amount:
    """An amount in EUR as a message parameter: '8.500,00' in Dutch, '8500.00' in English."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def render(self, lang: str) -> str:
        if self.value is None or self.value == "-":
            return "-"
        if lang == "en":
            return str(Decimal(str(self.value)).quantize(Decimal("0.01")))
        return nl_amount(self.value)

    def __str__(self) -> str:
        return self.render("nl")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Amount) and str(self.value) == str(other.value)

    def __hash__(self) -> int:
        return hash(str(self.value))


class Day:
    """A date as a message parameter: '1 februari 2025' in Dutch, '1 February 2025' in English."""

    __slots__ = ("value",)

    def __init__(self, value: date | str) -> None:
        self.value = date.fromisoformat(value) if isinstance(value, str) else value

    def render(self, lang: str) -> str:
        return long_date(self.value, lang)

    def __str__(self) -> str:
        return self.render("nl")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Day) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def localise(value: object, lang: str) -> object:
    if isinstance(value, Text):
        return value(lang)
    if isinstance(value, Amount | Day):
        return value.render(lang)
    return value


def format_number(value: Decimal | int, pattern: str, lang: str = "nl") -> str:
    """A number in the language's convention by a Babel pattern: '#,##0.00' gives '8.500,00' (nl-BE)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format=pattern, locale=BABEL_LOCALE.get(lang, "nl_BE"), decimal_quantization=False)


_NL_SEPARATORS = str.maketrans(",.", ".,")


def nl_amount(value: object) -> str:
    """1234.5 -> '1.234,50': the nl-BE number format, Babel's `#,##0.00` written out (groups of
    three digits, a point between them, a decimal comma; a test holds it to Babel's), so that an
    answer with an amount does not load Babel and its locale data."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    if not amount.is_finite():  # pragma: no cover - never an amount of the register; as Babel writes it
        return format_number(amount, "#,##0.00", "nl")
    return format(amount, ",.2f").translate(_NL_SEPARATORS)


def long_date(day: date, lang: str = "nl") -> str:
    """date(2025, 2, 1) -> '1 februari 2025' (nl-BE) or '1 February 2025' (Babel)."""
    from babel.dates import format_date

    return format_date(day, format="d MMMM y", locale=BABEL_LOCALE.get(lang, "nl_BE"))


def month_abbreviations(lang: str = "nl") -> tuple[str, ...]:
    """('jan', 'feb', 'mrt', ...) in nl-BE, ('Jan', 'Feb', 'Mar', ...) in English (Babel)."""
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", context="stand-alone", locale=BABEL_LOCALE.get(lang, "nl_BE"))
    return tuple(names[m] for m in range(1, 13))


class CodedError(ValueError):
    """An error with a stable `code` and a message; `str()` is the Dutch text."""

    def __init__(self, code: str, text: Text) -> None:
        super().__init__(text("nl"))
        self.code = code
        self.text = text

    def message(self, lang: str = "nl") -> str:
        return self.text(lang)

    @property
    def message_nl(self) -> str:
        return self.message("nl")

    @property
    def message_en(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple:
        return (type(self), (self.code, self.text))
