"""CLI commands `serve` (the HTTP service, contract section 8) and `tokens` (its bearer tokens).

Only argparse lives here; the framework is imported when `serve` runs, so the CLI starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from delegations.texts import Text, tr

from .options import EXIT_OK, out, say


def register(sub: Any, add: Any, lang: str) -> None:
    p = add("serve", tr("start the HTTP decision service (AuthZEN and its own endpoints)")(lang))
    p.add_argument("--host", default="127.0.0.1", help=tr("address to listen on (default 127.0.0.1)")(lang))
    p.add_argument("--port", type=int, default=8080, help=tr("port (default 8080)")(lang))
    p.add_argument("--oidc-issuer", dest="oidc_issuer",
                   help=tr("accept OIDC access tokens of this issuer (iss) too")(lang))
    p.add_argument("--oidc-audience", dest="oidc_audience", help=tr("the aud those tokens must have")(lang))
    p.add_argument("--oidc-jwks-url", dest="oidc_jwks_url",
                   help=tr("JWKS of the issuer (default: from its openid-configuration)")(lang))
    p.add_argument("--oidc-role-claim", dest="oidc_role_claim", default="delegaties_role",
                   help=tr("claim holding the role (reader, recorder or admin; a list too; dots for nested "
                           "claims)")(lang))
    p.add_argument("--oidc-administration-claim", dest="oidc_administration_claim", default="delegaties_administration",
                   help=tr("claim holding the id of the administration")(lang))
    p.add_argument("--forwarded-allow-ips", dest="forwarded_allow_ips", default="127.0.0.1",
                   help=tr("proxies whose X-Forwarded-Proto/For is trusted (default 127.0.0.1)")(lang))
    p.add_argument("--read-db", dest="read_db", metavar="URL",
                   help=tr("PostgreSQL: a streaming replica of --db to answer reads from (an answer that must include "
                           "seq N, ?min_seq=N, comes from the primary while the replica is behind)")(lang))
    p.add_argument("--max-administrations", dest="max_administrations", type=int, default=64, metavar="N",
                   help=tr("with many administrations: how many keep their loaded register between requests "
                           "(default 64; each takes memory, one evicted is loaded again on its next request)")(lang))
    p.add_argument("--log-level", dest="log_level", default="info", choices=("critical", "error", "warning", "info", "debug"),
                   help=tr("how much the server logs (default info)")(lang))
    p.set_defaults(run=serve)
    p = add("tokens", tr("access tokens of the HTTP service: create, list, revoke")(lang))
    ts = p.add_subparsers(dest="tokens_action", metavar=tr("ACTION")(lang), parser_class=type(p))
    ts.required = True
    q = add("new", tr("create a token (shown once, on the last line)")(lang), into=ts)
    q.add_argument("--role", required=True, choices=("reader", "recorder", "admin"), help=tr("role of the token")(lang))
    q.add_argument("--label", help=tr("what it is for, e.g. accounting package")(lang))
    q.add_argument("--expires-in-days", dest="expires_in_days", type=int, help=tr("validity in days")(lang))
    add("list", tr("show the tokens (without secret)")(lang), into=ts)
    q = add("revoke", tr("revoke a token")(lang), into=ts)
    q.add_argument("id", metavar="TOKEN_ID", help=tr("id of the token (see 'tokens list')")(lang))
    p.set_defaults(run=tokens)


def _input_error(text: Text):
    from registry.errors import InputError

    return InputError(text)


def _register_path(args: argparse.Namespace) -> tuple[Path | str, str | None]:
    """The register `tokens` works on and the administration its tokens are bound to (with
    --data-dir, `cli.options.resolve_register` has already turned it into --db; a PostgreSQL
    URL names its administration)."""
    from registry.locations import is_url
    from registry.pg import parse_url
    from registry.registry import default_path

    db = args.db or default_path()
    if is_url(str(db)):
        return str(db), parse_url(str(db)).administration
    return Path(db), args.administration


def tokens(args: argparse.Namespace) -> int:
    from registry import Registry
    from registry.tokens import TokenStore

    path, admin = _register_path(args)
    reg = Registry.open(path)
    if admin is None:  # --db: the register's own administration, or its file name before any import
        known = reg.administration()
        admin = known.id if known else Path(path).stem
    store = TokenStore(reg.store.conn, admin)
    action = args.tokens_action
    if action == "new":
        issued = store.issue(args.role, args.label, args.expires_in_days)
        if args.json:
            out(args, {**issued.record.to_dict(), "token": issued.token})
        else:
            r = issued.record
            print(say(args, tr("Token {id} for {administration}, role {role}; it is shown only once (only a hash is kept):", id=r.id, administration=r.administration, role=r.role)))
            print(issued.token)
    elif action == "list":
        items = [r.to_dict() for r in store.list()]
        out(args, items, "\n".join(f"{r['id']}  {r['role']:<8} {r['status']:<8} {r['created_at']}  {r['label'] or ''}"
                                   for r in items) or say(args, tr("No tokens.")))
    else:
        r = store.revoke(args.id)
        out(args, r.to_dict(), say(args, tr("Token {id} revoked ({revoked_at}).", id=r.id, revoked_at=r.revoked_at)))
    return EXIT_OK


def serve(args: argparse.Namespace) -> int:
    config = service_config(args)
    import uvicorn

    from .service.app import create_app

    app = create_app(config)
    where = config.data_dir or config.pg or config.db
    sys.stderr.write(say(args, tr("delegaties service for {where} on http://{host}:{port}\n", where=where, host=args.host, port=args.port)))
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=True,
                forwarded_allow_ips=args.forwarded_allow_ips, server_header=False)
    return EXIT_OK


def service_config(args: Any):
    from registry import Registry
    from registry.registry import default_path

    from .service.config import OidcConfig, ServiceConfig

    if not 0 < args.port < 65536:
        raise _input_error(tr("--port: expected 1 to 65535"))
    keep = getattr(args, "max_administrations", 64)
    if not 1 <= keep <= 100_000:
        raise _input_error(tr("--max-administrations: expected 1 to 100000"))
    oidc = None
    if args.oidc_issuer or args.oidc_audience or args.oidc_jwks_url:
        if not (args.oidc_issuer and args.oidc_audience):
            raise _input_error(tr("OIDC needs --oidc-issuer and --oidc-audience"))
        oidc = OidcConfig(args.oidc_issuer, args.oidc_audience, args.oidc_jwks_url, args.oidc_role_claim,
                          args.oidc_administration_claim)
    if args.data_dir:
        if args.db:
            raise _input_error(tr("choose --db or --data-dir, not both"))
        data_dir = Path(args.data_dir)
        if not data_dir.is_dir() or not os.access(data_dir, os.R_OK | os.X_OK):
            raise _input_error(tr("--data-dir {data_dir}: not a readable directory", data_dir=data_dir))
        return ServiceConfig(data_dir=data_dir, oidc=oidc, max_administrations=keep)
    from registry.locations import is_url
    from registry.pg import parse_url

    db = args.db or default_path()
    read_db = getattr(args, "read_db", None)
    if read_db is not None and not (is_url(read_db) and is_url(str(db))):
        raise _input_error(tr("--read-db: a postgresql:// URL of a replica, with a postgresql:// --db"))
    if is_url(str(db)):
        target = parse_url(str(db))
        if read_db is not None and parse_url(read_db).administration not in (None, target.administration):
            raise _input_error(tr("--read-db: names another administration than --db"))
        if read_db is not None and target.administration is not None:
            from registry.pg import with_administration

            read_db = with_administration(read_db, target.administration)  # the replica of the same register
        if target.administration is None:  # every administration of the database this login may serve
            from registry import pg

            with pg.connect(target, wait=5.0, readonly=True) as conn:
                found = pg.schema_version(conn)
            if found != pg.SCHEMA_VERSION:
                raise _input_error(tr("{path}: the database has schema version {found}, this program needs {known}: the schema's owner runs 'delegaties upgrade --db URL --app-role ROLE'", path=target, found=found, known=pg.SCHEMA_VERSION))
            return ServiceConfig(pg=str(db), read_db=read_db, oidc=oidc, max_administrations=keep)
        Registry.open(str(db)).close()
        return ServiceConfig(db=str(db), read_db=read_db, oidc=oidc)
    db = Path(db)
    Registry.open(db).close()  # fail now, with the CLI's message, rather than on the first request
    return ServiceConfig(db=db, oidc=oidc)
