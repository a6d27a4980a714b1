"""CLI commands `attest`, `verify`, `keys` and `checkpoint`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from delegations.texts import N_, gettext, tr

from .options import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REFUSED,
    json_text,
    open_registry,
    out,
    question_options,
    read_bounded,
    say,
    scope_of,
    shown,
    stdin_bytes,
)

_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
MAX_TOKEN = 1024 * 1024 + 2  # the library's limit, plus a line break
MAX_JWKS = 1024 * 1024


KEY_ACTIONS = (("new", N_("create a new active key")), ("list", N_("show the keys")),
               ("export-jwks", N_("print the public keys as JWKS")), ("retire", N_("take a key out of use")),
               ("activate", N_("make a standby key the active key")))


def register(sub: Any, add: Any, lang: str) -> None:
    p = add("attest", tr("print a signed attestation (JWS compact) of the answer to a question")(lang))
    question_options(p, lang)
    p.add_argument("--expires-in-days", dest="expires_in_days", type=int, help=tr("validity of the attestation in days")(lang))
    p.set_defaults(run=attest)
    p = add("verify", tr("verify an attestation offline")(lang))
    p.add_argument("token", metavar=tr("TOKEN_OR_FILE")(lang),
                   help=tr("the token, a file holding the token, or - for stdin")(lang))
    p.add_argument("--jwks", help=tr("JWKS file with the public keys (default: the register's own)")(lang))
    p.add_argument("--against-register", dest="against_register", action="store_true",
                   help=tr("check also that this register issued the attestation, and the answer of then")(lang))
    p.set_defaults(run=verify)
    p = add("keys", tr("manage signing keys")(lang))
    ks = p.add_subparsers(dest="keys_action", metavar=tr("ACTION")(lang), parser_class=type(p))
    ks.required = True
    for name, text in KEY_ACTIONS:
        q = add(name, gettext(text, lang), into=ks)
        if name in ("retire", "activate"):
            q.add_argument("kid", help=tr("the key's id (kid), see 'keys list'")(lang))
        if name == "export-jwks":
            q.add_argument("--out", help=tr("write to this file")(lang))
            q.add_argument("--force", action="store_true", help=tr("overwrite an existing file")(lang))
        q.set_defaults(run=keys)
    p = add("checkpoint", tr("print a signed checkpoint (administration, seq, head, time) to publish")(lang))
    p.add_argument("--out", help=tr("write to this file")(lang))
    p.add_argument("--force", action="store_true", help=tr("overwrite an existing file")(lang))
    p.set_defaults(run=checkpoint)


def attest(args: argparse.Namespace) -> int:
    import time

    if args.expires_in_days is not None and not 1 <= args.expires_in_days <= 36500:
        from registry.errors import InputError

        raise InputError(tr("--expires-in-days: expected a whole number from 1 to 36500"))
    reg = open_registry(args, lazy=True)
    answer = reg.check(args.actor, args.power, args.on, as_known_on=args.as_known_on, **scope_of(args))
    exp = int(time.time()) + args.expires_in_days * 86400 if args.expires_in_days else None
    token = reg.attest(answer, exp=exp)
    data = {"token": token, "jti": reg.last_jti, "allowed": answer.allowed}
    if args.json:
        out(args, data)
    else:
        print(token)
    return EXIT_OK if answer.allowed else EXIT_REFUSED


def _read_token(value: str) -> str:
    from registry.errors import InputError

    if value == "-":
        raw = read_bounded(stdin_bytes(), MAX_TOKEN, "stdin")
        return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).strip()
    # A JWS compact token is three base64url segments: such a value is never a file name we read.
    if _TOKEN.fullmatch(value.strip()):
        return value.strip()
    try:
        with _regular(value) as fh:
            return read_bounded(fh, MAX_TOKEN, value[:80]).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(tr("{shown}: not a token and not a readable file ({value})", shown=shown(value[:80]), value=exc.__class__.__name__)) from None


def _regular(path: str):
    """A file opened for reading only if it is a regular file (a FIFO would block)."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise IsADirectoryError(f"{path}: not a regular file")
    return os.fdopen(fd, "rb")


def read_jwks(path: str) -> dict:
    from registry.errors import InputError

    try:
        with _regular(path) as fh:
            return json.loads(read_bounded(fh, MAX_JWKS, f"--jwks {path}").decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(tr("{shown}: expected a readable JWKS file (JSON with 'keys') ({value})", shown=shown(path), value=exc.__class__.__name__),
                         parameter="jwks") from None


def verify(args: argparse.Namespace) -> int:
    token = _read_token(args.token)
    reg = open_registry(args, readonly=True) if args.jwks is None or args.against_register else None
    jwks = read_jwks(args.jwks) if args.jwks is not None else None
    if reg is None:  # --jwks alone: offline, no register needed
        from registry.attest import verify as verify_offline

        result = verify_offline(None, token, jwks)
    else:
        result = reg.verify(token, jwks, against_register=args.against_register)
    data = result.to_dict(args.lang)
    if result.claims is None:
        msg = data["error"]
        out(args, data, say(args, tr("INVALID ({code}): {msg}", code=result.code, msg=msg)))
        return EXIT_INPUT if result.code == "INVALID_JWKS" else EXIT_REFUSED
    claims = result.claims
    answer = claims["answer"]
    lines = [say(args, tr("VALID attestation")) + f" {shown(claims['jti'])} ({shown(claims['iss'])})",
             say(args, tr("Answer: ")) + (say(args, tr("allowed")) if answer.get("allowed")
                                                    else say(args, tr("refused")))
             + f" - {shown(claims['sub'])} / {shown(claims['question'].get('power'))} / {shown(claims['question'].get('on'))}",
             f"Register: seq {claims['register']['seq']}, {shown(claims['register']['head'])}"]
    local = data.get("register_check")
    if local is None:
        out(args, data, "\n".join(lines))
        return EXIT_OK
    yes_no = {True: say(args, tr("yes")), False: say(args, tr("no")), None: say(args, tr("unknown"))}
    lines[0] = (say(args, tr("Signature valid")) + f" {shown(claims['jti'])} ({shown(claims['iss'])})"
                if not local["valid"] else lines[0])
    lines.append(say(args, tr("Issued by this register: ")) + yes_no[local["issued_here"]])
    lines.append(say(args, tr("Register head found here: ")) + yes_no[local["head_found"]])
    lines.append(say(args, tr("Cited decisions found: "))
                 + (yes_no[True] if local["decisions_found"] else ", ".join(local["missing_decisions"])))
    lines.append(say(args, tr("Answer confirmed (register as it was then): "))
                 + yes_no[local["answer_confirmed"]])
    lines.append(say(args, tr("Same answer today: ")) + yes_no[local["same_answer_today"]])
    if not local["valid"]:
        lines.insert(0, say(args, tr("INVALID for this register: ")) + "; ".join(local["problems"]))
    out(args, data, "\n".join(lines))
    return EXIT_OK if result.valid else EXIT_REFUSED


def keys(args: argparse.Namespace) -> int:
    action = args.keys_action
    reg = open_registry(args, readonly=action in ("list", "export-jwks"))
    if action == "new":
        kid = reg.keys_new()
        out(args, {"kid": kid}, say(args, tr("New active key: {kid} (private key in {directory})", kid=kid, directory=reg.key_store.directory)))
    elif action == "list":
        items = reg.keys_list()
        status = {"active": say(args, tr("active")), "standby": say(args, tr("standby")),
                  "retired": say(args, tr("retired"))}
        out(args, items, "\n".join(f"{k['kid']}  {status[k['status']]}" for k in items)
            or say(args, tr("No keys.")))
    elif action == "export-jwks":
        text = json.dumps(reg.jwks(), indent=2)
        if args.out:
            path = reg.write_output(args.out, text + "\n", force=args.force)
            print(say(args, tr("JWKS written to {path}", path=path)), file=sys.stderr)
        else:
            print(text)
    elif action == "activate":
        reg.keys_activate(args.kid)
        out(args, {"active": args.kid}, say(args, tr("Key {kid} is now the active key.", kid=args.kid)))
    else:
        reg.keys_retire(args.kid)
        out(args, {"retired": args.kid, "active": reg.keys.active_kid()},
            say(args, tr("Key {kid} retired.", kid=args.kid))
            + ("" if reg.keys.active_kid() else say(args, tr(" There is no active key now: create one with 'delegaties keys new' (or 'keys activate KID')."))))
    return EXIT_OK


def checkpoint(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    doc = reg.checkpoint()
    text = json_text(doc)
    if args.out:
        path = reg.write_output(args.out, text + "\n", force=args.force)
        print(say(args, tr("Checkpoint (seq {seq}) written to {path}", seq=doc['seq'], path=path)), file=sys.stderr)
    else:
        print(text)
    return EXIT_OK

