"""Request bodies (attrs, decoded by Litestar through DTOs that refuse unknown fields: a typo such
as `ammount` must be an error, never a check without an amount) and the documented shapes of the
answers, from which the OpenAPI 3.1 document is generated.

The names and meanings are those of the library call each endpoint mirrors (contract sections 4
and 7); the answers are the library's own `to_dict`, so they are documented here, not built here.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs
from attrs import frozen
from litestar.dto import DTOConfig
from litestar.dto.base_dto import AbstractDTO
from litestar.dto.data_structures import DTOFieldDefinition
from litestar.dto.field import extract_dto_field
from litestar.types.empty import Empty

T = TypeVar("T")


class AttrsDTO(AbstractDTO[T], Generic[T]):
    """Litestar has DTOs for dataclasses, msgspec and pydantic; this is the same for attrs classes."""

    config = DTOConfig(forbid_unknown_fields=True)

    @classmethod
    def generate_field_definitions(cls, model_type: type) -> Any:
        hints = cls.get_model_type_hints(model_type)
        for a in attrs.fields(model_type):
            default, factory = (Empty, None) if a.default is attrs.NOTHING else (a.default, None)
            if isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
                default, factory = Empty, a.default.factory  # type: ignore[union-attr]
            definition = DTOFieldDefinition.from_field_definition(
                field_definition=hints[a.name], default_factory=factory,
                dto_field=extract_dto_field(hints[a.name], a.metadata), model_name=model_type.__name__)
            yield dataclasses.replace(definition, name=a.name, default=default)

    @classmethod
    def detect_nested_field(cls, field_definition: Any) -> bool:
        return attrs.has(field_definition.annotation)


def dto(model: type) -> type[AttrsDTO]:
    return AttrsDTO[model]  # type: ignore[valid-type]


# -- questions -------------------------------------------------------------------------------------

@frozen
class ScopeBody:
    on: str | None = None  # YYYY-MM-DD; default today
    as_known_on: str | None = None  # the register as known at this moment (date or ISO time stamp)
    amount: Decimal | None = None  # EUR; a decimal string is exact, a JSON number is read as written
    budget_key: str | None = None
    unit: str | None = None
    document_type: str | None = None
    issuer: str | None = None
    matter: str | None = None
    concerns: str | None = None  # the person the act is about (e.g. the staff member whose leave is approved)
    entity: str | None = None  # default: implied by the issuer, else the jurisdiction's default

    def scope(self) -> dict[str, Any]:
        return {"amount": None if self.amount is None else str(self.amount), "budget_key": self.budget_key,
                "unit": self.unit, "document_type": self.document_type, "issuer": self.issuer, "matter": self.matter,
                "entity": self.entity, "concerns": self.concerns}


@frozen
class CheckBody(ScopeBody):
    actor: str = attrs.field(kw_only=True)
    power: str = attrs.field(kw_only=True)


@frozen
class WhoBody(ScopeBody):
    power: str = attrs.field(kw_only=True)


@frozen
class SignatureBody:
    document_type: str
    issuer: str
    signer: str
    cosigner: str
    on: str | None = None
    as_known_on: str | None = None
    matter: str | None = None
    entity: str | None = None


@frozen
class UseBody(CheckBody):
    reference: str = attrs.field(kw_only=True)  # the finance system's own reference (e.g. the invoice number): idempotency key
    attest: bool = False


@frozen
class AttestBody(CheckBody):
    expires_in_days: int | None = None


@frozen
class VerifyBody:
    token: str
    jwks: dict[str, Any] | None = None  # default: this register's own JWKS
    against_register: bool = False


@frozen
class DutyDoneBody:
    grant: str
    period: str
    on: str
    reference: str
    to: str | None = None


@frozen
class RevokeBody:
    target: str
    effective_from: str
    by: str
    reason: str | None = None


# -- answers (documentation of the library's to_dict) -------------------------------------------------

@frozen
class RegisterPoint:
    seq: int
    head: str


@frozen
class FindingDoc:
    code: str
    text: str
    chain: int | None = None
    grant: str | None = None
    rule: str | None = None


@frozen
class QuestionDoc:
    actor: str
    power: str
    on: str
    amount: str | None
    budget_key: str | None
    unit: str | None
    document_type: str | None
    issuer: str | None
    matter: str | None
    entity: str
    concerns: str | None = None  # present only when the question names the person concerned


@frozen
class AnswerDoc:
    """The check answer of contract section 4 (chain steps: law, grant, appointment, acting, substitution)."""

    allowed: bool
    question: QuestionDoc
    chains: list[list[dict[str, Any]]]
    effective_limits: dict[str, Any]
    conditions: list[FindingDoc]
    reasons: list[FindingDoc]
    signature_mention: str | None
    reporting: list[dict[str, Any]]
    register: RegisterPoint
    candidates: list[list[dict[str, Any]]] | None = None


@frozen
class UseDoc(AnswerDoc):
    """The answer of `check --record REF [--attest] --json`: `recorded` is the reference, or null if refused."""

    recorded: str | None = None
    replayed: bool = False  # the reference was recorded before with the same content (HTTP 200)
    jti: str | None = None
    attestation: str | None = None
    note: str | None = None  # e.g. on a replay: today's answer would differ from the recorded one
    recorded_seq: int | None = None  # the seq of this use's event: pass it as ?min_seq= to read it back


@frozen
class SignatureDoc:
    allowed: bool
    document_type: str
    issuer: str
    on: str
    signer: AnswerDoc
    cosigner: AnswerDoc
    signature_mentions: dict[str, str | None]
    reasons: list[dict[str, Any]]
    register: RegisterPoint


@frozen
class WhoDoc:
    power: str
    persons: list[str]
    answers: list[AnswerDoc]


@frozen
class AttestDoc:
    token: str
    jti: str
    allowed: bool


@frozen
class VerifyDoc:
    valid: bool
    claims: dict[str, Any] | None = None
    code: str | None = None
    error: str | None = None
    register_check: dict[str, Any] | None = None


@frozen
class ChangeDoc:
    seq: int
    recorded_at: str
    kind: str
    hash: str
    summary: str


@frozen
class ChangesDoc:
    events: list[ChangeDoc]
    cursor: int  # pass as `after` for the next page
    more: bool
    register: RegisterPoint


@frozen
class DutiesDoc:
    on: str | None
    duties: list[dict[str, Any]]


@frozen
class RecordedDoc:
    recorded: bool
    seq: int | None = None
    head: str | None = None


@frozen
class ProblemDoc:
    """RFC 9457 problem details; `code` is the stable code the CLI prints too."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    findings: list[dict[str, Any]] | None = None
    errors: list[dict[str, Any]] | None = None


@frozen
class HealthDoc:
    status: str


@frozen
class ReadyDoc:
    ready: bool


@frozen
class JwksDoc:
    keys: list[dict[str, Any]]


@frozen
class KeyDoc:
    kid: str
