"""OpenID AuthZEN Authorization API 1.0: Access Evaluation and Access Evaluations.

The mapping (contract section 8): `subject.id` is the actor, `action.name` the power,
`resource.properties` carry document_type, issuer, budget_key, unit and entity, and `context`
carries on, amount, matter and as_known_on (`time`, the specification's own example attribute,
gives `on` when `on` is absent). The decision's `context` is our check answer (section 4).

As the specification requires, unknown fields are ignored, a missing subject, action or resource
is a 400, and an evaluation that cannot be answered (an unknown actor or power, a bad date) is
denied (`decision: false`) with the error in its context: decisions default to closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from litestar import Request, Response, post

from delegations.texts import Text, tr
from registry.errors import RegistryError

from .native import READER, spec
from .problems import ServiceProblem, json_response, language
from .registers import reading

RESOURCE_KEYS = ("document_type", "issuer", "budget_key", "unit", "entity")
CONTEXT_KEYS = ("on", "amount", "matter", "concerns", "as_known_on")
SEMANTICS = ("execute_all", "deny_on_first_deny", "permit_on_first_permit")


@frozen
class Subject:
    type: str
    id: str
    properties: dict[str, Any] | None = None


@frozen
class Action:
    name: str
    properties: dict[str, Any] | None = None


@frozen
class Resource:
    type: str
    id: str
    properties: dict[str, Any] | None = None


@frozen
class EvaluationRequest:
    subject: Subject
    action: Action
    resource: Resource
    context: dict[str, Any] | None = None


@frozen
class EvaluationItem:
    """One entry of `evaluations`: each key missing here is taken from the request's top level."""

    subject: Subject | None = None
    action: Action | None = None
    resource: Resource | None = None
    context: dict[str, Any] | None = None


@frozen
class EvaluationsRequest:
    subject: Subject | None = None
    action: Action | None = None
    resource: Resource | None = None
    context: dict[str, Any] | None = None
    evaluations: list[EvaluationItem] | None = None
    options: dict[str, Any] | None = None


@frozen
class Decision:
    decision: bool
    context: dict[str, Any] | None = None


@frozen
class Decisions:
    evaluations: list[Decision]


def _bad(text: Text) -> ServiceProblem:
    return ServiceProblem(400, "INPUT", text)


def question(subject: Subject, action: Action, resource: Resource, context: dict[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments of `Registry.check` for one evaluation."""
    props = resource.properties or {}
    ctx = context or {}
    q: dict[str, Any] = {"actor": subject.id, "power": action.name}
    for key in RESOURCE_KEYS:
        if props.get(key) is not None:
            q[key] = props[key]
    for key in CONTEXT_KEYS:
        if ctx.get(key) is not None:
            q[key] = ctx[key]
    if "on" not in q and isinstance(ctx.get("time"), str):
        try:
            q["on"] = datetime.fromisoformat(ctx["time"]).date().isoformat()
        except ValueError:
            q["on"] = ctx["time"]  # the library names what is wrong with it
    for key, value in q.items():
        if key == "amount" and isinstance(value, int | float) and not isinstance(value, bool):
            q[key] = str(value)
        elif not isinstance(value, str):
            raise RegistryError(tr("{key}: expected a string, found {value}", key=key, value=type(value).__name__))
    return q


def decide(reg, q: dict[str, Any], lang: str) -> Decision:
    try:
        answer = reg.check(**q)
    except RegistryError as exc:
        if exc.http_status >= 500:
            raise
        return Decision(False, {"error": {"status": exc.http_status, "code": exc.code, "message": exc.text(lang)}})
    return Decision(answer.allowed, answer.to_dict(lang))


def _body(d: Decision) -> dict[str, Any]:
    return {"decision": d.decision} | ({"context": d.context} if d.context is not None else {})


@post("/access/v1/evaluation", status_code=200, opt=READER, sync_to_thread=True,
      responses=spec(Decision, "the decision; `context` is the check answer, or an error that made it a denial"),
      summary="AuthZEN 1.0 Access Evaluation")
def evaluation(request: Request, data: EvaluationRequest) -> Response:
    with reading(request) as reg:
        try:
            q = question(data.subject, data.action, data.resource, data.context)
        except RegistryError as exc:
            return json_response(_body(Decision(False, {"error": {"status": 422, "code": exc.code,
                                                                  "message": exc.text(language(request))}})))
        return json_response(_body(decide(reg, q, language(request))))


@post("/access/v1/evaluations", status_code=200, opt=READER, sync_to_thread=True,
      responses=spec(Decisions, "one decision per evaluation, in order (fewer when a semantic short-circuits)"),
      summary="AuthZEN 1.0 Access Evaluations (boxcarring), with the three evaluation semantics")
def evaluations(request: Request, data: EvaluationsRequest) -> Response:
    lang = language(request)
    semantic = (data.options or {}).get("evaluations_semantic", "execute_all")
    if semantic not in SEMANTICS:
        raise _bad(tr("options.evaluations_semantic: expected one of {join}", join=', '.join(SEMANTICS)))
    items = data.evaluations or [EvaluationItem()]  # absent or empty: one evaluation of the top level
    parts = []
    for i, item in enumerate(items):
        merged = {k: getattr(item, k) if getattr(item, k) is not None else getattr(data, k)
                  for k in ("subject", "action", "resource", "context")}
        missing = [k for k in ("subject", "action", "resource") if merged[k] is None]
        if missing:
            raise _bad(tr("evaluations[{i}]: missing {join} (not at the top level either)", i=i, join=', '.join(missing)))
        parts.append(merged)
    out: list[dict[str, Any]] = []
    with reading(request) as reg:
        for merged in parts:
            try:
                q = question(**merged)
            except RegistryError as exc:
                d = Decision(False, {"error": {"status": 422, "code": exc.code, "message": exc.text(lang)}})
            else:
                d = decide(reg, q, lang)
            out.append(_body(d))
            if (semantic == "deny_on_first_deny" and not d.decision) or (semantic == "permit_on_first_permit" and d.decision):
                break
    return json_response({"evaluations": out})


HANDLERS = [evaluation, evaluations]
