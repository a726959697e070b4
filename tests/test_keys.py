"""Keys: ids, signatures, and passphrase-encrypted PKCS#8 key files."""

from __future__ import annotations

import hashlib

import pytest

from mapping.errors import ConfigError, SignatureError
from verifier.keys import SigningKey, VerifyingKey, key_id

# RFC 8032 §7.1 TEST 1: secret key, public key and the signature of the empty message.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_rfc8032_test_vector_1() -> None:
    key = SigningKey(RFC8032_SEED)
    assert key.public_key == RFC8032_PUB
    assert key.sign(b"") == RFC8032_SIG
    VerifyingKey(RFC8032_PUB).verify(b"", RFC8032_SIG)


def test_key_id_is_sha256_of_raw_public_key() -> None:
    assert key_id(RFC8032_PUB) == hashlib.sha256(RFC8032_PUB).hexdigest()
    with pytest.raises(SignatureError):
        key_id(b"\x00" * 31)


@pytest.mark.parametrize("mutate", [lambda s: s[:-1] + bytes([s[-1] ^ 1]), lambda s: s[:63], lambda s: s + b"\x00"])
def test_bad_signatures_raise(mutate) -> None:  # type: ignore[no-untyped-def]
    vk = VerifyingKey(RFC8032_PUB)
    with pytest.raises(SignatureError):
        vk.verify(b"", mutate(RFC8032_SIG))
    assert not vk.is_valid(b"x", RFC8032_SIG)


def test_pem_round_trip_with_and_without_passphrase() -> None:
    key = SigningKey.generate()
    for passphrase in (None, b"correct horse"):
        pem = key.to_pem(passphrase)
        assert (b"ENCRYPTED" in pem) == (passphrase is not None)
        assert SigningKey.from_pem(pem, passphrase).public_key == key.public_key


def test_wrong_or_missing_passphrase_is_a_config_error() -> None:
    pem = SigningKey.generate().to_pem(b"secret")
    with pytest.raises(ConfigError):
        SigningKey.from_pem(pem, b"wrong")
    with pytest.raises(ConfigError):
        SigningKey.from_pem(pem, None)
    with pytest.raises(ConfigError):
        SigningKey.from_pem(b"not a pem", None)
