"""The C2SP tlog-witness ``add-checkpoint`` rules: parse a request body, decide the answer. Pure: no I/O, the
clock's reading is passed in.

Spec (facts, in our own words): https://c2sp.org/tlog-witness and https://c2sp.org/tlog-cosignature.

A request body is ``old N`` (decimal, no leading zeros), zero to 63 consistency-proof lines (one base64 hash
each), an empty line, then the signed checkpoint note. The answer, in the spec's order of checks:

- 400: a malformed body (413 when it is over :data:`MAX_BODY_BYTES`), or ``old`` larger than the checkpoint;
- 404: no trusted log key for the checkpoint's origin;
- 403: no trusted key's signature verifies (or a line claiming a trusted key does not verify);
- 409: ``old`` is not the size this witness last cosigned for the origin (0 when never): the body is that
  size and a newline, as ``text/x.tlog.size``; also when ``old`` equals the checkpoint's size but the root
  differs from the one cosigned (the spec says 409 here, not 422; the body is the same size line);
- 422: the consistency proof does not lead from the cosigned root to the checkpoint's (a non-empty proof
  from old 0, or for old equal to the size, included);
- 200: the cosignature/v1 line, and the new state to persist before answering. ``old`` equal to the
  size with the same root is cosigned again (with a fresh timestamp): every check passes.

The cosignature's time is never earlier than the origin's last one (:func:`decide` takes the later of the
clock and the stored time): tlog-cosignature makes a v1 cosignature the statement that, as of its time, the
largest consistent tree the witness has observed for the origin has this root, so a larger tree must never
carry an earlier time than a smaller one — not when two requests race, not when the clock steps back.

A refusal is marked as evidence (worth keeping) when a trusted-signed checkpoint is refused as inconsistent:
409 for another root at the cosigned size, 422 for a proof that does not verify — except a 422 for the very
checkpoint the witness holds (same size and root), which proves nothing about the log.

The origin's trusted keys are the log vkeys whose key name is the origin (a log signs under its origin's
name). :func:`precheck` runs the checks that need no state (outside the state's lock, they cost an
Ed25519 verification); :func:`decide` the ones against the state, inside it (ledger/witness_state.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mapping.errors import ConfigError, InputError, NoteError, OversizedError, ProofError
from verifier.keys import SigningKey
from verifier.merkle import EMPTY_ROOT, HASH_BYTES, verify_consistency
from verifier.note import (
    COSIGNATURE_V1_KEY_TYPE,
    ED25519_KEY_TYPE,
    Checkpoint,
    cosign_checkpoint,
    encode_vkey,
    key_hash,
    parse_checkpoint,
    parse_vkey,
    split_note,
    verify_note_report,
)
from verifier.note_syntax import decode_base64, parse_signature_line

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_PROOF_LINES",
    "SIZE_CONTENT_TYPE",
    "TEXT_CONTENT_TYPE",
    "AddCheckpoint",
    "Answer",
    "OriginState",
    "TrustedLogs",
    "WitnessIdentity",
    "answer",
    "decide",
    "parse_add_checkpoint",
    "precheck",
    "trusted_logs",
]

# tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
# signed-note: verifiers "MUST accept at least up to 16 signatures", and post-quantum signatures "can be up to
# nearly 5kB in size". 16 such lines (ML-DSA-87: 4 + 4,627 bytes, 6,176 base64 characters plus the key name,
# about 6.3 kB each: about 101 kB), 63 proof lines (45 bytes each: 2.8 kB) and the checkpoint's text with
# extension lines fit with room to spare; so does a note at verifier/note_syntax's cap of 100 signature lines
# when most are Ed25519 cosignatures (about 150 bytes each).
MAX_BODY_BYTES = 256 * 1024
# tlog-witness: the 409 answer "MUST have a Content-Type of text/x.tlog.size".
SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
MAX_TREE_SIZE = 2**64 - 1

_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """A parsed add-checkpoint request: the old size, the proof hashes, the note and its checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class OriginState:
    """What a witness keeps per origin: the newest size and root it cosigned, that note with its line, and that
    cosignature's time (POSIX seconds; 0 when unknown)."""

    size: int
    root_hash: bytes
    note: str
    cosigned_s: int = 0


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP answer to one request; ``new_state`` is set on 200 only (persist it before answering);
    ``evidence`` is set when a trusted-signed checkpoint was refused as inconsistent (worth keeping; the state
    clears it when it holds the same evidence already, ledger/witness_state.py)."""

    status: int
    body: str
    content_type: str
    code: str
    new_state: OriginState | None = None
    evidence: bool = False


@dataclass(frozen=True, slots=True)
class WitnessIdentity:
    """A witness's name and Ed25519 key; its verifier key is of type 0x04 (cosignature/v1)."""

    name: str
    key: SigningKey

    @property
    def vkey(self) -> str:
        return encode_vkey(self.name, self.key.public_key, COSIGNATURE_V1_KEY_TYPE)


@dataclass(frozen=True, slots=True)
class TrustedLogs:
    """The log verifier keys a witness trusts, by origin (the keys' name)."""

    by_origin: dict[str, tuple[str, ...]]

    def origins(self) -> list[str]:
        return sorted(self.by_origin)


def trusted_logs(vkeys: Sequence[str]) -> TrustedLogs:
    """Requires nothing. The logs a witness trusts from their Ed25519 (0x01) verifier keys, by key name.

    Raises ``witness.bad_log_key`` (a config error) for a key that does not parse or is not of type 0x01."""
    by_origin: dict[str, list[str]] = {}
    for vkey in vkeys:
        try:
            key = parse_vkey(vkey)
        except NoteError as e:
            raise ConfigError(f"log key {vkey!r}: {e.message}", code="witness.bad_log_key") from e
        if key.key_type != ED25519_KEY_TYPE:
            raise ConfigError(
                f"log key {key.name!r} has type 0x{key.key_type:02x}; a log signs checkpoints with Ed25519 (0x01)",
                code="witness.bad_log_key",
            )
        keys = by_origin.setdefault(key.name, [])
        if vkey not in keys:
            keys.append(vkey)
    return TrustedLogs({origin: tuple(keys) for origin, keys in by_origin.items()})


def _malformed(message: str) -> InputError:
    return InputError(f"add-checkpoint body: {message}", code="witness.malformed")


def parse_add_checkpoint(body: bytes, max_bytes: int = MAX_BODY_BYTES) -> AddCheckpoint:
    """Requires nothing. Parses an add-checkpoint body strictly.

    Raises ``input.oversized`` (413) over ``max_bytes``, and ``witness.malformed`` (400) for anything else
    out of form: not UTF-8, a bad old line, a proof line that is not one canonical base64 hash, more than 63
    of them, no empty line, or a note that is not a signed checkpoint."""
    if len(body) > max_bytes:
        raise OversizedError(f"add-checkpoint body is {len(body)} bytes, at most {max_bytes}", code="input.oversized")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _malformed(f"not UTF-8 at byte {e.start}") from e
    # "Each line MUST terminate in a newline character": the old line first.
    first, sep, rest = text.partition("\n")
    if not sep:
        raise _malformed("no newline after the old size line")
    match = _OLD_LINE.fullmatch(first)
    if match is None or int(match.group(1)) > MAX_TREE_SIZE:
        raise _malformed(f"first line {first[:40]!r} is not 'old N' (decimal, no leading zeros, below 2**64)")
    proof: list[bytes] = []
    while True:
        line, sep, rest = rest.partition("\n")
        if not sep:
            raise _malformed("no empty line between the consistency proof and the checkpoint")
        if not line:
            break
        if len(proof) == MAX_PROOF_LINES:
            raise _malformed(f"more than {MAX_PROOF_LINES} consistency proof lines")
        try:
            raw = decode_base64(line, f"proof line {len(proof) + 1}", "witness.malformed")
        except NoteError as e:
            raise _malformed(e.message) from e
        if len(raw) != HASH_BYTES:
            raise _malformed(f"proof line {len(proof) + 1} is {len(raw)} bytes, a hash is {HASH_BYTES}")
        proof.append(raw)
    try:
        note_text, _ = split_note(rest)
        checkpoint = parse_checkpoint(note_text)
    except NoteError as e:
        raise _malformed(f"the checkpoint note: {e.message}") from e
    return AddCheckpoint(int(match.group(1)), tuple(proof), rest, checkpoint)


def _text(status: int, code: str, message: str, *, evidence: bool = False) -> Answer:
    return Answer(status, message + "\n", TEXT_CONTENT_TYPE, code, evidence=evidence)


def _size(size: int, code: str, *, evidence: bool = False) -> Answer:
    # tlog-witness: the 409 body is "the tree size of the latest cosigned checkpoint in decimal" and a newline.
    return Answer(409, f"{size}\n", SIZE_CONTENT_TYPE, code, evidence=evidence)


def precheck(request: AddCheckpoint, logs: TrustedLogs) -> Answer | None:
    """Requires a parsed request. The refusal the state-free checks give (404, 403, 400), or None if they pass."""
    cp = request.checkpoint
    vkeys = logs.by_origin.get(cp.origin)
    # "If the checkpoint origin is unknown, the witness MUST respond with a 404 Not Found".
    if not vkeys:
        return _text(404, "witness.unknown_origin", f"unknown log origin {cp.origin!r}")
    # Verify against the origin's trusted keys, ignoring other signatures; "if none of the signatures verify
    # against a trusted public key", 403. A line that claims a trusted key and does not verify is refused too.
    try:
        report = verify_note_report(request.note, vkeys)
    except NoteError as e:
        return _text(403, "witness.bad_signature", f"checkpoint signature: {e.message}")
    if not report.verified:
        return _text(403, "witness.untrusted", f"no trusted key of {cp.origin!r} signed this checkpoint")
    # "The old size MUST be equal to or lower than the checkpoint size. Otherwise ... 400 Bad Request".
    if request.old_size > cp.size:
        return _text(400, "witness.old_too_large", f"old size {request.old_size} exceeds checkpoint size {cp.size}")
    return None


def decide(
    request: AddCheckpoint, state: OriginState | None, witness: WitnessIdentity, now_s: int, logs: TrustedLogs
) -> Answer:
    """Requires a request :func:`precheck` passed, and the origin's current state (None: never cosigned).

    The 409 / 422 / 200 answer; on 200 the cosignature/v1 line and the state to persist, stamped ``now_s`` or
    the state's cosignature time if that is later (a larger tree never gets an earlier time)."""
    cp = request.checkpoint
    size, root = (state.size, state.root_hash) if state is not None else (0, EMPTY_ROOT)
    # The witness's own checkpoint sent again with proof lines proves nothing about the log: no evidence.
    telling = not (cp.size == size and cp.root_hash == root)
    # "The witness MUST check that the old size matches the size of the latest checkpoint it cosigned for the
    # checkpoint's origin (or zero if it never cosigned ...)": else 409 with that size.
    if request.old_size != size:
        return _size(size, "witness.old_size_mismatch")
    # "The proof MUST be empty if the old size is zero"; for old == size the RFC proof is empty as well.
    if request.proof and (request.old_size == 0 or request.old_size == cp.size):
        return _text(
            422,
            "witness.bad_proof",
            f"a consistency proof from size {request.old_size} to {cp.size} is empty; got {len(request.proof)} lines",
            evidence=telling,
        )
    if request.old_size == cp.size:
        # "If the old size matches the checkpoint size, the witness MUST check that the root hashes are also
        # identical. If they don't match, the witness MUST respond with a 409 Conflict".
        if cp.root_hash != root:
            return _size(size, "witness.root_mismatch", evidence=True)
    elif request.old_size > 0:
        # "If the Merkle Consistency Proof doesn't verify, the witness MUST respond with a 422".
        try:
            verify_consistency(request.old_size, cp.size, request.proof, root, cp.root_hash)
        except ProofError as e:
            return _text(422, "witness.bad_proof", f"consistency proof: {e.message}", evidence=True)
    stamp = max(now_s, state.cosigned_s) if state is not None else now_s
    line = cosign_checkpoint(request.note, witness.name, witness.key, stamp)
    text, kept = _trusted_lines(request.note, logs.by_origin[cp.origin])
    note = text + "\n" + "".join(kept) + line
    new_state = OriginState(cp.size, cp.root_hash, note, stamp)
    return Answer(200, line, TEXT_CONTENT_TYPE, "witness.cosigned", new_state)


def _trusted_lines(note: str, vkeys: Sequence[str]) -> tuple[str, list[str]]:
    """The note's text and its signature lines (newline included) that claim one of ``vkeys`` (precheck
    verified them): what the witness keeps, without lines it did not check."""
    text, lines = split_note(note)
    claims = set()
    for vkey in vkeys:
        key = parse_vkey(vkey)
        claims.add((key.name, key_hash(key.name, key.key_type, key.public_key)))
    out = []
    for line in lines:
        sig = parse_signature_line(line)
        if (sig.name, sig.key_hash) in claims:
            out.append(line + "\n")
    return text, out


def answer(body: bytes, logs: TrustedLogs, state: OriginState | None, witness: WitnessIdentity, now_s: int) -> Answer:
    """Requires ``state`` to be the current state of the body's origin. The whole answer to one body, pure:
    what the HTTP app does around the state's lock (parse, :func:`precheck`, then :func:`decide`)."""
    try:
        request = parse_add_checkpoint(body)
    except InputError as e:
        return _text(e.http_status, e.code, e.message)
    refusal = precheck(request, logs)
    return refusal if refusal is not None else decide(request, state, witness, now_s, logs)
