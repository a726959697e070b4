"""The witness's add-checkpoint rules (ledger/witness_core.py, C2SP tlog-witness), pure: every status code in
the spec's order, malformed bodies, and cosignature vectors cross-checked by hand and by the verifier.

:class:`SimLog` (a log in memory: ledger/tree.py and a log key) is shared with the other witness tests."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tree import MerkleTree
from ledger.witness_core import (
    MAX_BODY_BYTES,
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    OriginState,
    WitnessIdentity,
    answer,
    parse_add_checkpoint,
    trusted_logs,
)
from mapping.errors import ConfigError
from verifier.keys import SigningKey, VerifyingKey
from verifier.note import encode_vkey, format_checkpoint, sign_note, split_note, witness_report

ORIGIN = "test.example/log"
NOW_S = 1_790_000_000


class SimLog:
    """A log in memory: leaves ``leaf i``, checkpoints of any size it had, signed under ``origin``."""

    def __init__(self, origin: str = ORIGIN, key: SigningKey | None = None, salt: str = "") -> None:
        self.origin, self.key, self.salt = origin, key or SigningKey(bytes(32)), salt
        self.tree = MerkleTree()

    @property
    def vkey(self) -> str:
        return encode_vkey(self.origin, self.key.public_key)

    @property
    def size(self) -> int:
        return self.tree.size

    def grow(self, k: int) -> int:
        for _ in range(k):
            self.tree.append(f"{self.salt}leaf {self.tree.size}".encode())
        return self.tree.size

    def note(self, size: int | None = None, key: SigningKey | None = None) -> str:
        n = self.size if size is None else size
        return sign_note(format_checkpoint(self.origin, n, self.tree.root(n)), self.origin, key or self.key)

    def proof(self, old: int, size: int) -> list[bytes]:
        return self.tree.consistency_proof(old, size) if 0 < old < size else []

    def body(
        self, old: int, size: int | None = None, proof: list[bytes] | None = None, note: str | None = None
    ) -> bytes:
        n = self.size if size is None else size
        hashes = self.proof(old, n) if proof is None else proof
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
        return f"old {old}\n{lines}\n{note or self.note(n)}".encode()


def witness_identity(name: str = "witness.example/w1", seed: int = 7) -> WitnessIdentity:
    return WitnessIdentity(name, SigningKey(bytes([seed]) * 32))


WITNESS = witness_identity()


# ---- vectors ----------------------------------------------------------------------------------------
def test_the_spec_example_cosignature_carries_its_timestamp_after_the_key_id() -> None:
    """tlog-cosignature's example line: 4-byte key ID, u64 big-endian timestamp (its message says time
    1679315147), 64-byte Ed25519 signature."""
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
        "qhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[4:12], "big") == 1679315147


# Derived here (Ed25519 is deterministic) and checked three ways below: by hand (key ID and message bytes as
# tlog-cosignature defines them, verified with the raw key), by verifier.note.witness_report, and against this
# fixed text (any change to the signing path shows up).
VECTOR_BODY = format_checkpoint("example.com/behind-the-sofa", 20852163, bytes(range(32)))
VECTOR_TIME = 1679315147
VECTOR_LINE = (
    "— witness.example/w1 qkoJ0QAAAABkGFDLmF3/YUfkLGYrh6GQ69UZaoePYAn8U3nX2YL8HLsd4MU+TLPn72hPvyzhepaKgxoN30Y"
    "l0Y7UFleOMWX/qLCpAw==\n"
)


def test_cosignature_vector_by_hand_and_by_the_verifier() -> None:
    from verifier.note import cosign_checkpoint

    line = cosign_checkpoint(VECTOR_BODY, WITNESS.name, WITNESS.key, VECTOR_TIME)
    raw = base64.b64decode(line.split(" ")[2])
    pk = WITNESS.key.public_key
    assert raw[:4] == hashlib.sha256(WITNESS.name.encode() + b"\n" + b"\x04" + pk).digest()[:4]
    assert int.from_bytes(raw[4:12], "big") == VECTOR_TIME
    message = b"cosignature/v1\ntime 1679315147\n" + VECTOR_BODY.encode()
    assert VerifyingKey(pk).is_valid(message, raw[12:])
    log_key = SigningKey(bytes(32))
    note = sign_note(VECTOR_BODY, "example.com/behind-the-sofa", log_key) + line
    report = witness_report(note, [WITNESS.vkey], now_s=VECTOR_TIME)
    assert report.names == [WITNESS.name] and report.timestamps == {WITNESS.name: VECTOR_TIME}
    assert line == VECTOR_LINE


# ---- the status codes, in order ----------------------------------------------------------------------
def _run(body: bytes, state: OriginState | None, log: SimLog | None = None, now_s: int = NOW_S):
    logs = trusted_logs([(log or SimLog()).vkey])
    return answer(body, logs, state, WITNESS, now_s)


def test_every_status_of_add_checkpoint_in_sequence() -> None:
    log = SimLog()
    log.grow(5)
    other_origin = SimLog("other.example/log")
    other_origin.grow(1)
    assert _run(other_origin.body(0), None, log).status == 404
    assert _run(log.body(0, note=log.note(key=SigningKey(bytes([1]) * 32))), None, log).status == 403
    r = _run(log.body(6, 5, proof=[]), None, log)
    assert (r.status, r.code) == (400, "witness.old_too_large")
    assert _run(log.body(0, proof=[bytes(32)]), None, log).status == 422  # old 0 takes no proof

    first = _run(log.body(0), None, log)
    assert first.status == 200 and first.new_state is not None and first.new_state.size == 5
    assert witness_report(log.note() + first.body, [WITNESS.vkey], now_s=NOW_S).names == [WITNESS.name]
    assert first.new_state.note == log.note() + first.body
    state = first.new_state

    log.grow(4)
    stale = _run(log.body(3), state, log)
    assert (stale.status, stale.body, stale.content_type) == (409, "5\n", SIZE_CONTENT_TYPE)
    bad = log.proof(5, 9)
    bad[0] = bytes(32)
    assert _run(log.body(5, proof=bad), state, log).status == 422
    assert _run(log.body(5, proof=log.proof(5, 9)[:-1]), state, log).status == 422

    second = _run(log.body(5), state, log, NOW_S + 1)
    assert second.status == 200 and second.new_state is not None and second.new_state.size == 9
    state = second.new_state
    again = _run(log.body(9), state, log, NOW_S + 2)  # old == size, same root: cosigned again, fresh time
    assert again.status == 200 and again.body != second.body
    assert _run(log.body(9, proof=[bytes(32)]), state, log).status == 422
    fork = SimLog(salt="fork ")
    fork.grow(9)
    split = _run(fork.body(9), state, fork)  # same size, another root: 409 (the spec's status), body the size
    assert (split.status, split.body, split.content_type, split.evidence) == (409, "9\n", SIZE_CONTENT_TYPE, True)


def test_a_bad_line_claiming_the_trusted_key_is_403_even_beside_a_good_one() -> None:
    log = SimLog()
    log.grow(2)
    text, lines = split_note(log.note())
    raw = bytearray(base64.b64decode(lines[0].split(" ")[2]))
    raw[-1] ^= 1
    forged = f"— {log.origin} {base64.b64encode(bytes(raw)).decode()}\n"
    assert _run(log.body(0, note=text + "\n" + lines[0] + "\n" + forged), None, log).status == 403


def test_unknown_signatures_are_ignored_and_not_kept() -> None:
    log = SimLog()
    log.grow(3)
    stranger = sign_note(log.note().split("\n\n")[0] + "\n", "someone.else", SigningKey(bytes([9]) * 32))
    extra = stranger.split("\n\n")[1]
    r = _run(log.body(0, note=log.note() + extra), None, log)
    assert r.status == 200 and r.new_state is not None
    assert "someone.else" not in r.new_state.note and r.new_state.note == log.note() + r.body


def test_a_size_zero_checkpoint_must_carry_the_empty_root() -> None:
    log = SimLog()
    assert _run(log.body(0), None, log).status == 200
    wrong = sign_note(format_checkpoint(ORIGIN, 0, bytes(32)), ORIGIN, log.key)
    assert _run(log.body(0, note=wrong), None, log).status == 409


def test_log_keys_must_be_ed25519_note_keys() -> None:
    with pytest.raises(ConfigError):
        trusted_logs([WITNESS.vkey])  # a cosignature key is no log key
    with pytest.raises(ConfigError):
        trusted_logs(["not a key"])


# ---- malformed bodies ----------------------------------------------------------------------------------
def _good() -> bytes:
    log = SimLog()
    log.grow(3)
    return log.body(0)


MALFORMED = {
    "empty": b"",
    "no old line": _good().split(b"\n", 1)[1],
    "leading zero": _good().replace(b"old 0\n", b"old 00\n", 1),
    "negative": _good().replace(b"old 0\n", b"old -0\n", 1),
    "two spaces": _good().replace(b"old 0\n", b"old  0\n", 1),
    "capital": _good().replace(b"old 0\n", b"Old 0\n", 1),
    "trailing space": _good().replace(b"old 0\n", b"old 0 \n", 1),
    "over 2**64": _good().replace(b"old 0\n", b"old 18446744073709551616\n", 1),
    "CRLF": _good().replace(b"\n", b"\r\n"),
    "no empty line": b"old 0\n",
    "short hash": _good().replace(b"old 0\n", b"old 0\n" + base64.b64encode(bytes(31)) + b"\n", 1),
    "unpadded hash": _good().replace(b"old 0\n", b"old 0\n" + base64.b64encode(bytes(32)).rstrip(b"=") + b"\n", 1),
    "64 proof lines": _good().replace(b"old 0\n", b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 64, 1),
    "not UTF-8": _good().replace(b"test.example", b"test.\xffexample"),
    "no signature": b"old 0\n\n" + _good().split(b"\n\n")[1] + b"\n",
    "not a checkpoint": b"old 0\n\nhello\n\n" + _good().split(b"\n\n")[2],
    "no final newline": _good()[:-1],
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_body_is_400(name: str) -> None:
    r = _run(MALFORMED[name], None)
    assert r.status == 400, (name, r.body)


def test_63_proof_lines_parse_and_an_oversized_body_is_413() -> None:
    body = _good().replace(b"old 0\n", b"old 0\n" + (base64.b64encode(bytes(32)) + b"\n") * 63, 1)
    assert isinstance(parse_add_checkpoint(body), AddCheckpoint)
    assert _run(body + b" " * MAX_BODY_BYTES, None).status == 413


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_get_an_answer_never_an_exception(junk: bytes) -> None:
    for body in (junk, b"old 0\n" + junk, b"old 0\n\n" + junk):
        assert _run(body, None).status in (400, 403, 404)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 40))
def test_the_witness_accepts_exactly_the_true_proof_between_any_two_sizes(old: int, more: int) -> None:
    log = SimLog()
    log.grow(old)
    state = _run(log.body(0), None, log).new_state
    assert state is not None
    log.grow(more)
    assert _run(log.body(old), state, log).status == 200
    proof = log.proof(old, log.size)
    if proof:
        proof[-1] = hashlib.sha256(proof[-1]).digest()
        assert _run(log.body(old, proof=proof), state, log).status == 422
