"""Pages for clerks: "Wie mag dit tekenen?" and "Mag deze persoon dit?", rendered on the server.

No JavaScript: plain GET forms, answers rendered with Jinja2 (autoescape) from the library's own
`to_dict`, with the CLI's wording for chain steps and limits (`cli.render`). The CSP forbids every
script. Login takes a bearer token in a form (POST) and keeps it in an HttpOnly, SameSite=Strict
cookie scoped to this administration's path; the JSON API never accepts that cookie, so no other
site can make a browser act with it, and the login and logout forms are refused unless they come
from this very origin (the Origin header), which stops login CSRF.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from cli.render import amount, every, limits_lines, step_line
from delegations.texts import catalog, tr
from registry.errors import RegistryError

from .auth import COOKIE, resolve
from .problems import ServiceProblem, language
from .registers import reading

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
PAGE = {"role": "reader", "page": True}
LOGIN = {"public": True, "page": True}
COOKIE_HOURS = 8
BAD_TOKEN = tr("This token is unknown, revoked or expired, or does not belong to this administration.")
SCOPE = ("amount", "budget_key", "unit", "document_type", "issuer", "matter")


@cache
def environment(lang: str):
    """The templates in `lang`: their texts are `{{ _("English") }}`, translated by our catalog."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("cli.service", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(catalog(lang), newstyle=False)  # type: ignore[attr-defined]
    env.filters["safe_url"] = safe_url
    env.globals.update(step_line=step_line, limits_lines=limits_lines, amount=amount, every=every)
    return env


def safe_url(value: Any) -> str | None:
    """Only http(s) sources become links: a register may hold any text, `javascript:` included."""
    if not isinstance(value, str):
        return None
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc else None


def base_path(request: Request) -> str:
    admin = request.path_params.get("administration")
    return f"/t/{admin}" if admin else ""


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = language(request)
    html = environment(lang).get_template(template).render(lang=lang, base=base_path(request), **context)
    return Response(content=html, status_code=status, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": CSP})


def page_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ServiceProblem) and exc.status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"{base_path(request)}/login?next={quote(target, safe='')}", status_code=303)
    if isinstance(exc, ServiceProblem):
        return render(request, "error.html.j2", exc.status, message=exc.text(language(request)))
    return render(request, "error.html.j2", 500, message="")


HANDLERS_OPTS = {"exception_handlers": {ServiceProblem: page_error}, "include_in_schema": False}


def _choices(reg) -> dict[str, Any]:
    state = reg.state()
    return {"persons": sorted((p.id, p.name) for p in state.persons.values()),
            "powers": sorted((p.id, p.name) for p in state.catalogue.powers.values()),
            "document_types": sorted(state.catalogue.document_types), "issuers": sorted(state.catalogue.organs),
            "units": sorted((u.id, u.name) for u in state.units.values()), "entities": sorted(state.catalogue.entities),
            "names": {p.id: p.name for p in state.persons.values()}}


def _asked(request: Request, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: v.strip() for k in keys if (v := request.query_params.get(k)) is not None and v.strip()}


def grouped_reasons(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The same reason on several chains is said once, as the CLI does."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    candidates = answer.get("candidates", [])
    for r in answer["reasons"]:
        entry = out.setdefault((r["code"], r["text"]), {"code": r["code"], "text": r["text"], "chains": []})
        if r.get("chain") is not None and r["chain"] < len(candidates):
            entry["chains"].append(candidates[r["chain"]])
    return list(out.values())


@get("/pages/who", opt=PAGE, sync_to_thread=True, **HANDLERS_OPTS)
def who_page(request: Request) -> Response:
    asked = _asked(request, ("power", "on", "entity", *SCOPE))
    lang = language(request)
    answers, error = None, None
    with reading(request) as reg:
        choices = _choices(reg)
        if "power" in asked:
            try:
                q = {k: v for k, v in asked.items() if k != "power"}
                answers = [a.to_dict(lang) for a in reg.who(asked["power"], q.pop("on", None), **q)]
            except RegistryError as exc:
                error = exc.text(lang)
    asked.setdefault("power", "ondertekening")
    return render(request, "who.html.j2", 422 if error else 200, asked=asked, answers=answers, error=error,
                  grouped_reasons=grouped_reasons, **choices)


@get("/pages/check", opt=PAGE, sync_to_thread=True, **HANDLERS_OPTS)
def check_page(request: Request) -> Response:
    asked = _asked(request, ("actor", "power", "on", "entity", *SCOPE))
    lang = language(request)
    answer, error = None, None
    with reading(request) as reg:
        choices = _choices(reg)
        if "actor" in asked and "power" in asked:
            try:
                answer = reg.check(**asked).to_dict(lang)
            except RegistryError as exc:
                error = exc.text(lang)
    return render(request, "check.html.j2", 422 if error else 200, asked=asked, answer=answer, error=error,
                  grouped_reasons=grouped_reasons, **choices)


@get("/pages", opt=LOGIN, sync_to_thread=False, include_in_schema=False)
def pages_index(request: Request) -> Response:
    return Redirect(f"{base_path(request)}/pages/who", status_code=303)


@get("/login", opt=LOGIN, sync_to_thread=False, include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the usual name
    return render(request, "login.html.j2", next=_local(request, next), error=None)


@post("/login", opt=LOGIN, include_in_schema=False)
async def login(request: Request, data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Response:
    _same_origin(request)
    token = (data.get("token") or "").strip()
    target = _local(request, data.get("next"))
    principal = await resolve(request.app.state, token) if token else None
    admin = request.path_params.get("administration")
    ok = principal is not None and principal.role is not None and principal.kind == "token" and (
        not request.app.state.config.multi or principal.administration == admin)
    if not ok:
        return render(request, "login.html.j2", 401, next=target, error=BAD_TOKEN(language(request)))
    response = Redirect(target, status_code=303)
    response.set_cookie(COOKIE, token, path=f"{base_path(request)}/", max_age=COOKIE_HOURS * 3600, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@post("/logout", opt=LOGIN, include_in_schema=False)
async def logout(request: Request) -> Response:
    _same_origin(request)
    response = Redirect(f"{base_path(request)}/login", status_code=303)
    response.delete_cookie(COOKIE, path=f"{base_path(request)}/")
    return response


def _local(request: Request, target: str | None) -> str:
    """Only a page of this administration is a place to go after login (no open redirect)."""
    base = base_path(request)
    if target and target.startswith(f"{base}/pages/") and "//" not in target and "\\" not in target:
        return target
    return f"{base}/pages/who"


def _same_origin(request: Request) -> None:

    origin = request.headers.get("origin") or request.headers.get("referer")
    mine = f"{request.url.scheme}://{request.url.netloc}"
    if origin is None or (origin != mine and not origin.startswith(mine + "/")):
        raise ServiceProblem(403, "FORBIDDEN", tr("form from another origin refused"))


@get("/static/service.css", opt=LOGIN, sync_to_thread=False, include_in_schema=False, media_type="text/css")
def stylesheet() -> Response:
    from importlib.resources import files

    css = files("cli.service").joinpath("static/service.css").read_bytes()
    return Response(content=css, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@get("/favicon.ico", sync_to_thread=False, include_in_schema=False, status_code=204)
def favicon() -> None:
    """Browsers ask for it; there is none (and no 404 in the console)."""


HANDLERS = [who_page, check_page, pages_index, login_form, login, logout, stylesheet]
ROOT_HANDLERS = [favicon]
