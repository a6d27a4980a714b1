"""Signed checkpoints: the register's signed tree head, in the spirit of RFC 9162.

A hash chain shows every edit of what it holds, but not that its end was cut off: the events
after a point can be deleted (or an older backup restored, or the last commit lost in a damaged
WAL) and what remains is a valid chain. A checkpoint, signed and published (next to the council
decisions, with the auditor), pins (administration, seq, head, time); `fsck --expect SEQ:HEAD` or
`fsck --checkpoint FILE` then tells a register that is shorter than, or diverges from, a point it
once reached. Issuing a checkpoint is itself an event (`checkpoint.issued`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from delegations.attestation import AttestationError, sign_checkpoint, verify_checkpoint
from delegations.texts import Text

from .errors import InputError

MAX_CHECKPOINT_BYTES = 64 * 1024
_EXPECT = re.compile(r"([0-9]{1,18}):(sha256:[0-9a-f]{64})")


def issue(reg: Any) -> dict[str, Any]:
    signer = reg.keys.signer()
    admin = reg.administration_id()
    with reg.store.transaction() as tx:
        doc = sign_checkpoint(administration=admin, seq=tx.seq, head=tx.prev, iat=tx.iat, private_key=signer.key,
                              kid=signer.kid)
        tx.append("checkpoint.issued", {"seq": doc["seq"], "head": doc["head"], "iat": doc["iat"], "kid": signer.kid})
    return doc


def parse_expect(value: str) -> tuple[int, str]:
    match = _EXPECT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InputError(Text(f"verwacht SEQ:HEAD zoals 41:sha256:<64 hexadecimale tekens>, gevonden '{str(value)[:100]}'",
                              f"expected SEQ:HEAD such as 41:sha256:<64 hex digits>, found '{str(value)[:100]}'"),
                         parameter="expect")
    return int(match.group(1)), match.group(2)


def read(path: str | Path, jwks: dict[str, Any], administration: str | None) -> dict[str, Any]:
    """The verified claims of a checkpoint file; InputError when it cannot be trusted."""
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CHECKPOINT_BYTES + 1)
        if len(raw) > MAX_CHECKPOINT_BYTES:
            raise ValueError("too large")
        text = raw.decode("utf-8").strip()
        document: Any = json.loads(text) if text.startswith("{") else text
    except (OSError, ValueError) as exc:
        raise InputError(Text(f"{name}: verwacht een leesbaar checkpoint (JSON van 'delegaties checkpoint') ({exc})",
                              f"{name}: expected a readable checkpoint (JSON from 'delegaties checkpoint') ({exc})"),
                         parameter="checkpoint") from None
    try:
        claims = verify_checkpoint(document, jwks)
    except AttestationError as exc:
        raise InputError(Text(f"{name}: het checkpoint is niet te vertrouwen ({exc.code}): {exc.message('nl')}",
                              f"{name}: the checkpoint cannot be trusted ({exc.code}): {exc.message('en')}"),
                         parameter="checkpoint", code="CHECKPOINT_INVALID") from None
    if administration is not None and claims["iss"] != administration:
        raise InputError(Text(f"{name}: checkpoint van bestuur {claims['iss']}, dit register is van {administration}",
                              f"{name}: checkpoint of administration {claims['iss']}, this register is {administration}'s"),
                         parameter="checkpoint", code="CHECKPOINT_INVALID")
    return claims


def compare(last: int, hash_at: Any, seq: int, head: str, source: str) -> list[Text]:
    """Problems of a register whose last event is `last` against a published point (seq, head)."""
    if seq > last:
        return [Text(f"het register is korter dan {source}: gepubliceerd tot gebeurtenis {seq}, hier maar tot {last} "
                     "(gebeurtenissen verwijderd, een oudere back-up teruggezet of een laatste schrijfactie verloren)",
                     f"the register is shorter than {source}: published up to event {seq}, here only up to {last} "
                     "(events deleted, an older backup restored or a last write lost)")]
    here = hash_at(seq)
    if here != head:
        return [Text(f"het register wijkt af van {source}: gebeurtenis {seq} heeft hier hash {here}, gepubliceerd {head} "
                     "(de keten is herschreven)",
                     f"the register diverges from {source}: event {seq} has hash {here} here, published {head} "
                     "(the chain was rewritten)")]
    return []
