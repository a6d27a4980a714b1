"""The core commands: each a few lines over one library call."""

from __future__ import annotations

import argparse
import json
from typing import Any

from delegations.texts import tr

from .options import (
    EXIT_INPUT,
    EXIT_INTEGRITY,
    EXIT_OK,
    EXIT_REFUSED,
    open_registry,
    out,
    question_options,
    say,
    scope_of,
    shown,
)


def register(sub: Any, add: Any, lang: str) -> None:
    p = add("init", tr("create an empty register")(lang))
    p.add_argument("--group-readable", dest="group_readable", action="store_true",
                   help=tr("readable by the file's group too (default the owner only: 0600)")(lang))
    p.set_defaults(run=init)
    p = add("validate", tr("check register files without writing anything")(lang))
    p.add_argument("files", nargs="+", metavar=tr("FILE")(lang), help=tr("register files (YAML or JSON) to check")(lang))
    p.set_defaults(run=validate)
    p = add("import", tr("validate register files and import them atomically")(lang))
    p.add_argument("files", nargs="+", metavar=tr("FILE")(lang), help=tr("register files (YAML or JSON) to import")(lang))
    p.add_argument("--assert", dest="assertions", metavar=tr("FILE")(lang),
                   help=tr("import nothing if an assertion of this file (delegaties-assertions/1) would no longer "
                           "hold afterwards")(lang))
    p.set_defaults(run=import_)
    p = add("check", tr("may this person do this?")(lang))
    question_options(p, lang)
    p.add_argument("--record", metavar="REF", help=tr("record the use under this reference (if allowed)")(lang))
    p.add_argument("--attest", action="store_true", help=tr("add a signed attestation")(lang))
    p.set_defaults(run=check)
    p = add("check-signature", tr("may this pair sign (and co-sign) this document?")(lang))
    p.add_argument("--document-type", dest="document_type", required=True, help=tr("type of the document")(lang))
    p.add_argument("--issuer", required=True, help=tr("organ the document is issued by")(lang))
    p.add_argument("--signer", required=True, help=tr("person who signs")(lang))
    p.add_argument("--cosigner", required=True, help=tr("person who co-signs")(lang))
    p.add_argument("--on", help=tr("date YYYY-MM-DD of the signature (default today)")(lang))
    p.add_argument("--as-known-on", dest="as_known_on", help=tr("the register as known at this moment")(lang))
    p.add_argument("--matter", help=tr("matter or counterparty (e.g. KBO:0123456789)")(lang))
    p.add_argument("--entity", help=tr("legal entity (by default it follows from --issuer)")(lang))
    p.set_defaults(run=check_signature)
    p = add("who", tr("everyone who holds this power, with chains")(lang))
    question_options(p, lang, actor=False)
    p.set_defaults(run=who)
    p = add("revoke", tr("revoke a decision or grant")(lang))
    p.add_argument("--target", required=True, help=tr("id of the decision or grant to revoke")(lang))
    p.add_argument("--from", dest="from_", required=True, metavar=tr("DATE")(lang),
                   help=tr("date YYYY-MM-DD from which the revocation takes effect")(lang))
    p.add_argument("--by", required=True, metavar=tr("DECISION")(lang), help=tr("the decision that revokes")(lang))
    p.add_argument("--reason", help=tr("why (shown with the revocation)")(lang))
    p.set_defaults(run=revoke)
    p = add("show", tr("show a decision, grant, position, person or rule")(lang))
    p.add_argument("id", help=tr("id of what to show")(lang))
    p.set_defaults(run=show)
    p = add("list", tr("list of decisions")(lang))
    p.add_argument("--active-on", dest="active_on", help=tr("only decisions in force on this date (YYYY-MM-DD)")(lang))
    p.set_defaults(run=list_)
    add("history", tr("the event log")(lang)).set_defaults(run=history)
    p = add("fsck", tr("check the hash chain, the projections, the schema and published checkpoints")(lang))
    p.add_argument("--expect", action="append", default=[], metavar="SEQ:HEAD",
                   help=tr("the register must still contain this published point (repeatable)")(lang))
    p.add_argument("--checkpoint", action="append", default=[], metavar=tr("FILE")(lang),
                   help=tr("a signed checkpoint from 'delegaties checkpoint' (repeatable)")(lang))
    p.add_argument("--jwks", help=tr("JWKS to verify checkpoints with (default: the register's own)")(lang))
    p.set_defaults(run=fsck)
    add("demo", tr("load examples/ into a temporary register and show a few answers")(lang)).set_defaults(run=demo)


def init(args: argparse.Namespace) -> int:
    from registry import Registry

    reg = Registry.init(args.db, mode=0o640 if args.group_readable else 0o600, wait=args.wait)
    out(args, {"created": str(reg.path)}, say(args, tr("Empty register created: {path}", path=reg.path)))
    return EXIT_OK


def _findings_text(args: argparse.Namespace, findings: list) -> str:
    return "\n".join(f.render(args.lang) for f in findings)


def validate(args: argparse.Namespace) -> int:
    # Validation needs the register for references, but never writes: an absent register is empty.
    from pathlib import Path

    from registry import Registry
    from registry.registry import default_path

    path = Path(args.db) if args.db else default_path()
    if path.exists():
        findings = Registry.open(path, readonly=True, wait=args.wait).validate(*args.files)
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            findings = Registry.init(Path(tmp) / "leeg.db").validate(*args.files)
    errors = [f for f in findings if f.severity == "error"]
    summary = say(args, tr("{count} error(s), {value} warning(s)", count=len(errors), value=len(findings) - len(errors)))
    out(args, {"valid": not errors, "findings": [f.to_dict(args.lang) for f in findings]},
        (_findings_text(args, findings) + "\n" if findings else "") + summary)
    return EXIT_INPUT if errors else EXIT_OK


def import_(args: argparse.Namespace) -> int:
    from registry import Registry

    reg, result = Registry.import_files(args.db, *args.files, wait=args.wait, assertions=args.assertions)
    seq, head = reg.head
    text = say(args, tr("Imported: {added} new, {changed} changed, {unchanged} unchanged (register seq {seq}, {head})", added=result.added, changed=result.changed, unchanged=result.unchanged, seq=seq, head=head))
    if result.findings:
        text = _findings_text(args, result.findings) + "\n" + text
    out(args, {**result.to_dict(args.lang), "register": {"seq": seq, "head": head}}, text)
    return EXIT_OK


class _Names(dict):
    """Person names for display, looked up one at a time (the state may be lazy)."""

    def __init__(self, reg) -> None:
        super().__init__()
        self.persons = reg.state().persons

    def __contains__(self, key: object) -> bool:
        return key in self.persons

    def __missing__(self, key: str) -> str:
        return self.persons[key].name


def _names(reg) -> dict[str, str]:
    return _Names(reg)


def check(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    if args.record is None:
        reg = open_registry(args, lazy=True, readonly=not args.attest)  # one question: read only what it touches
        answer = reg.check(args.actor, args.power, args.on, as_known_on=args.as_known_on, **scope_of(args))
        data = answer.to_dict(args.lang)
        extra = ""
        if args.attest:
            data["attestation"] = token = reg.attest(answer)
            data["jti"] = reg.last_jti
            extra = "\n" + say(args, tr("Attestation:")) + "\n" + token
        # The text only when it is shown: it reads the persons' names, and amounts need Babel.
        out(args, data, None if args.json else answer_text(data, args.lang, _names(reg)) + extra)
        return EXIT_OK if answer.allowed else EXIT_REFUSED
    if args.as_known_on:
        from registry.errors import InputError

        raise InputError(tr("--record cannot be combined with --as-known-on"))
    reg = open_registry(args, lazy=True)
    q = reg.question(args.actor, args.power, args.on, **scope_of(args))
    result = reg.exercise(q, args.record, attest=args.attest)
    data = result.to_dict(args.lang)
    text = answer_text(data, args.lang, _names(reg))
    if result.replayed:
        text += "\n" + say(args, tr("Use was already recorded as {shown}.", shown=shown(result.reference)))
    elif result.recorded:
        text += "\n" + say(args, tr("Use recorded as {shown}.", shown=shown(result.reference)))
    if result.note is not None:
        text += "\n" + result.note(args.lang)
    if result.token:
        text += "\n" + say(args, tr("Attestation:")) + "\n" + result.token
    out(args, data, text)
    return EXIT_OK if result.answer.allowed else EXIT_REFUSED


def check_signature(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    reg = open_registry(args, lazy=True, readonly=True)
    result = reg.check_signature(document_type=args.document_type, issuer=args.issuer, signer=args.signer,
                                 cosigner=args.cosigner, on=args.on, matter=args.matter, entity=args.entity,
                                 as_known_on=args.as_known_on)
    data = result.to_dict(args.lang)
    lines = [say(args, tr("ALLOWED: this pair may sign the document") if result.allowed
                 else tr("REFUSED: this pair may not sign the document"))]
    for label, part in ((say(args, tr("Signer")), data["signer"]), (say(args, tr("Co-signer")), data["cosigner"])):
        lines.append(f"--- {label} ---")
        lines.append(answer_text(part, args.lang, _names(reg)))
    for r in data["reasons"]:
        lines.append(f"  - {r['code']}: {r['text']}")
    out(args, data, "\n".join(lines))
    return EXIT_OK if result.allowed else EXIT_REFUSED


def who(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    reg = open_registry(args, readonly=True)
    answers = reg.who(args.power, args.on, as_known_on=args.as_known_on, **scope_of(args))
    data = [a.to_dict(args.lang) for a in answers]
    names = _names(reg)
    text = "\n\n".join(answer_text(d, args.lang, names) for d in data) or say(args, tr("Nobody holds this power on that date."))
    out(args, {"power": args.power, "persons": [d["question"]["actor"] for d in data], "answers": data}, text)
    return EXIT_OK


def revoke(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    ev = reg.revoke(args.target, args.from_, args.by, args.reason)
    if ev is None:
        out(args, {"recorded": False}, say(args, tr("This revocation was already recorded.")))
    else:
        out(args, {"recorded": True, "seq": ev.seq, "head": ev.hash},
            say(args, tr("Revocation of {target} from {from_} recorded (seq {seq}).", target=args.target, from_=args.from_, seq=ev.seq)))
    return EXIT_OK


def show(args: argparse.Namespace) -> int:
    reg = open_registry(args, readonly=True)
    data = reg.show(args.id)
    out(args, data, json.dumps(data, ensure_ascii=False, indent=2))
    return EXIT_OK


def list_(args: argparse.Namespace) -> int:
    reg = open_registry(args, readonly=True)
    items = reg.list(args.active_on)
    lines = []
    for d in items:
        until = d["effective_until"] or "..."
        rev = say(args, tr(", revoked from {revoked_from}", revoked_from=d['revoked_from'])) if d["revoked_from"] else ""
        lines.append(f"{d['id']}  {d['effective_from']} - {until}  {d['by']}  [{d['legal_basis']}]  {shown(d['title'])}{rev}")
        for g in d["grants"]:
            grev = say(args, tr(" (revoked from {revoked_from})", revoked_from=g['revoked_from'])) if g["revoked_from"] else ""
            lines.append(f"    {g['id']} -> {g['to']}: {', '.join(g['powers'])}{grev}")
    out(args, items, "\n".join(lines) or say(args, tr("No decisions.")))
    return EXIT_OK


def history(args: argparse.Namespace) -> int:
    reg = open_registry(args, readonly=True)
    events = [{"seq": e.seq, "recorded_at": e.recorded_at, "kind": e.kind, "hash": e.hash, "summary": _summary(e)}
              for e in reg.history()]
    out(args, events, "\n".join(f"{e['seq']:>6}  {e['recorded_at']}  {e['kind']:<20} {shown(e['summary'])}" for e in events))
    return EXIT_OK


def _summary(e) -> str:
    d = e.data
    if e.kind == "entity.put":
        return f"{d['kind']} {d['key']}"
    if e.kind in ("use.recorded", "use.refused"):
        return f"{d['reference']} {d['actor']} {d['power']} {d.get('amount') or ''}".strip()
    if e.kind == "attestation.issued":
        return f"jti={d['jti']} kid={d['kid']} {d['actor']} {d['power']} allowed={d['allowed']}"
    if e.kind in ("key.added", "key.retired", "key.activated"):
        return f"kid={d['kid']}"
    if e.kind == "checkpoint.issued":
        return f"seq={d['seq']} head={d['head']} kid={d['kid']}"
    return ", ".join(f"{k}={v}" for k, v in list(d.items())[:3] if isinstance(v, str | int))


def fsck(args: argparse.Namespace) -> int:
    reg = open_registry(args, readonly=True)
    jwks = None
    if args.jwks:
        from cli.attest_cmds import read_jwks

        jwks = read_jwks(args.jwks)
    problems = reg.fsck(expect=args.expect, checkpoints_=args.checkpoint, jwks=jwks)
    seq, head = reg.head
    if problems:
        out(args, {"ok": False, "problems": [p(args.lang) for p in problems]},
            say(args, tr("INTEGRITY FAILURE: ")) + "\n".join(p(args.lang) for p in problems))
        return EXIT_INTEGRITY
    points = len(args.expect) + len(args.checkpoint)
    also = say(args, tr("; contains the {points} published point(s)", points=points)) if points else ""
    out(args, {"ok": True, "seq": seq, "head": head, "points": points},
        say(args, tr("OK: {seq} events, chain, projections and schema verify{also} (head {head}).", seq=seq, also=also, head=head)))
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)
