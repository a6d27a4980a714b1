"""One small function per command, each a few lines over a library call."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_INPUT, EXIT_INTEGRITY = 0, 1, 2, 3
HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {}
EXTRA_PARSERS: list[Callable[[Any, Callable[[str, str], argparse.ArgumentParser]], None]] = []


def command(name: str):
    def register(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        HANDLERS[name] = fn
        return fn

    return register


def register_extra(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    from . import extra  # noqa: F401 - registers the attestation, key, duty and report commands

    for fn in EXTRA_PARSERS:
        fn(sub, add)


def run(args: argparse.Namespace) -> int:
    return HANDLERS[args.command](args)


def out(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif text is not None:
        print(text)


def say(args: argparse.Namespace, nl: str, en: str) -> str:
    return en if args.lang == "en" else nl


def open_registry(args: argparse.Namespace, create: bool = False, lazy: bool = False):
    from registry import Registry

    return Registry.open(args.db, create=create, lazy=lazy)


def scope_of(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in ("amount", "budget_key", "unit", "document_type", "issuer", "matter", "entity",
                                          "concerns")}


@command("init")
def init(args: argparse.Namespace) -> int:
    from registry import Registry

    reg = Registry.init(args.db)
    out(args, {"created": str(reg.path)}, say(args, f"Leeg register aangemaakt: {reg.path}", f"Empty register created: {reg.path}"))
    return EXIT_OK


def _findings_text(args: argparse.Namespace, findings: list) -> str:
    return "\n".join(f.render(args.lang) for f in findings)


@command("validate")
def validate(args: argparse.Namespace) -> int:
    # Validation needs the register for references, but never writes: an absent register is empty.
    from pathlib import Path

    from registry import Registry
    from registry.registry import default_path

    path = Path(args.db) if args.db else default_path()
    if path.exists():
        findings = Registry.open(path).validate(*args.files)
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            findings = Registry.init(Path(tmp) / "leeg.db").validate(*args.files)
    errors = [f for f in findings if f.severity == "error"]
    summary = say(args, f"{len(errors)} fout(en), {len(findings) - len(errors)} waarschuwing(en)",
                  f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    out(args, {"valid": not errors, "findings": [f.to_dict(args.lang) for f in findings]},
        (_findings_text(args, findings) + "\n" if findings else "") + summary)
    return EXIT_INPUT if errors else EXIT_OK


@command("import")
def import_(args: argparse.Namespace) -> int:
    from registry import Registry

    reg, result = Registry.import_files(args.db, *args.files)
    seq, head = reg.head
    text = say(args, f"Ingelezen: {result.added} nieuw, {result.changed} gewijzigd, {result.unchanged} ongewijzigd "
               f"(register seq {seq}, {head})", f"Imported: {result.added} new, {result.changed} changed, "
               f"{result.unchanged} unchanged (register seq {seq}, {head})")
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


@command("check")
def check(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    reg = open_registry(args, lazy=True)  # one question: read only what it touches
    if args.record is not None and args.as_known_on:
        from delegations.texts import Text
        from registry.errors import InputError

        raise InputError(Text("--record kan niet samen met --as-known-on", "--record cannot be combined with --as-known-on"))
    answer = reg.check(args.actor, args.power, args.on, as_known_on=args.as_known_on, **scope_of(args))
    data_extra: dict[str, Any] = {}
    # Record first (the check is repeated inside the write transaction), then attest what was
    # recorded: the token can never say "allowed" for a use that a concurrent writer made exceed a ceiling.
    jti = reg.new_jti() if args.attest else None
    if args.record is not None:
        answer = reg.record_use(answer, args.record, jti=jti)
        data_extra["recorded"] = args.record if answer.allowed else None
    if args.attest:
        data_extra["attestation"] = reg.attest(answer, jti=jti)
    data = answer.to_dict(args.lang) | data_extra
    text = answer_text(data, args.lang, _names(reg))
    if data_extra.get("recorded"):
        text += "\n" + say(args, f"Uitoefening vastgelegd onder referentie {args.record}.", f"Use recorded as {args.record}.")
    if "attestation" in data_extra:
        text += "\n" + say(args, "Attest:", "Attestation:") + "\n" + data_extra["attestation"]
    out(args, data, text)
    return EXIT_OK if answer.allowed else EXIT_REFUSED


@command("check-signature")
def check_signature(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    reg = open_registry(args, lazy=True)
    result = reg.check_signature(document_type=args.document_type, issuer=args.issuer, signer=args.signer,
                                 cosigner=args.cosigner, on=args.on, matter=args.matter, entity=args.entity,
                                 as_known_on=args.as_known_on)
    data = result.to_dict(args.lang)
    lines = [say(args, "TOEGESTAAN: dit paar mag het document ondertekenen" if result.allowed else
                 "GEWEIGERD: dit paar mag het document niet ondertekenen",
                 "ALLOWED: this pair may sign the document" if result.allowed else "REFUSED: this pair may not sign the document")]
    for label, part in ((say(args, "Ondertekenaar", "Signer"), data["signer"]), (say(args, "Medeondertekenaar", "Co-signer"), data["cosigner"])):
        lines.append(f"--- {label} ---")
        lines.append(answer_text(part, args.lang, _names(reg)))
    for r in data["reasons"]:
        lines.append(f"  - {r['code']}: {r['text']}")
    out(args, data, "\n".join(lines))
    return EXIT_OK if result.allowed else EXIT_REFUSED


@command("who")
def who(args: argparse.Namespace) -> int:
    from cli.render import answer_text

    reg = open_registry(args)
    answers = reg.who(args.power, args.on, as_known_on=args.as_known_on, **scope_of(args))
    data = [a.to_dict(args.lang) for a in answers]
    names = _names(reg)
    text = "\n\n".join(answer_text(d, args.lang, names) for d in data) or say(
        args, "Niemand heeft deze bevoegdheid op die datum.", "Nobody holds this power on that date.")
    out(args, {"power": args.power, "persons": [d["question"]["actor"] for d in data], "answers": data}, text)
    return EXIT_OK


@command("revoke")
def revoke(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    ev = reg.revoke(args.target, args.from_, args.by, args.reason)
    if ev is None:
        out(args, {"recorded": False}, say(args, "Deze intrekking stond al in het register.", "This revocation was already recorded."))
    else:
        out(args, {"recorded": True, "seq": ev.seq, "head": ev.hash},
            say(args, f"Intrekking van {args.target} vanaf {args.from_} vastgelegd (seq {ev.seq}).",
                f"Revocation of {args.target} from {args.from_} recorded (seq {ev.seq})."))
    return EXIT_OK


@command("show")
def show(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    data = reg.show(args.id)
    out(args, data, json.dumps(data, ensure_ascii=False, indent=2))
    return EXIT_OK


@command("list")
def list_(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    items = reg.list(args.active_on)
    lines = []
    for d in items:
        until = d["effective_until"] or "..."
        rev = say(args, f", ingetrokken vanaf {d['revoked_from']}", f", revoked from {d['revoked_from']}") if d["revoked_from"] else ""
        lines.append(f"{d['id']}  {d['effective_from']} - {until}  {d['by']}  [{d['legal_basis']}]  {d['title']}{rev}")
        for g in d["grants"]:
            grev = say(args, f" (ingetrokken vanaf {g['revoked_from']})", f" (revoked from {g['revoked_from']})") if g["revoked_from"] else ""
            lines.append(f"    {g['id']} -> {g['to']}: {', '.join(g['powers'])}{grev}")
    out(args, items, "\n".join(lines) or say(args, "Geen besluiten.", "No decisions."))
    return EXIT_OK


@command("history")
def history(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    events = [{"seq": e.seq, "recorded_at": e.recorded_at, "kind": e.kind, "hash": e.hash, "summary": _summary(e)}
              for e in reg.history()]
    out(args, events, "\n".join(f"{e['seq']:>6}  {e['recorded_at']}  {e['kind']:<20} {e['summary']}" for e in events))
    return EXIT_OK


def _summary(e) -> str:
    d = e.data
    if e.kind == "entity.put":
        return f"{d['kind']} {d['key']}"
    if e.kind in ("use.recorded", "use.refused"):
        return f"{d['reference']} {d['actor']} {d['power']} {d.get('amount') or ''}".strip()
    if e.kind == "attestation.issued":
        return f"jti={d['jti']} kid={d['kid']} {d['actor']} {d['power']} allowed={d['allowed']}"
    if e.kind in ("key.added", "key.retired"):
        return f"kid={d['kid']}"
    return ", ".join(f"{k}={v}" for k, v in list(d.items())[:3] if isinstance(v, str | int))


@command("fsck")
def fsck(args: argparse.Namespace) -> int:
    reg = open_registry(args)
    problems = reg.fsck()
    seq, head = reg.head
    if problems:
        out(args, {"ok": False, "problems": [p(args.lang) for p in problems]},
            say(args, "INTEGRITEITSFOUT: ", "INTEGRITY FAILURE: ") + "\n".join(p(args.lang) for p in problems))
        return EXIT_INTEGRITY
    out(args, {"ok": True, "seq": seq, "head": head},
        say(args, f"In orde: {seq} gebeurtenissen, keten en projecties kloppen (head {head}).",
            f"OK: {seq} events, chain and projections verify (head {head})."))
    return EXIT_OK


@command("demo")
def demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)
