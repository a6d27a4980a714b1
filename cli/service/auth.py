"""Who is calling: a bearer token of `delegaties tokens new`, or an OIDC access token; and may
they do this (role, administration)?

Every route handler says the role it needs in `opt["role"]`; `opt["public"]` marks the few that
need no token (health, readiness, JWKS, OpenAPI, and the login form with its stylesheet). 401 is
"who are you?", 403 is "not you, not here": a token of administration A is refused on B with 403,
before anything of B is read.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import anyio.to_thread
from attrs import frozen
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from delegations.texts import tr
from registry.tokens import ROLES, parse_token, role_allows

from .config import OidcConfig
from .problems import CHALLENGE, UNAUTHENTICATED, ServiceProblem

COOKIE = "delegaties_token"
log = logging.getLogger("delegaties.service")


@frozen
class Principal:
    kind: str  # "token" or "oidc"
    subject: str  # token id or OIDC `sub`
    administration: str | None
    role: str | None


def bearer(connection: ASGIConnection) -> str | None:
    scheme, _, value = connection.headers.get("authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


async def authenticate(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The guard on every route below the (optional) administration prefix."""
    opt = handler.opt
    if opt.get("public"):
        return
    token = bearer(connection)
    if token is None and opt.get("page"):
        token = connection.cookies.get(COOKIE)
    if token is None:
        raise ServiceProblem(401, "UNAUTHENTICATED", UNAUTHENTICATED, CHALLENGE)
    state = connection.app.state
    principal = await resolve(state, token)
    if principal is None:
        raise ServiceProblem(401, "UNAUTHENTICATED", UNAUTHENTICATED, CHALLENGE)
    config = state.config
    if config.multi:
        target = connection.path_params.get("administration")
        if principal.administration != target:
            raise ServiceProblem(403, "FORBIDDEN", tr("this token does not belong to administration '{target}'", target=target))
    elif principal.kind == "oidc":
        served = state.registers.administration_of_db()
        if served is None or principal.administration != served:
            raise ServiceProblem(403, "FORBIDDEN", tr("this token does not belong to administration '{served}'", served=served))
    needed = opt.get("role", "reader")
    if principal.role is None or not role_allows(principal.role, needed):
        raise ServiceProblem(403, "FORBIDDEN", tr("this needs the role '{needed}'; this token has '{role}'", needed=needed, role=principal.role))
    connection.state.principal = principal


async def resolve(state: Any, token: str) -> Principal | None:
    parsed = parse_token(token)
    if parsed is not None:
        # One indexed read on the event loop's own connection: cheaper than a thread hop.
        store = state.registers.tokens(parsed[0])
        record = store.verify(token) if store is not None else None
        if record is None:
            return None
        return Principal("token", record.id, record.administration, record.role)
    verifier: OidcVerifier | None = state.oidc
    if verifier is not None and token.count(".") == 2:
        return await anyio.to_thread.run_sync(verifier.verify, token)
    return None


class OidcVerifier:
    """Signature, issuer, audience and expiry of an access token against the issuer's JWKS
    (fetched on first use and again for a key id it does not know yet)."""

    def __init__(self, config: OidcConfig):
        self.config = config
        self._client: Any = None

    def _jwks(self):
        import jwt

        if self._client is None:
            url = self.config.jwks_url or _discover(self.config.issuer)
            # A token with an unknown kid refetches the JWKS (key rotation), at most once per 5 s.
            self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5, cooldown_duration=5)
        return self._client

    def verify(self, token: str) -> Principal | None:
        import jwt

        cfg = self.config
        try:
            key = self._jwks().get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=list(cfg.algorithms), audience=cfg.audience,
                                issuer=cfg.issuer, leeway=cfg.leeway_seconds,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except Exception as exc:  # noqa: BLE001 - any failure: not authenticated (the reason goes to the log)
            log.info("OIDC token refused: %s: %s", type(exc).__name__, exc)
            return None
        admin = _claim(claims, cfg.administration_claim)
        return Principal("oidc", str(claims["sub"]), admin if isinstance(admin, str) else None,
                         _role(_claim(claims, cfg.role_claim)))


def _discover(issuer: str) -> str:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - the operator's configured issuer
        return json.loads(resp.read())["jwks_uri"]


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _role(value: Any) -> str | None:
    """A role claim is one role or a list of them (e.g. Keycloak's realm roles): the highest counts."""
    held = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    known = [r for r in ROLES if r in held]
    return known[-1] if known else None
