"""Rules for the text a register holds: what an identifier may be, and how text is shown.

Every string is NFC-normalised, so that "é" typed one way and "é" typed another are one id.
Identifiers (ids, references to them, use references) and names must be printable: control
characters, line breaks, format characters (bidi overrides, zero-width characters, soft hyphens)
and unassigned or private-use code points are refused. Free text (titles, reasons) may hold line
breaks and tabs but nothing else that does not print. An id whose confusable skeleton (Unicode
TS #39, from the Unicode confusables data of `confusable_homoglyphs`) equals another's, such as a
Cyrillic "р-001" beside "p-001", is reported so a clerk can look twice.

`printable()` is what every front end applies before it shows a value: nothing a register or a
token holds can move the cursor, reorder a line or forge one.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from .texts import Text, tr

__all__ = ["normalize", "text_problem", "identifier_problem", "skeleton", "printable", "confusable_pairs"]

_NEVER = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_FREE_TEXT_ALLOWED = frozenset("\n\t")


def normalize(value: str) -> str:
    return value if value.isascii() else unicodedata.normalize("NFC", value)


def _describe(ch: str) -> Text:
    name = unicodedata.name(ch, "")
    code = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    cat = unicodedata.category(ch)
    if ch in "\n\r\x0b\x0c\x85\u2028\u2029":
        return tr("a line break ({code})", code=code)
    if cat == "Cf":
        return tr("an invisible format character ({code})", code=code)
    if cat == "Cc":
        return tr("a control character ({code})", code=code)
    return tr("a non-printing character ({code})", code=code)


def _bad(value: str, allowed: frozenset[str]) -> str | None:
    if value.isascii() and value.isprintable():
        return None
    for ch in value:
        if ch not in allowed and unicodedata.category(ch) in _NEVER:
            return ch
    return None


def text_problem(value: str) -> Text | None:
    """Why free text may not be stored, or None."""
    ch = _bad(value, _FREE_TEXT_ALLOWED)
    if ch is None:
        return None
    return tr("text without control or format characters, found {found}", found=_describe(ch))


def identifier_problem(value: str) -> Text | None:
    """Why `value` cannot be an identifier or a name, or None."""
    if value.isascii() and value.isprintable():  # the common case: the only printable ASCII space is " "
        return None if value == value.strip() else tr("an identifier without leading or trailing spaces")
    ch = _bad(value, frozenset())
    if ch is None:
        ch = next((c for c in value if c.isspace() and c != " "), None)
        if ch is None and value != value.strip():
            return tr("an identifier without leading or trailing spaces")
    if ch is None:
        return None
    return tr("an identifier or name of printable characters, found {found}", found=_describe(ch))


@functools.cache
def _prototypes() -> dict[str, str]:
    from confusable_homoglyphs.confusables import confusables_data

    out: dict[str, str] = {}
    for ch, homoglyphs in confusables_data.items():
        if len(ch) != 1:
            continue
        same = [ch] + [h["c"] for h in homoglyphs if len(h["c"]) == 1]
        out[ch] = min(same)
    return out


def skeleton(value: str) -> str:
    """The confusable skeleton: look-alike characters mapped to one representative, case kept."""
    table = _prototypes()
    text = unicodedata.normalize("NFD", value)
    mapped = "".join(table.get(ch, ch) for ch in text)
    return unicodedata.normalize("NFD", mapped)


def confusable_pairs(new: Iterable[str], existing: Iterable[str]) -> list[tuple[str, str]]:
    """(new id, the other id) for each new id whose skeleton equals another, different id's."""
    seen: dict[str, str] = {}
    for ident in existing:
        seen.setdefault(skeleton(ident), ident)
    pairs = []
    for ident in new:
        sk = skeleton(ident)
        other = seen.get(sk)
        if other is not None and other != ident:
            pairs.append((ident, other))
        else:
            seen.setdefault(sk, ident)
    return pairs


def printable(value: object) -> str:
    """`value` as text safe to print: line breaks as \\n, other non-printing characters as \\uXXXX."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) in _NEVER:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)
