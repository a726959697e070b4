"""Which subtree hashes an RFC 9162 proof needs — chosen here, checked in ``verifier/merkle.py``.

A store keeps only the hashes of *perfect aligned* subtrees, addressed as
``(level, index)``: the subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``.
Every hash a proof carries is the RFC 9162 MTH of a leaf range ``[begin, end)``;
:func:`perfect_subtrees` splits such a range into stored subtrees — the one subtree
decomposition of the ledger: proofs, receipts, the compact range (``[0, size)``) and
the in-memory tree all use it — and :func:`range_hash` folds their hashes back into
the MTH. All functions are pure and O(log n); they raise
:class:`~mapping.errors.ProofError` on bad input.

The ranges this module accepts (``proof.bad_range`` otherwise) are those whose MTH
can be folded from stored subtrees: ``0 <= begin < end`` and, when
``end - begin > 1``, ``begin`` a multiple of k, the largest power of two smaller than
``end - begin``. Every range RFC 9162's recursion produces is one of them (it
even has ``begin`` a multiple of 2k), and so is every range of a proof below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mapping.errors import ProofError
from verifier.merkle import EMPTY_ROOT, node_hash

__all__ = [
    "consistency_plan",
    "fold_subtrees",
    "inclusion_plan",
    "new_perfect_nodes",
    "nodes_for_ranges",
    "perfect_subtrees",
    "range_hash",
]

Node = tuple[int, int]  # (level, index): leaves [index << level, (index + 1) << level)
Range = tuple[int, int]  # [begin, end)


def _split(width: int) -> int:
    """Requires width > 1. RFC 9162's k: "the largest power of two smaller than n"."""
    return 1 << ((width - 1).bit_length() - 1)


def _check_uint(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{name} must be a non-negative integer, got {value!r}", code="proof.bad_sizes")


def perfect_subtrees(begin: int, end: int) -> list[Node]:
    """Requires an accepted range (module docstring). Its maximal perfect aligned subtrees, left to right.

    The list is the RFC 9162 split taken down the right edge: MTH([begin, end)) is
    ``node_hash(s0, node_hash(s1, ... node_hash(s_{j-1}, s_j)))`` over the subtree hashes s_i.
    """
    _check_uint("begin", begin)
    _check_uint("end", end)
    if begin >= end:
        raise ProofError(f"range [{begin}, {end}) is empty: begin {begin} >= end {end}", code="proof.bad_range")
    width = end - begin
    if width > 1 and begin % _split(width):
        raise ProofError(
            f"range [{begin}, {end}) cannot be folded from stored subtrees: begin {begin} is not a "
            f"multiple of {_split(width)}",
            code="proof.bad_range",
        )
    return _decompose(begin, end)


def _decompose(begin: int, end: int) -> list[Node]:
    """Requires an accepted range, already checked. The decomposition itself (:func:`perfect_subtrees`)."""
    out: list[Node] = []
    while True:
        width = end - begin
        if width & (width - 1) == 0 and begin % width == 0:  # a perfect aligned subtree: one stored node
            out.append((width.bit_length() - 1, begin // width))
            return out
        k = _split(width)  # begin is a multiple of k here, so [begin, begin + k) is stored
        out.append((k.bit_length() - 1, begin // k))
        begin += k  # the rest [begin + k, end) is narrower than k and starts on a multiple of k


def range_hash(begin: int, end: int, get_node: Callable[[int, int], bytes]) -> bytes:
    """Requires an accepted range, or begin == end (the empty list, whose MTH is EMPTY_ROOT).

    The RFC 9162 MTH of leaves [begin, end), folding the hashes ``get_node(level, index)`` of
    :func:`perfect_subtrees` right to left, as RFC 9162 combines a right edge.
    """
    if begin == end:
        _check_uint("begin", begin)
        return EMPTY_ROOT
    return fold_subtrees(perfect_subtrees(begin, end), get_node)


def fold_subtrees(nodes: list[Node], get_node: Callable[[int, int], bytes]) -> bytes:
    """Requires a non-empty decomposition (:func:`perfect_subtrees`). Its MTH, folded right to left."""
    h = get_node(*nodes[-1])
    for level, index in reversed(nodes[:-1]):
        h = node_hash(get_node(level, index), h)
    return h


def inclusion_plan(index: int, size: int) -> list[Range]:
    """Requires 0 <= index < size. The ranges whose MTHs make RFC 9162 PATH(index, D[size]), leaf side first.

    The shape of PATH (as transparency-dev/merkle computes it), with ``inner`` the bit length of
    ``index ^ (size - 1)``: at each level ``l < inner`` the sibling subtree of ``(l, index >> l)``, cut at
    ``size`` where it reaches past the last leaf (at most once per proof); at each level ``l >= inner``
    where bit ``l`` of ``index`` is set, the left sibling ``(l, (index >> l) ^ 1)``, always perfect.
    Tests cross-check it against RFC 9162's recursion.
    """
    _check_uint("index", index)
    _check_uint("size", size)
    if index >= size:
        raise ProofError(f"index {index} >= size {size}", code="proof.index_out_of_range")
    inner = (index ^ (size - 1)).bit_length()
    out: list[Range] = []
    for level in range(inner):
        begin = ((index >> level) ^ 1) << level
        out.append((begin, min(begin + (1 << level), size)))
    level = inner
    while index >> level:
        if (index >> level) & 1:
            begin = ((index >> level) ^ 1) << level
            out.append((begin, begin + (1 << level)))
        level += 1
    return out


def consistency_plan(size1: int, size2: int) -> list[Range]:
    """Requires 0 <= size1 <= size2. The ranges whose MTHs make RFC 9162 PROOF(size1, D[size2]).

    Empty when size1 == 0 or size1 == size2 (RFC 9162 §2.1.4 defines no proof there; the
    verifier requires an empty one).
    """
    _check_uint("size1", size1)
    _check_uint("size2", size2)
    if size1 > size2:
        raise ProofError(f"size1 {size1} > size2 {size2}", code="proof.bad_sizes")
    if size1 == 0 or size1 == size2:
        return []
    out: list[Range] = []
    begin, end, whole = 0, size2, True  # SUBPROOF(m, D[begin:end], b) with b = whole
    while size1 != end:  # m < n: split at k
        mid = begin + _split(end - begin)
        if size1 <= mid:  # SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            out.append((mid, end))
            end = mid
        else:  # SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            out.append((begin, mid))
            begin, whole = mid, False
    if not whole:  # m == n and b is false: the old tree's own subtree hash
        out.append((begin, end))
    out.reverse()
    return out


def nodes_for_ranges(ranges: Iterable[Range]) -> set[Node]:
    """Requires accepted ranges (empty ones are skipped). Every stored node they need, for one fetch."""
    needed: set[Node] = set()
    for begin, end in ranges:
        if begin != end:
            needed.update(perfect_subtrees(begin, end))
    return needed


def new_perfect_nodes(size_before: int) -> list[Node]:
    """Requires size_before >= 0. The subtrees completed by appending leaf ``size_before``, level 0 first.

    The leaf itself, then each ancestor whose last leaf it is: (level, (size_before + 1) / 2**level - 1)
    for every level with 2**level dividing size_before + 1.
    """
    _check_uint("size_before", size_before)
    size = size_before + 1
    return [(level, (size >> level) - 1) for level in range((size & -size).bit_length())]
