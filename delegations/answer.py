"""Question and answer of an authority check (contract section 4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from . import model as m
from .texts import Text

REASON_CODES = (
    "NO_AUTHORITY", "NOT_YET_EFFECTIVE", "EXPIRED", "REVOKED", "AMOUNT_ABOVE_LIMIT",
    "ANNUAL_CEILING_EXCEEDED", "BUDGET_KEY_OUT_OF_SCOPE", "UNIT_OUT_OF_SCOPE",
    "DOCUMENT_TYPE_OUT_OF_SCOPE", "ISSUER_OUT_OF_SCOPE", "POWER_EXCLUDED",
    "SUBDELEGATION_NOT_ALLOWED", "SUBDELEGATION_TOO_DEEP", "NOT_DELEGABLE",
    "CONFLICT_OF_INTEREST", "HOLDER_NOT_ABSENT", "SAME_PERSON",
)
CONDITION_CODES = ("COSIGNATURE_REQUIRED", "VISUM_REQUIRED", "NOTIFY_ABSENT_HOLDER")


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


@frozen
class Question:
    actor: str
    power: str
    on: date
    amount: Decimal | None = None
    budget_key: str | None = None
    unit: str | None = None
    document_type: str | None = None
    issuer: str | None = None
    matter: str | None = None
    # None: the entity the issuer's documents belong to, else the jurisdiction's default entity
    # (the evaluation fills it in, so an answer's question always names it).
    entity: str | None = None
    concerns: str | None = None  # the person the act concerns (e.g. whose leave is approved)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "actor": self.actor, "power": self.power, "on": self.on.isoformat(),
            "amount": money(self.amount), "budget_key": self.budget_key, "unit": self.unit,
            "document_type": self.document_type, "issuer": self.issuer, "matter": self.matter,
            "entity": self.entity,
        }
        if self.concerns is not None:  # added in v2; absent when unused, so older answers keep their shape
            out["concerns"] = self.concerns
        return out


@frozen
class Finding:
    """A reason (why not) or a condition (allowed, but only if). `chain` indexes `candidates`."""

    code: str
    text: Text
    chain: int | None = None
    grant: str | None = None
    rule: str | None = None
    details: dict[str, Any] = field(factory=dict)

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code}
        if self.chain is not None:
            out["chain"] = self.chain
        if self.grant is not None:
            out["grant"] = self.grant
        if self.rule is not None:
            out["rule"] = self.rule
        out.update(self.details)
        out["text"] = self.text(lang)
        return out


def _cite(out: dict[str, Any], rule: m.Rule | None, cite_id: bool = False) -> dict[str, Any]:
    """Name the article behind a step (and the rule, for steps that have no rule of their own)."""
    if rule is not None:
        if cite_id:
            out["rule"] = rule.id
        if rule.article:
            out["article"] = rule.article
    return out


@frozen
class LawStep:
    rule: m.Rule
    holding: m.Holding
    holder: str
    basis: m.Rule | None = None  # the packaged rule behind a local regulation (or the rule itself)
    office: str | None = None  # the office through which the holder organ is held ex officio

    def to_dict(self, hashes: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"step": "law", "rule": self.rule.id, "holder": self.holder, "source": self.rule.source}
        basis = self.basis or self.rule
        if basis.id != self.rule.id:
            out["basis"] = basis.id
        if self.office is not None:
            out["office"] = self.office
        return _cite(out, basis)


@frozen
class GrantStep:
    grant: m.Grant
    decision: m.Decision
    basis: m.Rule | None = None  # the packaged rule that makes this delegation lawful

    def to_dict(self, hashes: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {"step": "grant", "grant": self.grant.id, "decision": self.decision.id,
                               "to": self.grant.to, "source": self.decision.source}
        if self.decision.id in hashes:
            out["decision_sha256"] = hashes[self.decision.id]
        if self.basis is not None:
            out["rule"] = self.decision.legal_basis
            if self.basis.id != self.decision.legal_basis:
                out["basis"] = self.basis.id
            _cite(out, self.basis)
        return out


@frozen
class AppointmentStep:
    appointment: m.Appointment
    rule: m.Rule | None = None  # the rule an acting appointment rests on (e.g. waarneming by law)

    def to_dict(self, hashes: dict[str, str]) -> dict[str, Any]:
        a = self.appointment
        step = "acting" if a.capacity == "acting" else "appointment"
        return _cite({"step": step, "person": a.person, "position": a.position, "capacity": a.capacity}, self.rule, True)


@frozen
class SubstitutionStep:
    """The actor's own appointment to a substitute position, standing in for `for_position`:
    by master data (`substitutes`, rule None) or by a replacement rule of the law."""

    appointment: m.Appointment
    for_position: str
    rule: m.Rule | None = None

    def to_dict(self, hashes: dict[str, str]) -> dict[str, Any]:
        a = self.appointment
        return _cite({"step": "substitution", "person": a.person, "position": a.position, "capacity": a.capacity,
                      "for": self.for_position}, self.rule, True)


Step = LawStep | GrantStep | AppointmentStep | SubstitutionStep


@frozen
class Answer:
    question: Question
    allowed: bool
    chains: tuple[tuple[Step, ...], ...] = ()
    effective_limits: dict[str, Any] = field(factory=dict)
    conditions: tuple[Finding, ...] = ()
    # Refusals are explained on first access: a batch of thousands of questions mostly needs
    # only `allowed`. `explain` produces the reasons; `_reasons` holds them once known.
    _reasons: tuple[Finding, ...] | None = field(default=None, eq=False, repr=False)
    explain: Any = field(default=None, eq=False, repr=False)
    signature_mention: str | None = None
    reporting: tuple[dict[str, Any], ...] = ()
    candidates: tuple[tuple[Step, ...], ...] = ()
    register: dict[str, Any] = field(factory=dict)
    hashes: dict[str, str] = field(factory=dict, eq=False, repr=False)

    @property
    def reasons(self) -> tuple[Finding, ...]:
        if self._reasons is None:
            object.__setattr__(self, "_reasons", tuple(self.explain()) if self.explain is not None else ())
        return self._reasons  # type: ignore[return-value]

    @property
    def grants(self) -> tuple[str, ...]:
        """The grants of the chain the answer relies on (the first chain)."""
        if not self.chains:
            return ()
        return tuple(s.grant.id for s in self.chains[0] if isinstance(s, GrantStep))

    def to_dict(self, lang: str = "nl") -> dict[str, Any]:
        out = {
            "allowed": self.allowed,
            "question": self.question.to_dict(),
            "chains": [[s.to_dict(self.hashes) for s in c] for c in self.chains],
            "effective_limits": self.effective_limits,
            "conditions": [c.to_dict(lang) for c in self.conditions],
            "reasons": [r.to_dict(lang) for r in self.reasons],
            "signature_mention": self.signature_mention,
            "reporting": list(self.reporting),
            "register": self.register,
        }
        if not self.allowed:
            out["candidates"] = [[s.to_dict(self.hashes) for s in c] for c in self.candidates]
        return out
