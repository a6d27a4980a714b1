"""Attestation format: a check answer signed as a JWS compact token (RFC 7515, EdDSA/Ed25519).

Pure: no file or database access. `cryptography` is imported lazily because every CLI command
imports this package and only a few of them sign or verify.

Verification trusts nothing from the token before the signature is checked with a key taken
from the caller's JWKS; the token can never bring its own key (`jwk`, `jku`, `x5u`, `x5c`).

Tokens travel to finance systems and auditors, so the answer they carry is reduced to what proves
it (`attested_answer`): codes, rule, grant and decision ids with their hashes, position ids, dates
and amounts. Human texts are left out, because they name persons, conflict reasons and who else
is present or absent.

A signed checkpoint (`sign_checkpoint`, `verify_checkpoint`) is the register's signed tree head
in the spirit of RFC 9162: (administration, seq, head, time), a JWS verifiable with the JWKS alone.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import json
import re
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from .texts import N_, CodedError, Text, tr

__all__ = [
    "CODES",
    "AttestationError",
    "attested_answer",
    "build_claims",
    "canonical_json",
    "header_kid",
    "sign_checkpoint",
    "verify_checkpoint",
    "jwk_thumbprint",
    "make_jwks",
    "public_jwk",
    "sign_attestation",
    "verify_attestation",
]

CODES: tuple[str, ...] = (
    "MALFORMED",
    "UNSUPPORTED_ALG",
    "UNKNOWN_KID",
    "BAD_SIGNATURE",
    "EXPIRED",
    "ISSUED_IN_FUTURE",
    "KEY_RETIRED",
    "INVALID_JWKS",
    "INVALID_CLAIMS",
)

ALGORITHM = "EdDSA"
# Header members that would let the token choose its own key or change how it must be read.
_FORBIDDEN_HEADER_MEMBERS = ("crit", "jku", "jwk", "x5u", "x5c", "b64")
_SIGNATURE_LENGTH = 64
_PUBLIC_KEY_LENGTH = 32
# A real attestation is a few kilobytes; anything far larger is refused before it is decoded.
MAX_TOKEN_BYTES = 1024 * 1024
MAX_JWKS_KEYS = 1000
CHECKPOINT_FORMAT = "delegaties-checkpoint/1"


class AttestationError(CodedError):
    """An attestation that must not be trusted; `code` is stable, the messages are for people."""


# --- encoding helpers ---------------------------------------------------------------------------

_B64_TO_URL = bytes.maketrans(b"+/", b"-_")
_URL_TO_B64 = bytes.maketrans(b"-_", b"+/")
_B64URL_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64url_encode(data: bytes) -> bytes:
    # One translate pass both maps the alphabet and drops the padding.
    return binascii.b2a_base64(data, newline=False).translate(_B64_TO_URL, b"=")


def _b64url_decode(segment: bytes) -> bytes:
    """Decode unpadded base64url; raises binascii.Error (a ValueError) on bad input."""
    return binascii.a2b_base64(segment.translate(_URL_TO_B64) + b"=" * (-len(segment) % 4), strict_mode=True)


def _b64url_decode_canonical(segment: bytes) -> bytes:
    # Unused trailing bits would let several strings decode to the same bytes; a mutated
    # signature or key must not pass as the original.
    data = _b64url_decode(segment)
    if _b64url_encode(data) != segment:
        raise binascii.Error("non-canonical base64url")
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # also datetime
        return value.isoformat()
    raise TypeError(f"canonical_json: cannot encode {type(value).__name__}")


# Built once; check_circular is off because inputs are trees and the check costs ~10% of
# the encoding time.
_CANONICAL_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
    default=_json_default,
    check_circular=False,
)


try:  # orjson encodes and parses an attestation ~10x faster: it decides the throughput ratio to raw Ed25519
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib path stays correct
    _orjson = None


def canonical_json(obj: Any) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, no whitespace, Decimal as string, dates as ISO."""
    return _CANONICAL_ENCODER.encode(obj).encode("utf-8")


def _encode_claims(claims: dict[str, Any]) -> bytes:
    """canonical_json, fast: byte-identical for JSON-native claims (tested), which is all an
    answer contains; anything orjson cannot encode exactly goes to the strict encoder."""
    if _orjson is not None:
        try:
            return _orjson.dumps(claims, default=_json_default, option=_orjson.OPT_SORT_KEYS | _orjson.OPT_STRICT_INTEGER)
        except _orjson.JSONEncodeError:
            pass
    return canonical_json(claims)


def _loads(data: bytes) -> Any:
    return _orjson.loads(data) if _orjson is not None else json.loads(data.decode("utf-8"))


def _shown(value: Any, limit: int = 60) -> str:
    """A value from an untrusted token, made safe to print: no control characters, bounded."""
    text = value if isinstance(value, str) and value.isprintable() else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _format_time(numeric_date: int) -> str:
    try:
        return datetime.fromtimestamp(numeric_date, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(numeric_date)


@functools.cache
def _crypto() -> tuple[Any, type[Exception]]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519, InvalidSignature


# --- keys ---------------------------------------------------------------------------------------


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an OKP key: SHA-256 over its required members crv, kty, x."""
    members = {name: jwk.get(name) for name in ("crv", "kty", "x")}
    if not all(isinstance(value, str) for value in members.values()):
        raise ValueError("jwk_thumbprint: an OKP JWK needs string members crv, kty and x")
    return _b64url_encode(hashlib.sha256(canonical_json(members)).digest()).decode("ascii")


def public_jwk(public_key: Any) -> dict[str, str]:
    """The public JWK (RFC 8037) of an Ed25519 public key, with its thumbprint as kid."""
    ed25519, _ = _crypto()
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        raise TypeError(f"public_jwk: expected an Ed25519 public key, got {type(public_key).__name__}")
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url_encode(public_key.public_bytes_raw()).decode("ascii")}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": ALGORITHM, "use": "sig"}


def _invalid_jwks(detail: Text) -> AttestationError:
    return AttestationError("INVALID_JWKS", tr("Invalid JWKS: {detail}.", detail=detail))


# (kid, x) -> public key object; only filled after the kid was checked to be x's thumbprint.
_VERIFIED_KEYS: dict[tuple[str, str], Any] = {}
_CACHE_LIMIT = 512


def _parse_jwk(entry: Any, index: int) -> tuple[str, Any, int | None]:
    """Validate one JWKS entry; returns (kid, public key, retired_at)."""
    where = f"keys[{index}]"
    if not isinstance(entry, dict):
        raise _invalid_jwks(tr("{where} is not an object", where=where))
    if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
        raise _invalid_jwks(tr("{where} is not an Ed25519 key (expected kty OKP, crv Ed25519)", where=where))
    if "d" in entry:
        raise _invalid_jwks(tr("{where} contains a private key (d); publish public keys only", where=where))
    if entry.get("alg", ALGORITHM) != ALGORITHM or entry.get("use", "sig") != "sig":
        raise _invalid_jwks(tr("{where} is not meant for EdDSA signatures (alg/use)", where=where))
    retired_at = entry.get("retired_at")
    if retired_at is not None and type(retired_at) is not int:
        raise _invalid_jwks(tr("{where}.retired_at must be an integer (seconds since 1970)", where=where))
    kid, x = entry.get("kid"), entry.get("x")
    if not isinstance(kid, str) or not isinstance(x, str):
        raise _invalid_jwks(tr("{where} lacks kid or x", where=where))
    key = _VERIFIED_KEYS.get((kid, x))
    if key is None:
        key = _load_public_key(kid, x, where)
        if len(_VERIFIED_KEYS) >= _CACHE_LIMIT:
            _VERIFIED_KEYS.clear()
        _VERIFIED_KEYS[(kid, x)] = key
    return kid, key, retired_at


def _load_public_key(kid: str, x: str, where: str) -> Any:
    try:
        raw = _b64url_decode_canonical(x.encode("ascii"))
    except (UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != _PUBLIC_KEY_LENGTH:
        raise _invalid_jwks(tr("{where}.x is not a base64url-encoded 32-byte Ed25519 key", where=where))
    expected = jwk_thumbprint({"crv": "Ed25519", "kty": "OKP", "x": x})
    if kid != expected:
        # A kid that is not the key's own thumbprint could make a token point at another key.
        raise _invalid_jwks(tr("{where}.kid {kid} is not the RFC 7638 thumbprint of the key ({expected})",
                               where=where, kid=repr(kid), expected=expected))
    ed25519, _ = _crypto()
    try:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise _invalid_jwks(tr("{where}.x is not a valid Ed25519 key", where=where)) from None


def _find_key(jwks: Any, kid: str) -> tuple[Any, int | None]:
    # Every entry is checked on every call (cheap: keys are cached by content), so a JWKS that
    # is edited in place, e.g. a key retired, takes effect at once.
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise _invalid_jwks(tr('expected an object {"keys": [...]}'))  # no parameters: not formatted
    if len(keys) > MAX_JWKS_KEYS:
        raise _invalid_jwks(tr("more than {max} keys", max=MAX_JWKS_KEYS))
    found = None
    seen: set[str] = set()
    for index, entry in enumerate(keys):
        entry_kid, key, retired_at = _parse_jwk(entry, index)
        if entry_kid in seen:
            raise _invalid_jwks(tr("key {kid} occurs twice", kid=entry_kid))
        seen.add(entry_kid)
        if entry_kid == kid:
            found = (key, retired_at)
    if found is None:
        raise AttestationError("UNKNOWN_KID", tr(
            "Key {kid} is not in the JWKS; the attestation was signed with an unknown key.", kid=_shown(kid)))
    return found


def make_jwks(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A JWKS (RFC 7517) of public Ed25519 JWKs; an entry may carry `retired_at` (NumericDate)."""
    keys = [dict(entry) if isinstance(entry, dict) else entry for entry in entries]
    jwks = {"keys": keys}
    for index, entry in enumerate(keys):
        _parse_jwk(entry, index)
    if len({entry["kid"] for entry in keys}) != len(keys):
        raise _invalid_jwks(tr("a key occurs twice"))
    return jwks


# --- signing ------------------------------------------------------------------------------------


# Every step keeps its legal citation (rule, basis, article): the law is not personal data.
_CITATION = ("rule", "basis", "article")
_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "law": ("step", "rule", "holder", "source", "basis", "article", "office"),
    "grant": ("step", "grant", "decision", "to", "source", "decision_sha256", *_CITATION),
    "appointment": ("step", "person", "position", "capacity", *_CITATION),
    "acting": ("step", "person", "position", "capacity", *_CITATION),
    "substitution": ("step", "person", "position", "capacity", "for", *_CITATION),
}
# Finding members a token keeps: ids, dates and amounts. Texts and the details that name other
# persons (present or absent holders, the person in a conflict and its reason) stay out.
_FINDING_FIELDS = ("code", "chain", "grant", "rule", "revoked_from", "revoked_by", "parent", "item", "limit",
                   "ceiling", "used", "remaining", "by", "above")
_ANSWER_FIELDS = ("allowed", "question", "effective_limits", "reporting", "register")


def _steps(chains: Any) -> list[list[dict[str, Any]]]:
    out = []
    for chain in chains or ():
        steps = []
        for step in chain:
            fields = _STEP_FIELDS.get(step.get("step"), ("step",))
            steps.append({k: step[k] for k in fields if k in step})
        out.append(steps)
    return out


def _findings(items: Any) -> list[dict[str, Any]]:
    return [{k: f[k] for k in _FINDING_FIELDS if k in f} for f in items or ()]


def attested_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """The part of a check answer (`Answer.to_dict()`) that an attestation carries: what proves
    the answer, nothing that describes a person. Idempotent."""
    out = {k: answer[k] for k in _ANSWER_FIELDS if k in answer}
    out["chains"] = _steps(answer.get("chains"))
    out["conditions"] = _findings(answer.get("conditions"))
    out["reasons"] = _findings(answer.get("reasons"))
    if "candidates" in answer:
        out["candidates"] = _steps(answer["candidates"])
    return out


def build_claims(
    answer: dict[str, Any],
    *,
    iss: str,
    sub: str,
    jti: str,
    iat: int,
    exp: int | None = None,
    register: dict[str, Any],
) -> dict[str, Any]:
    """The claims of an attestation of `answer` (iat/exp are NumericDate seconds)."""
    if type(iat) is not int or (exp is not None and type(exp) is not int):
        raise TypeError("build_claims: iat and exp must be int (seconds since 1970)")
    if "question" not in answer:
        raise ValueError("build_claims: the answer has no 'question'")
    claims: dict[str, Any] = {"iss": iss, "sub": sub, "iat": iat, "jti": jti}
    if exp is not None:
        claims["exp"] = exp
    claims["question"] = answer["question"]
    claims["answer"] = attested_answer(answer)
    claims["register"] = register
    return claims


_HEADER_PREFIXES: dict[str, bytes] = {}


def _header_prefix(kid: str) -> bytes:
    prefix = _HEADER_PREFIXES.get(kid)
    if prefix is None:
        if not isinstance(kid, str) or not kid:
            raise ValueError("sign_attestation: kid must be a non-empty string")
        header = canonical_json({"alg": ALGORITHM, "kid": kid, "typ": "JWT"})
        prefix = _b64url_encode(header) + b"."
        if len(_HEADER_PREFIXES) >= _CACHE_LIMIT:
            _HEADER_PREFIXES.clear()
        _HEADER_PREFIXES[kid] = prefix
    return prefix


def sign_attestation(claims: dict[str, Any], private_key: Any, kid: str) -> str:
    """JWS compact token over canonical_json(claims); deterministic (Ed25519 is).

    `kid` must be the thumbprint of `private_key` (KeyStore.load_private guarantees that);
    a mismatch yields tokens that fail verification with BAD_SIGNATURE.
    """
    if not isinstance(claims, dict):
        raise TypeError("sign_attestation: claims must be a dict")
    signing_input = _header_prefix(kid) + _b64url_encode(_encode_claims(claims))
    signature = private_key.sign(signing_input)
    return (signing_input + b"." + _b64url_encode(signature)).decode("ascii")


# --- verification -------------------------------------------------------------------------------


def _malformed(detail: Text) -> AttestationError:
    return AttestationError("MALFORMED", tr(
        "Malformed token: {detail}. Expected a JWS compact token (header.payload.signature in base64url).",
        detail=detail))


def _token_bytes(token: Any) -> bytes:
    if isinstance(token, str):
        try:
            raw = token.encode("ascii")
        except UnicodeEncodeError:
            raise _malformed(tr("it contains characters outside base64url")) from None
    elif isinstance(token, bytes | bytearray | memoryview):
        raw = bytes(token)
    else:
        raise _malformed(tr("expected text, got {type}", type=type(token).__name__))
    if len(raw) > MAX_TOKEN_BYTES + 2:
        raise _malformed(tr("it is larger than {max} bytes", max=MAX_TOKEN_BYTES))
    # Only the ends are cleaned (a token read from a file ends in a newline); a stray character
    # inside the signed part breaks the signature, elsewhere the segment checks catch it.
    return raw.strip()


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    header = dict(pairs)
    if len(header) != len(pairs):
        # Two "alg" members could be read differently by different libraries.
        raise ValueError("duplicate member")
    return header


# header segment -> kid, for headers that passed every check below.
_HEADER_KIDS: dict[bytes, str] = {}


def _header_kid(segment: bytes) -> str:
    kid = _HEADER_KIDS.get(segment)
    if kid is not None:
        return kid
    header = None
    if not segment.translate(None, _B64URL_ALPHABET):
        try:
            header = json.loads(_b64url_decode(segment), object_pairs_hook=_reject_duplicates)
        except (ValueError, RecursionError):  # ValueError covers binascii, UTF-8 and JSON errors
            pass
    if not isinstance(header, dict):
        raise _malformed(tr("the header is not a base64url-encoded JSON object"))
    alg = header.get("alg")
    if alg != ALGORITHM:
        raise AttestationError("UNSUPPORTED_ALG", tr("Algorithm {alg} is not accepted; only EdDSA (Ed25519).",
                                                     alg=_shown(repr(alg))))
    embedded = [name for name in _FORBIDDEN_HEADER_MEMBERS if name in header]
    if embedded:
        names = ", ".join(embedded)
        raise AttestationError("UNSUPPORTED_ALG", tr(
            "The header contains {names}; keys or extensions carried by the token are never trusted.", names=names))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AttestationError("UNKNOWN_KID", tr(
            "The header names no key (kid); without a kid the signature cannot be checked."))
    if len(_HEADER_KIDS) >= _CACHE_LIMIT:
        _HEADER_KIDS.clear()
    _HEADER_KIDS[segment] = kid
    return kid


def header_kid(token: str | bytes) -> str:
    """The `kid` named in a token's header (unverified: for looking the token up, not trusting it)."""
    return _header_kid(_token_bytes(token).split(b".")[0])


def _invalid_claims(detail: Text) -> AttestationError:
    return AttestationError("INVALID_CLAIMS", tr("Invalid claims: {detail}.", detail=detail))


# (claim, type, what it must be: a message id)
_REQUIRED_CLAIMS: tuple[tuple[str, type, str], ...] = (
    ("iss", str, N_("text")),
    ("sub", str, N_("text")),
    ("iat", int, N_("an integer")),
    ("jti", str, N_("text")),
    ("question", dict, N_("an object")),
    ("answer", dict, N_("an object")),
    ("register", dict, N_("an object")),
)


def _check_claims(claims: Any) -> None:
    if not isinstance(claims, dict):
        raise _invalid_claims(tr("the payload is not a JSON object"))
    for name, kind, what in _REQUIRED_CLAIMS:
        value = claims.get(name)
        # type() rather than isinstance: JSON true/false must not pass as an int.
        if value is None or type(value) is not kind or (kind is str and not value):
            if value is None:
                raise _invalid_claims(tr("claim {name} is missing", name=repr(name)))
            raise _invalid_claims(tr("claim {name} must be {what}", name=repr(name), what=Text(what)))
    exp = claims.get("exp")
    if exp is not None and type(exp) is not int:
        raise _invalid_claims(tr("claim {name} must be {what}", name=repr("exp"), what=Text(N_("an integer"))))
    register = claims["register"]
    if type(register.get("seq")) is not int or not isinstance(register.get("head"), str):
        raise _invalid_claims(tr("claim 'register' must contain seq (integer) and head (text)"))


def _verified_payload(token: str | bytes, jwks: dict[str, Any]) -> tuple[Any, str, int | None]:
    """(payload, kid, retired_at) of a JWS whose signature verifies with a key of `jwks`."""
    raw = _token_bytes(token)
    parts = raw.split(b".")
    if len(parts) != 3:
        raise _malformed(tr("it has {count} parts instead of 3", count=len(parts)))
    header_segment, payload_segment, signature_segment = parts
    kid = _header_kid(header_segment)
    key, retired_at = _find_key(jwks, kid)

    try:
        signature = _b64url_decode_canonical(signature_segment)
    except ValueError:
        signature = b""
    if len(signature) != _SIGNATURE_LENGTH:
        raise _malformed(tr("the signature is not a 64-byte Ed25519 signature"))
    _, invalid_signature = _crypto()
    try:
        key.verify(signature, raw[: len(header_segment) + 1 + len(payload_segment)])
    except invalid_signature:
        raise AttestationError("BAD_SIGNATURE", tr(
            "The signature does not match key {kid}: the token was altered or signed with another key.", kid=kid,
        )) from None

    # From here on the content comes from the key holder.
    try:
        payload = _loads(_b64url_decode(payload_segment))
    except (ValueError, RecursionError):
        raise _malformed(tr("the payload is not base64url-encoded JSON")) from None
    return payload, kid, retired_at


def _check_times(kid: str, retired_at: int | None, iat: int, exp: int | None, now: int | None, leeway: int) -> None:
    if retired_at is not None and iat >= retired_at:
        raise AttestationError("KEY_RETIRED", tr(
            "Key {kid} is retired since {retired}, but the attestation was signed at {signed}.",
            kid=kid, retired=_format_time(retired_at), signed=_format_time(iat)))
    if now is None:
        now = int(time.time())
    if iat > now + leeway:
        raise AttestationError("ISSUED_IN_FUTURE", tr(
            "The attestation was issued in the future ({issued}; now {now}, leeway {leeway} s). Check the clock.",
            issued=_format_time(iat), now=_format_time(now), leeway=leeway))
    if exp is not None and exp < now - leeway:
        raise AttestationError("EXPIRED", tr("The attestation expired at {expired} (now {now}).",
                                             expired=_format_time(exp), now=_format_time(now)))


def verify_attestation(
    token: str | bytes, jwks: dict[str, Any], *, now: int | None = None, leeway: int = 60
) -> dict[str, Any]:
    """Verify a token against `jwks` alone and return its claims, or raise AttestationError."""
    claims, kid, retired_at = _verified_payload(token, jwks)
    _check_claims(claims)
    _check_times(kid, retired_at, claims["iat"], claims.get("exp"), now, leeway)
    return claims


# --- checkpoints --------------------------------------------------------------------------------

_HEAD = re.compile(r"sha256:[0-9a-f]{64}")


def sign_checkpoint(*, administration: str, seq: int, head: str, iat: int, private_key: Any, kid: str) -> dict[str, Any]:
    """A signed checkpoint for publication: the readable fields and `token`, a JWS over exactly
    those fields (the verifier trusts only the signed ones)."""
    if type(seq) is not int or seq < 0 or not _HEAD.fullmatch(head) or type(iat) is not int:
        raise ValueError("sign_checkpoint: seq >= 0, head sha256:<64 hex> and iat (int) are required")
    claims = {"format": CHECKPOINT_FORMAT, "iss": administration, "seq": seq, "head": head, "iat": iat,
              "time": _format_time(iat)}
    return {**claims, "kid": kid, "token": sign_attestation(claims, private_key, kid)}


def verify_checkpoint(document: Any, jwks: dict[str, Any], *, now: int | None = None, leeway: int = 60) -> dict[str, Any]:
    """The signed claims of a checkpoint (a document from `sign_checkpoint`, or its token alone)."""
    token = document.get("token") if isinstance(document, dict) else document
    if not isinstance(token, str | bytes):
        raise _malformed(tr("the checkpoint has no token"))
    claims, kid, retired_at = _verified_payload(token, jwks)
    if not isinstance(claims, dict) or claims.get("format") != CHECKPOINT_FORMAT:
        raise _invalid_claims(tr("expected a checkpoint ({format})", format=CHECKPOINT_FORMAT))
    if not isinstance(claims.get("iss"), str) or type(claims.get("seq")) is not int or claims["seq"] < 0 \
            or not isinstance(claims.get("head"), str) or not _HEAD.fullmatch(claims["head"]) or type(claims.get("iat")) is not int:
        raise _invalid_claims(tr("a checkpoint has iss, seq, head (sha256:...) and iat"))
    if isinstance(document, dict):
        shown = {k: document[k] for k in claims if k in document}
        if shown != {k: claims[k] for k in shown}:
            raise _invalid_claims(tr("the readable fields differ from the signed ones"))
    _check_times(kid, retired_at, claims["iat"], None, now, leeway)
    return claims
