"""CLI commands `duties` and `report`."""

from __future__ import annotations

import argparse
import sys

from delegations.texts import Day, Text, tr

from .options import EXIT_OK, open_registry, out, say, shown

FORMATS = ("html", "md", "json", "csv")
STATUSES = ("due", "overdue", "done")


def register(sub, add, lang: str) -> None:
    p = add("duties", tr("reporting duties: to do, overdue and done; 'duties done' records one as done")(lang))
    p.add_argument("action", nargs="?", choices=("done",), metavar="done",
                   help=tr("record that a duty is done (with --grant, --period, --on and --ref)")(lang))
    p.add_argument("--on", metavar=tr("DATE")(lang),
                   help=tr("reference date (list) or date of the report (done); default today")(lang))
    p.add_argument("--grant", metavar=tr("GRANT")(lang),
                   help=tr("only this grant (list) or the grant that reported (done)")(lang))
    p.add_argument("--period", metavar=tr("PERIOD")(lang),
                   help=tr("2025-M01, 2025-Q1, 2025-H1, 2025, notify or a reference of a use")(lang))
    p.add_argument("--ref", metavar="REF", help=tr("reference of the report (e.g. a memo or a session decision)")(lang))
    p.add_argument("--to", metavar=tr("ORGAN")(lang),
                   help=tr("recipient, if the grant has several duties for that period")(lang))
    p.add_argument("--status", choices=STATUSES, help=tr("only duties with this status (list)")(lang))
    p.set_defaults(run=duties, flag_names={"reference": "--ref"})
    p = add("report", tr("annual report of delegations (--year) or report on a period (--grant and --period)")(lang))
    p.add_argument("--year", type=int, metavar=tr("YYYY")(lang), help=tr("the year of the annual report")(lang))
    p.add_argument("--grant", metavar=tr("GRANT")(lang), help=tr("the grant of a periodic report (with --period)")(lang))
    p.add_argument("--period", metavar=tr("PERIOD")(lang),
                   help=tr("the period of a periodic report: 2025-M01, 2025-Q1, 2025-H1 or 2025 (with --grant)")(lang))
    p.add_argument("--format", choices=FORMATS,
                   help=tr("html, md, json or csv (default: by the extension of --out, else json with --json, "
                           "else md)")(lang))
    p.add_argument("--out", metavar=tr("FILE")(lang), help=tr("write to this file instead of the output")(lang))
    p.add_argument("--on", metavar=tr("DATE")(lang),
                   help=tr("state of the reporting duties on this date (default today)")(lang))
    p.add_argument("--force", action="store_true", help=tr("overwrite an existing --out file")(lang))
    p.set_defaults(run=report)


def _input_error(text: Text):
    from registry.errors import InputError

    return InputError(text)


def duties(args: argparse.Namespace) -> int:
    from registry.reports import label

    reg = open_registry(args, readonly=args.action != "done")
    lang = args.lang
    if args.action == "done":
        missing = [o for o, v in (("--grant", args.grant), ("--period", args.period), ("--on", args.on), ("--ref", args.ref))
                   if not v]
        if missing:
            raise _input_error(tr("duties done: missing option(s) {join}", join=', '.join(missing)))
        ev = reg.duty_done(args.grant, args.period, args.on, args.ref, to=args.to)
        if ev is None:
            out(args, {"recorded": False}, say(args, tr("This report was already recorded.")))
        else:
            d = ev.data
            out(args, {"recorded": True, "seq": ev.seq, "head": ev.hash, **d},
                say(args, tr("Report {grant} {period} to {to} recorded as done on {day} ({shown}; seq {seq}).",
                             grant=d["grant"], period=d["period"], to=d["to"], day=Day(d["on"]),
                             shown=shown(d["reference"]), seq=ev.seq)))
        return EXIT_OK
    if args.period or args.ref or args.to:
        raise _input_error(tr("--period, --ref and --to belong to 'duties done'"))
    items = reg.duties(on=args.on, grant=args.grant)
    if args.status:
        items = [x for x in items if x["status"] == args.status]
    lines = []
    for x in items:
        done = ""
        if x["done_on"]:
            late = say(args, tr(", late")) if x["late"] else ""
            done = say(args, tr(" - done on {day} ({shown}{late})", day=Day(x["done_on"]), shown=shown(x["reference"]),
                                late=late))
        lines.append(f"{label(x['status'], lang):<14} {x['grant']:<20} {x['period']:<12} -> {x['to']:<14} "
                     + say(args, tr("due {day}", day=Day(x["due"]))) + f" ({label(x['every'], lang)}){done}")
    out(args, {"on": args.on, "duties": items},
        "\n".join(lines) or say(args, tr("No reporting duties.")))
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    fmt = args.format or _format_of(args.out) or ("json" if args.json else "md")
    if args.year is not None and (args.grant or args.period):
        raise _input_error(tr("choose --year (annual report) or --grant with --period (periodic report), not both"))
    if args.year is None and not (args.grant and args.period):
        raise _input_error(tr("report: give --year YYYY, or --grant and --period"))
    reg = open_registry(args, readonly=True)
    if args.year is not None:
        data = reg.annual_report(args.year, args.lang, as_of=args.on)
    else:
        data = reg.period_report(args.grant, args.period, on=args.on, lang=args.lang)
    if args.out:
        path = reg.write_report(data, fmt, args.lang, args.out, force=args.force)
        out(args, {"written": str(path), "format": fmt},
            say(args, tr("Report ({fmt}) written to {path}", fmt=fmt, path=path)))
    else:
        sys.stdout.write(reg.render_report(data, fmt, args.lang))
    return EXIT_OK


def _format_of(path: str | None) -> str | None:
    if not path:
        return None
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"htm": "html", "html": "html", "md": "md", "json": "json", "csv": "csv"}.get(suffix)
