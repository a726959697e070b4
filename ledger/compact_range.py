"""The right edge of the log's Merkle tree — its "compact range" ``[0, size)`` — kept in memory by the writer.

The hashes of the perfect subtrees :func:`ledger.proof_plan.perfect_subtrees` splits ``[0, size)`` into, left to
right (one per set bit of ``size``). Appending a leaf merges equal-sized subtrees at the right end and yields
every perfect subtree it completes (the Merkle nodes an append batch stores); the root is those hashes folded
right to left. The log loads the edge from the store when it opens (:meth:`CompactRange.node_positions` says
which nodes), so an append costs O(log n) hashing and no read.

The edge is also what a batch's receipts need from before the batch: :func:`appended_proofs` builds the inclusion
proof of every leaf a batch appended from the old edge and the nodes the batch made — no read either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from verifier.merkle import EMPTY_ROOT, node_hash

from .proof_plan import Node, fold_subtrees, perfect_subtrees

__all__ = ["CompactRange", "StoredNode", "appended_proofs"]

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


def appended_proofs(before: CompactRange, made: Mapping[Node, bytes], size: int) -> list[list[bytes]]:
    """Requires ``before.size <= size`` and ``made`` holding every perfect subtree completed by appending leaves
    ``before.size .. size - 1`` to ``before`` (what :meth:`CompactRange.append` returned). The RFC 9162 inclusion
    proof PATH(i, D[size]) of each of those leaves, in leaf order (the shape :func:`ledger.proof_plan.inclusion_plan`
    describes, cross-checked by the tests).

    With ``last = size - 1``, the proof of leaf ``i`` from level ``l`` up depends only on ``v = i >> l``: where
    ``v`` is ``last >> l`` the path has met the tree's right border, and what remains is the left sibling of every
    border node above whose index is odd; elsewhere it is the sibling of ``(l, v)`` — the perfect subtree
    ``(l, v ^ 1)``, or the range from ``(v + 1) << l`` to ``size`` where that subtree reaches past the last leaf —
    followed by the proof of ``v >> 1`` from level ``l + 1`` up. So each level's parts are built once and shared,
    top down. Every left sibling lies in the batch or is a subtree of ``before``'s edge (its parent holds a
    leaf of the batch), so nothing is read from a store."""
    start = before.size
    if start >= size:
        return []
    nodes: dict[Node, bytes] = {(lv, ix): h for lv, ix, h in before._edge}
    nodes.update(made)
    last = size - 1
    levels = last.bit_length()
    tails: list[list[bytes]] = [[] for _ in range(levels + 1)]  # from level l up, on the right border
    for level in range(levels - 1, -1, -1):
        v = last >> level
        tails[level] = [nodes[(level, v - 1)], *tails[level + 1]] if v & 1 else tails[level + 1]
    upper: list[list[bytes]] = [tails[levels]]  # the parts from level + 1 up, for v >> 1 from start >> (level + 1)
    for level in range(levels - 1, -1, -1):
        first, border, first_up = start >> level, last >> level, start >> (level + 1)
        parts: list[list[bytes]] = []
        for v in range(first, border):
            if v & 1:
                sibling = nodes[(level, v - 1)]
            elif (v + 2) << level <= size:
                sibling = nodes[(level, v + 1)]
            else:  # the right sibling reaches past the last leaf: the range's MTH, once per level
                sibling = fold_subtrees(perfect_subtrees((v + 1) << level, size), lambda lv, ix: nodes[(lv, ix)])
            parts.append([sibling, *upper[(v >> 1) - first_up]])
        parts.append(tails[level])
        upper = parts
    return [list(p) for p in upper]
