"""CLI commands `duties` and `report`."""

from __future__ import annotations

import argparse
import sys

from delegations.texts import tr

from .options import EXIT_OK, open_registry, out, say, shown

FORMATS = ("html", "md", "json", "csv")
STATUSES = ("due", "overdue", "done")


def register(sub, add) -> None:
    p = add("duties", "rapporteringsplichten: te doen, achterstallig en gedaan; 'duties done' legt een vervulling vast")
    p.add_argument("action", nargs="?", choices=("done",), metavar="done",
                   help="leg vast dat een plicht vervuld is (met --grant, --period, --on en --ref)")
    p.add_argument("--on", metavar="DATUM", help="peildatum (lijst) of datum van de rapportering (done); standaard vandaag")
    p.add_argument("--grant", metavar="DELEGATIE", help="alleen deze delegatie (lijst) of de delegatie die rapporteerde (done)")
    p.add_argument("--period", metavar="PERIODE", help="2025-M01, 2025-Q1, 2025-H1, 2025, notify of een uitoefeningsreferentie")
    p.add_argument("--ref", metavar="REF", help="referentie van de rapportering (bv. nota of zittingsbesluit)")
    p.add_argument("--to", metavar="ORGAAN", help="ontvanger, als de delegatie meerdere plichten voor die periode heeft")
    p.add_argument("--status", choices=STATUSES, help="alleen plichten met deze status (lijst)")
    p.set_defaults(run=duties, flag_names={"reference": "--ref"})
    p = add("report", "jaarrapport delegaties (--year) of rapportering over een periode (--grant en --period)")
    p.add_argument("--year", type=int, metavar="JJJJ")
    p.add_argument("--grant", metavar="DELEGATIE")
    p.add_argument("--period", metavar="PERIODE")
    p.add_argument("--format", choices=FORMATS, help="html, md, json of csv (standaard: volgens de extensie van --out, anders json met --json, anders md)")
    p.add_argument("--out", metavar="BESTAND", help="schrijf naar dit bestand in plaats van naar de uitvoer")
    p.add_argument("--on", metavar="DATUM", help="toestand van de rapporteringsplichten op deze datum (standaard vandaag)")
    p.add_argument("--force", action="store_true", help="overschrijf een bestaand --out-bestand")
    p.set_defaults(run=report)


def _input_error(nl: str, en: str):
    from delegations.texts import Text
    from registry.errors import InputError

    return InputError(Text(nl, en))


def duties(args: argparse.Namespace) -> int:
    from delegations.periods import long_date
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
                say(args, tr("Report {grant} {period} to {to} recorded as done on {long_date} ({shown}; seq {seq}).", grant=d['grant'], period=d['period'], to=d['to'], long_date=long_date(d['on'], 'en'), shown=shown(d['reference']), seq=ev.seq, long_date2=long_date(d['on']))))
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
            done = say(args, tr(" - done on {long_date} ({shown}{late})", long_date=long_date(x['done_on'], 'en'), shown=shown(x['reference']), late=late, long_date2=long_date(x['done_on'])))
        lines.append(f"{label(x['status'], lang):<14} {x['grant']:<20} {x['period']:<12} -> {x['to']:<14} "
                     + say(args, tr("due ")) + long_date(x["due"], lang) + f" ({label(x['every'], lang)}){done}")
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
