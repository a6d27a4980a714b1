"""Four eyes on a signed document: a signer with `ondertekening` and a distinct co-signer with
`medeondertekening`, both for this document type and issuer (DLB art. 279, 281, 283)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from attrs import frozen

from .answer import Answer, Finding
from .messages import msg

if TYPE_CHECKING:
    from .state import RegisterState


@frozen
class SignatureAnswer:
    signer: Answer
    cosigner: Answer
    reasons: tuple[Finding, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.signer.allowed and self.cosigner.allowed and not self.reasons

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        reasons = [r.to_dict(lang) for r in self.reasons]
        for role, ans in (("signer", self.signer), ("cosigner", self.cosigner)):
            reasons += [{**r.to_dict(lang), "role": role} for r in ans.reasons]
        return {
            "allowed": self.allowed,
            "document_type": self.signer.question.document_type,
            "issuer": self.signer.question.issuer,
            "on": self.signer.question.on.isoformat(),
            "signer": self.signer.to_dict(lang),
            "cosigner": self.cosigner.to_dict(lang),
            "signature_mentions": {"signer": self.signer.signature_mention, "cosigner": self.cosigner.signature_mention},
            "reasons": reasons,
            "register": self.signer.register,
        }


def persons_behind(state: RegisterState, actor: str, on: date) -> set[str]:
    """The person(s) who would actually sign for `actor` (a person, or whoever holds a position)."""
    if actor in state.persons:
        return {actor}
    positions = {actor} | set(state.positions_by_kind.get(actor, ()))
    return {a.person for p in positions for a in state.holders(p, on)} or {actor}


def pair(state: RegisterState, signer: Answer, cosigner: Answer) -> SignatureAnswer:
    reasons = []
    on = signer.question.on
    same = persons_behind(state, signer.question.actor, on) & persons_behind(state, cosigner.question.actor, on)
    if same:
        person = ", ".join(sorted(same))
        reasons.append(Finding("SAME_PERSON", msg("SAME_PERSON", person=person), details={"person": person}))
    return SignatureAnswer(signer, cosigner, tuple(reasons))
