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
from delegations.texts import Text, tr

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
        raise InputError(tr("expected SEQ:HEAD such as 41:sha256:<64 hex digits>, found '{value}'", value=str(value)[:100]),
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
        raise InputError(tr("{name}: expected a readable checkpoint (JSON from 'delegaties checkpoint') ({exc})", name=name, exc=exc),
                         parameter="checkpoint") from None
    try:
        claims = verify_checkpoint(document, jwks)
    except AttestationError as exc:
        raise InputError(tr("{name}: the checkpoint cannot be trusted ({code}): {message}", name=name, code=exc.code,
                            message=exc.text),
                         parameter="checkpoint", code="CHECKPOINT_INVALID") from None
    if administration is not None and claims["iss"] != administration:
        raise InputError(tr("{name}: checkpoint of administration {iss}, this register is {administration}'s", name=name, iss=claims['iss'], administration=administration),
                         parameter="checkpoint", code="CHECKPOINT_INVALID")
    return claims


def compare(last: int, hash_at: Any, seq: int, head: str, source: str) -> list[Text]:
    """Problems of a register whose last event is `last` against a published point (seq, head)."""
    if seq > last:
        return [tr("the register is shorter than {source}: published up to event {seq}, here only up to {last} (events deleted, an older backup restored or a last write lost)", source=source, seq=seq, last=last)]
    here = hash_at(seq)
    if here != head:
        return [tr("the register diverges from {source}: event {seq} has hash {here} here, published {head} (the chain was rewritten)", source=source, seq=seq, here=here, head=head)]
    return []
