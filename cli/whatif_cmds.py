"""CLI commands `diff` (what-if) and `test` (assertion files), and the `--assert` of `import`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from delegations.texts import N_, Day, Text, gettext, tr

from .options import EXIT_OK, EXIT_REFUSED, open_registry, out

FORMATS = ("text", "json", "html")
# The labels of the clerk's view that depend on data: a kind of change, an aspect, a severity.
KINDS = {"gained": N_("Authority gained"), "lost": N_("Authority lost"), "changed": N_("Authority changed")}
ASPECTS = {"limits": N_("limits"), "conditions": N_("conditions"), "chains": N_("chains"),
           "signature_mention": N_("signature mention"), "reporting": N_("reporting")}
SEVERITIES = {"error": N_("error"), "warning": N_("warning")}


def _label(table: dict[str, str], key: str, lang: str) -> str:
    return gettext(table[key], lang) if key in table else key


def register(sub, add, lang: str) -> None:
    p = add("diff", tr("what importing these files would change (without writing), or what changed between two "
                       "moments of the register: per person and power")(lang))
    p.add_argument("files", nargs="*", metavar=tr("FILE")(lang),
                   help=tr("register files (draft decisions) to compare")(lang))
    p.add_argument("--as-known-on", dest="as_known_on", metavar="T1",
                   help=tr("compare the register as known at this moment (instead of files)")(lang))
    p.add_argument("--to", metavar="T2", help=tr("with the register as known at this moment (default now)")(lang))
    p.add_argument("--format", choices=FORMATS,
                   help=tr("text, json or html (default: by --out, else text, json with --json)")(lang))
    p.add_argument("--out", metavar=tr("FILE")(lang),
                   help=tr("write to this file (html or json) instead of the output")(lang))
    p.add_argument("--force", action="store_true", help=tr("overwrite an existing --out file")(lang))
    p.set_defaults(run=diff)
    p = add("test", tr("run an assertion file (format: delegaties-assertions/1): exit 0 if all hold, 1 otherwise")(lang))
    p.add_argument("file", metavar=tr("FILE")(lang), help=tr("the assertion file")(lang))
    p.add_argument("--as-known-on", dest="as_known_on", help=tr("the register as known at this moment")(lang))
    p.set_defaults(run=test)


def _input_error(text: Text):
    from registry.errors import InputError

    return InputError(text)


def _test_summary(bad: int, total: int) -> Text:
    if bad:
        return tr("{bad} of {total} assertion(s) do not hold.", bad=bad, total=total)
    return tr("All {total} assertion(s) hold.", total=total)


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
        out(args, {"written": str(path), "format": fmt}, tr("Comparison ({fmt}) written to {path}", fmt=fmt, path=path)(args.lang))
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
    lines.append(_test_summary(len(bad), len(outcomes))(args.lang))
    out(args, {"holds": not bad, "total": len(outcomes), "broken": [o.to_dict(args.lang) for o in bad],
               "assertions": [o.to_dict(args.lang) for o in outcomes]}, "\n".join(lines))
    return EXIT_REFUSED if bad else EXIT_OK


def demo_assertions(reg, path, lang: str) -> str:
    """One line for `delegaties demo`: the example's assertion file run on the fresh register."""
    from registry import assertions

    outcomes = assertions.run(reg, assertions.read(path))
    bad = assertions.broken(outcomes)
    head = f"{path.name}: " + _test_summary(len(bad), len(outcomes))(lang)
    return "\n".join([head, *(o.render(lang) for o in bad)])


def _format_of(path: str | None) -> str | None:
    if not path:
        return None
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"htm": "html", "html": "html", "json": "json"}.get(suffix, "html")


# -- the clerk's text -----------------------------------------------------------------------

def period_text(start: str | None, end: str | None, lang: str) -> str:
    if start and end:
        return tr("from {start} until {end}", start=Day(start), end=Day(end))(lang)
    if start:
        return tr("from {start}", start=Day(start))(lang)
    return tr("until {end}", end=Day(end))(lang) if end else tr("always")(lang)


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

    return "; ".join(limits_lines(limits, lang)) or tr("no limits")(lang)


def _aspect(name: str, value: Any, lang: str) -> str:
    if name == "limits":
        return _limits(value, lang)
    if name == "conditions":
        return ", ".join(c["code"] + (f" ({c['grant']})" if c.get("grant") else "") for c in value) or "-"
    if name == "chains":
        if not value:
            return "-"
        more = len(value) - 1
        return chain_text(value[0], lang) + (tr(" (+{more} other chain(s))", more=more)(lang) if more else "")
    if name == "reporting":
        return ", ".join(f"{r['to']} {r['every']}" for r in value) or "-"
    return value or "-"


def _who(c: dict[str, Any], lang: str) -> str:
    entity = f" ({c['entity']})" if c["entity"] != "gemeente" else ""
    return f"{c['person']} {c['name']}: {c['power']}{entity} {period_text(c['from'], c['until'], lang)}"


def diff_text(d: dict[str, Any], lang: str) -> str:
    if d["files"]:
        lines = [tr("What importing {files} would change", files=", ".join(d["files"]))(lang)]
    else:
        later = d["after"]["as_known_on"] or tr("now")
        lines = [tr("What changed between the register as known at {before} and at {after}",
                    before=d["before"]["as_known_on"], after=later)(lang)]
    reg = d["before"]["register"]
    lines[0] += f" (register seq {reg['seq']})"
    before, after = tr("before")(lang), tr("after")(lang)
    for kind in ("gained", "lost", "changed"):
        lines.append("")
        lines.append(f"{_label(KINDS, kind, lang)} ({len(d[kind])})")
        for c in d[kind]:
            lines.append(f"  {_who(c, lang)}")
            if kind != "changed":
                p = c["after"] if kind == "gained" else c["before"]
                lines.append(f"      {_label(ASPECTS, 'limits', lang)}: {_limits(p['limits'], lang)}")
                via = tr("via")(lang)  # outside the f-string: Babel reads calls inside one only on 3.12+
                lines.append(f"      {via}: {_aspect('chains', p['chains'], lang)}")
                if p["conditions"]:
                    lines.append(f"      {_label(ASPECTS, 'conditions', lang)}: {_aspect('conditions', p['conditions'], lang)}")
                continue
            for a in c["aspects"]:
                name = _label(ASPECTS, a, lang)
                lines.append(f"      {name}: {before} {_aspect(a, c['before'][a], lang)}")
                lines.append(f"      {' ' * len(name)}  {after} {_aspect(a, c['after'][a], lang)}")
    if not any(d[k] for k in ("gained", "lost", "changed")):
        lines += ["", tr("No person gains, loses or changes any authority.")(lang)]
    g = d["grants"]
    lines += ["", tr("Grants: {new} new, {changed} changed, {revoked} revoked",
                     **{k: len(v) for k, v in g.items()})(lang)]
    for x in g["new"]:
        lines.append("  " + tr("new: {grant} to {to} ({powers})", grant=x["grant"], to=x["to"],
                               powers=", ".join(x["powers"]))(lang))
    for x in g["changed"]:
        lines.append("  " + tr("changed: {grant} to {to}: {fields}", grant=x["grant"], to=x["to"],
                               fields=", ".join(x["fields"]))(lang))
    for x in g["revoked"]:
        r, prev = x["revocation"], x["previous"]
        reason = f": {r['reason']}" if r.get("reason") else ""
        line = tr("revoked: {grant} to {to} from {since} (decision {by}{reason})", grant=x["grant"], to=x["to"],
                  since=Day(r["effective_from"]), by=r["by"], reason=reason)(lang)
        if prev:
            line += tr("; previously from {since}", since=Day(prev["effective_from"]))(lang)
        lines.append("  " + line)
    findings = tr("Findings")(lang)
    lines += ["", f"{findings} ({len(d['findings'])})"]
    for f in d["findings"]:
        where = f"{f['file']}: {f['path']}" if f["path"] else f["file"]
        lines.append(f"  {where}: {_label(SEVERITIES, f['severity'], lang)} {f['code']}: {f['text']}")
    return "\n".join(lines)
