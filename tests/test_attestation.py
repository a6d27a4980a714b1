"""Attestation format: round trip, interop with jwcrypto and PyJWT, and every way to reject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from jwcrypto import jwt as jwcrypto_jwt

from delegations.attestation import (
    CODES,
    AttestationError,
    attested_answer,
    build_claims,
    canonical_json,
    jwk_thumbprint,
    make_jwks,
    public_jwk,
    sign_attestation,
    verify_attestation,
)

NOW = 1_746_180_000  # 2025-05-02T10:00:00Z
KEY = Ed25519PrivateKey.generate()
JWK = public_jwk(KEY.public_key())
KID = JWK["kid"]
OTHER_KEY = Ed25519PrivateKey.generate()
OTHER_JWK = public_jwk(OTHER_KEY.public_key())
STRANGER_KEY = Ed25519PrivateKey.generate()  # never published
STRANGER_JWK = public_jwk(STRANGER_KEY.public_key())
JWKS = make_jwks([JWK, OTHER_JWK])


def b64(data: bytes) -> str:
    """Independent of the module under test: the standard library's base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def make_answer(allowed: bool = True) -> dict[str, Any]:
    return {
        "allowed": allowed,
        "question": {
            "actor": "p-001",
            "power": "budgethouderschap.verbintenis",
            "on": date(2025, 5, 2),
            "amount": Decimal("1200.00"),
            "budget_key": "0119/6140000",
            "unit": "aankoop",
            "document_type": None,
            "issuer": None,
            "matter": None,
            "entity": "gemeente",
        },
        "chains": [
            [
                {"step": "law", "rule": "REGLEMENT-DAGELIJKS-BESTUUR", "holder": "college"},
                {
                    "step": "grant",
                    "grant": "CBS-2025-0412/1",
                    "decision": "CBS-2025-0412",
                    "to": "ad",
                    "sha256": "ab" * 32,
                },
                {
                    "step": "grant",
                    "grant": "AD-2025-0007/3",
                    "decision": "AD-2025-0007",
                    "to": "dh-aankoop",
                    "sha256": "cd" * 32,
                },
                {"step": "appointment", "person": "p-001", "position": "dh-aankoop", "capacity": "titular"},
            ]
        ],
        "effective_limits": {"max_amount": Decimal("8500.00"), "units": ["aankoop"]},
        "conditions": [],
        "reasons": [],
        "signature_mention": "Voor de algemeen directeur, bij delegatie — Financiën",
        "reporting": [{"to": "college", "every": "quarter"}],
        "register": {"seq": 41, "head": "sha256:" + "ef" * 32},
    }


def make_claims(*, iat: int = NOW, exp: int | None = NOW + 3600, jti: str = "jti-1") -> dict[str, Any]:
    answer = make_answer()
    return build_claims(
        answer, iss="voorbeeldegem", sub="p-001", jti=jti, iat=iat, exp=exp, register=answer["register"]
    )


TOKEN = sign_attestation(make_claims(), KEY, KID)


def forge(header: dict[str, Any], payload: Any, signer: Callable[[bytes], bytes] | None = None) -> str:
    """A token built by hand, as an attacker would; payload dicts are JSON-encoded."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(body)}"
    signature = signer(signing_input.encode()) if signer else b""
    return f"{signing_input}.{b64(signature)}"


def error_of(token: Any, jwks: Any = JWKS, now: int = NOW, **options: Any) -> AttestationError:
    with pytest.raises(AttestationError) as caught:
        verify_attestation(token, jwks, now=now, **options)
    return caught.value


def json_form(value: Any) -> Any:
    return json.loads(canonical_json(value))


# --- the happy path -----------------------------------------------------------------------------


def test_round_trip_returns_the_signed_claims() -> None:
    claims = make_claims()
    assert verify_attestation(sign_attestation(claims, KEY, KID), JWKS, now=NOW) == json_form(claims)


def test_token_has_the_contract_header_and_canonical_payload() -> None:
    claims = make_claims()
    header, payload, signature = sign_attestation(claims, KEY, KID).split(".")
    assert json.loads(unb64(header)) == {"alg": "EdDSA", "kid": KID, "typ": "JWT"}
    assert unb64(header) == b'{"alg":"EdDSA","kid":"%s","typ":"JWT"}' % KID.encode()
    assert unb64(payload) == canonical_json(claims)
    assert len(unb64(signature)) == 64
    assert "=" not in header + payload + signature


def test_signing_is_deterministic() -> None:
    assert sign_attestation(make_claims(), KEY, KID) == sign_attestation(make_claims(), KEY, KID)
    assert sign_attestation(make_claims(jti="a"), KEY, KID) != sign_attestation(
        make_claims(jti="b"), KEY, KID
    )


def test_build_claims_layout() -> None:
    answer = make_answer()
    claims = build_claims(
        answer, iss="voorbeeldegem", sub="p-001", jti="j", iat=5, exp=None, register={"seq": 1, "head": "h"}
    )
    assert claims == {
        "iss": "voorbeeldegem",
        "sub": "p-001",
        "iat": 5,
        "jti": "j",
        "question": answer["question"],
        "answer": attested_answer(answer),  # without texts (see tests/test_evidence_tokens.py)
        "register": {"seq": 1, "head": "h"},
    }
    assert build_claims(answer, iss="i", sub="s", jti="j", iat=5, exp=9, register={})["exp"] == 9
    with pytest.raises(TypeError):
        build_claims(answer, iss="i", sub="s", jti="j", iat=5.0, exp=None, register={})  # type: ignore[arg-type]


def test_refusals_can_be_attested() -> None:
    answer = make_answer(allowed=False)
    claims = build_claims(
        answer, iss="voorbeeldegem", sub="p-001", jti="j", iat=NOW, exp=None, register=answer["register"]
    )
    assert verify_attestation(sign_attestation(claims, KEY, KID), JWKS, now=NOW)["answer"]["allowed"] is False


def test_verify_accepts_bytes_and_a_trailing_newline() -> None:
    assert verify_attestation(TOKEN.encode() + b"\n", JWKS, now=NOW)["jti"] == "jti-1"


def test_boundaries_of_the_time_checks() -> None:
    leeway = 60
    assert verify_attestation(sign_attestation(make_claims(exp=NOW - leeway), KEY, KID), JWKS, now=NOW)
    assert error_of(sign_attestation(make_claims(exp=NOW - leeway - 1), KEY, KID)).code == "EXPIRED"
    assert verify_attestation(sign_attestation(make_claims(iat=NOW + leeway), KEY, KID), JWKS, now=NOW)
    assert error_of(sign_attestation(make_claims(iat=NOW + leeway + 1), KEY, KID)).code == "ISSUED_IN_FUTURE"
    assert error_of(sign_attestation(make_claims(exp=NOW - 1), KEY, KID), leeway=0).code == "EXPIRED"
    no_exp = sign_attestation(make_claims(exp=None), KEY, KID)
    assert "exp" not in verify_attestation(no_exp, JWKS, now=NOW + 10**9)


def test_now_defaults_to_the_clock() -> None:
    fresh = sign_attestation(make_claims(iat=int(time.time()), exp=int(time.time()) + 600), KEY, KID)
    assert verify_attestation(fresh, JWKS)["iss"] == "voorbeeldegem"
    assert error_of_clock(sign_attestation(make_claims(iat=NOW, exp=NOW + 1), KEY, KID)) == "EXPIRED"


def error_of_clock(token: str) -> str:
    with pytest.raises(AttestationError) as caught:
        verify_attestation(token, JWKS)
    return caught.value.code


def test_key_retirement_only_affects_tokens_signed_after_it() -> None:
    before = sign_attestation(make_claims(iat=NOW - 100), KEY, KID)
    at = sign_attestation(make_claims(iat=NOW), KEY, KID)
    jwks = make_jwks([{**JWK, "retired_at": NOW}, OTHER_JWK])
    assert verify_attestation(before, jwks, now=NOW)["iat"] == NOW - 100
    error = error_of(at, jwks)
    assert error.code == "KEY_RETIRED"
    assert "2025-05-02T10:00:00Z" in error.message_nl


def test_jwks_edited_in_place_takes_effect_at_once() -> None:
    jwks = make_jwks([JWK])
    assert verify_attestation(TOKEN, jwks, now=NOW)
    jwks["keys"][0]["retired_at"] = NOW - 10
    assert error_of(TOKEN, jwks).code == "KEY_RETIRED"
    jwks["keys"].clear()
    assert error_of(TOKEN, jwks).code == "UNKNOWN_KID"


# --- keys and thumbprints -----------------------------------------------------------------------

# RFC 8037 appendix A.1 (key) and A.3 (thumbprint).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_rfc8037_test_vectors() -> None:
    key = Ed25519PrivateKey.from_private_bytes(unb64(RFC8037_D))
    jwk = public_jwk(key.public_key())
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": RFC8037_X,
        "kid": RFC8037_THUMBPRINT,
        "alg": "EdDSA",
        "use": "sig",
    }
    assert jwk_thumbprint({"crv": "Ed25519", "kty": "OKP", "x": RFC8037_X}) == RFC8037_THUMBPRINT
    # Members other than crv, kty and x do not count.
    assert jwk_thumbprint({**jwk, "kid": "x", "retired_at": 1}) == RFC8037_THUMBPRINT


def test_thumbprint_matches_jwcrypto() -> None:
    for _ in range(5):
        key = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
        assert jwk_thumbprint(key.export_public(as_dict=True)) == key.thumbprint()


def test_public_jwk_rejects_other_keys() -> None:
    with pytest.raises(TypeError):
        public_jwk(KEY)  # a private key must not be turned into a "public" JWK by accident


def test_make_jwks_copies_and_validates() -> None:
    entry = dict(JWK)
    jwks = make_jwks([entry])
    entry["x"] = OTHER_JWK["x"]
    assert jwks == {"keys": [JWK]}
    assert make_jwks([{**JWK, "retired_at": 7}])["keys"][0]["retired_at"] == 7
    for bad in ([{**JWK, "d": "secret"}], [{**JWK, "kid": OTHER_JWK["kid"]}], [JWK, JWK]):
        with pytest.raises(AttestationError) as caught:
            make_jwks(bad)
        assert caught.value.code == "INVALID_JWKS"


# --- interoperability ---------------------------------------------------------------------------


def live_token(key: Ed25519PrivateKey = KEY, kid: str = KID) -> tuple[str, dict[str, Any]]:
    now = int(time.time())
    claims = make_claims(iat=now, exp=now + 600)
    return sign_attestation(claims, key, kid), json_form(claims)


def test_jwcrypto_verifies_our_token_with_the_jwks_alone() -> None:
    token, claims = live_token(OTHER_KEY, OTHER_JWK["kid"])
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(make_jwks([{**JWK, "retired_at": NOW}, OTHER_JWK])))
    signed = jwcrypto_jws.JWS()
    signed.deserialize(token)
    signed.verify(keyset.get_key(OTHER_JWK["kid"]))
    assert json.loads(signed.payload) == claims
    as_jwt = jwcrypto_jwt.JWT(jwt=token, key=keyset, expected_type="JWS")
    assert json.loads(as_jwt.claims) == claims
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        jwcrypto_jws.JWS().deserialize(token, keyset.get_key(KID))


def test_pyjwt_verifies_our_token_with_the_jwks_alone() -> None:
    token, claims = live_token()
    keyset = pyjwt.PyJWKSet.from_dict(make_jwks([JWK, {**OTHER_JWK, "retired_at": NOW}]))
    kid = pyjwt.get_unverified_header(token)["kid"]
    decoded = pyjwt.decode(
        token, keyset[kid], algorithms=["EdDSA"], options={"require": ["iss", "sub", "iat", "jti", "exp"]}
    )
    assert decoded == claims
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(token, keyset[OTHER_JWK["kid"]], algorithms=["EdDSA"])


def test_we_verify_a_token_signed_by_jwcrypto() -> None:
    key = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    kid = key.thumbprint()
    jwks = make_jwks([{**key.export_public(as_dict=True), "kid": kid}])
    claims = json_form(make_claims())
    token = jwcrypto_jwt.JWT(header={"alg": "EdDSA", "kid": kid}, claims=claims)
    token.make_signed_token(key)
    assert verify_attestation(token.serialize(), jwks, now=NOW) == claims


def test_we_verify_a_token_signed_by_pyjwt() -> None:
    claims = json_form(make_claims())
    token = pyjwt.encode(claims, OTHER_KEY, algorithm="EdDSA", headers={"kid": OTHER_JWK["kid"]})
    assert verify_attestation(token, JWKS, now=NOW) == claims


# --- rejection ----------------------------------------------------------------------------------


def edit_payload() -> str:
    header, payload, signature = TOKEN.split(".")
    claims = json.loads(unb64(payload))
    claims["answer"]["effective_limits"]["max_amount"] = "85000.00"
    return ".".join((header, b64(canonical_json(claims)), signature))


def edit_header() -> str:
    header, payload, signature = TOKEN.split(".")
    return ".".join((b64(canonical_json({"alg": "EdDSA", "kid": KID, "typ": "JOSE"})), payload, signature))


def swap_kid() -> str:
    header, payload, signature = TOKEN.split(".")
    return ".".join(
        (b64(canonical_json({"alg": "EdDSA", "kid": OTHER_JWK["kid"], "typ": "JWT"})), payload, signature)
    )


def hs256(secret: bytes) -> str:
    return forge(
        {"alg": "HS256", "kid": KID, "typ": "JWT"},
        json_form(make_claims()),
        lambda data: hmac.new(secret, data, hashlib.sha256).digest(),
    )


def sign_raw(header: dict[str, Any], payload: Any, key: Ed25519PrivateKey = KEY) -> str:
    return forge(header, payload, key.sign)


def without(claim: str) -> str:
    claims = json_form(make_claims())
    del claims[claim]
    return sign_attestation(claims, KEY, KID)


def with_claim(claim: str, value: Any) -> str:
    return sign_attestation({**json_form(make_claims()), claim: value}, KEY, KID)


def flip_last_signature_bits() -> str:
    # 64 bytes take 86 characters; the last one carries 4 unused bits that must stay zero.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(TOKEN[-1])
    return TOKEN[:-1] + alphabet[last ^ 0b0011]


CLAIMS_JSON = json_form(make_claims())
RSA_JWK = {"kty": "RSA", "kid": "r", "n": "sXch", "e": "AQAB"}

# name -> (token maker, jwks, expected code). The first fourteen are the core attacks and together
# must produce every code (see the code-set test); the rest probe the same codes from other angles.
CASES: dict[str, tuple[Callable[[], Any], Any, str]] = {
    "edited payload": (edit_payload, JWKS, "BAD_SIGNATURE"),
    "edited header": (edit_header, JWKS, "BAD_SIGNATURE"),
    "swapped kid": (swap_kid, JWKS, "BAD_SIGNATURE"),
    "wrong key (not in the JWKS)": (
        lambda: sign_attestation(make_claims(), STRANGER_KEY, STRANGER_JWK["kid"]),
        JWKS,
        "UNKNOWN_KID",
    ),
    "alg none": (
        lambda: forge({"alg": "none", "kid": KID, "typ": "JWT"}, CLAIMS_JSON),
        JWKS,
        "UNSUPPORTED_ALG",
    ),
    "HS256 keyed with the public key bytes": (lambda: hs256(unb64(JWK["x"])), JWKS, "UNSUPPORTED_ALG"),
    "truncated token": (lambda: TOKEN[: len(TOKEN) // 2], JWKS, "MALFORMED"),
    "extra segments": (lambda: TOKEN + "." + TOKEN.split(".")[2], JWKS, "MALFORMED"),
    "expired": (
        lambda: sign_attestation(make_claims(iat=NOW - 7200, exp=NOW - 3600), KEY, KID),
        JWKS,
        "EXPIRED",
    ),
    "iat after key retirement": (
        lambda: TOKEN,
        make_jwks([{**JWK, "retired_at": NOW - 3600}]),
        "KEY_RETIRED",
    ),
    "iat in the future": (
        lambda: sign_attestation(make_claims(iat=NOW + 3600, exp=None), KEY, KID),
        JWKS,
        "ISSUED_IN_FUTURE",
    ),
    "missing claims": (lambda: without("jti"), JWKS, "INVALID_CLAIMS"),
    "garbage": (lambda: "dit is geen token", JWKS, "MALFORMED"),
    "kid in the JWKS is not the thumbprint": (
        lambda: TOKEN,
        {"keys": [{**JWK, "kid": OTHER_JWK["kid"]}, {**OTHER_JWK, "kid": KID}]},
        "INVALID_JWKS",
    ),
    # More of the same codes.
    "HS256 keyed with the JWK as JSON": (lambda: hs256(json.dumps(JWK).encode()), JWKS, "UNSUPPORTED_ALG"),
    "RS256": (lambda: forge({"alg": "RS256", "kid": KID}, CLAIMS_JSON, KEY.sign), JWKS, "UNSUPPORTED_ALG"),
    "ES256": (lambda: forge({"alg": "ES256", "kid": KID}, CLAIMS_JSON, KEY.sign), JWKS, "UNSUPPORTED_ALG"),
    "no alg": (lambda: sign_raw({"kid": KID}, CLAIMS_JSON), JWKS, "UNSUPPORTED_ALG"),
    "embedded jwk of the attacker": (
        lambda: sign_raw(
            {"alg": "EdDSA", "kid": STRANGER_JWK["kid"], "jwk": STRANGER_JWK}, CLAIMS_JSON, STRANGER_KEY
        ),
        make_jwks([JWK, STRANGER_JWK]),
        "UNSUPPORTED_ALG",
    ),
    "jku": (
        lambda: sign_raw({"alg": "EdDSA", "kid": KID, "jku": "https://evil.invalid/jwks"}, CLAIMS_JSON),
        JWKS,
        "UNSUPPORTED_ALG",
    ),
    "x5u": (
        lambda: sign_raw({"alg": "EdDSA", "kid": KID, "x5u": "https://evil.invalid/cert"}, CLAIMS_JSON),
        JWKS,
        "UNSUPPORTED_ALG",
    ),
    "crit": (
        lambda: sign_raw({"alg": "EdDSA", "kid": KID, "crit": ["exp"]}, CLAIMS_JSON),
        JWKS,
        "UNSUPPORTED_ALG",
    ),
    "no kid": (lambda: sign_raw({"alg": "EdDSA"}, CLAIMS_JSON), JWKS, "UNKNOWN_KID"),
    "kid not a string": (lambda: sign_raw({"alg": "EdDSA", "kid": 7}, CLAIMS_JSON), JWKS, "UNKNOWN_KID"),
    "signed by another published key": (
        lambda: sign_attestation(make_claims(), OTHER_KEY, KID),
        JWKS,
        "BAD_SIGNATURE",
    ),
    "truncated by one character": (lambda: TOKEN[:-1], JWKS, "MALFORMED"),
    "truncated by two characters": (lambda: TOKEN[:-2], JWKS, "MALFORMED"),
    "no signature": (lambda: TOKEN.rsplit(".", 1)[0] + ".", JWKS, "MALFORMED"),
    "two segments": (lambda: TOKEN.rsplit(".", 1)[0], JWKS, "MALFORMED"),
    "non-canonical signature encoding": (flip_last_signature_bits, JWKS, "MALFORMED"),
    "duplicate alg in header": (
        lambda: forge({"alg": "EdDSA", "kid": KID}, CLAIMS_JSON).replace(
            TOKEN.split(".")[0], b64(b'{"alg":"none","alg":"EdDSA","kid":"%s"}' % KID.encode())
        ),
        JWKS,
        "MALFORMED",
    ),
    "header is not JSON": (lambda: b64(b"not json") + "." + TOKEN.split(".", 1)[1], JWKS, "MALFORMED"),
    "empty": (lambda: "", JWKS, "MALFORMED"),
    "non-ASCII": (lambda: "é.é.é", JWKS, "MALFORMED"),
    "not text": (lambda: 42, JWKS, "MALFORMED"),
    "None": (lambda: None, JWKS, "MALFORMED"),
    "binary junk": (lambda: b"\x00\xff\x10.\x80.\x01", JWKS, "MALFORMED"),
    "signed payload is not JSON": (
        lambda: sign_raw({"alg": "EdDSA", "kid": KID}, b"\xff not json"),
        JWKS,
        "MALFORMED",
    ),
    "signed payload is a list": (
        lambda: sign_raw({"alg": "EdDSA", "kid": KID}, [1, 2]),
        JWKS,
        "INVALID_CLAIMS",
    ),
    "missing iss": (lambda: without("iss"), JWKS, "INVALID_CLAIMS"),
    "missing sub": (lambda: without("sub"), JWKS, "INVALID_CLAIMS"),
    "missing iat": (lambda: without("iat"), JWKS, "INVALID_CLAIMS"),
    "missing answer": (lambda: without("answer"), JWKS, "INVALID_CLAIMS"),
    "missing register": (lambda: without("register"), JWKS, "INVALID_CLAIMS"),
    "missing question": (lambda: without("question"), JWKS, "INVALID_CLAIMS"),
    "iat as text": (lambda: with_claim("iat", str(NOW)), JWKS, "INVALID_CLAIMS"),
    "iat as float": (lambda: with_claim("iat", NOW + 0.5), JWKS, "INVALID_CLAIMS"),
    "iat as boolean": (lambda: with_claim("iat", True), JWKS, "INVALID_CLAIMS"),
    "exp as text": (lambda: with_claim("exp", "morgen"), JWKS, "INVALID_CLAIMS"),
    "empty sub": (lambda: with_claim("sub", ""), JWKS, "INVALID_CLAIMS"),
    "answer as list": (lambda: with_claim("answer", []), JWKS, "INVALID_CLAIMS"),
    "register without head": (lambda: with_claim("register", {"seq": 1}), JWKS, "INVALID_CLAIMS"),
    "JWKS not an object": (lambda: TOKEN, [JWK], "INVALID_JWKS"),
    "JWKS without keys": (lambda: TOKEN, {}, "INVALID_JWKS"),
    "JWKS keys not a list": (lambda: TOKEN, {"keys": JWK}, "INVALID_JWKS"),
    "JWKS with an RSA key": (lambda: TOKEN, {"keys": [JWK, RSA_JWK]}, "INVALID_JWKS"),
    "JWKS with a private member": (lambda: TOKEN, {"keys": [{**JWK, "d": "c2VjcmV0"}]}, "INVALID_JWKS"),
    "JWKS with a textual retired_at": (
        lambda: TOKEN,
        {"keys": [{**JWK, "retired_at": "2025-01-01"}]},
        "INVALID_JWKS",
    ),
    "JWKS with a duplicate key": (lambda: TOKEN, {"keys": [JWK, JWK]}, "INVALID_JWKS"),
    "JWKS with a short x": (lambda: TOKEN, {"keys": [{**JWK, "x": JWK["x"][:-4]}]}, "INVALID_JWKS"),
    "JWKS key for another alg": (lambda: TOKEN, {"keys": [{**JWK, "alg": "ES256"}]}, "INVALID_JWKS"),
}
CORE_ATTACKS = list(CASES)[:14]


@pytest.mark.parametrize("name", list(CASES))
def test_rejection(name: str) -> None:
    make_token, jwks, expected = CASES[name]
    error = error_of(make_token(), jwks)
    assert error.code == expected, f"{name}: {error.code} ({error})"
    assert error.code in CODES
    assert str(error) == error.message_nl
    assert error.message_nl and error.message_en and error.message_nl != error.message_en


def test_each_kind_of_failure_has_its_own_code() -> None:
    produced = {error_of(CASES[name][0](), CASES[name][1]).code for name in CORE_ATTACKS}
    assert produced == set(CODES)
    assert len(produced) == len(CODES) == 9


def test_texts_from_the_token_are_printed_safely() -> None:
    error = error_of(sign_raw({"alg": "EdDSA", "kid": "\x1b[2J" + "k" * 500}, CLAIMS_JSON))
    assert error.code == "UNKNOWN_KID"
    assert "\x1b" not in error.message_nl and len(error.message_nl) < 200
    error = error_of(sign_raw({"alg": "\x1b[31m" * 100, "kid": KID}, CLAIMS_JSON))
    assert error.code == "UNSUPPORTED_ALG" and "\x1b" not in error.message_en


def test_signature_is_checked_before_any_claim() -> None:
    header, _, signature = TOKEN.split(".")
    for claims in ({"iat": NOW + 10**6}, {"exp": 1}, {}):
        tampered = ".".join(
            (header, b64(canonical_json({**CLAIMS_JSON, **claims} if claims else {})), signature)
        )
        assert error_of(tampered).code == "BAD_SIGNATURE"
    assert error_of(".".join((header, "not-base64-json", signature))).code == "BAD_SIGNATURE"


def test_hs256_with_the_public_key_is_refused_by_pyjwt_too() -> None:
    key = pyjwt.PyJWKSet.from_dict(JWKS)[KID]
    with pytest.raises(pyjwt.InvalidTokenError):
        pyjwt.decode(hs256(unb64(JWK["x"])), key, algorithms=["EdDSA"])


def test_error_texts_are_clear_in_both_languages() -> None:
    expired = error_of(CASES["expired"][0]())
    assert "verlopen" in expired.message_nl and "expired" in expired.message_en
    assert "2025-05-02T09:00:00Z" in expired.message_nl
    assert expired.message("en") == expired.message_en and expired.message() == expired.message_nl
    alg = error_of(CASES["alg none"][0]())
    assert "'none'" in alg.message_nl and "EdDSA" in alg.message_en
    unknown = error_of(CASES["wrong key (not in the JWKS)"][0]())
    assert STRANGER_JWK["kid"] in unknown.message_nl
    copy = pickle.loads(pickle.dumps(expired))
    assert (copy.code, copy.message_nl, copy.message_en) == (
        expired.code,
        expired.message_nl,
        expired.message_en,
    )
    assert isinstance(expired, ValueError)


# --- properties ---------------------------------------------------------------------------------

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# Segment edges are where lax decoders go wrong (padding bits, separators), so they get extra weight.
DOTS = [i for i, char in enumerate(TOKEN) if char == "."]
EDGES = sorted({0, 1, len(TOKEN) - 2, len(TOKEN) - 1} | {i + d for i in DOTS for d in (-2, -1, 0, 1)})
POSITIONS = st.one_of(st.integers(0, len(TOKEN) - 1), st.sampled_from(EDGES))


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["flip", "truncate", "swap", "replace", "delete", "insert"]))
    if kind == "flip":
        index = draw(POSITIONS)
        mask = draw(st.integers(1, 255))
        return TOKEN[:index] + chr(ord(TOKEN[index]) ^ mask) + TOKEN[index + 1 :]
    if kind == "truncate":
        return TOKEN[: draw(st.integers(0, len(TOKEN) - 1))]
    if kind == "swap":
        parts = TOKEN.split(".")
        order = draw(st.lists(st.integers(0, 2), min_size=1, max_size=4).filter(lambda o: o != [0, 1, 2]))
        return ".".join(parts[i] for i in order)
    index = draw(POSITIONS)
    if kind == "delete":
        return TOKEN[:index] + TOKEN[index + 1 :]
    char = draw(st.sampled_from(B64URL + ".=+/"))
    if kind == "replace":
        return TOKEN[:index] + char + TOKEN[index + 1 :]
    return TOKEN[:index] + char + TOKEN[index:]


@settings(max_examples=400, deadline=None)
@given(mutated_tokens(), st.booleans())
def test_any_mutation_is_rejected_with_an_attestation_error(mutated: str, as_bytes: bool) -> None:
    if mutated == TOKEN:
        return
    token: str | bytes = mutated.encode("latin-1") if as_bytes else mutated
    try:
        verify_attestation(token, JWKS, now=NOW)
    except AttestationError as error:
        assert error.code in CODES
    else:
        pytest.fail(f"mutated token accepted: {mutated!r}")


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**18), max_value=10**18),
    st.text(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9),
    st.dates(),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)


def reorder(value: Any, rng: Any) -> Any:
    """The same value with every dict's insertion order shuffled."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: reorder(item, rng) for key, item in items}
    if isinstance(value, list):
        return [reorder(item, rng) for item in value]
    return value


def normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4), st.randoms(use_true_random=False))
def test_canonical_json_is_deterministic_and_independent_of_key_order(
    value: dict[str, Any], rng: Any
) -> None:
    encoded = canonical_json(value)
    assert canonical_json(value) == encoded
    assert canonical_json(reorder(value, rng)) == encoded
    assert json.loads(encoded) == normalised(value)
    assert (
        encoded
        == json.dumps(json.loads(encoded), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=40), st.integers(0, 2**40))
def test_arbitrary_answers_survive_the_round_trip(text: str, seq: int) -> None:
    answer = {**make_answer(), "signature_mention": text, "question": {"actor": text, "on": date(2025, 5, 2)}}
    claims = build_claims(
        answer, iss=text or "x", sub="p", jti="j", iat=NOW, exp=None, register={"seq": seq, "head": text}
    )
    assert verify_attestation(sign_attestation(claims, KEY, KID), JWKS, now=NOW) == json_form(claims)


def test_canonical_json_conventions() -> None:
    value = {"b": Decimal("1200.00"), "a": date(2025, 5, 2), "c": "Financiën", "d": [1, None, True]}
    assert (
        canonical_json(value) == '{"a":"2025-05-02","b":"1200.00","c":"Financiën","d":[1,null,true]}'.encode()
    )
    assert canonical_json({"t": datetime(2025, 5, 2, 10, 0)}) == b'{"t":"2025-05-02T10:00:00"}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_importing_the_module_does_not_load_cryptography() -> None:
    code = "import sys, delegations.attestation; print('cryptography' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=30))
def test_fast_claims_encoder_is_byte_identical_to_canonical_json(value) -> None:
    from delegations.attestation import _encode_claims

    claims = {"answer": value, "iss": "x"}
    assert _encode_claims(claims) == canonical_json(claims)
