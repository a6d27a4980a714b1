"""Attestations of a register (contract section 6): issuing, and checking a token against the
register that is said to have issued it.

Every issued token is an `attestation.issued` event that keeps the token itself, so the register
can later tell its own tokens from forgeries made with a stolen key: a verifier that asks the
register (`verify --against-register`) gets "issued here" only for the exact token that was
recorded, and the question is then asked again of the register as it stood at the cited seq.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from attrs import frozen

from delegations.answer import Answer
from delegations.attestation import attested_answer, build_claims, header_kid, sign_attestation
from delegations.texts import Text, tr

from . import projections
from .store import canonical, sha256


@frozen
class Verification:
    """The outcome of `Registry.verify`: the signature check, and optionally what this register
    says about the token. `to_dict` is the JSON of `verify --json` and of `POST /v1/verify`."""

    valid: bool
    claims: dict[str, Any] | None = None  # None when the signature check failed
    code: str | None = None                # then: the AttestationError code
    error: Text | None = None
    register_check: dict[str, Any] | None = None  # with `problems` as Texts

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        if self.claims is None:
            return {"valid": False, "code": self.code, "error": self.error(lang) if self.error else None}
        out: dict[str, Any] = {"valid": self.valid, "signature_valid": True, "claims": self.claims}
        if self.register_check is not None:
            out["register_check"] = {**self.register_check,
                                     "problems": [p(lang) for p in self.register_check["problems"]]}
        return out


def verify(reg: Any, token: str, jwks: dict[str, Any] | None = None, against_register: bool = False) -> Verification:
    """Verify `token` offline with `jwks` (default: this register's own keys) and, with
    `against_register`, also against this register (issued here, head, decisions, answer)."""
    from delegations.attestation import AttestationError, verify_attestation

    try:
        claims = verify_attestation(token, jwks if jwks is not None else reg.jwks())
    except AttestationError as exc:
        return Verification(False, code=exc.code, error=exc.text)
    if not against_register:
        return Verification(True, claims)
    local = verify_against_register(reg, token, claims)
    return Verification(local["valid"], claims, register_check=local)


def new_jti() -> str:
    return str(uuid.uuid4())


def question_digest(question: dict[str, Any]) -> str:
    return sha256(canonical(question))


def issue(tx: Any, answer: Answer, signer: Any, jti: str, issuer: str, exp: int | None = None,
          reference: str | None = None) -> str:
    """Sign `answer` inside the write transaction `tx` and record the issuance with the token;
    `iat` is the transaction's moment, so the token and its record carry the same time."""
    data = answer.to_dict("nl")
    claims = build_claims(data, iss=issuer, sub=answer.question.actor, jti=jti, iat=tx.iat, exp=exp,
                          register=answer.register)
    token = sign_attestation(claims, signer.key, signer.kid)
    body = claims["answer"]
    grants = sorted({s["grant"] for c in body["chains"] for s in c if s["step"] == "grant"}
                    | {r["grant"] for r in body["reasons"] if r.get("grant")})
    payload = {"jti": jti, "kid": signer.kid, "iat": tx.iat, "actor": answer.question.actor,
               "power": answer.question.power, "allowed": answer.allowed, "grants": grants,
               "question_sha256": question_digest(data["question"]), "token": token}
    if reference is not None:
        payload["reference"] = reference
    projections.apply(tx.conn, tx.append("attestation.issued", payload))
    return token


def stored_token(conn: Any, jti: str) -> str | None:
    row = conn.execute("SELECT e.payload FROM attestations a JOIN events e ON e.seq = a.seq WHERE a.jti = ?",
                       (jti,)).fetchone()
    return json.loads(row[0]).get("token") if row else None


def verify_against_register(reg: Any, token: str, claims: dict[str, Any]) -> dict[str, Any]:
    """What this register says about a token whose signature verified: was it issued here, do the
    cited head and decision contents exist here, does the register as it stood at the cited seq
    give that answer, and would today's register (informational)?"""
    conn = reg.store.conn
    problems: list[Text] = []
    reg_claim = claims.get("register", {})
    seq = reg_claim.get("seq")
    head_ok = type(seq) is int and reg.store.hash_at(seq) == reg_claim.get("head")
    if not head_ok:
        problems.append(tr("register head seq {seq} with that hash does not exist here", seq=seq))
    issued = _issued_here(reg, conn, token.strip(), claims, problems)
    cited: dict[str, str] = {}
    answer = claims.get("answer", {})
    for chain in answer.get("chains", []) + answer.get("candidates", []):
        for step in chain:
            if step.get("step") == "grant" and "decision_sha256" in step:
                cited[step["decision"]] = step["decision_sha256"]
    # every version of every decision ever recorded: an attestation may cite an older one
    stored = {sha256(canonical(ev.data["data"])) for ev in reg.store.events(kinds=("entity.put",))
              if ev.data["kind"] == "decision"}
    missing = sorted(d for d, h in cited.items() if h not in stored)
    if missing:
        problems.append(tr("cited decisions are missing here: {join}", join=', '.join(missing)))
    confirmed = same_today = None
    question = claims.get("question") or {}
    try:
        q = reg.question(question["actor"], question["power"], question["on"], amount=question.get("amount"),
                         budget_key=question.get("budget_key"), unit=question.get("unit"),
                         document_type=question.get("document_type"), issuer=question.get("issuer"),
                         matter=question.get("matter"), entity=question.get("entity"),
                         concerns=question.get("concerns"))
    except Exception:  # noqa: BLE001 - ids that do not exist here: the answer cannot be confirmed
        q = None
    if q is not None and head_ok:
        then = attested_answer(reg.answer_at(q, seq).to_dict("nl"))
        confirmed = _same(then, answer)
        if not confirmed:
            problems.append(tr("the register as it was at seq {seq} gives another answer", seq=seq))
    if q is not None:
        same_today = reg.ask(q).allowed == answer.get("allowed")
    return {"issued_here": issued, "head_found": head_ok, "decisions_found": not missing, "missing_decisions": missing,
            "answer_confirmed": confirmed, "same_answer_today": same_today,
            "valid": bool(issued and head_ok and not missing and confirmed), "problems": problems}


def _same(then: dict[str, Any], claimed: dict[str, Any]) -> bool:
    # The register entry decides (allowed, the chain relied on, the reasons); a later version of
    # this software may word or order other parts differently.
    def key(a: dict[str, Any]) -> tuple:
        chains = a.get("chains") or [[]]
        return (a.get("allowed"), [s.get("grant") or s.get("rule") or s.get("person") for s in chains[0]],
                sorted({r.get("code") for r in a.get("reasons", [])}))

    return key(then) == key(claimed)


def _issued_here(reg: Any, conn: Any, token: str, claims: dict[str, Any], problems: list[Text]) -> bool:
    jti = claims.get("jti")
    row = conn.execute("SELECT kid, iat, question_sha256, seq FROM attestations WHERE jti = ?", (jti,)).fetchone()
    admin = reg.administration_id()
    if row is None:
        problems.append(tr("this register issued no attestation with jti {jti} (forged, or from another register)", jti=jti))
        return False
    kid, iat, digest, seq = row
    recorded = json.loads(reg.store.event(seq).payload)
    if "token" in recorded:
        same = recorded["token"] == token
    else:  # issued by an older version, which kept the token's particulars but not the token
        same = (kid == header_kid(token) and iat == claims.get("iat") and digest == question_digest(claims.get("question")))
    same = same and claims.get("iss") == admin
    if not same:
        problems.append(tr("the attestation with jti {jti} issued here is another token (key, time or content differs): this token is forged", jti=jti))
    return same
