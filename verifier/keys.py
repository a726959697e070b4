"""Ed25519 keys and signatures (RFC 8032). The ONLY module that touches Ed25519.

Everything else signs and verifies through these recipes:

- :class:`SigningKey` holds a private key, signs bytes, and reads or writes a
  passphrase-encrypted PKCS#8 PEM key file (via ``cryptography``);
- :class:`VerifyingKey` holds a raw 32-byte public key and verifies (via PyNaCl,
  the fastest binding here); ``verify`` returns nothing and raises;
- :func:`key_id` is the project's key id: "A key's id is the hex SHA-256 of its
  raw 32-byte public key" (DESIGN §3).
"""

from __future__ import annotations

import hashlib

import nacl.exceptions
import nacl.signing
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from mapping.errors import ConfigError, SignatureError

PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32
SIGNATURE_BYTES = 64


def key_id(public_key: bytes) -> str:
    """Hex SHA-256 of a raw 32-byte Ed25519 public key."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise SignatureError(
            f"an Ed25519 public key is {PUBLIC_KEY_BYTES} bytes, got {len(public_key)}",
            code="key.malformed",
        )
    return hashlib.sha256(public_key).hexdigest()


class VerifyingKey:
    """A raw Ed25519 public key that verifies signatures."""

    __slots__ = ("_nacl", "key_id", "public_key")

    def __init__(self, public_key: bytes) -> None:
        self.key_id = key_id(public_key)
        self.public_key = bytes(public_key)
        try:
            self._nacl = nacl.signing.VerifyKey(self.public_key)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
            raise SignatureError(f"not an Ed25519 public key: {e}", code="key.malformed") from e

    def verify(self, message: bytes, signature: bytes) -> None:
        """Raise :class:`SignatureError` unless ``signature`` is this key's over ``message``."""
        if len(signature) != SIGNATURE_BYTES:
            raise SignatureError(
                f"an Ed25519 signature is {SIGNATURE_BYTES} bytes, got {len(signature)}",
                code="signature.malformed",
            )
        try:
            self._nacl.verify(message, signature)
        except nacl.exceptions.BadSignatureError as e:
            raise SignatureError(f"signature does not verify under key {self.key_id}", code="signature.invalid") from e

    def is_valid(self, message: bytes, signature: bytes) -> bool:
        try:
            self.verify(message, signature)
        except SignatureError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyingKey) and other.public_key == self.public_key

    def __hash__(self) -> int:
        return hash(self.public_key)

    def __repr__(self) -> str:
        return f"VerifyingKey({self.key_id[:16]}…)"


class SigningKey:
    """An Ed25519 private key. Never logged, never serialized unencrypted unless asked."""

    __slots__ = ("_nacl", "verifying_key")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_BYTES:
            raise ConfigError(f"an Ed25519 seed is {SEED_BYTES} bytes, got {len(seed)}", code="key.malformed")
        self._nacl = nacl.signing.SigningKey(seed)
        self.verifying_key = VerifyingKey(bytes(self._nacl.verify_key))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        return self.verifying_key.public_key

    @property
    def key_id(self) -> str:
        return self.verifying_key.key_id

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``message``."""
        return self._nacl.sign(message).signature

    def seed(self) -> bytes:
        return bytes(self._nacl)

    def to_pem(self, passphrase: bytes | None) -> bytes:
        """PKCS#8 PEM; encrypted with the best available scheme when a passphrase is given."""
        private = ed25519.Ed25519PrivateKey.from_private_bytes(self.seed())
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    @classmethod
    def from_pem(cls, data: bytes, passphrase: bytes | None) -> SigningKey:
        """Read a PKCS#8 PEM Ed25519 key, raising :class:`ConfigError` with the reason."""
        # The messages name what to do, never the cryptography library's internals (chained for debugging).
        if b"-----BEGIN" not in data:
            raise ConfigError("the key file is not a PEM file (no -----BEGIN line)", code="key.unreadable")
        try:
            private = serialization.load_pem_private_key(data, password=passphrase or None)
        except TypeError as e:  # encrypted without passphrase, or passphrase for a clear key
            needs = (
                "is encrypted: set its passphrase" if passphrase is None else "is not encrypted: unset the passphrase"
            )
            raise ConfigError(
                f"the key file {needs} (CARBONLEDGER_KEY_PASSPHRASE, or the log key's CARBONLEDGER_LOG_KEY_PASSPHRASE)",
                code="key.passphrase",
            ) from e
        except ValueError as e:
            raise ConfigError(
                "the key file is not a readable PKCS#8 private key, or its passphrase is wrong", code="key.unreadable"
            ) from e
        if not isinstance(private, ed25519.Ed25519PrivateKey):
            raise ConfigError("key file does not hold an Ed25519 key", code="key.unsupported")
        seed = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return cls(seed)

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id[:16]}…)"
