"""What `delegaties serve` was started with."""

from __future__ import annotations

from pathlib import Path

from attrs import field, frozen


@frozen
class OidcConfig:
    """OIDC access tokens of one issuer, validated against its JWKS; role and administration
    come from configured claims (dotted paths, e.g. `realm_access.roles`)."""

    issuer: str
    audience: str
    jwks_url: str | None = None  # default: jwks_uri from the issuer's openid-configuration
    role_claim: str = "delegaties_role"
    administration_claim: str = "delegaties_administration"
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    leeway_seconds: int = 30


@frozen
class ServiceConfig:
    """Exactly one of `db` (one register, no path prefix: a file or a postgresql:// URL with its
    administration), `data_dir` (DIR/<administration>.db under /t/<administration>) and `pg` (a
    postgresql:// URL without administration: every administration in that database the login may
    work on, under /t/<administration>). `read_db`: a streaming replica of that database for reads."""

    db: Path | str | None = None
    data_dir: Path | None = None
    pg: str | None = None
    read_db: str | None = None
    oidc: OidcConfig | None = None
    pool_size: int = field(default=2)  # Registry objects (each with a loaded state) per administration, at most
    max_administrations: int = field(default=64)  # administrations whose Registry objects are kept between requests

    @property
    def multi(self) -> bool:
        return self.data_dir is not None or self.pg is not None
