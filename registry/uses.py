"""Exercising a power: check, record the use and (optionally) attest it, in one write transaction.

The check is repeated inside the transaction, so two writers can never together exceed a yearly
ceiling; the use and its attestation are committed together or not at all (the key is loaded
before anything is written). A use is recorded once per reference: a retry with the same content
returns the outcome that was recorded, whatever the register says today; other content under the
same reference is a ConflictError. A refused attempt is evidence too and is recorded once
(`use.refused`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from attrs import frozen

from delegations.answer import Answer, Question, money
from delegations.texts import Text, tr

from . import attest as attestations
from . import projections
from .errors import ConflictError
from .questions import answer, identifier, not_in_future


@frozen
class Exercise:
    """The outcome of `Registry.exercise`."""

    answer: Answer          # the answer that was recorded (or the refusal)
    reference: str
    recorded: bool          # a use is (now or already) recorded for the reference
    replayed: bool          # the reference was recorded before, with the same content
    jti: str | None = None  # of the attestation of this use, when one was asked for or exists
    token: str | None = None
    note: Text | None = None  # e.g. today's answer differs from the recorded one
    # The seq of this use's event (recorded, or refused): a reader that must see it asks ?min_seq=
    seq: int | None = None

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        """What `check --record [--attest] --json` prints (and the service answers)."""
        return self.answer.to_dict(lang) | {
            "recorded": self.reference if self.recorded else None, "replayed": self.replayed, "jti": self.jti,
            "attestation": self.token, "note": self.note(lang) if self.note is not None else None,
            "recorded_seq": self.seq}


def payload(q: Question, answer: Answer, reference: str, jti: str | None) -> dict[str, Any]:
    grants = sorted({s.grant.id for c in answer.chains[:1] for s in c if hasattr(s, "grant")})
    return {"reference": reference, "on": q.on.isoformat(), "actor": q.actor, "power": q.power,
            "amount": money(q.amount), "budget_key": q.budget_key, "unit": q.unit,
            "matter": q.matter, "grants": grants, "jti": jti}


def same_use(old: dict[str, Any], new: dict[str, Any]) -> bool:
    keys = ("on", "actor", "power", "budget_key", "unit", "matter")
    same_amount = (old.get("amount") is None) == (new.get("amount") is None) and (
        old.get("amount") is None or Decimal(old["amount"]) == Decimal(new["amount"]))
    return same_amount and all(old.get(k) == new.get(k) for k in keys)


def exercise(reg: Any, q: Question, reference: str, *, attest: bool = False, exp: int | None = None,
             today: Any = None) -> Exercise:
    from .store import utcnow

    reference = identifier(reference, "reference", what=tr("reference"))
    not_in_future(q, today or utcnow().date())
    signer = reg.keys.signer() if attest else None  # before any write: a missing key writes nothing
    issuer = reg.administration_id()
    with reg.store.transaction() as tx:
        conn = tx.conn
        row = tx.execute("SELECT seq, jti FROM uses WHERE reference = ?", (reference,)).fetchone()

        def usage(grant: str, year: int) -> Decimal:
            # The use itself must not count against its own re-check.
            return projections.used_amount(conn, grant, year, exclude=reference)

        fresh = answer(reg.state(), q, usage, {"seq": tx.seq, "head": tx.prev})
        if row is not None:
            return _replay(reg, tx, q, reference, row, fresh, signer, issuer, exp)
        jti = attestations.new_jti() if attest else None
        body = payload(q, fresh, reference, jti)
        if not fresh.allowed:
            refused = tx.execute("SELECT seq FROM refusals WHERE reference = ?", (reference,)).fetchone()
            if refused is None:
                ev = tx.append("use.refused", {**body, "codes": sorted({r.code for r in fresh.reasons}),
                                               "grants": sorted({r.grant for r in fresh.reasons if r.grant})})
                projections.apply(conn, ev)
                refused = (ev.seq,)
            token = attestations.issue(tx, fresh, signer, jti, issuer, exp, reference) if signer else None
            return Exercise(fresh, reference, recorded=False, replayed=False, jti=jti, token=token, seq=refused[0])
        ev = tx.append("use.recorded", body)
        projections.apply(conn, ev)
        token = attestations.issue(tx, fresh, signer, jti, issuer, exp, reference) if signer else None
    return Exercise(fresh, reference, recorded=True, replayed=False, jti=jti, token=token, seq=ev.seq)


def _replay(reg: Any, tx: Any, q: Question, reference: str, row: tuple, fresh: Answer, signer: Any, issuer: str,
            exp: int | None) -> Exercise:
    seq, jti = row
    old = json.loads(tx.execute("SELECT payload FROM events WHERE seq = ?", (seq,)).fetchone()[0])
    if not same_use(old, payload(q, fresh, reference, None)):
        raise ConflictError(tr("reference {reference} was already recorded with other content", reference=reference), parameter="reference")
    # The outcome as it was recorded: the question asked of the register as it stood just before.
    original = reg.answer_at(q, seq - 1, exclude=reference)
    note = None
    if fresh.allowed != original.allowed or fresh.grants != original.grants:
        codes = ", ".join(sorted({r.code for r in fresh.reasons})) or "-"
        note = tr("The use is recorded since event {seq}; today the answer would differ (allowed).", seq=seq) \
            if fresh.allowed else \
            tr("The use is recorded since event {seq}; today the answer would differ (refused: {codes}).", seq=seq, codes=codes)
    token = attestations.stored_token(tx.conn, jti) if jti else None
    if signer is not None and jti is None:
        # Recorded without an attestation: attest the recorded answer now, linked by the reference.
        jti = attestations.new_jti()
        token = attestations.issue(tx, original, signer, jti, issuer, exp, reference)
    return Exercise(original, reference, recorded=True, replayed=True, jti=jti, token=token, note=note, seq=seq)
