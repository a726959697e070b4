"""Roots and proofs read from a store: O(log n) stored subtree hashes, fetched in one query — never a rebuild.

The store keeps the hash of every perfect subtree (``ledger/store.py``); :mod:`ledger.proof_plan` says which
ranges a proof needs and which stored subtrees make each range. :class:`StoredTree` serves the proofs of any
size the store holds (an append batch's receipts come from its compact range instead:
:meth:`ledger.compact_range.CompactRange.appended_proofs`).
"""

from __future__ import annotations

from mapping.errors import NotFoundError, ProofError
from verifier.merkle import EMPTY_ROOT

from . import proof_plan
from .proof_plan import Range
from .store import Store, node_id

__all__ = ["StoredTree"]


class StoredTree:
    """The Merkle tree of one store, read-only."""

    __slots__ = ("store",)

    def __init__(self, store: Store) -> None:
        self.store = store

    def root(self, size: int) -> bytes:
        """Requires 0 <= size <= the store's size. The RFC 9162 MTH of leaves [0, size)."""
        self.check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self.hashes([(0, size)])[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Requires 0 <= index < size <= the store's size (default: the store's size)."""
        size = self.store.tree_size() if size is None else size
        self.check_size(size)
        if not 0 <= index < size:
            raise ProofError(f"index {index} is outside a tree of size {size}", code="proof.index_out_of_range")
        return self.hashes(proof_plan.inclusion_plan(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Requires 0 <= size1 <= size2 <= the store's size (default: the store's size)."""
        size2 = self.store.tree_size() if size2 is None else size2
        self.check_size(size2)
        if not 0 <= size1 <= size2:
            raise ProofError(f"size1 {size1} must be between 0 and size2 {size2}", code="proof.bad_sizes")
        return self.hashes(proof_plan.consistency_plan(size1, size2))

    def check_size(self, size: int) -> None:
        """``log.no_such_size`` unless 0 <= size <= the store's size."""
        current = self.store.tree_size()
        if not 0 <= size <= current:
            raise NotFoundError(f"tree size {size} is not in this log (its size is {current})", code="log.no_such_size")

    def hashes(self, ranges: list[Range]) -> list[bytes]:
        """Requires accepted ranges of stored leaves. Their MTHs, from one fetch of stored nodes."""
        nodes = self.store.nodes(node_id(lv, ix) for lv, ix in proof_plan.nodes_for_ranges(ranges))
        return [proof_plan.range_hash(b, e, lambda lv, ix: nodes[node_id(lv, ix)]) for b, e in ranges]
