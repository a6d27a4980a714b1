"""Signing keys: private keys in files outside the database, public keys and their life in the log.

`KeyStore` is the directory of private keys, one file per key, `<directory>/<kid>.pem`, mode 0600,
in a directory of mode 0700: PKCS#8 PEM, or, with a passphrase, an envelope of our own (scrypt and
AES-256-GCM; PKCS#8 as written by `cryptography` only offers PBKDF2 with 2 048 iterations).
The kid is the RFC 7638 thumbprint of the public key, so a file name can be checked against its
content. Only regular files are read (a FIFO or a device put in place of a key would hang or feed
the signer), never through a symlink, and never more than a few kilobytes. Error messages name the
file and the problem, never key material or passphrases.

`Keys` is the register's side: `key.added`, `key.activated` and `key.retired` events, the active
key (the one added or activated last, until it is retired: retiring it leaves none), the JWKS.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from delegations.texts import CodedError, tr

__all__ = ["PASSPHRASE_ENV", "KeyStore", "KeyStoreError", "passphrase_from_env"]

PASSPHRASE_ENV = "DELEGATIES_KEY_PASSPHRASE"
# A SHA-256 thumbprint in unpadded base64url; also keeps "../" and the like out of file names.
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"
MAX_KEY_FILE = 16 * 1024
SEALED_BEGIN = b"-----BEGIN DELEGATIES ENCRYPTED PRIVATE KEY-----"
SEALED_END = b"-----END DELEGATIES ENCRYPTED PRIVATE KEY-----"
# scrypt as OWASP recommends it for passwords (N=2^17, r=8, p=1: 128 MiB, about half a second),
# so that a stolen key file does not give up a guessable passphrase to a fast offline search.
SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
_SCRYPT_BOUNDS = {"n": 2 ** 20, "r": 16, "p": 4}  # a tampered file must not demand absurd memory
_AAD = b"delegaties-key/1"


class KeyStoreError(CodedError):
    """A key that cannot be used; `code` is stable, `str()` is the Dutch text."""


def _not_regular(path: Path) -> KeyStoreError:
    return KeyStoreError("NOT_A_FILE", tr("Key file {path} is not a regular file (a symbolic link, FIFO or device); it is not read.", path=path))


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def seal(der: bytes, passphrase: bytes) -> bytes:
    """PKCS#8 DER encrypted with AES-256-GCM under a scrypt key of the passphrase, PEM-armoured."""
    import base64
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase)
    body = {"format": "delegaties-key/1", "kdf": "scrypt", **SCRYPT, "salt": _b64(salt), "cipher": "AES-256-GCM",
            "nonce": _b64(nonce), "data": _b64(AESGCM(key).encrypt(nonce, der, _AAD))}
    text = base64.encodebytes(json.dumps(body, sort_keys=True).encode("ascii"))
    return SEALED_BEGIN + b"\n" + text + SEALED_END + b"\n"


def unseal(content: bytes, passphrase: bytes, path: Path) -> bytes:
    """The PKCS#8 DER of a sealed key file; ValueError when the passphrase is wrong or the file damaged."""
    import base64
    import binascii
    import json

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        inner = content.strip()[len(SEALED_BEGIN):]
        inner = inner[: inner.index(SEALED_END)]
        body = json.loads(base64.b64decode(inner))
        params = {k: body[k] for k in ("n", "r", "p")}
        if body.get("kdf") != "scrypt" or body.get("cipher") != "AES-256-GCM" or not all(
                type(v) is int and 1 <= v <= _SCRYPT_BOUNDS[k] for k, v in params.items()):
            raise ValueError("unsupported parameters")
        salt, nonce, data = (base64.b64decode(body[k], validate=True) for k in ("salt", "nonce", "data"))
        key = Scrypt(salt=salt, length=32, **params).derive(passphrase)
        return AESGCM(key).decrypt(nonce, data, _AAD)
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidTag):
        raise ValueError(f"{path}: cannot unseal") from None


def passphrase_from_env() -> bytes | None:
    """The passphrase in DELEGATIES_KEY_PASSPHRASE; unset or empty means none."""
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


class KeyStore:
    """The directory of private keys; holds no key in memory itself."""

    passphrase_from_env = staticmethod(passphrase_from_env)

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    def path(self, kid: str) -> Path:
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise KeyStoreError("INVALID_KID", tr("{kid!r} is not a valid key id (a 43-character RFC 7638 thumbprint).", kid=kid))
        return self.directory / f"{kid}.pem"

    def has(self, kid: str) -> bool:
        try:
            return self.path(kid).is_file()
        except KeyStoreError:
            return False

    def kids(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.pem") if _KID.fullmatch(p.stem))

    def new(self, passphrase: bytes | None = None) -> tuple[str, dict[str, str]]:
        """Generate an Ed25519 key, store it (encrypted when a non-empty passphrase is given)
        and return (kid, public JWK)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from delegations.attestation import public_jwk

        key = Ed25519PrivateKey.generate()
        jwk = public_jwk(key.public_key())
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        content = seal(der, passphrase) if passphrase else key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self._ensure_directory()
        self._write_new_file(self.path(jwk["kid"]), content)
        return jwk["kid"], jwk

    def check_directory(self) -> None:
        """The key directory must be the owner's alone: others could swap a key file in it."""
        try:
            mode = os.stat(self.directory).st_mode
        except FileNotFoundError:
            return
        if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
            rights = f"{stat.S_IMODE(mode):04o}"
            raise KeyStoreError("DIRECTORY_PERMISSIONS", tr("Key directory {directory} has too wide permissions ({rights}); only the owner may use it. Fix with `chmod 700 {directory}`.", directory=self.directory, rights=rights))

    def stat(self, kid: str) -> tuple | None:
        """What identifies the key file's current content (to reuse a key loaded before)."""
        try:
            st = os.lstat(self.path(kid))
        except (OSError, KeyStoreError):
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)

    def load_private(self, kid: str, passphrase: bytes | None = None) -> Any:
        """The Ed25519 private key `kid`, after checking the file's permissions and content."""
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_der_private_key, load_pem_private_key

        from delegations.attestation import jwk_thumbprint, public_jwk

        path = self.path(kid)
        self.check_directory()
        data = self._read_key_file(path)
        sealed = data.lstrip().startswith(SEALED_BEGIN)
        encrypted = sealed or _ENCRYPTED_PEM in data
        if encrypted and not passphrase:
            raise KeyStoreError("PASSPHRASE_REQUIRED", tr("Key file {path} is encrypted; provide the passphrase in {passphrase_env}.", path=path, passphrase_env=PASSPHRASE_ENV))
        try:
            if sealed:
                key = load_der_private_key(unseal(data, passphrase, path), password=None)  # type: ignore[arg-type]
            else:
                key = load_pem_private_key(data, password=passphrase if encrypted else None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # `from None`: the library's own message adds nothing and must not travel along.
            if encrypted:
                raise KeyStoreError("WRONG_PASSPHRASE", tr("Key file {path} cannot be decrypted: wrong passphrase (or the file is damaged).", path=path)) from None
            raise KeyStoreError("UNREADABLE", tr("Key file {path} is not a readable PEM private key (PKCS#8).", path=path)) from None
        if not isinstance(key, Ed25519PrivateKey):
            kind = type(key).__name__.removeprefix("_")
            raise KeyStoreError("NOT_ED25519", tr("Key file {path} holds a {kind}, not an Ed25519 key.", path=path, kind=kind))
        actual = jwk_thumbprint(public_jwk(key.public_key()))
        if actual != kid:
            raise KeyStoreError("KID_MISMATCH", tr("Key file {path} holds key {actual}, not {kid}; the file was renamed or replaced.", path=path, actual=actual, kid=kid))
        return key

    @staticmethod
    def _read_key_file(path: Path) -> bytes:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise KeyStoreError("MISSING", tr("Key file {path} does not exist; create a key with `delegaties keys new`.", path=path)) from None
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path)
        if os.name == "posix" and stat.S_IMODE(st.st_mode) & 0o077:
            # Wider rights mean other accounts may have read the key: refuse rather than sign.
            rights = f"{stat.S_IMODE(st.st_mode):04o}"
            raise KeyStoreError("PERMISSIONS", tr("Key file {path} has too wide permissions ({rights}); only the owner may read it. Fix with `chmod 600 {path}`.", path=path, rights=rights))
        try:
            # O_NONBLOCK: a FIFO swapped in after the lstat() must not hang the signer; fstat() then
            # tells what was really opened.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            raise KeyStoreError("UNREADABLE", tr("Key file {path} cannot be read: {strerror}.", path=path, strerror=error.strerror)) from None
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _not_regular(path)
            data = file.read(MAX_KEY_FILE + 1)
        if len(data) > MAX_KEY_FILE:
            raise KeyStoreError("UNREADABLE", tr("Key file {path} is larger than {max_key_file} bytes; that is not a key.", path=path, max_key_file=MAX_KEY_FILE))
        return data

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)  # mkdir's mode is filtered through the umask
        self.check_directory()

    def _write_new_file(self, path: Path, content: bytes) -> None:
        # Written under a temporary name created 0600 with O_EXCL, then linked into place: the
        # key file never exists with wider rights, half written, or over an existing one.
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                if hasattr(os, "fchmod"):
                    os.fchmod(file.fileno(), 0o600)  # the umask could have narrowed, never widened
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise KeyStoreError("EXISTS", tr("Key file {path} already exists; it is not overwritten.", path=path)) from None
            except OSError:
                # Some file systems have no hard links; a fresh kid cannot collide in practice.
                os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        self._sync_directory()

    def _sync_directory(self) -> None:
        try:
            descriptor = os.open(self.directory, os.O_RDONLY)
        except OSError:
            return  # not supported everywhere; the file itself was synced
        try:
            os.fsync(descriptor)
        except OSError:
            pass
        finally:
            os.close(descriptor)


# -- the register's keys --------------------------------------------------------------------------

KEYS_ENV = "DELEGATIES_KEYS"


class Signer:
    """The active key, loaded and checked: what signs attestations and checkpoints."""

    def __init__(self, kid: str, key: Any):
        self.kid, self.key = kid, key

    def __repr__(self) -> str:
        return f"Signer({self.kid!r})"


class Keys:
    """The keys of one register: public part and life cycle as events, private part in a KeyStore."""

    def __init__(self, store: Any, directory: Path):
        self.store = store
        self.key_store = KeyStore(directory)
        self._loaded: dict[str, tuple[tuple, Any]] = {}

    def new(self, passphrase: bytes | None = None) -> str:
        import time

        from . import projections
        from .errors import UnavailableError

        try:
            kid, jwk = self.key_store.new(passphrase if passphrase is not None else passphrase_from_env())
        except KeyStoreError as exc:
            raise UnavailableError(exc.text, code="KEY_UNUSABLE") from None
        except OSError as exc:
            raise UnavailableError(tr("{directory}: key not written ({strerror})", directory=self.key_store.directory, strerror=exc.strerror),
                                   code="KEY_UNUSABLE") from None
        with self.store.transaction() as tx:
            ev = tx.append("key.added", {"kid": kid, "jwk": jwk, "added_at": int(time.time())})
            projections.apply(tx.conn, ev)
        return kid

    def active_kid(self) -> str | None:
        return self.store.meta("active_kid")

    def list(self) -> list[dict[str, Any]]:
        import json

        rows = self.store.conn.execute("SELECT kid, jwk, added_at, retired_at FROM keys ORDER BY seq").fetchall()
        active = self.active_kid()
        return [{"kid": kid, "status": "retired" if retired else ("active" if kid == active else "standby"),
                 "added_at": added, "retired_at": retired, "private_key_here": self.key_store.has(kid),
                 "jwk": json.loads(jwk)} for kid, jwk, added, retired in rows]

    def _row(self, kid: str) -> tuple:

        from .errors import NotFoundError

        row = self.store.conn.execute("SELECT retired_at FROM keys WHERE kid = ?", (kid,)).fetchone()
        if row is None:
            raise NotFoundError(tr("key {kid} is not in the register (see 'keys list')", kid=kid), parameter="kid")
        return row

    def retire(self, kid: str) -> bool:
        """Retire `kid` now; False when it was retired already. Tokens with an `iat` from this
        moment on are refused by every verifier that has the new JWKS."""
        from . import projections

        if self._row(kid)[0] is not None:
            return False
        with self.store.transaction() as tx:
            now = tx.iat
            # NumericDate has whole seconds: a token issued earlier in this very second stays valid.
            # A token stamped later than now (a wrong clock) does not push the retirement into the future.
            same_second = tx.execute("SELECT 1 FROM attestations WHERE kid = ? AND iat = ?", (kid, now)).fetchone()
            retired_at = now + 1 if same_second else now
            ev = tx.append("key.retired", {"kid": kid, "retired_at": retired_at})
            projections.apply(tx.conn, ev)
        return True

    def activate(self, kid: str) -> None:
        """Make a standby key the active one (after the active key was retired, for instance)."""

        from . import projections
        from .errors import InputError

        if self._row(kid)[0] is not None:
            raise InputError(tr("key {kid} is retired and cannot become active again", kid=kid), parameter="kid")
        with self.store.transaction() as tx:
            ev = tx.append("key.activated", {"kid": kid})
            projections.apply(tx.conn, ev)

    def jwks(self) -> dict[str, Any]:
        from delegations.attestation import make_jwks

        entries = []
        for k in self.list():
            jwk = dict(k["jwk"])
            if k["retired_at"] is not None:
                jwk["retired_at"] = k["retired_at"]
            entries.append(jwk)
        return make_jwks(entries)

    def signer(self, passphrase: bytes | None = None) -> Signer:
        """The active key, ready to sign; loaded before any write so that a missing key or a
        wrong passphrase never leaves half an operation behind."""
        from .errors import UnavailableError

        kid = self.active_kid()
        if kid is None:
            retired = self.store.conn.execute("SELECT 1 FROM keys WHERE retired_at IS NOT NULL LIMIT 1").fetchone()
            why = tr("No active key (the active key was retired): create one with 'delegaties keys new' or activate a "
                     "standby key with 'delegaties keys activate KID'.") if retired else \
                tr("No active key: create one with 'delegaties keys new' or activate a standby key with "
                   "'delegaties keys activate KID'.")
            raise UnavailableError(why, code="NO_ACTIVE_KEY")
        fingerprint = self.key_store.stat(kid)
        cached = self._loaded.get(kid)
        if cached is not None and fingerprint is not None and cached[0] == fingerprint:
            self.key_store.check_directory()
            return Signer(kid, cached[1])
        try:
            key = self.key_store.load_private(kid, passphrase if passphrase is not None else passphrase_from_env())
        except KeyStoreError as exc:
            raise UnavailableError(exc.text, code="KEY_UNUSABLE") from None
        if fingerprint is not None:
            self._loaded = {kid: (fingerprint, key)}
        return Signer(kid, key)
