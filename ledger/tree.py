"""An in-memory RFC 9162 Merkle tree that serves roots and proofs for every size it has had.

It keeps what a persistent store keeps: the hash of every perfect aligned subtree,
one list per level (``levels[level][index]``), filled by
:func:`~ledger.proof_plan.new_perfect_nodes` on each append. Roots and proofs for
any historic size are folded from those hashes by :mod:`ledger.proof_plan`, so the
tree is also the reference the database-backed log is tested against.
"""

from __future__ import annotations

from mapping.errors import NotFoundError, ProofError
from verifier.merkle import HASH_BYTES, leaf_hash, node_hash

from . import proof_plan

__all__ = ["MerkleTree"]


class MerkleTree:
    """Append-only; O(log n) per append, O(log n) stored hashes per proof."""

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def append(self, data: bytes) -> int:
        """Requires nothing. Appends the leaf whose data is ``data``; returns its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, h: bytes) -> int:
        """Requires a 32-byte leaf hash. Appends it; returns its index."""
        if not isinstance(h, bytes | bytearray) or len(h) != HASH_BYTES:
            got = f"{len(h)} bytes" if isinstance(h, bytes | bytearray) else type(h).__name__
            raise ProofError(f"a leaf hash must be {HASH_BYTES} bytes, got {got}", code="proof.bad_hash_length")
        index = self.size
        for level, i in proof_plan.new_perfect_nodes(index):
            if level == 0:
                self._levels[0].append(bytes(h))
                continue
            if level == len(self._levels):
                self._levels.append([])
            below = self._levels[level - 1]
            self._levels[level].append(node_hash(below[2 * i], below[2 * i + 1]))
        return index

    def root(self, size: int | None = None) -> bytes:
        """Requires 0 <= size <= self.size (default: the current size). The RFC 9162 MTH of leaves [0, size)."""
        size = self.size if size is None else size
        self._check_size("size", size)
        return proof_plan.range_hash(0, size, self._node)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Requires 0 <= index < size <= self.size. RFC 9162 PATH(index, D[size])."""
        self._check_size("size", size)
        return self._hashes(proof_plan.inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= self.size. RFC 9162 PROOF(size1, D[size2]); empty if size1 is 0 or size2."""
        self._check_size("size2", size2)
        return self._hashes(proof_plan.consistency_plan(size1, size2))

    def _node(self, level: int, index: int) -> bytes:
        return self._levels[level][index]

    def _hashes(self, ranges: list[tuple[int, int]]) -> list[bytes]:
        return [proof_plan.range_hash(begin, end, self._node) for begin, end in ranges]

    def _check_size(self, name: str, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProofError(f"{name} must be a non-negative integer, got {size!r}", code="proof.bad_sizes")
        if size > self.size:
            raise NotFoundError(f"{name} {size} > tree size {self.size}", code="tree.no_such_size")
