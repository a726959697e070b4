"""The right edge of the log's Merkle tree — its "compact range" ``[0, size)`` — kept in memory by the writer.

The hashes of the perfect subtrees :func:`ledger.proof_plan.perfect_subtrees` splits ``[0, size)`` into, left to
right (one per set bit of ``size``). Appending a leaf merges equal-sized subtrees at the right end and yields
every perfect subtree it completes (the Merkle nodes an append batch stores); the root is those hashes folded
right to left. The log loads the edge from the store when it opens (:meth:`CompactRange.node_positions` says
which nodes), so an append costs O(log n) hashing and no read.
"""

from __future__ import annotations

from collections.abc import Callable

from verifier.merkle import EMPTY_ROOT, node_hash

from .proof_plan import Node, perfect_subtrees

__all__ = ["CompactRange", "StoredNode"]

StoredNode = tuple[int, int, bytes]  # (level, index, hash) of a perfect subtree


class CompactRange:
    """The right edge of a tree of ``size`` leaves. :meth:`copy` it before appending a batch that may fail."""

    __slots__ = ("_edge", "size")

    def __init__(self, edge: list[StoredNode] | None = None, size: int = 0) -> None:
        """Requires ``edge`` to be the nodes of :meth:`node_positions` (``size``), with their hashes."""
        self._edge: list[StoredNode] = list(edge or [])
        self.size = size

    @staticmethod
    def node_positions(size: int) -> list[Node]:
        """Requires size >= 0. The (level, index) of each node of the right edge of a tree of ``size`` leaves."""
        return perfect_subtrees(0, size) if size else []

    @classmethod
    def load(cls, size: int, get_node: Callable[[int, int], bytes]) -> CompactRange:
        """The edge of a tree of ``size`` leaves, its hashes read through ``get_node(level, index)``."""
        return cls([(lv, ix, get_node(lv, ix)) for lv, ix in cls.node_positions(size)], size)

    def copy(self) -> CompactRange:
        return CompactRange(self._edge, self.size)

    def append(self, leaf_hash: bytes) -> list[StoredNode]:
        """Append the next leaf; return every perfect subtree it completes, the leaf first."""
        edge = self._edge
        node = (0, self.size, leaf_hash)
        new = [node]
        edge.append(node)
        while len(edge) >= 2 and edge[-1][0] == edge[-2][0]:
            right = edge.pop()
            left = edge.pop()
            node = (left[0] + 1, left[1] >> 1, node_hash(left[2], right[2]))
            edge.append(node)
            new.append(node)
        self.size += 1
        return new

    def root(self) -> bytes:
        """The RFC 9162 MTH of the whole tree."""
        if not self._edge:
            return EMPTY_ROOT
        h = self._edge[-1][2]
        for _, _, left in reversed(self._edge[:-1]):
            h = node_hash(left, h)
        return h
