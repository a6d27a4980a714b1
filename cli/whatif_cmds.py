"""CLI commands `diff` (what-if) and `test` (assertion files), and the `--assert` of `import`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .options import EXIT_OK, EXIT_REFUSED, open_registry, out

FORMATS = ("text", "json", "html")
# Bilingual texts of the clerk's view, in one place (to move into catalogs later).
T = {
    "title_files": ("Wat het inlezen van {files} zou wijzigen", "What importing {files} would change"),
    "title_moments": ("Wat er wijzigde tussen het register zoals gekend op {t1} en {t2}",
                      "What changed between the register as known at {t1} and at {t2}"),
    "now": ("nu", "now"),
    "gained": ("Bevoegdheid verkregen", "Authority gained"),
    "lost": ("Bevoegdheid verloren", "Authority lost"),
    "changed": ("Bevoegdheid gewijzigd", "Authority changed"),
    "none": ("geen", "none"),
    "always": ("altijd", "always"),
    "from": ("vanaf {a}", "from {a}"),
    "until": ("tot en met {b}", "until {b}"),
    "between": ("van {a} tot en met {b}", "from {a} until {b}"),
    "limits": ("grenzen", "limits"),
    "no_limits": ("geen grenzen", "no limits"),
    "via": ("via", "via"),
    "more_chains": (" (+{n} andere keten(s))", " (+{n} other chain(s))"),
    "before": ("voor", "before"),
    "after": ("na", "after"),
    "conditions": ("voorwaarden", "conditions"),
    "chains": ("ketens", "chains"),
    "signature_mention": ("vermelding bij handtekening", "signature mention"),
    "reporting": ("rapportering", "reporting"),
    "grants": ("Delegaties: {new} nieuw, {changed} gewijzigd, {revoked} ingetrokken",
               "Grants: {new} new, {changed} changed, {revoked} revoked"),
    "grant_new": ("nieuw: {grant} aan {to} ({powers})", "new: {grant} to {to} ({powers})"),
    "grant_changed": ("gewijzigd: {grant} aan {to}: {fields}", "changed: {grant} to {to}: {fields}"),
    "grant_revoked": ("ingetrokken: {grant} aan {to} vanaf {since} (besluit {by}{reason})",
                      "revoked: {grant} to {to} from {since} (decision {by}{reason})"),
    "previously": ("; voorheen vanaf {since}", "; previously from {since}"),
    "findings": ("Vaststellingen", "Findings"),
    "error": ("fout", "error"),
    "warning": ("waarschuwing", "warning"),
    "nothing": ("Geen enkele persoon krijgt, verliest of wijzigt een bevoegdheid.",
                "No person gains, loses or changes any authority."),
    "written": ("Vergelijking ({fmt}) geschreven naar {path}", "Comparison ({fmt}) written to {path}"),
    "test_ok": ("Alle {n} bewering(en) gelden.", "All {n} assertion(s) hold."),
    "test_broken": ("{k} van {n} bewering(en) gelden niet.", "{k} of {n} assertion(s) do not hold."),
}


def tr(key: str, lang: str, **values: Any) -> str:
    pair = T[key]
    return (pair[1] if lang == "en" else pair[0]).format(**values)


def register(sub, add) -> None:
    p = add("diff", "wat zou het inlezen van deze bestanden wijzigen (zonder te schrijven), of wat wijzigde "
                    "tussen twee momenten van het register: per persoon en bevoegdheid")
    p.add_argument("files", nargs="*", metavar="BESTAND", help="registerbestanden (ontwerpbesluiten) om te vergelijken")
    p.add_argument("--as-known-on", dest="as_known_on", metavar="T1",
                   help="vergelijk het register zoals gekend op dit tijdstip (in plaats van bestanden)")
    p.add_argument("--to", metavar="T2", help="met het register zoals gekend op dit tijdstip (standaard nu)")
    p.add_argument("--format", choices=FORMATS, help="text, json of html (standaard: volgens --out, anders text, json met --json)")
    p.add_argument("--out", metavar="BESTAND", help="schrijf naar dit bestand (html of json) in plaats van naar de uitvoer")
    p.add_argument("--force", action="store_true", help="overschrijf een bestaand --out-bestand")
    p.set_defaults(run=diff)
    p = add("test", "voer een beweringenbestand uit (format: delegaties-assertions/1): exit 0 als alles geldt, 1 anders")
    p.add_argument("file", metavar="BESTAND", help="het beweringenbestand")
    p.add_argument("--as-known-on", dest="as_known_on", help="het register zoals gekend op dit tijdstip")
    p.set_defaults(run=test)


def _input_error(nl: str, en: str):
    from delegations.texts import Text
    from registry.errors import InputError

    return InputError(Text(nl, en))


def diff(args: argparse.Namespace) -> int:
    from registry import whatif

    fmt = args.format or _format_of(args.out) or ("json" if args.json else "text")
    if args.files and args.as_known_on:
        raise _input_error(tr("diff: give files or --as-known-on, not both"))
    if not args.files and not args.as_known_on:
        raise _input_error(tr("diff: give files, or --as-known-on T1 [--to T2]"))
    if args.to and not args.as_known_on:
        raise _input_error(tr("diff: --to belongs with --as-known-on"))
    if fmt == "text" and args.out:
        raise _input_error(tr("--out: choose --format html or json"))
    reg = open_registry(args, readonly=True)
    result = whatif.diff_files(reg, *args.files) if args.files else whatif.diff_moments(reg, args.as_known_on, args.to)
    data = result.to_dict(args.lang)
    if args.out:
        path = reg.write_report(data, fmt, args.lang, args.out, force=args.force)
        out(args, {"written": str(path), "format": fmt}, tr("written", args.lang, fmt=fmt, path=path))
    elif fmt == "text":
        out(args, data, diff_text(data, args.lang))
    else:
        sys.stdout.write(reg.render_report(data, fmt, args.lang))
    return EXIT_OK


def test(args: argparse.Namespace) -> int:
    from registry import assertions

    af = assertions.read(args.file)
    reg = open_registry(args, readonly=True)
    outcomes = assertions.run(reg, af, as_known_on=args.as_known_on)
    bad = assertions.broken(outcomes)
    lines = [o.render(args.lang) for o in outcomes]
    lines.append(tr("test_broken", args.lang, k=len(bad), n=len(outcomes)) if bad
                 else tr("test_ok", args.lang, n=len(outcomes)))
    out(args, {"holds": not bad, "total": len(outcomes), "broken": [o.to_dict(args.lang) for o in bad],
               "assertions": [o.to_dict(args.lang) for o in outcomes]}, "\n".join(lines))
    return EXIT_REFUSED if bad else EXIT_OK


def demo_assertions(reg, path, lang: str) -> str:
    """One line for `delegaties demo`: the example's assertion file run on the fresh register."""
    from registry import assertions

    outcomes = assertions.run(reg, assertions.read(path))
    bad = assertions.broken(outcomes)
    head = f"{path.name}: " + (tr("test_broken", lang, k=len(bad), n=len(outcomes)) if bad
                               else tr("test_ok", lang, n=len(outcomes)))
    return "\n".join([head, *(o.render(lang) for o in bad)])


def _format_of(path: str | None) -> str | None:
    if not path:
        return None
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"htm": "html", "html": "html", "json": "json"}.get(suffix, "html")


# -- the clerk's text -----------------------------------------------------------------------

def period_text(start: str | None, end: str | None, lang: str) -> str:
    from delegations.periods import long_date

    a, b = long_date(start, lang), long_date(end, lang)
    if start and end:
        return tr("between", lang, a=a, b=b)
    if start:
        return tr("from", lang, a=a)
    return tr("until", lang, b=b) if end else tr("always", lang)


def chain_text(chain: list[str], lang: str) -> str:
    parts = []
    for step in chain:
        kind, _, rest = step.partition(":")
        if kind == "law":
            rule, _, holder = rest.partition(":")
            parts.append(f"{rule} ({holder})")
        elif kind == "substitution":
            pos, _, target = rest.partition(":")
            parts.append(f"{pos} " + (tr("stands in for ")(lang)) + target)
        elif kind == "acting":
            parts.append(rest + (tr(" (acting)")(lang)))
        else:
            parts.append(rest)
    return " -> ".join(parts)


def _limits(limits: dict[str, Any], lang: str) -> str:
    from .render import limits_lines

    return "; ".join(limits_lines(limits, lang)) or tr("no_limits", lang)


def _aspect(name: str, value: Any, lang: str) -> str:
    if name == "limits":
        return _limits(value, lang)
    if name == "conditions":
        return ", ".join(c["code"] + (f" ({c['grant']})" if c.get("grant") else "") for c in value) or "-"
    if name == "chains":
        if not value:
            return "-"
        more = len(value) - 1
        return chain_text(value[0], lang) + (tr("more_chains", lang, n=more) if more else "")
    if name == "reporting":
        return ", ".join(f"{r['to']} {r['every']}" for r in value) or "-"
    return value or "-"


def _who(c: dict[str, Any], lang: str) -> str:
    entity = f" ({c['entity']})" if c["entity"] != "gemeente" else ""
    return f"{c['person']} {c['name']}: {c['power']}{entity} {period_text(c['from'], c['until'], lang)}"


def diff_text(d: dict[str, Any], lang: str) -> str:
    if d["files"]:
        lines = [tr("title_files", lang, files=", ".join(d["files"]))]
    else:
        lines = [tr("title_moments", lang, t1=d["before"]["as_known_on"], t2=d["after"]["as_known_on"] or tr("now", lang))]
    reg = d["before"]["register"]
    lines[0] += f" (register seq {reg['seq']})"
    for kind in ("gained", "lost", "changed"):
        lines.append("")
        lines.append(f"{tr(kind, lang)} ({len(d[kind])})")
        for c in d[kind]:
            lines.append(f"  {_who(c, lang)}")
            if kind != "changed":
                p = c["after"] if kind == "gained" else c["before"]
                lines.append(f"      {tr('limits', lang)}: {_limits(p['limits'], lang)}")
                lines.append(f"      {tr('via', lang)}: {_aspect('chains', p['chains'], lang)}")
                if p["conditions"]:
                    lines.append(f"      {tr('conditions', lang)}: {_aspect('conditions', p['conditions'], lang)}")
                continue
            for a in c["aspects"]:
                lines.append(f"      {tr(a, lang)}: {tr('before', lang)} {_aspect(a, c['before'][a], lang)}")
                lines.append(f"      {' ' * len(tr(a, lang))}  {tr('after', lang)} {_aspect(a, c['after'][a], lang)}")
    if not any(d[k] for k in ("gained", "lost", "changed")):
        lines += ["", tr("nothing", lang)]
    g = d["grants"]
    lines += ["", tr("grants", lang, **{k: len(v) for k, v in g.items()})]
    for x in g["new"]:
        lines.append("  " + tr("grant_new", lang, grant=x["grant"], to=x["to"], powers=", ".join(x["powers"])))
    for x in g["changed"]:
        lines.append("  " + tr("grant_changed", lang, grant=x["grant"], to=x["to"], fields=", ".join(x["fields"])))
    for x in g["revoked"]:
        from delegations.periods import long_date

        r, prev = x["revocation"], x["previous"]
        reason = f": {r['reason']}" if r.get("reason") else ""
        line = tr("grant_revoked", lang, grant=x["grant"], to=x["to"], since=long_date(r["effective_from"], lang),
                  by=r["by"], reason=reason)
        if prev:
            line += tr("previously", lang, since=long_date(prev["effective_from"], lang))
        lines.append("  " + line)
    lines += ["", f"{tr('findings', lang)} ({len(d['findings'])})"]
    for f in d["findings"]:
        where = f"{f['file']}: {f['path']}" if f["path"] else f["file"]
        lines.append(f"  {where}: {tr(f['severity'], lang)} {f['code']}: {f['text']}")
    return "\n".join(lines)
