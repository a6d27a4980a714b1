"""Four eyes on a signed document: a signer with `ondertekening` and a distinct co-signer with
`medeondertekening`, both for this document type and issuer (DLB art. 279, 281, 283)."""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .answer import Answer, Finding
from .messages import msg


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


def pair(signer: Answer, cosigner: Answer) -> SignatureAnswer:
    reasons = []
    if signer.question.actor == cosigner.question.actor:
        reasons.append(Finding("SAME_PERSON", msg("SAME_PERSON", person=signer.question.actor),
                               details={"person": signer.question.actor}))
    return SignatureAnswer(signer, cosigner, tuple(reasons))
