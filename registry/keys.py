"""Private signing keys, one PKCS#8 PEM file per key: `<directory>/<kid>.pem`, mode 0600.

The kid is the RFC 7638 thumbprint of the public key, so a file name can be checked against
its content. Error messages name the file and the problem, never key material or passphrases.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from delegations.attestation import jwk_thumbprint, public_jwk
from delegations.texts import CodedError

__all__ = ["PASSPHRASE_ENV", "KeyStore", "KeyStoreError", "passphrase_from_env"]

PASSPHRASE_ENV = "DELEGATIES_KEY_PASSPHRASE"
# A SHA-256 thumbprint in unpadded base64url; also keeps "../" and the like out of file names.
_KID = re.compile(r"[A-Za-z0-9_-]{43}")
_ENCRYPTED_PEM = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


class KeyStoreError(CodedError):
    """A key that cannot be used; `code` is stable, `str()` is the Dutch text."""


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
            raise KeyStoreError(
                "INVALID_KID",
                f"{kid!r} is geen geldige sleutel-id (een RFC 7638-thumbprint van 43 tekens).",
                f"{kid!r} is not a valid key id (a 43-character RFC 7638 thumbprint).",
            )
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

        key = Ed25519PrivateKey.generate()
        jwk = public_jwk(key.public_key())
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        self._ensure_directory()
        self._write_new_file(self.path(jwk["kid"]), pem)
        return jwk["kid"], jwk

    def load_private(self, kid: str, passphrase: bytes | None = None) -> Any:
        """The Ed25519 private key `kid`, after checking the file's permissions and content."""
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        path = self.path(kid)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise KeyStoreError(
                "MISSING",
                f"Sleutelbestand {path} bestaat niet; maak een sleutel met `delegaties keys new`.",
                f"Key file {path} does not exist; create a key with `delegaties keys new`.",
            ) from None
        if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
            # Wider rights mean other accounts may have read the key: refuse rather than sign.
            rights = f"{stat.S_IMODE(mode):04o}"
            raise KeyStoreError(
                "PERMISSIONS",
                f"Sleutelbestand {path} heeft te ruime rechten ({rights}); alleen de eigenaar mag het lezen. "
                f"Herstel met `chmod 600 {path}`.",
                f"Key file {path} has too wide permissions ({rights}); only the owner may read it. "
                f"Fix with `chmod 600 {path}`.",
            )
        try:
            data = path.read_bytes()
        except OSError as error:
            raise KeyStoreError(
                "UNREADABLE",
                f"Sleutelbestand {path} kan niet gelezen worden: {error.strerror}.",
                f"Key file {path} cannot be read: {error.strerror}.",
            ) from None
        encrypted = _ENCRYPTED_PEM in data
        if encrypted and not passphrase:
            raise KeyStoreError(
                "PASSPHRASE_REQUIRED",
                f"Sleutelbestand {path} is versleuteld; geef de wachtwoordzin via {PASSPHRASE_ENV}.",
                f"Key file {path} is encrypted; provide the passphrase in {PASSPHRASE_ENV}.",
            )
        try:
            key = load_pem_private_key(data, password=passphrase if encrypted else None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # `from None`: the library's own message adds nothing and must not travel along.
            if encrypted:
                raise KeyStoreError(
                    "WRONG_PASSPHRASE",
                    f"Sleutelbestand {path} kan niet ontsleuteld worden: verkeerde wachtwoordzin "
                    f"(of het bestand is beschadigd).",
                    f"Key file {path} cannot be decrypted: wrong passphrase (or the file is damaged).",
                ) from None
            raise KeyStoreError(
                "UNREADABLE",
                f"Sleutelbestand {path} is geen leesbare PEM-privésleutel (PKCS#8).",
                f"Key file {path} is not a readable PEM private key (PKCS#8).",
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            kind = type(key).__name__.removeprefix("_")
            raise KeyStoreError(
                "NOT_ED25519",
                f"Sleutelbestand {path} bevat een {kind}, geen Ed25519-sleutel.",
                f"Key file {path} holds a {kind}, not an Ed25519 key.",
            )
        actual = jwk_thumbprint(public_jwk(key.public_key()))
        if actual != kid:
            raise KeyStoreError(
                "KID_MISMATCH",
                f"Sleutelbestand {path} bevat sleutel {actual}, niet {kid}; het bestand is hernoemd of vervangen.",
                f"Key file {path} holds key {actual}, not {kid}; the file was renamed or replaced.",
            )
        return key

    def _ensure_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)  # mkdir's mode is filtered through the umask

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
                raise KeyStoreError(
                    "EXISTS",
                    f"Sleutelbestand {path} bestaat al; het wordt niet overschreven.",
                    f"Key file {path} already exists; it is not overwritten.",
                ) from None
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
