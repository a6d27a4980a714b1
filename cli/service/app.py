"""The ASGI application: routes, the authentication guard, problem details, OpenAPI 3.1."""

from __future__ import annotations

import copy
from typing import Any

from litestar import Litestar, MediaType, Request, Response, Router, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.attrs import AttrsSchemaPlugin

from . import authzen, bodies, native, pages
from .auth import OidcVerifier, authenticate
from .config import ServiceConfig
from .problems import EXCEPTION_HANDLERS, PROBLEM_JSON, json_response, problem
from .registers import Registers

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                    "Cache-Control": "no-store", "X-Frame-Options": "DENY"}


_TEXT = {"schema": {"type": "string"}}
# What one ResponseSpec cannot say: a response with more than one media type.
EXTRA_CONTENT = {
    ("/v1/report", "get", "200"): {"text/csv": _TEXT, "text/html": _TEXT, "text/markdown": _TEXT},
    ("/v1/uses", "post", "422"): {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDoc"}}},
}


class OpenAPIJson(JsonRenderPlugin):
    """/openapi.json, completed with what the decorators cannot express: request bodies take no
    other fields (the DTOs refuse them), and the few responses with more than one media type."""

    _cache: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._cache is None:
            schema = copy.deepcopy(openapi_schema)
            for name, body in schema.get("components", {}).get("schemas", {}).items():
                if name.endswith("RequestBody") and body.get("type") == "object":
                    body["additionalProperties"] = False
            for path, item in schema.get("paths", {}).items():
                for (suffix, method, status), content in EXTRA_CONTENT.items():
                    if path.endswith(suffix) and method in item:
                        item[method]["responses"][status]["content"].update(content)
            self._cache = self.render_json(request, schema)
        return self._cache


@get("/health", opt=native.PUBLIC, sync_to_thread=False, responses=native.spec(bodies.HealthDoc), security=[],
     summary="The process is up")
def health() -> Response:
    return json_response({"status": "ok"})


@get("/ready", opt=native.PUBLIC, sync_to_thread=True, responses=native.spec(bodies.ReadyDoc), security=[],
     summary="The register (or the data directory) can be read")
def ready(request: Request) -> Response:
    state = request.app.state
    config: ServiceConfig = state.config
    if config.pg is not None:
        ok = state.registers.tokens_reachable()
    elif config.multi:
        ok = config.data_dir is not None and config.data_dir.is_dir()
    else:
        try:
            with state.registers.use(None) as reg:
                reg.head  # noqa: B018 - one read proves the database answers
            ok = True
        except Exception:  # noqa: BLE001 - not ready, whatever the reason
            ok = False
    if not ok:
        return problem(503, "UNAVAILABLE", "register unavailable")
    return json_response({"ready": True})


def create_app(config: ServiceConfig) -> Litestar:
    registers = Registers(config)
    prefix = "/t/{administration:str}" if config.multi else "/"
    api = Router(path=prefix, route_handlers=[*authzen.HANDLERS, *native.HANDLERS, *pages.HANDLERS],
                 guards=[authenticate], security=[{"bearer": []}])
    openapi = OpenAPIConfig(
        title="delegaties", version=_version(), path="/", render_plugins=[OpenAPIJson(path="/openapi.json",
                                                                                     media_type=MediaType.JSON)],
        description="May this person sign or decide this, on this date, and on what legal ground? "
                    "The decision service of a register of delegation decisions (contract section 8).",
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        use_handler_docstrings=False, create_examples=False)
    return Litestar(
        route_handlers=[health, ready, api, *pages.ROOT_HANDLERS],
        state=State({"config": config, "registers": registers,
                     "oidc": OidcVerifier(config.oidc) if config.oidc else None}),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=openapi, plugins=[AttrsSchemaPlugin()],
        middleware=[_headers], on_shutdown=[registers.close], debug=False, logging_config=None)


def _headers(app: Any) -> Any:
    """Security headers on every response, and the caller's X-Request-ID echoed (AuthZEN 1.0 requires it)."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request_id = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        if request_id is not None and not (len(request_id) <= 200 and all(32 <= c < 127 for c in request_id)):
            request_id = None

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k.lower().encode() not in present]
                if request_id is not None:
                    headers.append((b"x-request-id", request_id))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, sending)

    return middleware


def _version() -> str:
    from cli.main import _version as version

    return version()
