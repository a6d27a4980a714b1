"""Signed attestations end to end through the command line (contract section 6, README "Attestations").

Everything goes through `delegaties` (in process via `cli.main.main`, and as a child process where
the exact user experience matters: exit code, no traceback). Tokens are then checked by
independent verifiers that know nothing of our code: PyJWT, jwcrypto and
`examples/verify-attestation.sh` (OpenSSL 3, jq, xxd).

Two registers: the bundled example (Voorbeeldegem) and a small purpose-made OCMW register
(vast bureau -> algemeen directeur -> diensthoofd); all names in it are invented.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from delegations.attestation import sign_attestation
from registry.keys import KeyStore
from tests.helpers import EXAMPLE, REPO, Result, cli

VERB = "budgethouderschap.verbintenis"
CONTRACT_VERIFY_CODES = ("MALFORMED", "UNSUPPORTED_ALG", "UNKNOWN_KID", "BAD_SIGNATURE", "EXPIRED",
                         "ISSUED_IN_FUTURE", "KEY_RETIRED", "INVALID_CLAIMS")
ENV_VARS = ("DELEGATIES_KEYS", "DELEGATIES_KEY_PASSPHRASE", "DELEGATIES_DB", "DELEGATIES_DEBUG")
PASSPHRASE = "fictieve wachtwoordzin 42"

# A small OCMW (fictional): the vast bureau delegates budgethouderschap to the algemeen directeur
# (DLB art. 85), who subdelegates a narrower part to the head of the social service.
OCMW_YAML = """\
format: delegaties/1
administration: {id: ocmw-proefdorp, name: OCMW Proefdorp}
units:
  - {id: bestuur, name: Bestuur}
  - {id: welzijn, name: Sociale dienst, parent: bestuur}
positions:
  - {id: ad, name: Algemeen directeur, kind: algemeen_directeur, unit: bestuur}
  - {id: dh-welzijn, name: Diensthoofd sociale dienst, unit: welzijn, manager: true}
persons:
  - {id: w-01, name: Wim Bedacht}
  - {id: w-02, name: Zoë Verbeeld}
appointments:
  - {person: w-01, position: ad, from: 2020-01-01}
  - {person: w-02, position: dh-welzijn, from: 2022-01-01}
decisions:
  - id: VB-2025-0003
    title: Budgethouderschap aan de algemeen directeur
    by: vast_bureau
    entity: ocmw
    decided_on: 2025-01-06
    effective_from: 2025-01-15
    legal_basis: DLB-85
    source: https://example.invalid/proefdorp/besluiten/VB-2025-0003
    grants:
      - id: VB-2025-0003/1
        to: ad
        powers: [budgethouderschap.verbintenis]
        limits: {max_amount: 30000, units: [bestuur]}
        subdelegation: {allowed: true, max_depth: 1}
        reporting:
          - {to: vast_bureau, every: quarter, within_days: 30, content: lijst}
  - id: AD-2025-0002
    title: Subdelegatie budgethouderschap aan het diensthoofd sociale dienst
    by: ad
    entity: ocmw
    decided_on: 2025-02-01
    effective_from: 2025-02-01
    legal_basis: DLB-85
    source: https://example.invalid/proefdorp/besluiten/AD-2025-0002
    grants:
      - id: AD-2025-0002/1
        to: dh-welzijn
        powers: [budgethouderschap.verbintenis]
        limits: {max_amount: 5000, units: [welzijn]}
        reporting:
          - {to: ad, every: month, within_days: 10, content: lijst van verbintenissen}
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    admin: str
    allowed: tuple[str, ...]      # check/attest options of an allowed question
    refused: tuple[str, ...]      # the same question above the per-act limit
    decisions: tuple[str, ...]    # decisions the allowed answer must cite (at least)
    revoke: tuple[str, ...]       # a revocation that turns the allowed answer into a refusal


SCENARIOS = {
    "voorbeeldegem": Scenario(
        name="voorbeeldegem", admin="voorbeeldegem",
        allowed=("--actor", "p-001", "--power", VERB, "--on", "2025-05-02", "--amount", "1200",
                 "--budget-key", "0119/6140000", "--unit", "aankoop"),
        refused=("--actor", "p-001", "--power", VERB, "--on", "2025-05-02", "--amount", "9000",
                 "--budget-key", "0119/6140000", "--unit", "aankoop"),
        decisions=("CBS-2025-0412", "AD-2025-0007"),
        revoke=("--target", "AD-2025-0007/1", "--from", "2025-05-01", "--by", "AD-2025-0040",
                "--reason", "proef: nieuwe regeling"),
    ),
    "ocmw": Scenario(
        name="ocmw", admin="ocmw-proefdorp",
        allowed=("--actor", "w-02", "--power", VERB, "--on", "2025-05-02", "--amount", "1200",
                 "--unit", "welzijn", "--entity", "ocmw"),
        refused=("--actor", "w-02", "--power", VERB, "--on", "2025-05-02", "--amount", "9000",
                 "--unit", "welzijn", "--entity", "ocmw"),
        decisions=("VB-2025-0003", "AD-2025-0002"),
        revoke=("--target", "AD-2025-0002/1", "--from", "2025-03-01", "--by", "AD-2025-0010",
                "--reason", "proef: nieuwe regeling"),
    ),
}
OTHER = {"voorbeeldegem": "ocmw", "ocmw": "voorbeeldegem"}


# -- helpers ----------------------------------------------------------------------------------

def assert_clean(r: Result) -> None:
    """No traceback, no unexpected-error fallback, no private key material."""
    text = r.out + r.err
    assert "Traceback" not in text, r
    assert "onverwachte fout" not in r.err and "unexpected error" not in r.err, r
    assert "PRIVATE KEY" not in text, r


def run(*args: object) -> Result:
    r = cli(*args)
    assert_clean(r)
    return r


def proc(*args: object, env: dict[str, str] | None = None) -> Result:
    """`python -m cli.main ...` as a user runs it."""
    base = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    p = subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], cwd=REPO, capture_output=True,
                       text=True, timeout=120, env={**base, **(env or {})})
    r = Result(p.returncode, p.stdout, p.stderr)
    assert_clean(r)
    return r


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, p, s = token.split(".")
    return json.loads(unb64url(h)), json.loads(unb64url(p)), s


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638, written out independently of the implementation."""
    members = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"),
                         sort_keys=True)
    return b64url(hashlib.sha256(members.encode()).digest())


def head(db: Path) -> dict[str, Any]:
    r = run("--db", db, "--json", "fsck")
    assert r.code == 0, r
    return {"seq": r.json["seq"], "head": r.json["head"]}


def export_jwks(db: Path, out: Path) -> dict[str, Any]:
    r = run("--db", db, "keys", "export-jwks", "--out", out, "--force")  # a newer JWKS replaces the old file
    assert r.code == 0, r
    return json.loads(out.read_text(encoding="utf-8"))


def keys_list(db: Path) -> dict[str, dict[str, Any]]:
    r = run("--db", db, "--json", "keys", "list")
    assert r.code == 0, r
    return {k["kid"]: k for k in r.json}


def new_key(db: Path) -> str:
    r = run("--db", db, "--json", "keys", "new")
    assert r.code == 0, r
    return r.json["kid"]


def attest(db: Path, question: tuple[str, ...], *extra: str) -> tuple[int, dict[str, Any]]:
    r = run("--db", db, "--json", "attest", *question, *extra)
    assert r.code in (0, 1), r
    return r.code, r.json


def verify(token_file: Path, jwks_file: Path | None, *extra: str, db: Path | None = None) -> Result:
    args: list[object] = ["--json", "verify", token_file]
    if jwks_file is not None:
        args += ["--jwks", jwks_file]
    if db is not None:
        args += ["--db", db]
    return run(*args, *extra)


def write(path: Path, text: str) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    return path


def copy_register(src: Path, dst_dir: Path) -> Path:
    """A consistent copy of a register and its keys directory (modes kept: copy2)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / src.name
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    source.close()
    target.close()
    if (src.parent / "keys").is_dir():
        shutil.copytree(src.parent / "keys", dst_dir / "keys")
    return dst


def wait_for_next_second(after: int) -> None:
    """Key retirement and `iat` have one-second resolution; make 'before' unambiguous (<= 1 s)."""
    while time.time() < after + 1:
        time.sleep(0.05)


def private_key(db: Path, kid: str):
    return KeyStore(db.parent / "keys").load_private(kid)


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_ambient_key_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@dataclass
class Signed:
    """A register with two keys: A signed the tokens, B was added afterwards (B is active)."""

    scenario: Scenario
    db: Path
    kid_a: str
    kid_b: str = ""
    jwks_file: Path = Path()
    jwks: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)          # allowed / refused
    token_files: dict[str, Path] = field(default_factory=dict)
    jti: dict[str, str] = field(default_factory=dict)
    exit_codes: dict[str, int] = field(default_factory=dict)
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)  # register head just before attesting
    issued_between: dict[str, tuple[int, int]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Per scenario: an imported register without keys ("template") and a signed one ("signed")."""
    result: dict[str, dict[str, Any]] = {}
    with pytest.MonkeyPatch.context() as mp:
        for name in ENV_VARS:
            mp.delenv(name, raising=False)
        for name, sc in SCENARIOS.items():
            base = tmp_path_factory.mktemp(name)
            source = EXAMPLE if name == "voorbeeldegem" else write(base / "ocmw-proefdorp.yaml", OCMW_YAML)
            template = base / "template" / "register.db"
            template.parent.mkdir()
            r = run("--db", template, "import", source)
            assert r.code == 0, r

            db = copy_register(template, base / "signed")
            kid_a = new_key(db)
            s = Signed(sc, db, kid_a)
            for which, question in (("allowed", sc.allowed), ("refused", sc.refused)):
                s.heads[which] = head(db)
                before = int(time.time())
                code, data = attest(db, question)
                s.issued_between[which] = (before, int(time.time()))
                s.exit_codes[which] = code
                s.tokens[which] = data["token"]
                s.jti[which] = data["jti"]
                s.token_files[which] = write(base / f"{which}.jws", data["token"])
            s.kid_b = new_key(db)
            s.jwks_file = base / "jwks.json"
            s.jwks = export_jwks(db, s.jwks_file)
            result[name] = {"template": template, "signed": s}
    return result


@pytest.fixture(params=sorted(SCENARIOS))
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def signed(world: dict[str, dict[str, Any]], name: str) -> Signed:
    """The module's signed register: read-only use only."""
    return world[name]["signed"]


@pytest.fixture
def fresh(world: dict[str, dict[str, Any]], name: str, tmp_path: Path) -> Path:
    """A private copy of the imported register, without keys."""
    return copy_register(world[name]["template"], tmp_path / "reg")


@pytest.fixture
def signed_copy(signed: Signed, tmp_path: Path) -> Signed:
    """A private copy of the signed register that a test may change."""
    return dataclasses.replace(signed, db=copy_register(signed.db, tmp_path / "reg"))


# -- 1. keys new / list / export-jwks ---------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_keys_new_writes_a_private_key_file_and_prints_only_the_kid(fresh: Path, tmp_path: Path) -> None:
    r = proc("--db", fresh, "keys", "new")
    assert r.code == 0, r
    files = sorted((fresh.parent / "keys").iterdir())
    assert len(files) == 1 and files[0].suffix == ".pem"
    kid = files[0].stem
    assert kid in r.out
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    pem = files[0].read_text()
    assert "BEGIN PRIVATE KEY" in pem
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]

    listed = run("--db", fresh, "--json", "keys", "list")
    stdout_jwks = run("--db", fresh, "keys", "export-jwks")
    out_file = tmp_path / "jwks.json"
    to_file = run("--db", fresh, "keys", "export-jwks", "--out", out_file)
    for result in (r, listed, stdout_jwks, to_file):
        assert result.code == 0, result
        assert not any(line in result.out + result.err for line in body), "private key material printed"

    [entry] = listed.json
    assert entry["kid"] == kid and entry["status"] == "active" and entry["retired_at"] is None
    assert entry["private_key_here"] is True
    jwks = json.loads(stdout_jwks.out)
    assert json.loads(out_file.read_text()) == jwks
    [key] = jwks["keys"]
    assert "d" not in key and key["kty"] == "OKP" and key["crv"] == "Ed25519"
    assert key["kid"] == kid == thumbprint(key)
    assert jwcrypto_jwk.JWK(**{k: key[k] for k in ("kty", "crv", "x")}).thumbprint() == kid


def test_keys_directory_comes_from_delegaties_keys(fresh: Path, tmp_path: Path, name: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "kluis"
    monkeypatch.setenv("DELEGATIES_KEYS", str(elsewhere))
    kid = new_key(fresh)
    assert (elsewhere / f"{kid}.pem").is_file()
    assert not (fresh.parent / "keys").exists()
    r = run("--db", fresh, "attest", *SCENARIOS[name].allowed)
    assert r.code == 0, r
    assert parts(r.out.strip())[0]["kid"] == kid
    # Attesting needs the same setting; without it the key file is missing: exit 2, file named.
    monkeypatch.delenv("DELEGATIES_KEYS")
    r = run("--db", fresh, "attest", *SCENARIOS[name].allowed)
    assert r.code == 2, r
    assert f"{kid}.pem" in r.err and not r.out.strip(), r


# -- 2. tokens verify with independent JOSE libraries ----------------------------------------

def test_attest_exit_codes_match_check(signed: Signed) -> None:
    assert signed.exit_codes == {"allowed": 0, "refused": 1}
    for which, question in (("allowed", signed.scenario.allowed), ("refused", signed.scenario.refused)):
        r = run("--db", signed.db, "--json", "check", *question)
        assert r.code == signed.exit_codes[which], r


@pytest.mark.parametrize("which", ["allowed", "refused"])
def test_token_verifies_with_pyjwt_and_jwcrypto_from_the_jwks_alone(signed: Signed, which: str) -> None:
    token = signed.tokens[which]
    jwks = json.loads(signed.jwks_file.read_text())
    header, _, _ = parts(token)
    assert header["alg"] == "EdDSA" and header["kid"] == signed.kid_a

    keyset = jwt.PyJWKSet.from_dict(jwks)
    claims = jwt.decode(token, key=keyset[header["kid"]].key, algorithms=["EdDSA"])

    t = jwcrypto_jws.JWS()
    t.deserialize(token)
    t.verify(jwcrypto_jwk.JWKSet.from_json(json.dumps(jwks)).get_key(t.jose_header["kid"]), alg="EdDSA")
    assert json.loads(t.payload) == claims

    sc = signed.scenario
    assert claims["iss"] == sc.admin
    assert claims["sub"] == sc.allowed[sc.allowed.index("--actor") + 1]
    assert claims["jti"] == signed.jti[which]
    assert signed.jti["allowed"] != signed.jti["refused"]
    low, high = signed.issued_between[which]
    assert type(claims["iat"]) is int and low <= claims["iat"] <= high
    assert "exp" not in claims
    assert claims["register"] == signed.heads[which]
    assert claims["answer"]["register"] == signed.heads[which]
    assert claims["answer"]["allowed"] is (which == "allowed")
    assert claims["question"] == claims["answer"]["question"]
    assert claims["question"]["power"] == VERB
    assert claims["question"]["amount"] == ("1200.00" if which == "allowed" else "9000.00")

    # The answer is the one `check --json` gives (same question, same register content), without
    # the human texts (which name persons): codes, ids, dates and amounts only.
    question = sc.allowed if which == "allowed" else sc.refused
    checked = run("--db", signed.db, "--json", "check", *question).json
    for key in ("allowed", "question", "chains", "effective_limits"):
        assert claims["answer"][key] == checked[key], key
    for key in ("reasons", "conditions"):
        assert claims["answer"][key] == [{k: v for k, v in r.items() if k != "text"} for r in checked[key]], key

    # Every grant step cites the sha256 of the decision's stored content, as `show` lists it.
    chains = claims["answer"]["chains"] + claims["answer"].get("candidates", [])
    steps = [s for chain in chains for s in chain if s["step"] == "grant"]
    assert set(sc.decisions) <= {s["decision"] for s in steps}
    for s in steps:
        shown = run("--db", signed.db, "--json", "show", s["decision"]).json
        assert s["decision_sha256"] == shown["versions"][-1]["sha256"]
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", s["decision_sha256"])


def test_attest_with_expiry(signed_copy: Signed, tmp_path: Path) -> None:
    s = signed_copy
    code, data = attest(s.db, s.scenario.allowed, "--expires-in-days", "30")
    assert code == 0
    claims = parts(data["token"])[1]
    assert 30 * 86400 - 5 <= claims["exp"] - claims["iat"] <= 30 * 86400
    jwks_file = tmp_path / "jwks.json"
    jwks = export_jwks(s.db, jwks_file)
    assert verify(write(tmp_path / "t.jws", data["token"]), jwks_file).code == 0
    assert jwt.decode(data["token"], key=jwt.PyJWKSet.from_dict(jwks)[s.kid_b].key, algorithms=["EdDSA"])["exp"] \
        == claims["exp"]


@pytest.mark.parametrize("days", ["0", "-1"])
def test_attest_refuses_a_validity_that_is_not_positive(signed_copy: Signed, days: str) -> None:
    s = signed_copy
    before = head(s.db)
    r = cli("--db", s.db, "--json", "attest", *s.scenario.allowed, f"--expires-in-days={days}")
    assert r.code == 2, r
    assert head(s.db) == before  # nothing issued


# -- 3. verify: genuine and forged tokens -----------------------------------------------------

def test_verify_accepts_the_genuine_tokens(signed: Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    for which in ("allowed", "refused"):
        r = verify(signed.token_files[which], signed.jwks_file)
        assert r.code == 0, r
        assert r.json["valid"] is True
        assert r.json["claims"]["jti"] == signed.jti[which]
    # As a user runs it, in Dutch and in English, the token given as a file, literally or on stdin.
    r = proc("verify", signed.token_files["allowed"], "--jwks", signed.jwks_file)
    assert r.code == 0 and "GELDIG" in r.out and signed.jti["allowed"] in r.out, r
    r = run("verify", signed.token_files["refused"], "--jwks", signed.jwks_file, "--lang", "en")
    assert r.code == 0 and "VALID" in r.out and "refused" in r.out, r
    monkeypatch.setattr(sys, "stdin", io.StringIO(signed.tokens["allowed"] + "\n"))
    r = run("--json", "verify", "-", "--jwks", signed.jwks_file)
    assert r.code == 0 and r.json["valid"] is True, r


def test_verify_accepts_the_token_itself_as_argument(signed: Signed) -> None:
    r = cli("--json", "verify", signed.tokens["allowed"], "--jwks", signed.jwks_file)
    assert r.code == 0, r
    assert r.json["claims"]["jti"] == signed.jti["allowed"]


def _sign(claims: dict[str, Any], key, kid: str) -> str:
    return sign_attestation(claims, key, kid)


def _with_header(token: str, header: dict[str, Any], signature: str | None = None) -> str:
    _, p, s = token.split(".")
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    return f"{h}.{p}.{s if signature is None else signature}"


def test_forged_tokens_are_refused_with_distinct_codes(signed_copy: Signed, tmp_path: Path) -> None:
    s = signed_copy
    genuine = s.tokens["allowed"]
    header, claims, signature = parts(genuine)
    h_seg, p_seg, _ = genuine.split(".")
    key_a = private_key(s.db, s.kid_a)
    now = int(time.time())

    # Retire key B (the active one) through the CLI, then publish the new JWKS.
    r = run("--db", s.db, "keys", "retire", s.kid_b)
    assert r.code == 0, r
    retired_at = keys_list(s.db)[s.kid_b]["retired_at"]
    assert isinstance(retired_at, int)
    jwks_file = tmp_path / "jwks-na-intrekking.json"
    jwks = export_jwks(s.db, jwks_file)
    assert {k["kid"]: k.get("retired_at") for k in jwks["keys"]} == {s.kid_a: None, s.kid_b: retired_at}

    # A key that is not in the JWKS at all.
    outsider_store = KeyStore(tmp_path / "vreemde-sleutels")
    outsider_kid, _ = outsider_store.new()
    outsider = outsider_store.load_private(outsider_kid)

    refused_payload = parts(s.tokens["refused"])[1]
    flipped = {**refused_payload, "answer": {**refused_payload["answer"], "allowed": True}}
    public_pem = key_a.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_header = b64url(json.dumps({"alg": "HS256", "kid": s.kid_a, "typ": "JWT"}).encode())
    hs_input = f"{hs_header}.{p_seg}"
    hs256 = f"{hs_input}.{b64url(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())}"
    pyjwt_hs256 = jwt.encode(claims, key=unb64url(s.jwks["keys"][0]["x"]), algorithm="HS256",
                             headers={"kid": s.kid_a})
    no_register = {k: v for k, v in claims.items() if k != "register"}

    forged = {
        # variant: (token, expected code)
        "edited payload": (f"{h_seg}.{b64url(json.dumps(flipped).encode())}.{signature}", "BAD_SIGNATURE"),
        "edited header": (_with_header(genuine, {**header, "typ": "JOSE"}), "BAD_SIGNATURE"),
        "swapped kid": (_with_header(genuine, {**header, "kid": s.kid_b}), "BAD_SIGNATURE"),
        "other key, genuine kid": (_sign(claims, outsider, s.kid_a), "BAD_SIGNATURE"),
        "key not in the JWKS": (_sign(claims, outsider, outsider_kid), "UNKNOWN_KID"),
        "alg none": (_with_header(genuine, {"alg": "none", "kid": s.kid_a, "typ": "JWT"}, ""), "UNSUPPORTED_ALG"),
        "HS256, public key PEM as secret": (hs256, "UNSUPPORTED_ALG"),
        "HS256 by PyJWT, raw public key as secret": (pyjwt_hs256, "UNSUPPORTED_ALG"),
        "truncated": (genuine[: len(genuine) // 2], "MALFORMED"),
        "truncated signature": (genuine[:-4], "MALFORMED"),
        "extra segments": (genuine + "." + signature, "MALFORMED"),
        "expired": (_sign({**claims, "iat": now - 7200, "exp": now - 3600}, key_a, s.kid_a), "EXPIRED"),
        "signed after retirement": (_sign({**claims, "iat": retired_at + 1}, private_key(s.db, s.kid_b), s.kid_b),
                                    "KEY_RETIRED"),
        "issued in the future": (_sign({**claims, "iat": now + 3600}, key_a, s.kid_a), "ISSUED_IN_FUTURE"),
        "claims without register": (_sign(no_register, key_a, s.kid_a), "INVALID_CLAIMS"),
    }

    # The genuine token (signed by A before B's retirement) still verifies with the new JWKS.
    r = verify(s.token_files["allowed"], jwks_file)
    assert r.code == 0, r

    codes: dict[str, str] = {}
    messages: dict[str, str] = {}
    for variant, (token, _) in forged.items():
        file = write(tmp_path / f"vervalst-{len(codes)}.jws", token)
        r = verify(file, jwks_file)
        assert r.code == 1, (variant, r)
        assert r.json["valid"] is False, (variant, r)
        codes[variant], messages[variant] = r.json["code"], r.json["error"]
        assert r.json["error"], variant
        # Never echo the genuine payload or claim success.
        assert "claims" not in r.json, variant
    assert codes == {variant: expected for variant, (_, expected) in forged.items()}
    assert set(codes.values()) <= set(CONTRACT_VERIFY_CODES)
    # One representative per kind of failure the contract names: all codes differ.
    kinds = ["edited payload", "key not in the JWKS", "alg none", "truncated", "expired",
             "signed after retirement", "issued in the future", "claims without register"]
    assert len({codes[k] for k in kinds}) == len(kinds)
    assert len({messages[k] for k in kinds}) == len(kinds)
    # Two malformations are explained differently (2 parts vs 4 parts).
    assert messages["truncated"] != messages["extra segments"]
    # The retirement message names the moment of retirement.
    assert time.strftime("%Y-%m-%dT%H:%M", time.gmtime(retired_at)) in messages["signed after retirement"]

    # The same forgeries as a user runs them: exit 1, a specific message, no traceback.
    r = proc("verify", tmp_path / "vervalst-0.jws", "--jwks", jwks_file)
    assert r.code == 1 and "BAD_SIGNATURE" in r.out + r.err, r
    r = run("--lang", "en", "verify", tmp_path / "vervalst-5.jws", "--jwks", jwks_file)
    assert r.code == 1 and "UNSUPPORTED_ALG" in r.out + r.err and "only EdDSA" in r.out + r.err, r


def test_verify_with_unusable_input_exits_2(signed: Signed, tmp_path: Path) -> None:
    good_jwks = json.loads(signed.jwks_file.read_text())
    key = good_jwks["keys"][0]
    bad_jwks = {
        "not json": "{keys: [",
        "not an object": json.dumps([key]),
        "kid is not the thumbprint": json.dumps({"keys": [{**key, "kid": good_jwks["keys"][1]["kid"]}]}),
        "private key published": json.dumps({"keys": [{**key, "d": b64url(b"\x01" * 32)}]}),
        "wrong key type": json.dumps({"keys": [{**key, "kty": "EC", "crv": "P-256"}]}),
    }
    for index, (variant, text) in enumerate(bad_jwks.items()):
        file = write(tmp_path / f"jwks-{index}.json", text)
        r = verify(signed.token_files["allowed"], file)
        assert r.code == 2, (variant, r)
        if variant == "not json":
            assert r.json["exit"] == 2 and str(file) in r.json["error"], r
        else:
            assert r.json["code"] == "INVALID_JWKS" and r.json["valid"] is False, (variant, r)

    missing = tmp_path / "bestaat-niet"
    for token_file, jwks_file, named in ((missing, signed.jwks_file, missing), (tmp_path, signed.jwks_file, tmp_path),
                                         (signed.token_files["allowed"], missing, missing)):
        r = verify(token_file, jwks_file)
        assert r.code == 2, r
        assert str(named) in r.json["error"], r
    r = proc("verify", missing, "--jwks", signed.jwks_file)
    assert r.code == 2 and str(missing) in r.err, r
    not_json = tmp_path / "kapot.json"
    not_json.write_text("{")
    r = run("verify", signed.token_files["allowed"], "--jwks", not_json)
    assert r.code == 2 and "kapot.json" in r.err, r


def test_missing_token_file_with_two_dots_in_its_name_is_an_input_error(signed: Signed, tmp_path: Path) -> None:
    if str(tmp_path).count("."):
        pytest.skip("the temporary directory itself contains dots")
    missing = tmp_path / "BB-2025.00042.jws"
    r = verify(missing, signed.jwks_file)
    assert r.code == 2, r


# -- 4. verify --against-register -------------------------------------------------------------

def test_against_register_finds_head_and_decisions(signed: Signed, world: dict[str, dict[str, Any]],
                                                   name: str, tmp_path: Path) -> None:
    for which in ("allowed", "refused"):
        r = verify(signed.token_files[which], signed.jwks_file, "--against-register", db=signed.db)
        assert r.code == 0, r
        assert r.json["register_check"] == {"issued_here": True, "head_found": True, "decisions_found": True,
                                            "missing_decisions": [], "answer_confirmed": True,
                                            "same_answer_today": True, "valid": True, "problems": []}
    # Without --jwks the register's own keys are used.
    r = verify(signed.token_files["allowed"], None, "--against-register", db=signed.db)
    assert r.code == 0 and r.json["register_check"]["head_found"] is True, r

    # Another administration's register: the signature is fine, but this head does not exist there.
    other = world[OTHER[name]]["signed"].db
    r = verify(signed.token_files["allowed"], signed.jwks_file, "--against-register", db=other)
    assert r.code == 1, r
    check = r.json["register_check"]
    assert check["head_found"] is False
    cited = {s["decision"] for chain in parts(signed.tokens["allowed"])[1]["answer"]["chains"] for s in chain
             if s["step"] == "grant"}
    assert check["decisions_found"] is False and set(check["missing_decisions"]) == cited
    r = run("--db", other, "verify", signed.token_files["allowed"], "--jwks", signed.jwks_file, "--against-register")
    assert r.code == 1 and "Registerkop hier gevonden: nee" in r.out, r


def test_same_answer_today_turns_false_after_a_revocation(signed_copy: Signed) -> None:
    s = signed_copy
    r = run("--db", s.db, "revoke", *s.scenario.revoke)
    assert r.code == 0, r
    assert run("--db", s.db, "check", *s.scenario.allowed).code == 1
    r = verify(s.token_files["allowed"], s.jwks_file, "--against-register", db=s.db)
    assert r.code == 0, r  # the attestation was true when issued: head and decisions are still there
    assert r.json["register_check"] == {"issued_here": True, "head_found": True, "decisions_found": True,
                                        "missing_decisions": [], "answer_confirmed": True,
                                        "same_answer_today": False, "valid": True, "problems": []}
    # A refusal stays a refusal.
    r = verify(s.token_files["refused"], s.jwks_file, "--against-register", db=s.db)
    assert r.code == 0 and r.json["register_check"]["same_answer_today"] is True, r


# -- 5. retirement and rotation ---------------------------------------------------------------

def test_retire_keeps_old_tokens_valid_and_requires_a_new_key(fresh: Path, name: str, tmp_path: Path) -> None:
    sc = SCENARIOS[name]
    old_kid = new_key(fresh)
    code, data = attest(fresh, sc.allowed)
    assert code == 0
    old_token = write(tmp_path / "voor-intrekking.jws", data["token"])
    wait_for_next_second(parts(data["token"])[1]["iat"])

    r = run("--db", fresh, "keys", "retire", old_kid)
    assert r.code == 0 and old_kid in r.out, r
    listed = keys_list(fresh)
    assert listed[old_kid]["status"] == "retired" and listed[old_kid]["retired_at"] > parts(data["token"])[1]["iat"]
    jwks_file = tmp_path / "jwks.json"
    jwks = export_jwks(fresh, jwks_file)
    assert jwks["keys"][0]["retired_at"] == listed[old_kid]["retired_at"]
    r = verify(old_token, jwks_file)
    assert r.code == 0, r
    # Standard libraries still verify the signature with the JWKS that carries retired_at.
    jwt.decode(data["token"], key=jwt.PyJWKSet.from_dict(jwks)[old_kid].key, algorithms=["EdDSA"])

    r = proc("--db", fresh, "attest", *sc.allowed)
    assert r.code == 2, r
    assert "keys new" in r.err and not r.out.strip(), r
    r = run("--db", fresh, "--json", "attest", *sc.allowed)
    assert r.code == 2 and "keys new" in r.json["error"], r

    new_kid = new_key(fresh)
    assert new_kid != old_kid
    code, data = attest(fresh, sc.allowed)
    assert code == 0 and parts(data["token"])[0]["kid"] == new_kid
    jwks = export_jwks(fresh, jwks_file)
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}
    r = verify(write(tmp_path / "na-intrekking.jws", data["token"]), jwks_file)
    assert r.code == 0, r
    r = verify(old_token, jwks_file)
    assert r.code == 0, r
    assert keys_list(fresh)[new_kid]["status"] == "active"

    r = run("--db", fresh, "keys", "retire", "onbekende-sleutel")
    assert r.code == 2, r


def test_token_issued_just_before_retirement_in_the_same_second_stays_valid(
        fresh: Path, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = SCENARIOS[name]
    kid = new_key(fresh)
    frozen = float(int(time.time()))
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: frozen + 0.25)  # attest, then retire, within one second
        code, data = attest(fresh, sc.allowed)
        assert code == 0
        assert run("--db", fresh, "keys", "retire", kid).code == 0
    jwks_file = tmp_path / "jwks.json"
    export_jwks(fresh, jwks_file)
    r = verify(write(tmp_path / "t.jws", data["token"]), jwks_file)
    assert r.code == 0, r


# -- 6. passphrase-protected keys -------------------------------------------------------------

def test_passphrase_protected_key(fresh: Path, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = SCENARIOS[name]
    with monkeypatch.context() as m:
        m.setenv("DELEGATIES_KEY_PASSPHRASE", PASSPHRASE)
        kid = new_key(fresh)
        key_file = fresh.parent / "keys" / f"{kid}.pem"
        assert "ENCRYPTED" in key_file.read_text()
        r = run("--db", fresh, "--json", "attest", *sc.allowed)
        assert r.code == 0, r
    token = write(tmp_path / "t.jws", r.json["token"])
    assert r.json["jti"] and parts(r.json["token"])[0]["kid"] == kid
    jwks_file = tmp_path / "jwks.json"
    export_jwks(fresh, jwks_file)
    assert verify(token, jwks_file).code == 0

    seen: list[Result] = []
    r = proc("--db", fresh, "attest", *sc.allowed)
    seen.append(r)
    assert r.code == 2, r
    assert str(key_file) in r.err and "DELEGATIES_KEY_PASSPHRASE" in r.err, r
    assert not r.out.strip(), r
    monkeypatch.setenv("DELEGATIES_KEY_PASSPHRASE", "fout")
    r = run("--db", fresh, "--json", "--lang", "en", "attest", *sc.allowed)
    seen.append(r)
    assert r.code == 2, r
    assert str(key_file) in r.json["error"] and "passphrase" in r.json["error"], r
    for result in seen:
        assert PASSPHRASE not in result.out + result.err
    # Nothing was issued by the failed attempts.
    events = run("--db", fresh, "--json", "history").json
    assert sum(e["kind"] == "attestation.issued" for e in events) == 1


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_readable_by_others_is_refused(signed_copy: Signed) -> None:
    s = signed_copy
    key_file = s.db.parent / "keys" / f"{s.kid_b}.pem"
    key_file.chmod(0o644)
    r = run("--db", s.db, "attest", *s.scenario.allowed)
    assert r.code == 2, r
    assert str(key_file) in r.err and "chmod 600" in r.err, r


# -- 7. check --attest --record ---------------------------------------------------------------

def test_check_attest_record_links_the_use_to_the_attestation(signed_copy: Signed, tmp_path: Path) -> None:
    s = signed_copy
    ref = "BB-2025-00042"
    before = head(s.db)
    r = run("--db", s.db, "--json", "check", *s.scenario.allowed, "--attest", "--record", ref)
    assert r.code == 0, r
    data = r.json
    assert data["allowed"] is True and data["recorded"] == ref
    token = data["attestation"]
    assert parts(token)[0]["kid"] == s.kid_b  # the active key

    jwks_file = tmp_path / "jwks.json"
    export_jwks(s.db, jwks_file)
    v = verify(write(tmp_path / f"{ref}.jws", token), jwks_file)
    assert v.code == 0, v
    claims = v.json["claims"]
    assert claims["register"] == before
    assert claims["answer"]["allowed"] is True
    jti = claims["jti"]

    events = run("--db", s.db, "--json", "history").json
    new = [e for e in events if e["seq"] > before["seq"]]
    # recorded first (ceiling re-checked in the write transaction), then attested
    assert [e["kind"] for e in new] == ["use.recorded", "attestation.issued"]
    assert ref in new[0]["summary"] and jti in new[1]["summary"]
    with sqlite3.connect(f"file:{s.db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT jti FROM uses WHERE reference = ?", (ref,)).fetchone() == (jti,)
        assert conn.execute("SELECT kid, allowed FROM attestations WHERE jti = ?", (jti,)).fetchone() == (s.kid_b, 1)
    conn.close()

    # A refused question can be attested and checked in one go too; nothing is recorded as a use.
    r = run("--db", s.db, "--json", "check", *s.scenario.refused, "--attest", "--record", "BB-2025-00043")
    assert r.code == 1 and r.json["recorded"] is None and r.json["attestation"], r
    assert verify(write(tmp_path / "weigering.jws", r.json["attestation"]), jwks_file).code == 0

    r = run("--db", s.db, "fsck")
    assert r.code == 0 and "In orde" in r.out, r


def test_history_shows_the_jti_of_each_issued_attestation(signed: Signed) -> None:
    events = run("--db", signed.db, "--json", "history").json
    issued = [e for e in events if e["kind"] == "attestation.issued"]
    assert len(issued) == 2
    for jti, event in zip(signed.jti.values(), issued, strict=True):
        assert jti in event["summary"]


# -- 8. the auditor's shell script ------------------------------------------------------------

def _openssl_3() -> bool:
    if not shutil.which("openssl"):
        return False
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
    match = re.match(r"OpenSSL (\d+)\.", version)
    return bool(match) and int(match.group(1)) >= 3


def test_verify_attestation_script_needs_no_delegaties_code(signed: Signed, tmp_path: Path) -> None:
    missing = [tool for tool in ("openssl", "jq", "xxd", "bash") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"examples/verify-attestation.sh needs {', '.join(missing)}, not installed here")
    if not _openssl_3():
        pytest.skip("examples/verify-attestation.sh needs OpenSSL 3 (pkeyutl -rawin)")
    script = REPO / "examples" / "verify-attestation.sh"

    def sh(token: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(script), str(token), str(signed.jwks_file)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    for which in ("allowed", "refused"):
        p = sh(signed.token_files[which])
        assert p.returncode == 0, p
        shown = json.loads(p.stdout[p.stdout.index("{"):])
        assert shown["jti"] == signed.jti[which] and shown["allowed"] is (which == "allowed")

    h_seg, _, sig = signed.tokens["refused"].split(".")
    payload = parts(signed.tokens["refused"])[1]
    payload["answer"]["allowed"] = True
    tampered = write(tmp_path / "vervalst.jws", f"{h_seg}.{b64url(json.dumps(payload).encode())}.{sig}")
    assert sh(tampered).returncode != 0
    alg_none = write(tmp_path / "none.jws", _with_header(signed.tokens["allowed"],
                                                         {"alg": "none", "kid": signed.kid_a}, ""))
    assert sh(alg_none).returncode != 0
