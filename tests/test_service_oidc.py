"""OIDC access tokens: validated by the service against the JWKS of a real issuer endpoint that
this test starts on 127.0.0.1 (discovery document and JWKS over HTTP), with the role and the
administration taken from the configured claims."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.helpers import EXAMPLE, VERBINTENIS, import_file
from tests.service_helpers import new_token, serve

Q = {"actor": "p-001", "power": VERBINTENIS, "on": "2025-05-02", "amount": "100", "budget_key": "0119/6140000",
     "unit": "aankoop"}
AUDIENCE = "delegaties"


class Issuer:
    """A minimal OIDC issuer: /.well-known/openid-configuration and /jwks.json, keys added at will."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server interface
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks.json"}
                elif self.path == "/jwks.json":
                    body = {"keys": issuer.keys}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add_rsa(self, kid: str):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        self.keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return key

    def add_ed25519(self, kid: str):
        key = ed25519.Ed25519PrivateKey.generate()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
        self.keys.append({**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"})
        return key

    def token(self, key, kid: str, alg: str = "RS256", **claims) -> str:
        now = int(time.time())
        body = {"iss": self.url, "aud": AUDIENCE, "sub": "f-0001", "iat": now, "exp": now + 300,
                "delegaties_administration": "voorbeeldegem", "realm_access": {"roles": ["offline_access", "reader"]}}
        body.update(claims)
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oidc")
    db = tmp / "voorbeeldegem.db"
    import_file(db, EXAMPLE)
    issuer = Issuer()
    key = issuer.add_rsa("k1")
    bearer = new_token("--db", db, role="reader")
    try:
        with serve("--db", db, tmp=tmp, options=("--oidc-issuer", issuer.url, "--oidc-audience", AUDIENCE,
                                                 "--oidc-role-claim", "realm_access.roles")) as server:
            yield server, issuer, key, bearer
    finally:
        issuer.close()


def hs256(secret: bytes, claims: dict) -> str:
    """The algorithm confusion attack: HMAC with the issuer's public key as the shared secret."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()) + "." + part(json.dumps(claims).encode())
    return signing + "." + part(hmac.new(secret, signing.encode(), hashlib.sha256).digest())


def status(server, token: str, path: str = "/v1/check", body: dict | None = None) -> int:
    with server.client(token) as c:
        return c.post(path, json=body if body is not None else Q).status_code


def test_a_valid_access_token_is_accepted_with_its_role(site) -> None:
    server, issuer, key, bearer = site
    reader = issuer.token(key, "k1")
    assert status(server, reader) == 200
    assert status(server, reader, "/v1/uses", {**Q, "reference": "OIDC-1"}) == 403
    recorder = issuer.token(key, "k1", realm_access={"roles": ["reader", "recorder"]})
    assert status(server, recorder, "/v1/uses", {**Q, "reference": "OIDC-1"}) == 201
    assert status(server, bearer) == 200  # our own bearer tokens keep working next to OIDC


def test_bad_access_tokens_are_401(site) -> None:
    server, issuer, key, _ = site
    now = int(time.time())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    bad = {
        "audience": issuer.token(key, "k1", aud="someone-else"),
        "issuer": issuer.token(key, "k1", iss="http://127.0.0.1:1"),
        "expired": issuer.token(key, "k1", iat=now - 3600, exp=now - 600),
        "no exp": issuer.token(key, "k1", exp=None),
        "unknown key": issuer.token(other, "k1"),
        "unknown kid": issuer.token(other, "k-nope"),
        "alg none": jwt.encode({"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "exp": now + 300}, None, algorithm="none"),
        "hs256 with the public key as secret": hs256(public_pem, {
            "iss": issuer.url, "aud": AUDIENCE, "sub": "x", "exp": now + 300, "delegaties_administration": "voorbeeldegem",
            "realm_access": {"roles": ["admin"]}}),
    }
    for name, token in bad.items():
        assert status(server, token) == 401, name


def test_role_and_administration_come_from_the_claims(site) -> None:
    server, issuer, key, _ = site
    assert status(server, issuer.token(key, "k1", realm_access={"roles": ["offline_access"]})) == 403
    assert status(server, issuer.token(key, "k1", realm_access=None)) == 403
    assert status(server, issuer.token(key, "k1", delegaties_administration="proefgem")) == 403
    assert status(server, issuer.token(key, "k1", delegaties_administration=None)) == 403


def test_a_key_added_by_the_issuer_later_is_fetched(site) -> None:
    server, issuer, _, _ = site
    new = issuer.add_ed25519("k2")
    token = issuer.token(new, "k2", alg="EdDSA")
    # The service refetches the JWKS for an unknown kid, at most every few seconds (an earlier test
    # sent one): so the new key is accepted once that pause is over.
    deadline = time.monotonic() + 30
    while (code := status(server, token)) == 401 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert code == 200
