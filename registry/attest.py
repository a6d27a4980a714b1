"""Keys and attestations of a register (contract section 6).

Private keys live in files outside the database (`registry.keys.KeyStore`); the public keys,
their retirement and every issued attestation are events, so the JWKS can be rebuilt from the
register and the annual report can count attestations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from delegations.texts import Text

from . import projections
from .errors import InputError
from .store import EXTRA_TABLES, canonical, sha256

if TYPE_CHECKING:
    from delegations.answer import Answer

KEYS_ENV = "DELEGATIES_KEYS"


def _tables(db) -> None:
    db["keys"].create({"kid": str, "jwk": str, "added_at": int, "retired_at": int, "seq": int}, pk="kid",
                      if_not_exists=True)
    db["attestations"].create({"jti": str, "kid": str, "iat": int, "actor": str, "power": str, "allowed": int,
                               "question_sha256": str, "grants": str, "seq": int}, pk="jti", if_not_exists=True)


EXTRA_TABLES.append(_tables)
projections.TABLES.update({"keys": "kid", "attestations": "jti"})


@projections.handler("key.added")
def _key_added(conn, event) -> None:
    d = event.data
    conn.execute("INSERT INTO keys (kid, jwk, added_at, retired_at, seq) VALUES (?, ?, ?, NULL, ?)",
                 (d["kid"], canonical(d["jwk"]), d["added_at"], event.seq))


@projections.handler("key.retired")
def _key_retired(conn, event) -> None:
    d = event.data
    conn.execute("UPDATE keys SET retired_at = ? WHERE kid = ?", (d["retired_at"], d["kid"]))


@projections.handler("attestation.issued")
def _attestation(conn, event) -> None:
    d = event.data
    conn.execute("INSERT INTO attestations (jti, kid, iat, actor, power, allowed, question_sha256, grants, seq) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (d["jti"], d["kid"], d["iat"], d["actor"], d["power"], int(d["allowed"]), d["question_sha256"],
                  canonical(d["grants"]), event.seq))


class AttestMixin:
    """Registry methods for keys and attestations; `Registry` inherits them."""

    path: Path
    store: Any
    last_jti: str | None

    # -- keys -----------------------------------------------------------------------------------
    @property
    def key_store(self):
        from .keys import KeyStore

        directory = os.environ.get(KEYS_ENV) or Path(self.path).resolve().parent / "keys"
        return KeyStore(Path(directory))

    def keys_new(self, passphrase: bytes | None = None) -> str:
        from .keys import passphrase_from_env

        kid, jwk = self.key_store.new(passphrase if passphrase is not None else passphrase_from_env())
        with self.store.transaction() as tx:
            ev = tx.append("key.added", {"kid": kid, "jwk": jwk, "added_at": int(time.time())})
            projections.apply(tx.conn, ev)
        return kid

    def keys_list(self) -> list[dict[str, Any]]:
        rows = self.store.conn.execute("SELECT kid, jwk, added_at, retired_at FROM keys ORDER BY seq").fetchall()
        active = self._active_kid()
        store = self.key_store
        return [{"kid": kid, "status": "retired" if retired else ("active" if kid == active else "standby"),
                 "added_at": added, "retired_at": retired, "private_key_here": store.has(kid),
                 "jwk": json.loads(jwk)} for kid, jwk, added, retired in rows]

    def _active_kid(self) -> str | None:
        row = self.store.conn.execute("SELECT kid FROM keys WHERE retired_at IS NULL ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def keys_retire(self, kid: str) -> None:
        row = self.store.conn.execute("SELECT retired_at FROM keys WHERE kid = ?", (kid,)).fetchone()
        if row is None:
            raise InputError(Text(f"Sleutel {kid} staat niet in het register (zie 'delegaties keys list').",
                                  f"Key {kid} is not in the register (see 'delegaties keys list')."))
        if row[0] is not None:
            return
        last = self.store.conn.execute("SELECT MAX(iat) FROM attestations WHERE kid = ?", (kid,)).fetchone()[0]
        # NumericDate has whole seconds: a token issued earlier in this very second must stay valid.
        retired_at = max(int(time.time()), (last or 0) + 1)
        with self.store.transaction() as tx:
            ev = tx.append("key.retired", {"kid": kid, "retired_at": retired_at})
            projections.apply(tx.conn, ev)

    def jwks(self) -> dict[str, Any]:
        from delegations.attestation import make_jwks

        entries = []
        for k in self.keys_list():
            jwk = dict(k["jwk"])
            if k["retired_at"] is not None:
                jwk["retired_at"] = k["retired_at"]
            entries.append(jwk)
        return make_jwks(entries)

    # -- attestations ---------------------------------------------------------------------------
    @staticmethod
    def new_jti() -> str:
        return str(uuid.uuid4())

    def attest(self, answer: Answer, *, exp: int | None = None, passphrase: bytes | None = None,
               jti: str | None = None) -> str:
        """Sign `answer` with the active key and record the issuance as an event."""
        from delegations.attestation import build_claims, sign_attestation

        from .keys import KeyStoreError, passphrase_from_env

        kid = self._active_kid()
        if kid is None:
            raise InputError(Text("Geen actieve sleutel: maak er een met 'delegaties keys new'.",
                                  "No active key: create one with 'delegaties keys new'."))
        try:
            key = self.key_store.load_private(kid, passphrase if passphrase is not None else passphrase_from_env())
        except KeyStoreError as exc:
            raise InputError(Text(exc.message("nl"), exc.message("en"))) from None
        data = answer.to_dict("nl")
        admin = self.administration()  # type: ignore[attr-defined]
        jti = jti or self.new_jti()
        iat = int(time.time())
        claims = build_claims(data, iss=admin.id if admin else "onbekend", sub=answer.question.actor, jti=jti, iat=iat,
                              exp=exp, register=answer.register)
        token = sign_attestation(claims, key, kid)
        grants = sorted({s["grant"] for c in data["chains"] for s in c if s["step"] == "grant"}
                        | {r["grant"] for r in data["reasons"] if r.get("grant")})
        with self.store.transaction() as tx:
            ev = tx.append("attestation.issued", {
                "jti": jti, "kid": kid, "iat": iat, "actor": answer.question.actor, "power": answer.question.power,
                "allowed": answer.allowed, "grants": grants,
                "question_sha256": "sha256:" + hashlib.sha256(canonical(data["question"]).encode()).hexdigest()})
            projections.apply(tx.conn, ev)
        self.last_jti = jti
        return token

    def verify_against_register(self, claims: dict[str, Any]) -> dict[str, Any]:
        """Does the cited register head exist here, with the cited decision contents? And would
        the same question get the same answer today (informational)?"""
        reg = claims.get("register", {})
        row = self.store.conn.execute("SELECT hash FROM events WHERE seq = ?", (reg.get("seq"),)).fetchone()
        head_ok = row is not None and row[0] == reg.get("head")
        cited: dict[str, str] = {}
        answer = claims.get("answer", {})
        for chain in answer.get("chains", []) + answer.get("candidates", []):
            for step in chain:
                if step.get("step") == "grant" and "decision_sha256" in step:
                    cited[step["decision"]] = step["decision_sha256"]
        # every version of every decision ever recorded: an attestation may cite an older one
        stored = {sha256(canonical(ev.data["data"])) for ev in self.store.events(kinds=("entity.put",))
                  if ev.data["kind"] == "decision"}
        missing = sorted(d for d, h in cited.items() if h not in stored)
        same = None
        q = claims.get("question") or {}
        try:
            today = self.check(q["actor"], q["power"], q["on"], amount=q.get("amount"),  # type: ignore[attr-defined]
                               budget_key=q.get("budget_key"), unit=q.get("unit"), document_type=q.get("document_type"),
                               issuer=q.get("issuer"), matter=q.get("matter"), entity=q.get("entity"),
                               concerns=q.get("concerns"))
            same = today.allowed == answer.get("allowed")
        except Exception:  # noqa: BLE001 - informational only; the ids may no longer exist
            same = None
        return {"head_found": head_ok, "decisions_found": not missing, "missing_decisions": missing,
                "same_answer_today": same}
