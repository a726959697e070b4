"""C2SP signed-note syntax: verifier keys, key hashes, signature lines and the line-verifying helpers. Pure.

Spec (facts, in our own words): https://c2sp.org/signed-note, with the cosignature/v1 signed message
of https://c2sp.org/tlog-cosignature.

- A *verifier key* (vkey) is ``name+hexkeyhash+base64(type || public key)``; the key hash is
  the first 4 bytes of SHA-256(name || "\\n" || type || public key). Two types are supported:
  ``0x01`` Ed25519 over the note text, and ``0x04`` cosignature/v1 (Ed25519 over
  "cosignature/v1\\ntime <seconds>\\n" + checkpoint body, with the time in the signature).
- A *signed note* is a text ending in a newline, a blank line, then signature lines
  "— name base64(keyhash || signature)". Lines whose (name, key hash) match no given key are
  ignored; a line that matches a given key must verify (:func:`verified_lines`).

The public API is :mod:`verifier.note`, which re-exports this module's keys, constants and
:func:`split_note`; the other public helpers here are shared with :mod:`verifier.checkpoint` and
:mod:`verifier.note`. Errors are :class:`~mapping.errors.NoteError`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

from mapping.errors import NoteError, SignatureError
from verifier.b64 import decode_canonical

from .keys import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, VerifyingKey

__all__ = [
    "COSIGNATURE_V1_HEADER",
    "COSIGNATURE_V1_KEY_TYPE",
    "ED25519_KEY_TYPE",
    "KEY_HASH_BYTES",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP_S",
    "SIGNATURE_PREFIX",
    "TIMESTAMP_BYTES",
    "SignatureLine",
    "VKey",
    "check_chars",
    "check_name",
    "check_text",
    "check_timestamp",
    "cosignature_message",
    "decode_base64",
    "encode_vkey",
    "format_signature_line",
    "index_keys",
    "key_hash",
    "parse_signature_line",
    "parse_vkey",
    "split_note",
    "verified_lines",
    "verify_line",
]

# signed-note: "one or more signature lines of this form: em dash (U+2014), space (U+0020),
# key name, space, base64-encoded signature, newline."
SIGNATURE_PREFIX = "\u2014 "
# signed-note: "Verifiers SHOULD apply a maximum limit to the number of signatures in a note
# ... but MUST accept at least up to 16 signatures." We allow as many as Go's sumdb/note.
MAX_SIGNATURES = 100
# signed-note: "0x01 — Ed25519 signatures as specified by this document."
ED25519_KEY_TYPE = 0x01
# signed-note: "0x04 — Timestamped Ed25519 witness cosignatures, as specified by c2sp.org/tlog-cosignature."
COSIGNATURE_V1_KEY_TYPE = 0x04
# tlog-cosignature: "The header line MUST be the fixed string `cosignature/v1`, and provides domain separation."
COSIGNATURE_V1_HEADER = "cosignature/v1\n"
# signed-note: "The first four bytes in the signature are the uint32 key ID stored in big-endian order."
KEY_HASH_BYTES = 4
# tlog-cosignature: timestamped_signature is "u64 timestamp" then the signature; the timestamp
# "MUST NOT exceed 2^63 - 1".
TIMESTAMP_BYTES = 8
MAX_TIMESTAMP_S = 2**63 - 1

_KEY_TYPES = {ED25519_KEY_TYPE: "Ed25519", COSIGNATURE_V1_KEY_TYPE: "cosignature/v1"}
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_HASH_HEX = re.compile(r"[0-9a-f]{8}")


# ---- verifier keys --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VKey:
    """A parsed verifier key: name, signature type byte and raw 32-byte Ed25519 public key."""

    name: str
    key_type: int
    public_key: bytes
    verifying_key: VerifyingKey = field(compare=False, repr=False)

    @property
    def key_hash(self) -> bytes:
        return key_hash(self.name, self.key_type, self.public_key)

    def __str__(self) -> str:
        return encode_vkey(self.name, self.public_key, self.key_type)


def key_hash(name: str, key_type: int, public_key: bytes) -> bytes:
    """Requires nothing. signed-note's key ID: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:KEY_HASH_BYTES]


def encode_vkey(name: str, public_key: bytes, key_type: int = ED25519_KEY_TYPE) -> str:
    """Requires a valid name, a 32-byte public key and a supported type. The vkey string."""
    check_name(name, "note.bad_vkey")
    if key_type not in _KEY_TYPES:
        raise NoteError(f"key type 0x{key_type:02x} is not supported (0x01 or 0x04)", code="note.unsupported_key_type")
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise NoteError(f"public key must be {PUBLIC_KEY_BYTES} bytes, got {len(public_key)}", code="note.bad_vkey")
    encoded = base64.b64encode(bytes([key_type]) + public_key).decode()
    return f"{name}+{key_hash(name, key_type, public_key).hex()}+{encoded}"


def parse_vkey(vkey: str) -> VKey:
    """Requires nothing. Parses ``name+hexkeyhash+base64(type || key)``, checking the key hash."""
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []
    if len(parts) != 3:
        raise NoteError(f"verifier key {vkey!r} is not name+keyhash+key", code="note.bad_vkey")
    name, hash_hex, encoded = parts
    check_name(name, "note.bad_vkey")
    if not _KEY_HASH_HEX.fullmatch(hash_hex):
        raise NoteError(
            f"verifier key {name!r}: key hash {hash_hex!r} is not 8 lower-case hex digits", code="note.bad_vkey"
        )
    raw = decode_base64(encoded, f"verifier key {name!r}", "note.bad_vkey")
    if not raw:
        raise NoteError(f"verifier key {name!r} has no key bytes", code="note.bad_vkey")
    key_type, public_key = raw[0], raw[1:]
    if key_type not in _KEY_TYPES:
        raise NoteError(
            f"verifier key {name!r} has type 0x{key_type:02x}; supported: 0x01 Ed25519, 0x04 cosignature/v1",
            code="note.unsupported_key_type",
        )
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise NoteError(
            f"verifier key {name!r}: public key is {len(public_key)} bytes, expected {PUBLIC_KEY_BYTES}",
            code="note.bad_vkey",
        )
    expected = key_hash(name, key_type, public_key).hex()
    if hash_hex != expected:
        raise NoteError(
            f"verifier key {name!r}: key hash {hash_hex} does not match its key ({expected})", code="note.bad_vkey"
        )
    try:
        verifying_key = VerifyingKey(public_key)
    except SignatureError as e:
        raise NoteError(f"verifier key {name!r}: {e.message}", code="note.bad_vkey") from e
    return VKey(name, key_type, public_key, verifying_key)


# ---- signature lines ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SignatureLine:
    """One signature line, split: the key name, the 4-byte key hash and the bytes after the key hash."""

    name: str
    key_hash: bytes
    signature: bytes  # after the key hash: Ed25519 sig, or timestamp || sig for cosignatures


def split_note(note: str) -> tuple[str, list[str]]:
    """Requires nothing. Checks the note's structure; returns its text and its signature lines.

    The text keeps its final newline; the lines lose theirs. Raises ``note.malformed`` when the note
    has control characters or is not UTF-8, no blank line before the signatures, no signature, no
    final newline, a badly formed line, or more than :data:`MAX_SIGNATURES` lines.
    """
    if not isinstance(note, str):
        raise NoteError(f"a note must be text, got {type(note).__name__}", code="note.malformed")
    check_chars(note, "note", "note.malformed")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line between its text and its signatures", code="note.malformed")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines after its blank line", code="note.malformed")
    if not block.endswith("\n"):
        raise NoteError("note does not end with a newline", code="note.malformed")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(
            f"note has {len(lines)} signature lines, at most {MAX_SIGNATURES} allowed", code="note.malformed"
        )
    for line in lines:
        parse_signature_line(line)
    return text, lines


def cosignature_message(body: str, timestamp_s: int) -> bytes:
    """Requires a checkpoint body and 0 <= timestamp_s <= 2**63 - 1. The bytes a cosignature/v1 signs."""
    check_timestamp(timestamp_s)
    return (COSIGNATURE_V1_HEADER + f"time {timestamp_s}\n" + body).encode()


# ---- checks and helpers shared with verifier.checkpoint and verifier.note ---------------------
def check_name(name: str, code: str) -> None:
    """Requires nothing. Raises ``NoteError`` with ``code`` unless ``name`` is a valid key name."""
    # signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters."
    if not isinstance(name, str) or not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces, control characters or '+'", code=code)


def check_chars(s: str, what: str, code: str) -> None:
    """Requires a str. Raises ``NoteError`` with ``code`` (naming ``what``) unless ``s`` is valid UTF-8
    without control characters other than newline."""
    # signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters
    # (those below U+0020) other than newline."
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError(f"{what} is not valid UTF-8 at character {e.start}", code=code) from e
    bad = _CONTROL.search(s)
    if bad:
        raise NoteError(f"{what} has control character {bad.group()!r} at character {bad.start()}", code=code)


def check_text(text: str) -> None:
    """Requires nothing. Raises ``note.malformed`` unless ``text`` can be signed: text ending in a newline,
    valid UTF-8, no control characters other than newline."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must end with a newline", code="note.malformed")
    check_chars(text, "note text", "note.malformed")


def check_timestamp(timestamp_s: int) -> None:
    """Requires nothing. Raises ``note.malformed`` unless ``timestamp_s`` is an int in [0, 2**63 - 1]."""
    if not isinstance(timestamp_s, int) or isinstance(timestamp_s, bool) or not 0 <= timestamp_s <= MAX_TIMESTAMP_S:
        raise NoteError(
            f"cosignature timestamp {timestamp_s!r} must be an integer in [0, 2**63 - 1]", code="note.malformed"
        )


def decode_base64(s: str, what: str, code: str) -> bytes:
    """Requires a str. Standard padded base64 (RFC 4648 §4), canonical only: it must re-encode to the same
    text; otherwise raises ``NoteError`` with ``code``, naming ``what``."""
    try:
        return decode_canonical(s)
    except ValueError as e:
        raise NoteError(f"{what}: {s[:80]!r} is not canonical standard base64 ({e})", code=code) from e


def format_signature_line(name: str, blob: bytes) -> str:
    """Requires a checked name. The signature line "— name base64(blob)", newline included."""
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def parse_signature_line(line: str) -> SignatureLine:
    """Requires a str without its newline. Splits one signature line; raises ``note.malformed`` when it is
    not "— name base64(keyhash || signature)" with a valid name and at least one byte after the key hash."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(
            f"signature line {line[:80]!r} does not start with an em dash and a space", code="note.malformed"
        )
    name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not encoded:
        raise NoteError(f"signature line {line[:80]!r} is not '— name signature'", code="note.malformed")
    check_name(name, "note.malformed")
    raw = decode_base64(encoded, f"signature of {name!r}", "note.malformed")
    if len(raw) <= KEY_HASH_BYTES:
        raise NoteError(
            f"signature of {name!r} is {len(raw)} bytes: a {KEY_HASH_BYTES}-byte key hash and no signature",
            code="note.malformed",
        )
    return SignatureLine(name, raw[:KEY_HASH_BYTES], raw[KEY_HASH_BYTES:])


def index_keys(keys: list[VKey]) -> dict[tuple[str, bytes], VKey]:
    """Requires nothing. The given keys by (name, key hash), in the order given (a repeated equal key once);
    raises ``note.ambiguous_key`` when two different keys share a name and key hash."""
    index: dict[tuple[str, bytes], VKey] = {}
    for key in keys:
        slot = (key.name, key.key_hash)
        other = index.get(slot)
        if other is not None and other != key:
            raise NoteError(
                f"two given keys share name {key.name!r} and key hash {key.key_hash.hex()}", code="note.ambiguous_key"
            )
        index[slot] = key
    return index


def verified_lines(note: str, keys: dict[tuple[str, bytes], VKey]) -> tuple[str, list[tuple[VKey, int | None]], int]:
    """Requires keys from :func:`index_keys`. The note's text, each line claiming a given key (verified, in
    note order, with its cosignature timestamp) and how many lines claimed none. Raises when a claiming line
    does not verify, and the structural errors of :func:`split_note`."""
    text, lines = split_note(note)
    verified: list[tuple[VKey, int | None]] = []
    unknown = 0
    for line in lines:
        sig = parse_signature_line(line)
        key = keys.get((sig.name, sig.key_hash))
        if key is None:
            unknown += 1
            continue
        verified.append((key, verify_line(key, text, sig)))
    return text, verified, unknown


def verify_line(key: VKey, text: str, sig: SignatureLine) -> int | None:
    """Requires a line claiming ``key``. Verifies it over ``text``; returns its cosignature timestamp (None for
    Ed25519 notes). Raises ``note.bad_signature`` when it does not verify."""
    claimed = f"{key.name}+{key.key_hash.hex()}"
    timestamp_s: int | None = None
    if key.key_type == ED25519_KEY_TYPE:
        message, signature = text.encode(), sig.signature
    else:
        if len(sig.signature) != TIMESTAMP_BYTES + SIGNATURE_BYTES:
            raise NoteError(
                f"cosignature of {claimed} is {len(sig.signature)} bytes after the key hash, expected "
                f"{TIMESTAMP_BYTES + SIGNATURE_BYTES}",
                code="note.bad_signature",
            )
        timestamp_s = int.from_bytes(sig.signature[:TIMESTAMP_BYTES], "big")
        if timestamp_s > MAX_TIMESTAMP_S:
            raise NoteError(
                f"cosignature of {claimed} has timestamp {timestamp_s} > 2**63 - 1", code="note.bad_signature"
            )
        message, signature = cosignature_message(text, timestamp_s), sig.signature[TIMESTAMP_BYTES:]
    if len(signature) != SIGNATURE_BYTES or not key.verifying_key.is_valid(message, signature):
        raise NoteError(f"signature line claiming key {claimed} does not verify", code="note.bad_signature")
    return timestamp_s
