"""Issue 12, attestations: forged tokens with a stolen key, what a token reveals, key retirement,
key files, passphrases and oversized input. Every test reproduces a finding of the red-team pass
(it fails on dc662eb) and proves the fix."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest

from delegations.attestation import sign_attestation
from registry import Registry
from registry.keys import KeyStore
from tests.helpers import REPO, VERBINTENIS, cli

ALLOWED = ("--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02", "--amount", "1200",
           "--budget-key", "0119/6140000", "--unit", "aankoop")
ENV = ("DELEGATIES_KEYS", "DELEGATIES_KEY_PASSPHRASE", "DELEGATIES_DB")


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def claims_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def new_key(db: Path) -> str:
    r = cli("--db", db, "--json", "keys", "new")
    assert r.code == 0, r
    return r.json["kid"]


def attest(db: Path, *question: str) -> str:
    r = cli("--db", db, "--json", "attest", *question)
    assert r.code in (0, 1), r
    return r.json["token"]


def jwks_file(db: Path, tmp: Path) -> Path:
    out = tmp / f"jwks-{uuid.uuid4().hex[:6]}.json"
    r = cli("--db", db, "keys", "export-jwks", "--out", out)
    assert r.code == 0, r
    return out


def verify(db: Path, token: str, *extra: object) -> Any:
    return cli("--db", db, "--json", "verify", token, *extra)


# -- forged tokens --------------------------------------------------------------------------------

def test_a_token_forged_with_a_stolen_key_is_refused_by_the_register(example_db: Path, tmp_path: Path) -> None:
    """The README's compromise procedure followed: retire, new key, publish. The thief signs with
    the old key, `iat` before the retirement, a fresh jti, "p-011 may commit 50 000 EUR"."""
    kid = new_key(example_db)
    genuine = attest(example_db, *ALLOWED)
    stolen = KeyStore(example_db.parent / "keys").load_private(kid)
    time.sleep(1.1)  # retirement and iat have whole seconds
    assert cli("--db", example_db, "keys", "retire", kid).code == 0
    new_key(example_db)
    published = jwks_file(example_db, tmp_path)

    claims = claims_of(genuine)
    forged_claims = {**claims, "jti": str(uuid.uuid4()), "sub": "p-011"}
    forged_claims["question"] = {**claims["question"], "actor": "p-011", "amount": "50000.00"}
    forged_claims["answer"] = {**claims["answer"], "question": forged_claims["question"]}
    forged = sign_attestation(forged_claims, stolen, kid)

    # With the JWKS alone a forgery made before the retirement cannot be told apart: the README says so.
    offline = verify(example_db, forged, "--jwks", published)
    assert offline.code == 0, offline
    r = verify(example_db, forged, "--jwks", published, "--against-register")
    assert r.code == 1, r
    check = r.json["register_check"]
    assert check["issued_here"] is False and r.json["valid"] is False
    assert r.json["signature_valid"] is True
    assert any(forged_claims["jti"] in p for p in check["problems"])

    # The same jti as a genuine token, other content: still not what this register issued.
    same_jti = sign_attestation({**forged_claims, "jti": claims["jti"]}, stolen, kid)
    r = verify(example_db, same_jti, "--jwks", published, "--against-register")
    assert r.code == 1 and r.json["register_check"]["issued_here"] is False, r

    # The genuine token still verifies, against the register too.
    r = verify(example_db, genuine, "--jwks", published, "--against-register")
    assert r.code == 0 and r.json["valid"] is True and r.json["register_check"]["issued_here"] is True, r


def test_against_register_reasks_the_question_as_it_stood(example_db: Path, tmp_path: Path) -> None:
    """A token can only be confirmed by the register as it stood at the cited seq; a later
    retroactive revocation changes today's answer, not that one."""
    new_key(example_db)
    token = attest(example_db, *ALLOWED)
    assert cli("--db", example_db, "revoke", "--target", "AD-2025-0007/1", "--from", "2025-05-01", "--by",
               "AD-2025-0040").code == 0
    r = verify(example_db, token, "--against-register")
    assert r.code == 0, r
    check = r.json["register_check"]
    assert check["answer_confirmed"] is True and check["same_answer_today"] is False


def test_verify_json_never_says_valid_when_it_exits_1(example_db: Path, world_other: Path) -> None:
    new_key(example_db)
    token = attest(example_db, *ALLOWED)
    published = jwks_file(example_db, example_db.parent)
    r = cli("--db", world_other, "--json", "verify", token, "--jwks", published, "--against-register")
    assert r.code == 1, r
    assert r.json["valid"] is False and r.json["register_check"]["head_found"] is False


@pytest.fixture
def world_other(tmp_path: Path) -> Path:
    """Another administration's register (the same example under another id)."""
    text = (REPO / "examples" / "voorbeeldegem.yaml").read_text(encoding="utf-8")
    src = tmp_path / "ander" / "andergem.yaml"
    src.parent.mkdir()
    src.write_text(text.replace("id: voorbeeldegem", "id: andergem"), encoding="utf-8")
    db = src.parent / "andergem.db"
    assert cli("--db", db, "import", src).code == 0
    return db


# -- what a token reveals -------------------------------------------------------------------------

def _texts(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_an_attested_refusal_carries_no_conflict_reason_and_no_names(example_db: Path) -> None:
    new_key(example_db)
    r = cli("--db", example_db, "--json", "attest", "--actor", "p-001", "--power", VERBINTENIS, "--on", "2025-05-02",
            "--amount", "100", "--budget-key", "0119/6140000", "--unit", "aankoop", "--matter", "KBO:0999999999")
    assert r.code == 1, r
    claims = claims_of(r.json["token"])
    body = _texts(claims)
    assert "CONFLICT_OF_INTEREST" in body
    assert "familieband" not in body and "zaakvoerder" not in body
    with Registry.open(example_db, readonly=True) as reg:
        names = [p.name for p in reg.state().persons.values()]
    assert names and not [n for n in names if n in body]
    for finding in claims["answer"]["reasons"] + claims["answer"]["conditions"]:
        assert "text" not in finding and "person" not in finding


def test_a_substitute_s_token_does_not_carry_the_absence_of_the_holder(example_db: Path) -> None:
    """p-002 acts for the absent p-001 (July 2025): the token proves the chain, not p-001's absence."""
    new_key(example_db)
    r = cli("--db", example_db, "--json", "attest", "--actor", "p-002", "--power", VERBINTENIS, "--on", "2025-07-10",
            "--amount", "100", "--budget-key", "0119/6140000", "--unit", "aankoop")
    checked = cli("--db", example_db, "--json", "check", "--actor", "p-002", "--power", VERBINTENIS, "--on", "2025-07-10",
                  "--amount", "100", "--budget-key", "0119/6140000", "--unit", "aankoop").json
    assert any(c["code"] == "NOTIFY_ABSENT_HOLDER" and "p-001" in c["holders"] for c in checked["conditions"]), checked
    assert r.code == 0, r
    claims = claims_of(r.json["token"])
    assert claims["sub"] == "p-002"
    assert "p-001" not in _texts(claims["answer"]["conditions"]) + _texts(claims["answer"]["reasons"])
    assert [c["code"] for c in claims["answer"]["conditions"]] == [c["code"] for c in checked["conditions"]]


# -- retirement ---------------------------------------------------------------------------------

def test_a_wrong_clock_is_refused_instead_of_freezing_time(example_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One event from a clock set to 2099: dc662eb stamped every later event 2099 and put the next
    retirement in 2099. Now the writes after it refuse the clock that runs behind, naming it."""
    kid = new_key(example_db)
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: 4_070_908_800.0)  # 2099-01-01
        assert claims_of(attest(example_db, *ALLOWED))["iat"] == 4_070_908_800
    before = cli("--db", example_db, "--json", "history").json
    for argv in (("keys", "retire", kid), ("check", *ALLOWED, "--record", "BB-KLOK-1"), ("attest", *ALLOWED)):
        r = cli("--db", example_db, "--json", *argv)
        assert r.code == 2 and r.json["code"] == "CLOCK_BEHIND" and "klok" in r.json["error"], (argv, r)
    assert cli("--db", example_db, "--json", "history").json == before
    assert {k["kid"]: k["status"] for k in cli("--db", example_db, "--json", "keys", "list").json} == {kid: "active"}
    # Reading still works.
    assert cli("--db", example_db, "check", *ALLOWED).code == 0


def test_retired_at_is_now_not_the_last_iat(example_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A token stamped with an iat ahead of the register's clock (the finding: 2099) must not
    push retirement into the future; retired_at is the moment of retirement."""
    kid = new_key(example_db)
    token = attest(example_db, *ALLOWED)
    while time.time() < claims_of(token)["iat"] + 1:
        time.sleep(0.05)
    with Registry.open(example_db) as reg:
        # dc662eb: retired_at = max(now, last iat + 1). An attestation row with a far iat, as a
        # wrong clock left it there, is simulated by the projection row alone.
        reg.store.conn.execute("UPDATE attestations SET iat = 4070908800")
        before = int(time.time())
        assert reg.keys_retire(kid) is True
        retired_at = {k["kid"]: k for k in reg.keys_list()}[kid]["retired_at"]
    assert before <= retired_at <= int(time.time()) + 1
    assert claims_of(token)["iat"] < retired_at


def test_retiring_the_active_key_leaves_no_active_key(example_db: Path) -> None:
    old = new_key(example_db)
    new = new_key(example_db)
    assert cli("--db", example_db, "keys", "retire", new).code == 0
    listed = {k["kid"]: k["status"] for k in cli("--db", example_db, "--json", "keys", "list").json}
    assert listed == {old: "standby", new: "retired"}
    r = cli("--db", example_db, "--json", "attest", *ALLOWED)
    assert r.code == 2 and r.json["code"] == "NO_ACTIVE_KEY" and "keys activate" in r.json["error"], r
    assert cli("--db", example_db, "keys", "activate", old).code == 0
    assert claims_of(attest(example_db, *ALLOWED))["jti"]
    token = cli("--db", example_db, "--json", "attest", *ALLOWED).json["token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == old
    r = cli("--db", example_db, "keys", "activate", new)
    assert r.code == 2, r


def test_keys_list_json_is_not_a_usage_error(example_db: Path) -> None:
    kid = new_key(example_db)
    for argv in (("--json", "keys", "list"), ("keys", "list", "--json"), ("keys", "--json", "list")):
        r = cli("--db", example_db, *argv)
        assert r.code == 0 and r.json[0]["kid"] == kid, (argv, r)


# -- key files and passphrases --------------------------------------------------------------------

def test_a_fifo_in_place_of_the_key_file_does_not_hang_attest(example_db: Path) -> None:
    kid = new_key(example_db)
    key_file = example_db.parent / "keys" / f"{kid}.pem"
    key_file.unlink()
    os.mkfifo(key_file, 0o600)
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--db", str(example_db), "attest", *ALLOWED], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc
    assert str(key_file) in proc.stderr and "geen gewoon bestand" in proc.stderr, proc


def test_a_key_directory_open_to_others_is_refused(example_db: Path) -> None:
    new_key(example_db)
    (example_db.parent / "keys").chmod(0o755)
    r = cli("--db", example_db, "--json", "attest", *ALLOWED)
    assert r.code == 2 and "chmod 700" in r.json["error"], r
    r = cli("--db", example_db, "--json", "keys", "new")
    assert r.code == 2 and "chmod 700" in r.json["error"], r


def test_passphrase_keys_use_scrypt_not_pbkdf2_with_2048_rounds(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    kid, _ = store.new(b"fictieve wachtwoordzin")
    text = store.path(kid).read_bytes().decode("ascii")
    assert "BEGIN DELEGATIES ENCRYPTED PRIVATE KEY" in text and "BEGIN ENCRYPTED PRIVATE KEY" not in text
    body = json.loads(base64.b64decode("".join(text.strip().splitlines()[1:-1])))
    assert body["kdf"] == "scrypt" and body["n"] >= 2 ** 17 and body["r"] >= 8
    assert store.load_private(kid, b"fictieve wachtwoordzin") is not None
    # A tampered file cannot demand absurd memory from the loader.
    body["n"] = 2 ** 40
    tampered = base64.encodebytes(json.dumps(body).encode()).decode()
    store.path(kid).write_text(text.splitlines()[0] + "\n" + tampered + text.strip().splitlines()[-1] + "\n")
    from registry.keys import KeyStoreError

    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid, b"fictieve wachtwoordzin")
    assert caught.value.code == "WRONG_PASSPHRASE"


# -- size limits ----------------------------------------------------------------------------------

def test_an_oversized_token_on_stdin_is_refused_without_reading_it_all(example_db: Path) -> None:
    new_key(example_db)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--db", str(example_db), "--json", "verify", "-"],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = b"A" * (1 << 20)
    written = 0

    def feed() -> None:
        nonlocal written
        try:
            for _ in range(64):  # up to 64 MiB, far more than the limit; the reader stops early
                proc.stdin.write(chunk)  # type: ignore[union-attr]
                written += len(chunk)
            proc.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    out = proc.stdout.read()  # type: ignore[union-attr]
    err = proc.stderr.read()  # type: ignore[union-attr]
    proc.wait(timeout=120)
    feeder.join(timeout=120)
    assert proc.returncode == 2, (out, err)
    assert b"meer dan" in out + err
    assert written < 64 * len(chunk)  # the command did not wait for the whole input


def test_a_jwks_with_too_many_keys_is_refused(example_db: Path, tmp_path: Path) -> None:
    new_key(example_db)
    token = attest(example_db, *ALLOWED)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from delegations.attestation import public_jwk

    published = json.loads(jwks_file(example_db, tmp_path).read_text())
    others = [public_jwk(Ed25519PrivateKey.generate().public_key()) for _ in range(1000)]
    big = tmp_path / "groot.json"
    big.write_text(json.dumps({"keys": published["keys"] + others}))  # every key valid and distinct
    r = cli("--db", example_db, "--json", "verify", token, "--jwks", big)
    assert r.code == 2 and r.json["code"] == "INVALID_JWKS", r
    huge = tmp_path / "enorm.json"
    huge.write_text(json.dumps({"keys": published["keys"], "opvulling": "x" * (2 << 20)}))
    r = cli("--db", example_db, "--json", "verify", token, "--jwks", huge)
    assert r.code == 2 and "meer dan" in r.json["error"], r


def test_the_checkpoint_is_verifiable_with_the_jwks_alone(example_db: Path, tmp_path: Path) -> None:
    new_key(example_db)
    r = cli("--db", example_db, "checkpoint")
    assert r.code == 0, r
    doc = json.loads(r.out)
    published = json.loads(jwks_file(example_db, tmp_path).read_text())
    key = jwt.PyJWKSet.from_dict(published)[doc["kid"]].key
    signed = jwt.decode(doc["token"], key=key, algorithms=["EdDSA"], options={"verify_iat": False})
    assert {k: doc[k] for k in ("format", "iss", "seq", "head", "iat", "time")} == signed
    with Registry.open(example_db, readonly=True) as reg:
        history = list(reg.history())
    assert history[doc["seq"] - 1].hash == doc["head"] and history[-1].kind == "checkpoint.issued"
