"""Signed entries: DSSE envelopes in the one valid form DESIGN §3 fixes.

An envelope is accepted only when:
1. its bytes are at most :data:`MAX_ENTRY_BYTES` and are RFC 8785 canonical JSON
   with exactly the members ``payload``, ``payloadType`` and ``signatures``;
2. ``payloadType`` is :data:`ENTRY_PAYLOAD_TYPE`;
3. ``payload`` is padded standard base64 (RFC 4648 §4) that re-encodes to itself,
   and decodes to canonical JSON that its kind's schema accepts;
4. ``signatures`` holds exactly one ``{keyid, sig}``; ``sig`` is padded standard
   base64 of 64 bytes; ``keyid`` equals the payload's ``signer``.

So an entry has one envelope, and one envelope one leaf. The signature is over
DSSE's pre-authentication encoding (PAE), checked by :meth:`Entry.verify_signature`
with the key the log (or a bundle) resolves for ``signer``.

The entry id is the hex SHA-256 of the payload bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from mapping.errors import InputError, SchemaError
from verifier import schemas
from verifier.b64 import decode_canonical, decode_checked
from verifier.canonical import canonicalize, check_size, require_canonical
from verifier.keys import SigningKey, VerifyingKey

ENTRY_PAYLOAD_TYPE = "application/vnd.carbonledger.entry+json"
# "Entries are at most 64 KiB (room for C2SP tiles' 16-bit length prefix)": a
# uint16 prefix holds at most 65535, so that is the largest envelope accepted.
MAX_ENTRY_BYTES = 65535
ZERO_ENTRY_ID = "0" * 64
_ENVELOPE_MEMBERS = frozenset({"payload", "payloadType", "signatures"})
# The canonical envelope has one shape: a fixed prefix, the payload's base64, and
# a suffix of fixed length holding the key id and signature. Every string in it
# is base64 or hex, so no escaping can occur and a byte-exact match proves
# canonical form. Anything else takes the general path, which names the fault.
_PREFIX = b'{"payload":"'
_SUFFIX = re.compile(
    rb'","payloadType":"application/vnd\.carbonledger\.entry\+json",'
    rb'"signatures":\[\{"keyid":"([0-9a-f]{64})","sig":"([A-Za-z0-9+/]{86}==)"\}\]\}'
)
_SUFFIX_LEN = len(b'","payloadType":"application/vnd.carbonledger.entry+json","signatures":[{"keyid":"')
_SUFFIX_LEN += 64 + len(b'","sig":"') + 88 + len(b'"}]}')
_SIGNATURE_MEMBERS = frozenset({"keyid", "sig"})


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding:
    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, LEN as ASCII decimal bytes."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def entry_id(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """A parsed, schema-valid entry whose signature is not yet verified."""

    envelope: bytes
    payload: bytes
    body: dict[str, Any]
    signature: bytes
    entry_id: str  # hex SHA-256 of the payload, computed once

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def signer(self) -> str:
        return self.body["signer"]

    @property
    def seq(self) -> int:
        return self.body["seq"]

    @property
    def prev(self) -> str:
        return self.body["prev"]

    @property
    def signed_at(self) -> str:
        return self.body["signed_at"]

    def signed_message(self) -> bytes:
        return pae(ENTRY_PAYLOAD_TYPE, self.payload)

    def verify_signature(self, key: VerifyingKey) -> None:
        """Raise ``SignatureError`` unless ``key`` (whose id must be ``signer``) signed this entry."""
        if key.key_id != self.signer:
            raise InputError(f"key {key.key_id} is not the entry's signer {self.signer}", code="signature.wrong_key")
        key.verify(self.signed_message(), self.signature)


def _b64decode_exact(text: Any, field: str, expected_len: int | None = None) -> bytes:
    if not isinstance(text, str | bytes):
        raise InputError(f"{field} must be a base64 string", code="envelope.malformed", field=field)
    try:
        raw = decode_canonical(text)
    except ValueError as e:
        raise InputError(
            f"{field} is not in canonical padded standard base64: {e}", code="envelope.base64", field=field
        ) from e
    if expected_len is not None and len(raw) != expected_len:
        raise InputError(
            f"{field} decodes to {len(raw)} bytes, expected {expected_len}", code="envelope.malformed", field=field
        )
    return raw


def _general_envelope(envelope: bytes) -> tuple[str, Any, Any]:
    """(keyid, sig text, payload text) of an envelope not in the one valid shape, or the error naming why
    it is not an envelope at all (canonical JSON, members, payload type, exactly one signature)."""
    doc = require_canonical(envelope, max_bytes=MAX_ENTRY_BYTES, what="entry envelope")
    if not isinstance(doc, dict) or set(doc) != _ENVELOPE_MEMBERS:
        got = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
        raise InputError(
            f"an envelope has exactly the members payload, payloadType, signatures; got {got}",
            code="envelope.malformed",
        )
    if doc["payloadType"] != ENTRY_PAYLOAD_TYPE:
        raise InputError(
            f"payloadType must be {ENTRY_PAYLOAD_TYPE!r}, got {doc['payloadType']!r}",
            code="envelope.payload_type",
            field="/payloadType",
        )
    sigs = doc["signatures"]
    if not isinstance(sigs, list) or len(sigs) != 1:
        n = len(sigs) if isinstance(sigs, list) else "not a list"
        raise InputError(
            f"an envelope carries exactly one signature, got {n}", code="envelope.signatures", field="/signatures"
        )
    sig = sigs[0]
    if not isinstance(sig, dict) or set(sig) != _SIGNATURE_MEMBERS:
        raise InputError(
            "a signature has exactly the members keyid and sig", code="envelope.signatures", field="/signatures/0"
        )
    return sig["keyid"], sig["sig"], doc["payload"]


def parse_entry(envelope: bytes) -> Entry:
    """Parse and validate an envelope in its one valid form; does not verify the signature."""
    check_size(envelope, MAX_ENTRY_BYTES, "entry envelope")
    match = _SUFFIX.fullmatch(envelope, len(envelope) - _SUFFIX_LEN) if envelope.startswith(_PREFIX) else None
    if match is not None and len(envelope) >= len(_PREFIX) + _SUFFIX_LEN:
        # The one valid shape, read by position: its base64 texts are decoded below, strictly.
        keyid = match.group(1).decode("ascii")
        sig_text: str | bytes = match.group(2)
        payload_text: str | bytes = envelope[len(_PREFIX) : len(envelope) - _SUFFIX_LEN]
    else:
        keyid, sig_text, payload_text = _general_envelope(envelope)
    signature = _b64decode_exact(sig_text, "/signatures/0/sig", 64)
    payload = _b64decode_exact(payload_text, "/payload")
    body = require_canonical(payload, what="entry payload")
    if type(body) is not dict:
        raise SchemaError("an entry payload is a JSON object", code="schema.invalid", field="/")
    kind = body.get("kind")
    if kind not in schemas.ENTRY_KINDS:
        raise SchemaError(f"unknown entry kind {kind!r}", code="entry.unknown_kind", field="/kind")
    schemas.validate(kind, body)
    if keyid != body["signer"]:
        raise InputError(
            f"signature keyid {keyid!r} differs from the payload's signer {body['signer']!r}",
            code="envelope.keyid_mismatch",
            field="/signatures/0/keyid",
        )
    return Entry(envelope=envelope, payload=payload, body=body, signature=signature, entry_id=entry_id(payload))


def envelope_bytes(payload: bytes, keyid: str, signature: bytes) -> bytes:
    """The one valid envelope of (payload, keyid, signature): an envelope has one form, so a store may keep
    the payload and signature and rebuild the exact bytes (the Merkle leaf) when asked."""
    sig = binascii.b2a_base64(signature, newline=False)
    return b"".join(
        (
            _PREFIX,
            binascii.b2a_base64(payload, newline=False),
            b'","payloadType":"application/vnd.carbonledger.entry+json","signatures":[{"keyid":"',
            keyid.encode("ascii"),
            b'","sig":"',
            sig,
            b'"}]}',
        )
    )


def claimed_signer(envelope: bytes) -> str | None:
    """The key id an envelope in the one valid form names, read without parsing; None for any other shape."""
    if len(envelope) < len(_PREFIX) + _SUFFIX_LEN or not envelope.startswith(_PREFIX):
        return None
    match = _SUFFIX.fullmatch(envelope, len(envelope) - _SUFFIX_LEN)
    return None if match is None else match.group(1).decode("ascii")


def entry_from_checked_envelope(envelope: bytes) -> Entry:
    """Rebuild the :class:`Entry` of an envelope that :func:`parse_entry` accepted in another process.

    Skips the canonical-form and schema checks (already passed over these exact bytes); decoding the same
    bytes yields the same payload, body and signature. Never call it on bytes nothing has checked."""
    match = _SUFFIX.fullmatch(envelope, len(envelope) - _SUFFIX_LEN)
    if match is None or not envelope.startswith(_PREFIX):
        raise InputError("envelope is not in the one valid form", code="envelope.malformed")
    payload = decode_checked(envelope[len(_PREFIX) : len(envelope) - _SUFFIX_LEN])
    body = orjson.loads(payload)
    return Entry(
        envelope=envelope,
        payload=payload,
        body=body,
        signature=decode_checked(match.group(2)),
        entry_id=entry_id(payload),
    )


def sign_entry(body: dict[str, Any], key: SigningKey) -> bytes:
    """The envelope bytes of ``body`` signed by ``key`` (``body['signer']`` must be its key id)."""
    return sign_entry_with_id(body, key)[0]


def sign_entry_with_id(body: dict[str, Any], key: SigningKey) -> tuple[bytes, str]:
    """The envelope bytes of ``body`` signed by ``key``, and the entry id."""
    if body.get("signer") != key.key_id:
        raise InputError(f"body's signer must be the signing key's id {key.key_id}", code="envelope.keyid_mismatch")
    payload = canonicalize(body)
    sig = key.sign(pae(ENTRY_PAYLOAD_TYPE, payload))
    envelope = canonicalize(
        {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": ENTRY_PAYLOAD_TYPE,
            "signatures": [{"keyid": key.key_id, "sig": base64.b64encode(sig).decode("ascii")}],
        }
    )
    return envelope, entry_id(payload)


def public_key_from_b64(text: str, field: str) -> VerifyingKey:
    return VerifyingKey(public_key_bytes_from_b64(text, field))


def public_key_bytes_from_b64(text: Any, field: str) -> bytes:
    """The 32 bytes of an Ed25519 public key in its one base64 text, or the error naming ``field``."""
    return _b64decode_exact(text, field, 32)


def public_key_to_b64(public_key: bytes) -> str:
    return base64.b64encode(public_key).decode("ascii")
