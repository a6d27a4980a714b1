"""Errors as RFC 9457 problem details, and the language of every text (`Accept-Language`).

Library errors carry their own stable `code` and `http_status` (`registry.errors`); the service
adds only what HTTP itself can go wrong with: authentication, roles, routes and malformed bodies.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from delegations.texts import LANGS, Text, tr
from registry.errors import RegistryError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("delegaties.service")


class ServiceProblem(Exception):
    """An error of the HTTP layer itself (no token, wrong role, bad body), with a stable code."""

    def __init__(self, status: int, code: str, text: Text, headers: dict[str, str] | None = None):
        super().__init__(text.en)
        self.status, self.code, self.text, self.headers = status, code, text, headers or {}


def language(request: Request) -> str:
    """nl or en from Accept-Language (quality values honoured); Dutch when neither is asked for."""
    best, best_q = "nl", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.split("-")[0]
        if lang in LANGS and q > best_q and q > 0:
            best, best_q = lang, q
    return best


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content=data, status_code=status, media_type=MediaType.JSON, headers=headers)


def problem(status: int, code: str, detail: str, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "code": code, "detail": detail}
    return Response(content=body | (extra or {}), status_code=status, media_type=PROBLEM_JSON, headers=headers)


UNAUTHENTICATED = tr("no valid access token: send 'Authorization: Bearer <token>' (create one with 'delegaties tokens new')")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="delegaties"'}


def registry_error(request: Request, exc: RegistryError) -> Response:
    lang = language(request)
    extra: dict[str, Any] = {"findings": [f.to_dict(lang) for f in exc.findings]} if exc.findings else {}
    if exc.parameter is not None:  # the field of the request body (or query) that is wrong
        extra["parameter"] = exc.parameter
    if exc.http_status >= 500:
        log.error("%s on %s %s: %s", exc.code, request.method, request.url.path, exc.text.en)
    # Busy, read-only or full: a client may retry (writes are idempotent per reference).
    headers = {"Retry-After": "1"} if exc.http_status == 503 else None
    return problem(exc.http_status, exc.code, exc.message(lang), extra or None, headers=headers)


def service_problem(request: Request, exc: ServiceProblem) -> Response:
    return problem(exc.status, exc.code, exc.text(language(request)), headers=exc.headers)


def validation_error(request: Request, exc: ValidationException) -> Response:
    lang = language(request)
    errors = [{"field": e.get("key"), "message": e.get("message")} for e in (exc.extra or []) if isinstance(e, dict)]
    said = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or str(exc.detail)
    text = tr("invalid request: {said}", said=said)
    return problem(400, "INPUT", text(lang), {"errors": errors} if errors else None)


def http_error(request: Request, exc: HTTPException) -> Response:
    lang = language(request)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        return problem(401, "UNAUTHENTICATED", UNAUTHENTICATED(lang), headers=CHALLENGE)
    if isinstance(exc, PermissionDeniedException):
        return problem(403, "FORBIDDEN", tr("forbidden")(lang))
    if isinstance(exc, NotFoundException):
        return problem(404, "NOT_FOUND", tr("no endpoint {path}", path=request.url.path)(lang))
    if isinstance(exc, MethodNotAllowedException):
        return problem(405, "METHOD_NOT_ALLOWED", tr("method {method} not allowed on {path}", method=request.method, path=request.url.path)(lang),
                       headers=exc.headers)
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        return problem(status, "UNAVAILABLE" if status == 503 else "INTERNAL", HTTPStatus(status).phrase)
    phrase = HTTPStatus(status).phrase
    return problem(status, "INPUT", tr("invalid request ({phrase}): {detail}", phrase=phrase, detail=exc.detail)(lang))


def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = language(request)
    return problem(500, "INTERNAL", tr("unexpected error in the service; see the server's log")(lang))


EXCEPTION_HANDLERS = {
    RegistryError: registry_error,
    ServiceProblem: service_problem,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: internal_error,
}
