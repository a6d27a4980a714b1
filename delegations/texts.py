"""User-facing text in Dutch (default) and English, kept next to each other."""

from __future__ import annotations

from attrs import frozen

LANGS = ("nl", "en")


@frozen
class Text:
    nl: str
    en: str

    def __call__(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl

    def __str__(self) -> str:
        return self.nl


def t(nl: str, en: str) -> Text:
    return Text(nl, en)


def nl_amount(value: object) -> str:
    """1234.5 -> '1.234,50' (nl-BE number format)."""
    from decimal import Decimal

    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


class CodedError(ValueError):
    """An error with a stable `code` and a message in both languages; `str()` is the Dutch text."""

    def __init__(self, code: str, message_nl: str, message_en: str) -> None:
        super().__init__(message_nl)
        self.code = code
        self.message_nl = message_nl
        self.message_en = message_en

    def message(self, lang: str = "nl") -> str:
        return self.message_en if lang == "en" else self.message_nl

    def __reduce__(self) -> tuple:
        return (type(self), (self.code, self.message_nl, self.message_en))
