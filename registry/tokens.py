"""Bearer tokens of the HTTP service (contract section 8): issued once, stored hashed, listed and
revoked by id.

The tokens live in an operational table of the register's database, `service_tokens`, not in the
hash-chained event log. A token is a credential of one deployment of the service, not a fact about
the delegations: the log is evidence that is replayed, exported, checkpointed and published, and a
credential (even hashed) has no place in evidence one publishes; a revocation must take effect at
once and for good, while the log can only ever add; and `fsck` rebuilds every projection from the
log, which a table of credentials is not. So `fsck` neither reads nor compares this table, and the
register's history and attestations are the same whichever tokens were ever issued.

A token reads `dlg.<administration>.<id>.<secret>`: the administration and id are not secret (they
say where to look and which row to revoke), the secret is 256 random bits. Only the SHA-256 of the
whole token is stored: a high-entropy secret needs no slow password hash, and a stolen database
yields no usable token.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from attrs import frozen

from delegations.texts import tr

from .errors import InputError, NotFoundError

__all__ = ["ROLES", "ADMINISTRATION_ID", "TokenRecord", "IssuedToken", "TokenStore", "parse_token", "role_allows"]

ROLES = ("reader", "recorder", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
# Also a file name (DIR/<id>.db) and a URL path segment (/t/<id>/): no dots, slashes or spaces.
ADMINISTRATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TOKEN = re.compile(r"dlg\.([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.([0-9a-f]{12})\.([A-Za-z0-9_-]{43})")
_TOKEN_ID = re.compile(r"[0-9a-f]{12}")
_SCHEMA = ("CREATE TABLE IF NOT EXISTS service_tokens (id TEXT PRIMARY KEY, administration TEXT NOT NULL, "
           "role TEXT NOT NULL, label TEXT, sha256 TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, "
           "revoked_at TEXT)")
_SELECT = "SELECT id, administration, role, label, created_at, expires_at, revoked_at FROM service_tokens "


def role_allows(held: str, needed: str) -> bool:
    """Roles are ordered: a recorder may do what a reader may, an admin what a recorder may."""
    return _RANK.get(held, -1) >= _RANK[needed]


def parse_token(token: str) -> tuple[str, str] | None:
    """(administration, id) of a well-formed token, else None (nothing is looked up for it)."""
    m = _TOKEN.fullmatch(token)
    return (m.group(1), m.group(2)) if m else None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _digest(token: str) -> str:
    return "sha256:" + sha256(token.encode("ascii")).hexdigest()


@frozen
class TokenRecord:
    id: str
    administration: str
    role: str
    label: str | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    def status(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and datetime.fromisoformat(self.expires_at) <= (now or _now()):
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "administration": self.administration, "role": self.role, "label": self.label,
                "created_at": self.created_at, "expires_at": self.expires_at, "revoked_at": self.revoked_at,
                "status": self.status()}


@frozen
class IssuedToken:
    token: str  # shown once; only its hash is kept
    record: TokenRecord


class TokenStore:
    """The tokens of one administration, in the database of its register."""

    def __init__(self, conn: sqlite3.Connection, administration: str):
        if not ADMINISTRATION_ID.fullmatch(administration or ""):
            raise InputError(tr("administration: '{administration}' is not a valid id (letters, digits, - and _; at most 64 characters)", administration=administration))
        self.conn = conn
        self.administration = administration

    def issue(self, role: str, label: str | None = None, expires_in_days: int | None = None) -> IssuedToken:
        if role not in ROLES:
            raise InputError(tr("role: expected one of {join}, found '{role}'", join=', '.join(ROLES), role=role))
        if label is not None and (len(label) > 200 or "\x00" in label):
            raise InputError(tr("label: expected at most 200 characters"))
        if expires_in_days is not None and not 1 <= expires_in_days <= 36500:
            raise InputError(tr("expires_in_days: expected a whole number from 1 to 36500"))
        now = _now()
        expires = (now + timedelta(days=expires_in_days)).isoformat() if expires_in_days else None
        token_id = secrets.token_hex(6)
        token = f"dlg.{self.administration}.{token_id}.{secrets.token_urlsafe(32)}"
        if getattr(self.conn, "engine", "sqlite") == "sqlite":  # PostgreSQL: part of the versioned schema
            self.conn.execute(_SCHEMA)
        self.conn.execute("INSERT INTO service_tokens (id, administration, role, label, sha256, created_at, expires_at, "
                          "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                          (token_id, self.administration, role, label, _digest(token), now.isoformat(), expires))
        return IssuedToken(token, TokenRecord(token_id, self.administration, role, label, now.isoformat(), expires, None))

    def list(self) -> list[TokenRecord]:
        return [TokenRecord(*row) for row in self._rows(_SELECT + "WHERE administration = ? ORDER BY created_at, id",
                                                        (self.administration,))]

    def revoke(self, token_id: str) -> TokenRecord:
        """Revoke a token by id; revoking a revoked token changes nothing."""
        rows = self._rows(_SELECT + "WHERE id = ? AND administration = ?", (token_id, self.administration)) \
            if _TOKEN_ID.fullmatch(token_id or "") else []
        if not rows:
            raise NotFoundError(tr("token '{token_id}' does not exist for {administration} (see 'delegaties tokens list')", token_id=token_id, administration=self.administration))
        record = TokenRecord(*rows[0])
        if record.revoked_at is not None:
            return record
        now = _now().isoformat()
        self.conn.execute("UPDATE service_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, token_id))
        return TokenRecord(*self._rows(_SELECT + "WHERE id = ?", (token_id,))[0])

    def verify(self, token: str) -> TokenRecord | None:
        """The record of a valid (well-formed, known, unrevoked, unexpired) token, else None."""
        parsed = parse_token(token)
        if parsed is None or parsed[0] != self.administration:
            return None
        rows = self._rows("SELECT id, administration, role, label, created_at, expires_at, revoked_at, sha256 FROM service_tokens WHERE id = ?", (parsed[1],))
        if not rows or not hmac.compare_digest(rows[0][-1], _digest(token)):
            return None
        record = TokenRecord(*rows[0][:-1])
        if record.administration != self.administration or record.status() != "active":
            return None
        return record

    def _rows(self, sql: str, args: tuple) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # no token was ever issued for this register
                return []
            raise
