"""Inclusion proofs for a whole append batch, fast: the receipts path.

:mod:`ledger.proof_plan` is the general, checked planner. Receipts need one proof
per entry of a batch at the same tree size, so this module uses the shape of
RFC 9162's PATH directly (as transparency-dev/merkle does): for a leaf ``index``
in a tree of ``size`` leaves, with ``inner`` = bit length of ``index ^ (size - 1)``,

- at each level ``l < inner`` the proof holds the sibling subtree
  ``(l, (index >> l) ^ 1)``, cut at ``size`` when it reaches past the last leaf
  (at most one such "ephemeral" range per proof);
- at each level ``l >= inner`` where bit ``l`` of ``index`` is set, it holds the
  left sibling ``(l, (index >> l) ^ 1)``, always a perfect subtree;

bottom to top. Every range is returned as ``[begin, end)``; tests cross-check
against the general planner and the naive RFC 9162 recursion.
"""

from __future__ import annotations

from collections.abc import Callable

from verifier.merkle import node_hash

Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Requires 0 <= index < size. The leaf ranges whose hashes form the inclusion proof, bottom to top."""
    inner = (index ^ (size - 1)).bit_length()
    out: list[Range] = []
    for level in range(inner):
        begin = ((index >> level) ^ 1) << level
        out.append((begin, min(begin + (1 << level), size)))
    level = inner
    while (index >> level) != 0:
        if (index >> level) & 1:
            begin = ((index >> level) ^ 1) << level
            out.append((begin, begin + (1 << level)))
        level += 1
    return out


def perfect_parts(begin: int, end: int) -> list[tuple[int, int]]:
    """Requires ``begin`` aligned to the largest power of two in ``end - begin``'s top bit.
    The perfect subtrees (level, index) covering [begin, end), left to right."""
    out, offset, width = [], begin, end - begin
    for level in reversed(range(width.bit_length())):
        if width >> level & 1:
            out.append((level, offset >> level))
            offset += 1 << level
    return out


def range_hash(begin: int, end: int, node: Callable[[int, int], bytes]) -> bytes:
    """RFC 9162 MTH of [begin, end) from perfect-subtree hashes, folded right to left."""
    parts = perfect_parts(begin, end)
    h = node(*parts[-1])
    for level, idx in reversed(parts[:-1]):
        h = node_hash(node(level, idx), h)
    return h
