"""Keep the gettext catalogs in step with the code (`make catalogs`).

    python -m tools.catalogs          # extract, update nl and en, compile
    python -m tools.catalogs --check  # exit 1 if a catalog is missing, untranslated or unused entries

Message ids are the English texts. The Dutch catalog translates them; the English catalog holds
them as they are (so a wording can be changed without code). Argparse's own messages are
translated too: their ids are taken from the argparse module of the running Python and kept
beside ours (see `cli/argparse_nl.py`).
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "delegations" / "locale"
DOMAIN = "delegaties"
KEYWORDS = {"tr": None, "N_": None, "_": None, "gettext": None}
METHODS = [("delegations/**.py", "python"), ("registry/**.py", "python"), ("cli/**.py", "python"),
           ("registry/templates/**.j2", "jinja2"), ("cli/service/templates/**.j2", "jinja2")]
SKIP = ("delegations/texts.py",)  # the definitions of tr and N_, not messages
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extracted() -> dict[str, list[str]]:
    """msgid -> where it is used, for every message in the code and templates."""
    out: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            REPO, METHODS, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True):
        if filename in SKIP or not isinstance(message, str) or not message:
            continue
        out.setdefault(message, []).append(f"{filename}:{lineno}")
    from cli.argparse_nl import argparse_messages

    for message in argparse_messages():
        out.setdefault(message, []).append(ARGPARSE)
    return out


ARGPARSE = "argparse"  # the auto-comment of argparse's texts: kept for every Python version we support


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        cat = Catalog(locale=lang, domain=DOMAIN)
    else:
        with path.open("rb") as f:
            cat = read_po(f, locale=lang, domain=DOMAIN)
    # One fixed date in the headers: a catalog compiled now equals the one compiled yesterday.
    cat.creation_date = cat.revision_date = FIXED_DATE
    return cat


def problems(lang: str, found: dict[str, list[str]] | None = None) -> list[str]:
    """What is wrong with a catalog: missing, untranslated, unused or stale compiled entries."""
    found = extracted() if found is None else found
    cat = read(lang)
    have = {m.id: m for m in cat if m.id}
    out = [f"{lang}: missing {k!r} ({found[k][0]})" for k in sorted(set(found) - set(have))]
    out += [f"{lang}: unused {k!r}" for k in sorted(set(have) - set(found), key=str)
            if ARGPARSE not in have[k].auto_comments]
    out += [f"{lang}: untranslated {k!r}" for k, m in sorted(have.items(), key=lambda x: str(x[0]))
            if k in found and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    out += [f"{lang}: fuzzy {k!r}" for k, m in sorted(have.items(), key=lambda x: str(x[0])) if m.fuzzy]
    mo = po_path(lang).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(cat):
        out.append(f"{lang}: {mo.relative_to(REPO)} is not compiled from {po_path(lang).relative_to(REPO)}")
    return out


def compiled(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat)
    return buf.getvalue()


def update() -> None:
    found = extracted()
    for lang in ("nl", "en"):
        old = read(lang)
        cat = Catalog(locale=lang, domain=DOMAIN, project="delegaties", charset="utf-8")
        keep = [m.id for m in old if m.id and ARGPARSE in m.auto_comments and m.id not in found]
        for msgid in sorted([*found, *keep], key=str):
            prev = old.get(msgid if isinstance(msgid, str) else msgid[0])
            if lang == "en" and (prev is None or not prev.string):
                string = msgid
            else:
                string = prev.string if prev else ("", "") if isinstance(msgid, tuple) else ""
            comments = [ARGPARSE] if ARGPARSE in found.get(msgid, ()) or msgid in keep else []
            cat.add(msgid, string, locations=(), auto_comments=comments)
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        _write(lang, cat)
        missing = [m.id for m in read(lang) if m.id and not m.string]
        print(f"{po_path(lang).relative_to(REPO)}: {len(found)} messages, {len(missing)} untranslated")


def merge(files: list[str]) -> None:
    """Fill the Dutch catalog from JSON files {English msgid: Dutch text} (after `update`)."""
    import json

    given: dict[str, str] = {}
    for name in files:
        given.update(json.loads(Path(name).read_text(encoding="utf-8")))
    cat = read("nl")
    n = 0
    for m in cat:
        if isinstance(m.id, str) and m.id in given:
            m.string, n = given[m.id], n + 1
    _write("nl", cat)
    print(f"{n} Dutch texts merged")


def _write(lang: str, cat: Catalog) -> None:
    path = po_path(lang)
    buf = io.BytesIO()
    write_po(buf, cat, width=0, omit_header=False, sort_output=True, no_location=True)
    # No creation date in the header: the catalogs are the same whenever they are rebuilt.
    text = b"\n".join(line for line in buf.getvalue().split(b"\n") if not line.startswith(b'"POT-Creation-Date'))
    path.write_bytes(text)
    path.with_suffix(".mo").write_bytes(compiled(read(lang)))


def main(argv: list[str]) -> int:
    if "--merge" in argv:
        merge(argv[argv.index("--merge") + 1:])
        return 0
    if "--check" in argv:
        found = extracted()
        bad = problems("nl", found) + problems("en", found)
        print("\n".join(bad) or "catalogs complete")
        return 1 if bad else 0
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
