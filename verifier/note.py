"""C2SP signed notes, tlog checkpoints and Ed25519 cosignatures. Pure: no I/O, no clock.

Specs (facts, in our own words): https://c2sp.org/signed-note,
https://c2sp.org/tlog-checkpoint, https://c2sp.org/tlog-cosignature.

- A *verifier key* (vkey) is ``name+hexkeyhash+base64(type || public key)``; the key hash is
  the first 4 bytes of SHA-256(name || "\\n" || type || public key). Two types are supported:
  ``0x01`` Ed25519 over the note text, and ``0x04`` cosignature/v1 (Ed25519 over
  "cosignature/v1\\ntime <seconds>\\n" + checkpoint body, with the time in the signature).
- A *signed note* is a text ending in a newline, a blank line, then signature lines
  "— name base64(keyhash || signature)". Lines whose (name, key hash) match no given key are
  ignored; a line that matches a given key must verify, or the whole note is refused.
- *Witnesses* count by distinct Ed25519 public key, never by name: a cosignature/v1 signature does not
  commit to the cosigner's name, so tlog-cosignature says one public key "can't be used across multiple
  cosigners". A witness key that is the log's own key never counts, nor does a cosignature dated after the
  verifier's clock (:func:`witness_report`).

Errors are :class:`~mapping.errors.NoteError` with codes ``note.malformed``, ``note.bad_vkey``,
``note.unsupported_key_type``, ``note.ambiguous_key``, ``note.bad_signature``,
``note.no_verified_signature``, ``checkpoint.malformed`` and ``checkpoint.mismatch``.
Ed25519 itself is only touched through :mod:`verifier.keys`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping.errors import NoteError, SignatureError
from verifier.b64 import decode_canonical

from .keys import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SigningKey, VerifyingKey

__all__ = [
    "COSIGNATURE_V1_KEY_TYPE",
    "ED25519_KEY_TYPE",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteReport",
    "VKey",
    "VerifiedSignature",
    "WitnessReport",
    "cosign_checkpoint",
    "cosignature_message",
    "encode_vkey",
    "format_checkpoint",
    "key_hash",
    "parse_checkpoint",
    "parse_vkey",
    "sign_note",
    "signature_line",
    "split_note",
    "verify_note",
    "verify_note_report",
    "witness_cosignatures",
    "witness_report",
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
# tlog-checkpoint: a tree size is "the ASCII decimal representation of the number of leaves in
# the tree, with no leading zeroes"; Go implementations read it as a uint64.
MAX_TREE_SIZE = 2**64 - 1
ROOT_HASH_BYTES = 32

_KEY_TYPES = {ED25519_KEY_TYPE: "Ed25519", COSIGNATURE_V1_KEY_TYPE: "cosignature/v1"}
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_HASH_HEX = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


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
    _check_name(name, "note.bad_vkey")
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
    _check_name(name, "note.bad_vkey")
    if not _KEY_HASH_HEX.fullmatch(hash_hex):
        raise NoteError(
            f"verifier key {name!r}: key hash {hash_hex!r} is not 8 lower-case hex digits", code="note.bad_vkey"
        )
    raw = _b64decode(encoded, f"verifier key {name!r}", "note.bad_vkey")
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


# ---- notes ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """One given key whose signature line verified. ``timestamp_s`` is set for cosignatures only."""

    name: str
    key_type: int
    key_hash: str
    timestamp_s: int | None


@dataclass(frozen=True, slots=True)
class NoteReport:
    """What :func:`verify_note_report` found: the text, who signed (in the order the keys were given),
    which given keys did not, and how many lines matched no given key (ignored, as the spec says)."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    missing: tuple[str, ...]
    unknown_lines: int

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.verified]


@dataclass(frozen=True, slots=True)
class _SignatureLine:
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
    _check_chars(note, "note", "note.malformed")
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
        _parse_signature_line(line)
    return text, lines


def verify_note_report(note: str, vkeys: Sequence[str]) -> NoteReport:
    """Requires nothing. Verifies every signature line that claims one of ``vkeys``; reports who signed.

    Raises ``note.bad_signature`` when a line with a given key's name and key hash does not verify
    (each such line is checked, duplicates too), and the structural errors of :func:`split_note`.
    Never raises for lack of signatures: :func:`verify_note` is the raising wrapper. A key that signed
    on several lines counts once; for a cosigner the newest timestamp is kept.
    """
    keys = _index_keys([parse_vkey(v) for v in vkeys])
    text, lines, unknown = _verified_lines(note, keys)
    found: dict[tuple[str, bytes], VerifiedSignature] = {}
    for key, timestamp_s in lines:
        slot = (key.name, key.key_hash)
        previous = found.get(slot)
        if previous is None or (timestamp_s or 0) > (previous.timestamp_s or 0):
            found[slot] = VerifiedSignature(key.name, key.key_type, key.key_hash.hex(), timestamp_s)
    verified = tuple(found[k] for k in keys if k in found)
    missing = tuple(key.name for k, key in keys.items() if k not in found)
    return NoteReport(text, verified, missing, unknown)


def verify_note(note: str, vkeys: Sequence[str]) -> list[str]:
    """Requires nothing. The names of the given keys whose signatures verify, in the order given.

    Raises ``note.no_verified_signature`` when none does, and whatever :func:`verify_note_report` raises.
    """
    report = verify_note_report(note, vkeys)
    if not report.verified:
        raise NoteError(
            f"none of the {len(vkeys)} given keys signed this note (looked for: "
            f"{', '.join(report.missing) or 'no keys'}; {report.unknown_lines} other lines ignored)",
            code="note.no_verified_signature",
        )
    return report.names


@dataclass(frozen=True, slots=True)
class WitnessReport:
    """What :func:`witness_report` found. Witnesses are told apart by their Ed25519 public key, never by
    name (a cosignature/v1 signature does not commit to the name, so one key under two names is one
    witness), and each is named by the first name the given keys list for it.

    - ``cosigned``: one entry per distinct witness key whose cosignature counts, in the order the keys were
      given, with its newest timestamp not later than ``now_s``;
    - ``missing``: the distinct witness keys (not the log's) with no cosignature that counts;
    - ``future_dated``: witnesses whose valid cosignature was ignored because its timestamp is later than
      ``now_s`` (with the newest such timestamp); a witness may appear here and in ``cosigned``;
    - ``log_key``: names of given witness keys holding the log's own public key: never counted;
    - ``aliases``: ``(name, first name)`` for each further name a given witness key was listed under;
    - ``unknown_lines``: signature lines that claim none of the given keys (the log's among them).
    """

    checkpoint: Checkpoint
    cosigned: tuple[VerifiedSignature, ...]
    missing: tuple[str, ...]
    future_dated: tuple[VerifiedSignature, ...]
    log_key: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    unknown_lines: int

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.cosigned]

    @property
    def timestamps(self) -> dict[str, int]:
        """Name -> timestamp of each counted witness (the shape :func:`witness_cosignatures` returns)."""
        return {s.name: s.timestamp_s for s in self.cosigned if s.timestamp_s is not None}

    @property
    def newest_s(self) -> int | None:
        """The newest counted cosignature time (never a future-dated one), or None when none counts."""
        times = [s.timestamp_s for s in self.cosigned if s.timestamp_s is not None]
        return max(times) if times else None

    def meets(self, threshold: int) -> bool:
        """Requires nothing. At least ``threshold`` distinct witness keys cosigned (0 always holds)."""
        return len(self.cosigned) >= threshold


def witness_report(
    note: str,
    witness_vkeys: Sequence[str],
    checkpoint: Checkpoint | None = None,
    *,
    now_s: int | None = None,
    log_vkey: str | None = None,
) -> WitnessReport:
    """Requires cosignature/v1 (0x04) keys. Which distinct witness keys cosigned this checkpoint note.

    The note's text must be a checkpoint (and equal ``checkpoint`` when one is given). ``now_s`` is the
    verifier's clock (Unix seconds): a cosignature dated later does not count, toward a threshold or for
    freshness (tlog-cosignature: "verifiers MAY reject cosignatures with timestamps in the future"); pass
    ``now_s + skew`` to tolerate clock skew. ``log_vkey`` is the log's verifier key: a witness key with the
    log's public key never counts (a log cannot witness itself). Every line that claims a given key must
    verify, future-dated or not: raises like :func:`verify_note_report`, ``note.unsupported_key_type``
    for a witness key that is not 0x04, and ``checkpoint.mismatch``.
    """
    parsed = [parse_vkey(v) for v in witness_vkeys]
    for key in parsed:
        if key.key_type != COSIGNATURE_V1_KEY_TYPE:
            raise NoteError(
                f"witness key {key.name!r} has type 0x{key.key_type:02x}, not a cosignature/v1 key (0x04)",
                code="note.unsupported_key_type",
            )
    log_public_key = parse_vkey(log_vkey).public_key if log_vkey is not None else None
    keys = _index_keys(parsed)
    text, lines, unknown = _verified_lines(note, keys)
    parsed_cp = parse_checkpoint(text)
    if checkpoint is not None and parsed_cp != checkpoint:
        raise NoteError(
            f"the cosigned checkpoint ({parsed_cp.origin}, size {parsed_cp.size}) is not the one "
            f"expected ({checkpoint.origin}, size {checkpoint.size})",
            code="checkpoint.mismatch",
        )
    first: dict[bytes, VKey] = {}  # public key -> the first given key holding it: one witness
    aliases: list[tuple[str, str]] = []
    log_key: list[str] = []
    for key in keys.values():
        if key.public_key == log_public_key:
            log_key.append(key.name)
            continue
        held = first.setdefault(key.public_key, key)
        if held is not key:
            aliases.append((key.name, held.name))
    counted: dict[bytes, int] = {}
    future: dict[bytes, int] = {}
    for key, timestamp_s in lines:
        if key.public_key not in first or timestamp_s is None:
            continue  # the log's key, listed as a witness
        pk = key.public_key
        if now_s is not None and timestamp_s > now_s:
            future[pk] = max(timestamp_s, future.get(pk, timestamp_s))
        else:
            counted[pk] = max(timestamp_s, counted.get(pk, timestamp_s))

    def entry(pk: bytes, timestamp_s: int) -> VerifiedSignature:
        key = first[pk]
        return VerifiedSignature(key.name, key.key_type, key.key_hash.hex(), timestamp_s)

    return WitnessReport(
        checkpoint=parsed_cp,
        cosigned=tuple(entry(pk, counted[pk]) for pk in first if pk in counted),
        missing=tuple(key.name for pk, key in first.items() if pk not in counted),
        future_dated=tuple(entry(pk, future[pk]) for pk in first if pk in future),
        log_key=tuple(log_key),
        aliases=tuple(aliases),
        unknown_lines=unknown,
    )


def witness_cosignatures(
    note: str,
    witness_vkeys: Sequence[str],
    checkpoint: Checkpoint | None = None,
    *,
    now_s: int | None = None,
    log_vkey: str | None = None,
) -> dict[str, int]:
    """Requires cosignature/v1 (0x04) keys. Each distinct witness key whose cosignature counts, with its
    newest timestamp not later than ``now_s``, named by the first name ``witness_vkeys`` lists for it.

    One entry per distinct public key: one key listed under two names, or signing on several lines,
    counts once; a key equal to ``log_vkey``'s never counts. Returns an empty dict when no witness
    cosigned; raises like :func:`witness_report`, which says what was ignored and why.
    """
    return witness_report(note, witness_vkeys, checkpoint, now_s=now_s, log_vkey=log_vkey).timestamps


def signature_line(text: str, name: str, signing_key: SigningKey) -> str:
    """Requires a text ending in a newline and a valid name. The Ed25519 (0x01) signature line, newline included."""
    _check_text(text)
    _check_name(name, "note.malformed")
    kh = key_hash(name, ED25519_KEY_TYPE, signing_key.public_key)
    return _format_line(name, kh + signing_key.sign(text.encode()))


def sign_note(text: str, name: str, signing_key: SigningKey) -> str:
    """Requires a text ending in a newline and a valid name. The signed note: text, blank line, signature line."""
    return text + "\n" + signature_line(text, name, signing_key)


def cosignature_message(body: str, timestamp_s: int) -> bytes:
    """Requires a checkpoint body and 0 <= timestamp_s <= 2**63 - 1. The bytes a cosignature/v1 signs."""
    _check_timestamp(timestamp_s)
    return (COSIGNATURE_V1_HEADER + f"time {timestamp_s}\n" + body).encode()


def cosign_checkpoint(note_or_body: str, name: str, signing_key: SigningKey, timestamp_s: int) -> str:
    """Requires a checkpoint (signed note or bare body) and a valid name. The cosignature/v1 line, newline included."""
    body = split_note(note_or_body)[0] if "\n\n" in note_or_body else note_or_body
    parse_checkpoint(body)  # a witness cosigns checkpoints, nothing else
    _check_name(name, "note.malformed")
    message = cosignature_message(body, timestamp_s)
    kh = key_hash(name, COSIGNATURE_V1_KEY_TYPE, signing_key.public_key)
    return _format_line(name, kh + timestamp_s.to_bytes(TIMESTAMP_BYTES, "big") + signing_key.sign(message))


# ---- checkpoints ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, RFC 9162 root hash, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root_hash, self.extensions)


def format_checkpoint(origin: str, size: int, root_hash: bytes, extensions: Sequence[str] = ()) -> str:
    """Requires a non-empty one-line origin, 0 <= size < 2**64, a 32-byte root. The checkpoint body text."""
    if not origin or "\n" in origin:
        raise NoteError(f"checkpoint origin {origin!r} must be one non-empty line", code="checkpoint.malformed")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"checkpoint size {size!r} must be an integer in [0, 2**64)", code="checkpoint.malformed")
    if len(root_hash) != ROOT_HASH_BYTES:
        raise NoteError(
            f"checkpoint root hash must be {ROOT_HASH_BYTES} bytes, got {len(root_hash)}", code="checkpoint.malformed"
        )
    for i, line in enumerate(extensions):
        if not line or "\n" in line:
            raise NoteError(
                f"checkpoint extension line {i} ({line!r}) must be one non-empty line", code="checkpoint.malformed"
            )
    body = "\n".join([origin, str(size), base64.b64encode(root_hash).decode(), *extensions]) + "\n"
    _check_chars(body, "checkpoint", "checkpoint.malformed")
    return body


def parse_checkpoint(body: str) -> Checkpoint:
    """Requires nothing. Parses a checkpoint body strictly (the inverse of :func:`format_checkpoint`)."""
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("checkpoint body must be text ending in a newline", code="checkpoint.malformed")
    _check_chars(body, "checkpoint", "checkpoint.malformed")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(
            f"checkpoint has {len(lines)} lines, at least 3 required (origin, size, root hash)",
            code="checkpoint.malformed",
        )
    origin, size_line, root_line, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin line is empty", code="checkpoint.malformed")
    if not _DECIMAL.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
        raise NoteError(
            f"checkpoint size line {size_line!r} is not a decimal in [0, 2**64) without leading zeros",
            code="checkpoint.malformed",
        )
    root_hash = _b64decode(root_line, "checkpoint root hash", "checkpoint.malformed")
    if len(root_hash) != ROOT_HASH_BYTES:
        raise NoteError(
            f"checkpoint root hash is {len(root_hash)} bytes, expected {ROOT_HASH_BYTES}", code="checkpoint.malformed"
        )
    for i, line in enumerate(extensions):
        if not line:
            raise NoteError(f"checkpoint extension line {i} is empty", code="checkpoint.malformed")
    return Checkpoint(origin, int(size_line), root_hash, tuple(extensions))


# ---- helpers --------------------------------------------------------------------------------
def _check_name(name: str, code: str) -> None:
    # signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters."
    if not isinstance(name, str) or not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces, control characters or '+'", code=code)


def _check_chars(s: str, what: str, code: str) -> None:
    # signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters
    # (those below U+0020) other than newline."
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise NoteError(f"{what} is not valid UTF-8 at character {e.start}", code=code) from e
    bad = _CONTROL.search(s)
    if bad:
        raise NoteError(f"{what} has control character {bad.group()!r} at character {bad.start()}", code=code)


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("note text must end with a newline", code="note.malformed")
    _check_chars(text, "note text", "note.malformed")


def _check_timestamp(timestamp_s: int) -> None:
    if not isinstance(timestamp_s, int) or isinstance(timestamp_s, bool) or not 0 <= timestamp_s <= MAX_TIMESTAMP_S:
        raise NoteError(
            f"cosignature timestamp {timestamp_s!r} must be an integer in [0, 2**63 - 1]", code="note.malformed"
        )


def _b64decode(s: str, what: str, code: str) -> bytes:
    """Standard padded base64 (RFC 4648 §4), canonical only: it must re-encode to the same text."""
    try:
        return decode_canonical(s)
    except ValueError as e:
        raise NoteError(f"{what}: {s[:80]!r} is not canonical standard base64 ({e})", code=code) from e


def _format_line(name: str, blob: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def _parse_signature_line(line: str) -> _SignatureLine:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(
            f"signature line {line[:80]!r} does not start with an em dash and a space", code="note.malformed"
        )
    name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not encoded:
        raise NoteError(f"signature line {line[:80]!r} is not '— name signature'", code="note.malformed")
    _check_name(name, "note.malformed")
    raw = _b64decode(encoded, f"signature of {name!r}", "note.malformed")
    if len(raw) <= KEY_HASH_BYTES:
        raise NoteError(
            f"signature of {name!r} is {len(raw)} bytes: a {KEY_HASH_BYTES}-byte key hash and no signature",
            code="note.malformed",
        )
    return _SignatureLine(name, raw[:KEY_HASH_BYTES], raw[KEY_HASH_BYTES:])


def _index_keys(keys: list[VKey]) -> dict[tuple[str, bytes], VKey]:
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


def _verified_lines(note: str, keys: dict[tuple[str, bytes], VKey]) -> tuple[str, list[tuple[VKey, int | None]], int]:
    """The note's text, each line claiming a given key (verified, in note order, with its cosignature
    timestamp) and how many lines claimed none. Raises when a claiming line does not verify."""
    text, lines = split_note(note)
    verified: list[tuple[VKey, int | None]] = []
    unknown = 0
    for line in lines:
        sig = _parse_signature_line(line)
        key = keys.get((sig.name, sig.key_hash))
        if key is None:
            unknown += 1
            continue
        verified.append((key, _verify_line(key, text, sig)))
    return text, verified, unknown


def _verify_line(key: VKey, text: str, sig: _SignatureLine) -> int | None:
    """Verify one line claiming ``key``; return its cosignature timestamp (None for Ed25519 notes)."""
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
