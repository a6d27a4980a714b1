"""Key store: file rights, passphrases, and errors that name the file but never the key."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwcrypto import jwk as jwcrypto_jwk

from delegations.attestation import (
    jwk_thumbprint,
    make_jwks,
    public_jwk,
    sign_attestation,
    verify_attestation,
)
from registry.keys import KeyStore, KeyStoreError, passphrase_from_env

PASSPHRASE = b"correct horse battery staple"
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def secrets_of(key: Ed25519PrivateKey, pem: bytes) -> list[str]:
    """Every form in which the private key could leak into a text."""
    raw = key.private_bytes_raw()
    body = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    return [
        raw.hex(),
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        base64.b64encode(raw).decode(),
        *body,
    ]


@posix_only
def test_new_key_file_is_private_to_the_owner(store: KeyStore) -> None:
    kid, _ = store.new()
    assert mode(store.path(kid)) == 0o600
    assert mode(store.directory) == 0o700
    assert sorted(os.listdir(store.directory)) == [f"{kid}.pem"]  # no temporary file left behind


@posix_only
def test_file_mode_does_not_depend_on_the_umask(store: KeyStore) -> None:
    previous = os.umask(0)
    try:
        kid, _ = store.new()
    finally:
        os.umask(previous)
    assert mode(store.path(kid)) == 0o600


def test_kid_is_the_rfc7638_thumbprint(store: KeyStore) -> None:
    kid, jwk = store.new()
    assert kid == jwk["kid"] == jwk_thumbprint(jwk)
    assert kid == jwcrypto_jwk.JWK(**{k: jwk[k] for k in ("kty", "crv", "x")}).thumbprint()
    assert public_jwk(store.load_private(kid).public_key()) == jwk
    assert store.has(kid) and store.kids() == [kid]


def test_unencrypted_key_signs_verifiable_attestations(store: KeyStore) -> None:
    kid, jwk = store.new()
    assert store.path(kid).read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    claims = {
        "iss": "i",
        "sub": "s",
        "iat": 1,
        "jti": "j",
        "question": {},
        "answer": {},
        "register": {"seq": 1, "head": "h"},
    }
    token = sign_attestation(claims, store.load_private(kid), kid)
    assert verify_attestation(token, make_jwks([jwk]), now=1) == claims


def test_passphrase_round_trip(store: KeyStore) -> None:
    kid, jwk = store.new(PASSPHRASE)
    pem = store.path(kid).read_bytes()
    # scrypt, not PKCS#8's PBKDF2 with 2 048 iterations (see test_evidence_keys for the parameters)
    assert pem.startswith(b"-----BEGIN DELEGATIES ENCRYPTED PRIVATE KEY-----")
    assert public_jwk(store.load_private(kid, PASSPHRASE).public_key()) == jwk


def test_wrong_passphrase_names_the_file_and_leaks_nothing(store: KeyStore) -> None:
    kid, _ = store.new(PASSPHRASE)
    key = store.load_private(kid, PASSPHRASE)
    pem = store.path(kid).read_bytes()
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid, b"Tr0ub4dor&3")
    error = caught.value
    assert error.code == "WRONG_PASSPHRASE"
    assert str(store.path(kid)) in str(error) and str(store.path(kid)) in error.message_en
    assert "wachtwoordzin" in str(error) and "passphrase" in error.message_en
    assert error.__cause__ is None and error.__suppress_context__
    texts = [str(error), repr(error), error.message_en, repr(error.args)]
    for text in texts:
        for secret in [*secrets_of(key, pem), PASSPHRASE.decode(), "Tr0ub4dor&3"]:
            assert secret not in text


def test_missing_passphrase_for_an_encrypted_key(store: KeyStore) -> None:
    kid, _ = store.new(PASSPHRASE)
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)
    assert caught.value.code == "PASSPHRASE_REQUIRED"
    assert str(store.path(kid)) in str(caught.value) and "DELEGATIES_KEY_PASSPHRASE" in str(caught.value)


def test_missing_file(store: KeyStore) -> None:
    kid = jwk_thumbprint(public_jwk(Ed25519PrivateKey.generate().public_key()))
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)
    assert caught.value.code == "MISSING"
    assert str(store.path(kid)) in str(caught.value) and "bestaat niet" in str(caught.value)
    assert not store.has(kid)


@posix_only
def test_refuses_a_key_file_readable_by_others(store: KeyStore) -> None:
    kid, _ = store.new()
    os.chmod(store.path(kid), 0o644)
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)
    assert caught.value.code == "PERMISSIONS"
    assert "0644" in str(caught.value) and f"chmod 600 {store.path(kid)}" in str(caught.value)


def write_key_file(path: Path, pem: bytes) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_bytes(pem)
    os.chmod(path, 0o600)


def test_refuses_a_key_that_is_not_ed25519(store: KeyStore) -> None:
    kid = jwk_thumbprint(public_jwk(Ed25519PrivateKey.generate().public_key()))
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_key_file(store.path(kid), ec_pem)
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)
    assert caught.value.code == "NOT_ED25519"
    assert str(store.path(kid)) in str(caught.value) and "geen Ed25519" in str(caught.value)


def test_refuses_a_file_that_is_not_a_key(store: KeyStore) -> None:
    kid = jwk_thumbprint(public_jwk(Ed25519PrivateKey.generate().public_key()))
    write_key_file(store.path(kid), b"hello")
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)
    assert caught.value.code == "UNREADABLE" and str(store.path(kid)) in str(caught.value)


def test_refuses_a_key_file_under_another_kid(store: KeyStore) -> None:
    kid, _ = store.new()
    other_kid = jwk_thumbprint(public_jwk(Ed25519PrivateKey.generate().public_key()))
    write_key_file(store.path(other_kid), store.path(kid).read_bytes())
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(other_kid)
    assert caught.value.code == "KID_MISMATCH" and kid in str(caught.value)


@pytest.mark.parametrize("kid", ["../../etc/passwd", "", "a" * 42, "a" * 44, "a/" * 21 + "a", None])
def test_kids_that_are_not_thumbprints_never_reach_the_file_system(store: KeyStore, kid: object) -> None:
    assert not store.has(kid)  # type: ignore[arg-type]
    with pytest.raises(KeyStoreError) as caught:
        store.load_private(kid)  # type: ignore[arg-type]
    assert caught.value.code == "INVALID_KID"


def test_every_new_key_is_distinct(store: KeyStore) -> None:
    kids = {store.new()[0] for _ in range(3)}
    assert len(kids) == 3 and set(store.kids()) == kids


def test_repr_shows_no_key_material(store: KeyStore) -> None:
    kid, _ = store.new()
    key = store.load_private(kid)
    pem = store.path(kid).read_bytes()
    for text in (repr(store), repr(key), str(key)):
        for secret in secrets_of(key, pem):
            assert secret not in text


def test_passphrase_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELEGATIES_KEY_PASSPHRASE", "geheim wachtwoord é")
    assert passphrase_from_env() == "geheim wachtwoord é".encode()
    assert KeyStore.passphrase_from_env() == passphrase_from_env()
    monkeypatch.setenv("DELEGATIES_KEY_PASSPHRASE", "")
    assert passphrase_from_env() is None
    monkeypatch.delenv("DELEGATIES_KEY_PASSPHRASE")
    assert passphrase_from_env() is None
