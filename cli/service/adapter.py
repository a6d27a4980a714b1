"""The one place where the service records a use: check, record, attest.

Today this calls `Registry.record_use` and `Registry.attest` in the order the CLI's `check
--record --attest` uses (record first, the check repeated inside the write transaction, then
attest what was recorded). When `Registry.exercise` lands, this function becomes a call of it and
nothing else in the service changes.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from delegations.answer import Answer
from registry import Registry


@frozen
class Exercise:
    """The shape of the coming `registry.Exercise`."""

    answer: Answer
    recorded: bool  # a new use was written by this call
    replayed: bool  # the reference was already recorded with the same content
    token: str | None
    jti: str | None

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        """Exactly the JSON of `check --record REF [--attest] --json`."""
        q = self.answer
        out = q.to_dict(lang) | {"recorded": self._reference if q.allowed else None}
        if self.token is not None:
            out["attestation"] = self.token
        return out

    _reference: str = ""


def exercise(reg: Registry, question: dict[str, Any], reference: str, *, attest: bool = False,
             exp: int | None = None) -> Exercise:
    answer = reg.check(**question)
    before = reg.head[0]
    jti = reg.new_jti() if attest else None
    answer = reg.record_use(answer, reference, jti=jti)
    row = reg.store.conn.execute("SELECT seq FROM uses WHERE reference = ?", (reference,)).fetchone()
    recorded = answer.allowed and row is not None and row[0] > before
    replayed = answer.allowed and row is not None and not recorded
    token = reg.attest(answer, jti=jti, exp=exp) if attest else None
    return Exercise(answer, recorded, replayed, token, jti, reference)
