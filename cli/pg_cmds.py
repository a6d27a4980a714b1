"""CLI commands `migrate` (copy a register between engines) and, for PostgreSQL, `upgrade` (the
versioned schema, as its owner) and `access` (which login may work on which administration)."""

from __future__ import annotations

import argparse

from delegations.texts import tr

from .options import EXIT_OK, out, say


def register(sub, add, lang: str) -> None:
    p = add("migrate", tr("copy a register with its whole history to another file or PostgreSQL database "
                          "(the target must be empty); the copy has the same seq and head")(lang))
    p.add_argument("--from", dest="source", required=True, metavar=tr("FILE_OR_URL")(lang),
                   help=tr("the register to copy (a file or a postgresql:// URL)")(lang))
    p.add_argument("--to", dest="target", required=True, metavar=tr("FILE_OR_URL")(lang),
                   help=tr("the empty register to copy into (a new file or a postgresql:// URL)")(lang))
    p.set_defaults(run=migrate)
    p = add("upgrade", tr("PostgreSQL: create or upgrade the schema, as the owner of the tables (--db URL of the "
                          "owner); --app-role gives a login the rights an application needs")(lang))
    p.add_argument("--app-role", dest="app_roles", action="append", default=[], metavar=tr("ROLE")(lang),
                   help=tr("a login role of the application (repeatable); never the owner")(lang))
    p.set_defaults(run=upgrade)
    p = add("access", tr("PostgreSQL: give a login role access to one administration's rows (--db URL of the "
                         "owner, --role, --administration); --revoke takes it away")(lang))
    p.add_argument("--role", required=True, metavar=tr("ROLE")(lang), help=tr("the login role")(lang))
    p.add_argument("--revoke", action="store_true", help=tr("take the access away")(lang))
    p.set_defaults(run=access)


def _pg_target(args: argparse.Namespace):
    from registry.errors import InputError
    from registry.pg import is_url, parse_url

    if not is_url(args.db or ""):
        raise InputError(tr("--db: expected a postgresql:// URL of the schema's owner"), parameter="db")
    return parse_url(args.db)


def migrate(args: argparse.Namespace) -> int:
    from registry.migrate import migrate as run

    done = run(args.source, args.target, wait=args.wait)
    out(args, done.to_dict(), say(args, tr("Copied {events} event(s): the copy has seq {seq}, head {head} and verifies.",
                                           events=done.events, seq=done.seq, head=done.head)))
    return EXIT_OK


def upgrade(args: argparse.Namespace) -> int:
    from registry.pg import upgrade as run

    before, after = run(_pg_target(args), args.app_roles)
    text = tr("Schema version {after} (was {before}).", after=after, before=before)
    out(args, {"before": before, "after": after, "app_roles": args.app_roles}, say(args, text))
    return EXIT_OK


def access(args: argparse.Namespace) -> int:
    from registry.errors import InputError
    from registry.pg import access as run

    if not args.administration:
        raise InputError(tr("access needs --administration ID"), parameter="administration")
    changed = run(_pg_target(args), args.role, args.administration, revoke=args.revoke)
    if args.revoke:
        text = tr("{role} has no access to {administration} any more.", role=args.role, administration=args.administration)
    else:
        text = tr("{role} has access to {administration}.", role=args.role, administration=args.administration)
    out(args, {"role": args.role, "administration": args.administration, "access": not args.revoke,
               "changed": changed}, say(args, text))
    return EXIT_OK
