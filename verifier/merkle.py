"""RFC 9162 §2.1 Merkle tree hashing and proof verification. Pure: no I/O, no state.

Which subtree hashes make a proof is chosen elsewhere (``ledger/proof_plan.py``);
this module only hashes and checks. Every failure raises
:class:`~mapping.errors.ProofError` with a stable code:

- ``proof.bad_sizes``          a size or index is negative, or size1 > size2;
- ``proof.index_out_of_range`` index >= size;
- ``proof.bad_hash_length``    a leaf hash, root or proof element is not 32 bytes;
- ``proof.wrong_length``       the proof does not have the one length the sizes allow;
- ``proof.root_mismatch``      the proof leads to another root than the one given.

Each check is a number in the code (1, 2, …) so a test can name the step it guards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from mapping.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_BYTES",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "consistency_proof_length",
    "inclusion_proof_length",
    "leaf_hash",
    "node_hash",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_BYTES = 32

# RFC 9162 §2.1.1: "The hash of a list with one entry (also known as a leaf hash) is:
#     MTH({d(0)}) = HASH(0x00 || d(0))."
LEAF_PREFIX = b"\x00"

# RFC 9162 §2.1.1: "For n > 1, let k be the largest power of two smaller than n ...
#     MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."
NODE_PREFIX = b"\x01"

# RFC 9162 §2.1.1: "The hash of an empty list is the hash of an empty string:
#     MTH({}) = HASH()."
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Requires nothing. The RFC 9162 leaf hash SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Requires two 32-byte hashes. The RFC 9162 interior hash SHA-256(0x01 || left || right)."""
    _check_hash("left child", left)
    _check_hash("right child", right)
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def inclusion_proof_length(index: int, size: int) -> int:
    """Requires 0 <= index < size. The number of hashes in the RFC 9162 PATH(index, D[size])."""
    _check_index(index, size)
    inner = (index ^ (size - 1)).bit_length()  # levels below the node where the paths to index and size-1 split
    border = (index >> inner).bit_count()  # levels above it, one per left sibling on the right border
    return inner + border


def consistency_proof_length(size1: int, size2: int) -> int:
    """Requires 0 <= size1 <= size2. The number of hashes in the RFC 9162 PROOF(size1, D[size2])."""
    _check_sizes(size1, size2)
    if size1 == 0 or size1 == size2:
        return 0
    shift = (size1 & -size1).bit_length() - 1  # trailing zeros: the old tree's last perfect subtree
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length() - shift
    border = ((size1 - 1) >> (inner + shift)).bit_count()
    seed = 0 if size1 == 1 << shift else 1  # a power-of-two old tree is its own first hash
    return inner + border + seed


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Requires 0 <= index < size and a 32-byte leaf hash. The root the proof leads to (RFC 9162 §2.1.3.2)."""
    _check_index(index, size)  # 1. "If leaf_index is greater than or equal to tree_size, then fail"
    _check_hash("leaf hash", leaf)
    _check_proof(proof, inclusion_proof_length(index, size), f"inclusion proof for index {index} in tree size {size}")
    fn, sn = index, size - 1  # 2. "Set fn to leaf_index and sn to tree_size - 1"
    r = leaf  # 3. "Set r to hash"
    sha256 = hashlib.sha256  # every hash was length-checked above: the loop hashes without re-checking
    for p in proof:  # 4. "For each value p in the inclusion_path array"
        if fn & 1 or fn == sn:  # "If LSB(fn) is set, or if fn is equal to sn"
            r = sha256(NODE_PREFIX + p + r).digest()  # HASH(0x01 || p || r)
            if not fn & 1:  # "If LSB(fn) is not set, then right-shift both fn and sn equally until ..."
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(NODE_PREFIX + r + p).digest()  # HASH(0x01 || r || p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # 5. "Compare sn to 0" (the length check above already ensures it)
        raise ProofError(
            f"inclusion proof for index {index} in tree size {size} ends below the root", code="proof.wrong_length"
        )
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Requires 0 <= index < size and 32-byte hashes. Raises :class:`ProofError` unless the proof holds."""
    _check_hash("root", root)
    got = root_from_inclusion_proof(leaf, index, size, proof)
    if got != root:
        raise ProofError(
            f"inclusion proof for index {index} in tree size {size} leads to root {got.hex()}, "
            f"not the given root {root.hex()}",
            code="proof.root_mismatch",
        )


def root_from_consistency_proof(size1: int, size2: int, proof: Sequence[bytes], root1: bytes) -> bytes:
    """Requires 0 < size1 < size2 and a 32-byte root1. Checks the proof against root1, returns root2.

    RFC 9162 §2.1.4.2, steps numbered as there; raises :class:`ProofError` when root1 does not match.
    """
    _check_sizes(size1, size2)
    if size1 == 0 or size1 == size2:
        raise ProofError(
            f"sizes {size1} and {size2} have no consistency proof to compute a root from", code="proof.bad_sizes"
        )
    _check_hash("root1", root1)
    what = f"consistency proof from size {size1} to size {size2}"
    _check_proof(proof, consistency_proof_length(size1, size2), what)
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # 2. "If first is an exact power of 2, then prepend first_hash"
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # 3.
    while fn & 1:  # 4. "If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set"
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # 5.
    for c in path[1:]:  # 6.
        if sn == 0:  # "If sn is 0, then stop the iteration and fail the proof verification"
            raise ProofError(f"{what} has more hashes than its tree has levels", code="proof.wrong_length")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # 7. "... and sn is 0"
        raise ProofError(f"{what} ends below the root", code="proof.wrong_length")
    if fr != root1:  # 7. "fr is equal to first_hash"
        raise ProofError(
            f"{what} leads to old root {fr.hex()}, not the given root1 {root1.hex()}", code="proof.root_mismatch"
        )
    return sr


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Requires 0 <= size1 <= size2 and 32-byte roots. Raises :class:`ProofError` unless the proof holds.

    Edge cases: size1 == size2 needs an empty proof and root1 == root2; size1 == 0 needs an empty
    proof and root1 == EMPTY_ROOT (every tree extends the empty one).
    """
    _check_sizes(size1, size2)  # 1. sizes: 0 <= size1 <= size2
    _check_hash("root1", root1)  # 2. hash lengths
    _check_hash("root2", root2)
    what = f"consistency proof from size {size1} to size {size2}"
    if size1 == 0 or size1 == size2:
        _check_proof(proof, 0, what)  # 3. the trivial cases have empty proofs
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError(
                f"root1 of the empty tree must be {EMPTY_ROOT.hex()}, got {root1.hex()}", code="proof.root_mismatch"
            )
        if size1 == size2 and root1 != root2:
            raise ProofError(
                f"equal sizes {size1} with different roots {root1.hex()} and {root2.hex()}", code="proof.root_mismatch"
            )
        return
    got = root_from_consistency_proof(size1, size2, proof, root1)  # 4. RFC 9162 §2.1.4.2
    if got != root2:
        raise ProofError(
            f"{what} leads to new root {got.hex()}, not the given root2 {root2.hex()}", code="proof.root_mismatch"
        )


# ---- checks ---------------------------------------------------------------------------------
def _check_uint(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{name} must be a non-negative integer, got {value!r}", code="proof.bad_sizes")


def _check_index(index: int, size: int) -> None:
    _check_uint("index", index)
    _check_uint("size", size)
    if index >= size:
        raise ProofError(f"index {index} >= size {size}", code="proof.index_out_of_range")


def _check_sizes(size1: int, size2: int) -> None:
    _check_uint("size1", size1)
    _check_uint("size2", size2)
    if size1 > size2:
        raise ProofError(f"size1 {size1} > size2 {size2}", code="proof.bad_sizes")


_BYTES = (bytes, bytearray)
_ONLY_BYTES = frozenset({bytes})
_ONLY_HASH_LENGTH = frozenset({HASH_BYTES})


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, _BYTES) or len(value) != HASH_BYTES:
        got = f"{len(value)} bytes" if isinstance(value, _BYTES) else type(value).__name__
        raise ProofError(f"{name} must be {HASH_BYTES} bytes, got {got}", code="proof.bad_hash_length")


def _check_proof(proof: Sequence[bytes], expected: int, what: str) -> None:
    if len(proof) != expected:
        raise ProofError(f"{what} has {len(proof)} hashes, expected {expected}", code="proof.wrong_length")
    if set(map(type, proof)) <= _ONLY_BYTES and set(map(len, proof)) <= _ONLY_HASH_LENGTH:  # no Python loop
        return
    for i, h in enumerate(proof):
        _check_hash(f"proof[{i}]", h)
