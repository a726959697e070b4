"""C2SP signed notes, tlog checkpoints and Ed25519 cosignatures: verify and sign. Pure: no I/O, no clock.

Specs (facts, in our own words): https://c2sp.org/signed-note,
https://c2sp.org/tlog-checkpoint, https://c2sp.org/tlog-cosignature.

This module is the public API; it re-exports the verifier keys, signature-line syntax and constants of
:mod:`verifier.note_syntax` and the checkpoint bodies of :mod:`verifier.checkpoint`.

- A *verifier key* (vkey) is ``name+hexkeyhash+base64(type || public key)`` of type ``0x01`` Ed25519 over
  the note text or ``0x04`` cosignature/v1 (Ed25519 over "cosignature/v1\\ntime <seconds>\\n" + checkpoint
  body, with the time in the signature); see :mod:`verifier.note_syntax`.
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

from collections.abc import Sequence
from dataclasses import dataclass

from mapping.errors import NoteError

from .checkpoint import MAX_TREE_SIZE as MAX_TREE_SIZE
from .checkpoint import ROOT_HASH_BYTES as ROOT_HASH_BYTES
from .checkpoint import Checkpoint, format_checkpoint, parse_checkpoint
from .keys import SigningKey
from .note_syntax import COSIGNATURE_V1_HEADER as COSIGNATURE_V1_HEADER
from .note_syntax import (
    COSIGNATURE_V1_KEY_TYPE,
    ED25519_KEY_TYPE,
    MAX_SIGNATURES,
    TIMESTAMP_BYTES,
    VKey,
    check_name,
    check_text,
    cosignature_message,
    encode_vkey,
    format_signature_line,
    index_keys,
    key_hash,
    parse_vkey,
    split_note,
    verified_lines,
)
from .note_syntax import KEY_HASH_BYTES as KEY_HASH_BYTES
from .note_syntax import MAX_TIMESTAMP_S as MAX_TIMESTAMP_S
from .note_syntax import SIGNATURE_PREFIX as SIGNATURE_PREFIX

# The stable public API, exactly as before the split. The `X as X` imports above re-export further constants
# that were importable from here before (MAX_TREE_SIZE, ROOT_HASH_BYTES, COSIGNATURE_V1_HEADER, KEY_HASH_BYTES,
# MAX_TIMESTAMP_S, SIGNATURE_PREFIX) and still are, without adding them to it.
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


# ---- verifying notes --------------------------------------------------------------------------
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


def verify_note_report(note: str, vkeys: Sequence[str]) -> NoteReport:
    """Requires nothing. Verifies every signature line that claims one of ``vkeys``; reports who signed.

    Raises ``note.bad_signature`` when a line with a given key's name and key hash does not verify
    (each such line is checked, duplicates too), and the structural errors of :func:`split_note`.
    Never raises for lack of signatures: :func:`verify_note` is the raising wrapper. A key that signed
    on several lines counts once; for a cosigner the newest timestamp is kept.
    """
    keys = index_keys([parse_vkey(v) for v in vkeys])
    text, lines, unknown = verified_lines(note, keys)
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
    keys = index_keys(parsed)
    text, lines, unknown = verified_lines(note, keys)
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


# ---- signing notes and cosigning checkpoints ---------------------------------------------------
def signature_line(text: str, name: str, signing_key: SigningKey) -> str:
    """Requires a text ending in a newline and a valid name. The Ed25519 (0x01) signature line, newline included."""
    check_text(text)
    check_name(name, "note.malformed")
    kh = key_hash(name, ED25519_KEY_TYPE, signing_key.public_key)
    return format_signature_line(name, kh + signing_key.sign(text.encode()))


def sign_note(text: str, name: str, signing_key: SigningKey) -> str:
    """Requires a text ending in a newline and a valid name. The signed note: text, blank line, signature line."""
    return text + "\n" + signature_line(text, name, signing_key)


def cosign_checkpoint(note_or_body: str, name: str, signing_key: SigningKey, timestamp_s: int) -> str:
    """Requires a checkpoint (signed note or bare body) and a valid name. The cosignature/v1 line, newline included."""
    body = split_note(note_or_body)[0] if "\n\n" in note_or_body else note_or_body
    parse_checkpoint(body)  # a witness cosigns checkpoints, nothing else
    check_name(name, "note.malformed")
    message = cosignature_message(body, timestamp_s)
    kh = key_hash(name, COSIGNATURE_V1_KEY_TYPE, signing_key.public_key)
    return format_signature_line(name, kh + timestamp_s.to_bytes(TIMESTAMP_BYTES, "big") + signing_key.sign(message))
