"""The native endpoints: one library call each, answering with the library's own `to_dict`, so a
body is exactly the CLI's `--json` for the same question on the same register."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from delegations.texts import tr
from registry.errors import InputError

from . import bodies as b
from .problems import PROBLEM_JSON, json_response, language
from .registers import reading

READER, RECORDER, ADMIN = {"role": "reader"}, {"role": "recorder"}, {"role": "admin"}
PUBLIC = {"public": True}
_PROBLEM = ResponseSpec(data_container=b.ProblemDoc, media_type=PROBLEM_JSON, generate_examples=False,
                        description="RFC 9457 problem details with a stable `code`")
ERRORS = {status: ResponseSpec(data_container=b.ProblemDoc, media_type=PROBLEM_JSON, generate_examples=False,
                               description=text)
          for status, text in ((400, "malformed request (unknown field, wrong type)"),
                               (401, "no valid token"), (403, "role or administration not granted to this token"),
                               (404, "unknown administration"),
                               (422, "input the library refuses (unknown id, bad date, ...)"),
                               (500, "integrity failure of the register"), (503, "register busy or unavailable"))}


def spec(doc: type, description: str = "the answer", status: int = 200, **more: ResponseSpec) -> dict[int, ResponseSpec]:
    out = dict(ERRORS)
    out[status] = ResponseSpec(data_container=doc, generate_examples=False, description=description)
    for code, r in more.items():
        out[int(code.lstrip("s"))] = r
    return out


def _use(request: Request):
    return request.app.state.registers.use(request.path_params.get("administration"))


def _question(data: b.CheckBody, as_known_on: bool = True) -> dict[str, Any]:
    out = {"actor": data.actor, "power": data.power, "on": data.on, **data.scope()}
    if as_known_on:
        out["as_known_on"] = data.as_known_on
    return out


@post("/v1/check", dto=b.dto(b.CheckBody), return_dto=None, status_code=200, opt=READER, sync_to_thread=True,
      responses=spec(b.AnswerDoc), summary="May this person do this? (`delegaties check`)")
def check(request: Request, data: b.CheckBody) -> Response:
    with reading(request) as reg:
        return json_response(reg.check(**_question(data)).to_dict(language(request)))


@post("/v1/check-signature", dto=b.dto(b.SignatureBody), return_dto=None, status_code=200, opt=READER,
      sync_to_thread=True, responses=spec(b.SignatureDoc),
      summary="May this pair sign this document? (`delegaties check-signature`)")
def check_signature(request: Request, data: b.SignatureBody) -> Response:
    with reading(request) as reg:
        result = reg.check_signature(document_type=data.document_type, issuer=data.issuer, signer=data.signer,
                                     cosigner=data.cosigner, on=data.on, matter=data.matter, entity=data.entity,
                                     as_known_on=data.as_known_on)
        return json_response(result.to_dict(language(request)))


@post("/v1/who", dto=b.dto(b.WhoBody), return_dto=None, status_code=200, opt=READER, sync_to_thread=True,
      responses=spec(b.WhoDoc), summary="Everyone who holds this power, with chains (`delegaties who`)")
def who(request: Request, data: b.WhoBody) -> Response:
    lang = language(request)
    with reading(request) as reg:
        answers = [a.to_dict(lang) for a in reg.who(data.power, data.on, as_known_on=data.as_known_on, **data.scope())]
    return json_response({"power": data.power, "persons": [a["question"]["actor"] for a in answers], "answers": answers})


class _UseDTO(b.AttrsDTO[b.UseBody]):
    # A use is recorded against the register as it is now: the CLI refuses --record with --as-known-on.
    config = b.DTOConfig(forbid_unknown_fields=True, exclude={"as_known_on"})


@post("/v1/uses", dto=_UseDTO, return_dto=None, status_code=201, opt=RECORDER, sync_to_thread=True,
      responses=spec(b.UseDoc, "recorded now", 201,
                     s200=ResponseSpec(b.UseDoc, generate_examples=False, description="replay: this reference was "
                                       "recorded before with the same content; nothing new was written"),
                     s409=ResponseSpec(b.ProblemDoc, media_type=PROBLEM_JSON, generate_examples=False,
                                       description="this reference was recorded with other content"),
                     s422=ResponseSpec(b.UseDoc, generate_examples=False, description="refused (the answer says why; "
                                       "`recorded` is null); a problem document (application/problem+json) instead "
                                       "when the input itself is wrong")),
      summary="Record one exercise of a power, idempotent per reference (`delegaties check --record REF [--attest]`)")
def uses(request: Request, data: b.UseBody) -> Response:
    with _use(request) as reg:
        ex = reg.exercise(reg.question(**_question(data, as_known_on=False)), data.reference, attest=data.attest)
    status = 422 if not ex.recorded else 200 if ex.replayed else 201
    return json_response(ex.to_dict(language(request)), status)


@post("/v1/attest", dto=b.dto(b.AttestBody), return_dto=None, status_code=200, opt=RECORDER, sync_to_thread=True,
      responses=spec(b.AttestDoc), summary="A signed attestation of the answer (`delegaties attest`)")
def attest(request: Request, data: b.AttestBody) -> Response:
    days = data.expires_in_days
    if days is not None and not 1 <= days <= 36500:
        raise InputError(tr("expires_in_days: expected a whole number from 1 to 36500"))
    with _use(request) as reg:
        answer = reg.check(**_question(data))
        token = reg.attest(answer, exp=int(time.time()) + days * 86400 if days else None)
        return json_response({"token": token, "jti": reg.last_jti, "allowed": answer.allowed})


@post("/v1/verify", dto=b.dto(b.VerifyBody), return_dto=None, status_code=200, opt=READER, sync_to_thread=True,
      responses=spec(b.VerifyDoc), summary="Verify an attestation (`delegaties verify`)")
def verify(request: Request, data: b.VerifyBody) -> Response:

    lang = language(request)
    with reading(request) as reg:
        result = reg.verify(data.token, data.jwks, against_register=data.against_register)
    if result.code == "INVALID_JWKS":  # the caller's JWKS is bad input, not a bad token
        raise InputError(result.error, code="INVALID_JWKS")
    return json_response(result.to_dict(lang))


@get("/v1/duties", opt=READER, sync_to_thread=True, responses=spec(b.DutiesDoc),
     summary="Reporting duties: due, overdue and done (`delegaties duties`)")
def duties(request: Request, on: str | None = None, grant: str | None = None,
           status: str | None = Parameter(default=None, pattern="^(due|overdue|done)$")) -> Response:
    with reading(request) as reg:
        items = reg.duties(on=on, grant=grant)
    if status:
        items = [x for x in items if x["status"] == status]
    return json_response({"on": on, "duties": items})


@post("/v1/duties/done", dto=b.dto(b.DutyDoneBody), return_dto=None, status_code=200, opt=RECORDER,
      sync_to_thread=True, responses=spec(b.RecordedDoc),
      summary="Record that a reporting duty was fulfilled (`delegaties duties done`)")
def duty_done(request: Request, data: b.DutyDoneBody) -> Response:
    with _use(request) as reg:
        ev = reg.duty_done(data.grant, data.period, data.on, data.reference, to=data.to)
    if ev is None:
        return json_response({"recorded": False})
    return json_response({"recorded": True, "seq": ev.seq, "head": ev.hash, **ev.data})


_MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
          "md": "text/markdown; charset=utf-8"}


@get("/v1/report", opt=READER, sync_to_thread=True, media_type="application/json",
     responses=spec(dict, "the report: JSON, CSV, HTML or Markdown as `format` says"),
     summary="The annual delegation report (`delegaties report --year`), or a periodic report with `grant` and `period`")
def report(request: Request, year: int | None = Parameter(default=None, ge=1800, le=2999),
           format: str = Parameter(default="json", pattern="^(json|csv|html|md)$"),  # noqa: A002 - the CLI's name
           on: str | None = None, grant: str | None = None, period: str | None = None) -> Response:
    lang = language(request)
    if (year is None) == (grant is None or period is None) or (year is not None and (grant or period)):
        raise InputError(tr("give year, or grant and period"))
    with reading(request) as reg:
        data = reg.annual_report(year, lang, as_of=on) if year is not None else reg.period_report(grant, period, on=on,
                                                                                                   lang=lang)
        text = reg.render_report(data, format, lang)
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"} \
        if format == "html" else None
    return Response(content=text.encode("utf-8"), media_type=_MEDIA[format], headers=headers)


@get("/v1/changes", opt=READER, sync_to_thread=True, responses=spec(b.ChangesDoc),
     summary="Events after `after` (a cursor), oldest first: invalidate caches when grants change")
def changes(request: Request, after: int = Parameter(default=0, ge=0, le=2**62),
            limit: int = Parameter(default=1000, ge=1, le=1000)) -> Response:
    from cli.commands import _summary
    from registry.feed import events_after

    with reading(request) as reg:
        events, more, (seq, head) = events_after(reg.store, after, limit)
    items = [{"seq": e.seq, "recorded_at": e.recorded_at, "kind": e.kind, "hash": e.hash, "summary": _summary(e)}
             for e in events]
    return json_response({"events": items, "cursor": events[-1].seq if events else after, "more": more,
                          "register": {"seq": seq, "head": head}})


@get("/.well-known/jwks.json", opt=PUBLIC, sync_to_thread=True, responses=spec(b.JwksDoc, "the public keys"),
     summary="Public keys that verify this register's attestations (RFC 7517)", security=[])
def jwks(request: Request) -> Response:
    with reading(request) as reg:
        return json_response(reg.jwks())


# -- administration -----------------------------------------------------------------------------------

@post("/v1/import", opt=ADMIN, status_code=200, responses=spec(dict, "what was imported"),
      summary="Validate and import one register file, YAML or JSON, as the body (`delegaties import`)")
async def import_(request: Request, name: str = Parameter(default="upload.yaml", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")) -> Response:
    import anyio.to_thread

    raw = await request.body()
    lang = language(request)

    def load() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp, _use(request) as reg:
            path = Path(tmp) / Path(name).name
            path.write_bytes(raw)
            result = reg.load(path)
            seq, head = reg.head
            return {**result.to_dict(lang), "register": {"seq": seq, "head": head}}

    return json_response(await anyio.to_thread.run_sync(load))


@post("/v1/revoke", dto=b.dto(b.RevokeBody), return_dto=None, status_code=200, opt=ADMIN, sync_to_thread=True,
      responses=spec(b.RecordedDoc), summary="Revoke a decision or grant (`delegaties revoke`)")
def revoke(request: Request, data: b.RevokeBody) -> Response:
    with _use(request) as reg:
        ev = reg.revoke(data.target, data.effective_from, data.by, data.reason)
    return json_response({"recorded": False} if ev is None else {"recorded": True, "seq": ev.seq, "head": ev.hash})


@get("/v1/keys", opt=ADMIN, sync_to_thread=True, responses=spec(list), summary="Signing keys (`delegaties keys list`)")
def keys_list(request: Request) -> Response:
    with _use(request) as reg:
        return json_response(reg.keys_list())


@post("/v1/keys", opt=ADMIN, status_code=201, sync_to_thread=True, responses=spec(b.KeyDoc, "the new active key", 201),
      summary="Create a new active signing key (`delegaties keys new`)")
def keys_new(request: Request) -> Response:
    with _use(request) as reg:
        return json_response({"kid": reg.keys_new()}, 201)


@post("/v1/keys/{kid:str}/retire", opt=ADMIN, status_code=200, sync_to_thread=True, responses=spec(dict),
      summary="Retire a signing key (`delegaties keys retire`)")
def keys_retire(request: Request, kid: str) -> Response:
    with _use(request) as reg:
        reg.keys_retire(kid)
    return json_response({"retired": kid})


HANDLERS = [check, check_signature, who, uses, attest, verify, duties, duty_done, report, changes, jwks,
            import_, revoke, keys_list, keys_new, keys_retire]
