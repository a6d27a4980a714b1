"""CLI commands `attest`, `verify` and `keys`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .commands import EXIT_INPUT, EXIT_OK, EXIT_REFUSED, command, open_registry, out, say, scope_of

_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


def register(sub, add) -> None:
    from .main import _question_options

    p = add("attest", "druk een ondertekend attest af (JWS compact) van het antwoord op een vraag")
    _question_options(p)
    p.add_argument("--expires-in-days", dest="expires_in_days", type=int, help="geldigheid van het attest in dagen")
    p = add("verify", "controleer een attest offline")
    p.add_argument("token", metavar="TOKEN_OF_BESTAND", help="het token, een bestand met het token, of - voor stdin")
    p.add_argument("--jwks", help="JWKS-bestand met de publieke sleutels (standaard: die van het register)")
    p.add_argument("--against-register", dest="against_register", action="store_true",
                   help="controleer ook of de geciteerde registerkop en besluiten hier bestaan")
    p = add("keys", "ondertekeningssleutels beheren")
    ks = p.add_subparsers(dest="keys_action", metavar="ACTIE", parser_class=type(p))
    ks.required = True
    for name, text in (("new", "maak een nieuwe actieve sleutel"), ("list", "toon de sleutels"),
                       ("export-jwks", "druk de publieke sleutels af als JWKS"), ("retire", "zet een sleutel buiten gebruik")):
        q = ks.add_parser(name, help=text, description=text)
        if name == "retire":
            q.add_argument("kid")
        if name == "export-jwks":
            q.add_argument("--out", help="schrijf naar dit bestand")


@command("attest")
def attest(args: argparse.Namespace) -> int:
    import time

    if args.expires_in_days is not None and not 1 <= args.expires_in_days <= 36500:
        from delegations.texts import Text
        from registry.errors import InputError

        raise InputError(Text("--expires-in-days: verwacht een geheel getal van 1 tot 36500",
                              "--expires-in-days: expected a whole number from 1 to 36500"))
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
    from delegations.texts import Text
    from registry.errors import InputError

    if value == "-":
        return sys.stdin.read().strip()
    # A JWS compact token is three base64url segments: such a value is never a file name we read.
    if _TOKEN.fullmatch(value.strip()):
        return value.strip()
    try:
        return Path(value).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Text(f"{value[:80]}: geen token en geen leesbaar bestand ({exc.__class__.__name__})",
                              f"{value[:80]}: not a token and not a readable file ({exc.__class__.__name__})")) from None


def _read_jwks(args: argparse.Namespace) -> dict:
    from delegations.texts import Text
    from registry.errors import InputError

    if args.jwks is None:
        return open_registry(args).jwks()
    try:
        return json.loads(Path(args.jwks).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(Text(f"--jwks {args.jwks}: verwacht een leesbaar JWKS-bestand (JSON met 'keys') ({exc})",
                              f"--jwks {args.jwks}: expected a readable JWKS file (JSON with 'keys') ({exc})")) from None


@command("verify")
def verify(args: argparse.Namespace) -> int:
    from delegations.attestation import AttestationError, verify_attestation

    token = _read_token(args.token)
    jwks = _read_jwks(args)
    try:
        claims = verify_attestation(token, jwks)
    except AttestationError as exc:
        code = EXIT_INPUT if exc.code == "INVALID_JWKS" else EXIT_REFUSED
        msg = exc.message(args.lang)
        out(args, {"valid": False, "code": exc.code, "error": msg},
            say(args, f"ONGELDIG ({exc.code}): {msg}", f"INVALID ({exc.code}): {msg}"))
        return code
    data = {"valid": True, "claims": claims}
    answer = claims["answer"]
    lines = [say(args, "GELDIG attest", "VALID attestation") + f" {claims['jti']} ({claims['iss']})",
             say(args, "Antwoord: ", "Answer: ") + (say(args, "toegestaan", "allowed") if answer.get("allowed")
                                                    else say(args, "geweigerd", "refused"))
             + f" - {claims['sub']} / {claims['question'].get('power')} / {claims['question'].get('on')}",
             f"Register: seq {claims['register']['seq']}, {claims['register']['head']}"]
    if args.against_register:
        local = open_registry(args).verify_against_register(claims)
        data["register_check"] = local
        lines.append(say(args, "Registerkop hier gevonden: ", "Register head found here: ")
                     + (say(args, "ja", "yes") if local["head_found"] else say(args, "nee", "no")))
        lines.append(say(args, "Geciteerde besluiten gevonden: ", "Cited decisions found: ")
                     + (say(args, "ja", "yes") if local["decisions_found"] else ", ".join(local["missing_decisions"])))
        same = {True: say(args, "ja", "yes"), False: say(args, "nee", "no"), None: say(args, "onbekend", "unknown")}
        lines.append(say(args, "Zelfde antwoord vandaag: ", "Same answer today: ") + same[local["same_answer_today"]])
        if not (local["head_found"] and local["decisions_found"]):
            out(args, data, "\n".join(lines))
            return EXIT_REFUSED
    out(args, data, "\n".join(lines))
    return EXIT_OK


@command("keys")
def keys(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    action = args.keys_action
    if action == "new":
        kid = reg.keys_new()
        out(args, {"kid": kid}, say(args, f"Nieuwe actieve sleutel: {kid} (privésleutel in {reg.key_store.directory})",
                                    f"New active key: {kid} (private key in {reg.key_store.directory})"))
    elif action == "list":
        items = reg.keys_list()
        status = {"active": say(args, "actief", "active"), "standby": say(args, "reserve", "standby"),
                  "retired": say(args, "buiten gebruik", "retired")}
        out(args, items, "\n".join(f"{k['kid']}  {status[k['status']]}" for k in items)
            or say(args, "Geen sleutels.", "No keys."))
    elif action == "export-jwks":
        text = json.dumps(reg.jwks(), indent=2)
        if args.out:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
            print(say(args, f"JWKS geschreven naar {args.out}", f"JWKS written to {args.out}"), file=sys.stderr)
        else:
            print(text)
    else:
        reg.keys_retire(args.kid)
        out(args, {"retired": args.kid}, say(args, f"Sleutel {args.kid} buiten gebruik gezet.", f"Key {args.kid} retired."))
    return EXIT_OK
