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
