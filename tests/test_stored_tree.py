"""ledger/stored_tree.py and ledger/compact_range.py: proofs read from a store, the receipts of a whole batch,
and the writer's right edge — all cross-checked with the in-memory tree and RFC 9162's recursion."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import proof_plan
from ledger.bench import _synthetic_leaf, build_synthetic_store
from ledger.compact_range import CompactRange
from ledger.store import Store
from ledger.stored_tree import StoredTree
from ledger.tree import MerkleTree
from mapping.errors import NotFoundError
from verifier.merkle import EMPTY_ROOT, leaf_hash


def _rfc_path_ranges(m: int, begin: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 PATH(m, D[begin:end]) as ranges, leaf side first, by the recursion itself."""
    if end - begin == 1:
        return []
    k = 1
    while k * 2 < end - begin:
        k *= 2
    mid = begin + k
    if m < mid:
        return [*_rfc_path_ranges(m, begin, mid), (mid, end)]
    return [*_rfc_path_ranges(m, mid, end), (begin, mid)]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**40).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_inclusion_plan_matches_the_rfc_recursion_for_large_trees(pair: tuple[int, int]) -> None:
    index, size = pair
    assert proof_plan.inclusion_plan(index, size) == _rfc_path_ranges(index, 0, size)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 77, 1000])
def test_compact_range_is_the_decomposition_of_the_whole_tree(size: int) -> None:
    tree, edge = MerkleTree(), CompactRange()
    made: dict[tuple[int, int], bytes] = {}
    for i in range(size):
        h = leaf_hash(b"leaf-%d" % i)
        tree.append_leaf_hash(h)
        new = edge.append(h)
        assert new[0] == (0, i, h)  # the leaf first, then each subtree it completes
        assert [(lv, ix) for lv, ix, _ in new] == proof_plan.new_perfect_nodes(i)
        made.update({(lv, ix): nh for lv, ix, nh in new})
    assert edge.size == size and edge.root() == tree.root() == (EMPTY_ROOT if size == 0 else tree.root(size))
    reloaded = CompactRange.load(size, lambda lv, ix: made[(lv, ix)])
    assert CompactRange.node_positions(size) == ([] if size == 0 else proof_plan.perfect_subtrees(0, size))
    assert reloaded.root() == edge.root() and reloaded.size == size


def test_copy_leaves_the_original_as_it_was() -> None:
    edge = CompactRange()
    for i in range(5):
        edge.append(leaf_hash(b"%d" % i))
    root = edge.root()
    copy = edge.copy()
    copy.append(leaf_hash(b"more"))
    assert edge.root() == root and edge.size == 5 and copy.size == 6


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'tree.db'}")
    yield s
    s.close()


def test_stored_proofs_match_the_in_memory_tree(store: Store) -> None:
    root = build_synthetic_store(store, 77)
    tree, reference = StoredTree(store), MerkleTree()
    for i in range(77):
        reference.append(_synthetic_leaf(i))
    assert tree.root(77) == root == reference.root()
    for size in (1, 13, 64, 77):
        for index in range(0, size, 5):
            assert tree.inclusion_proof(index, size) == reference.inclusion_proof(index, size)
        assert tree.consistency_proof(size // 2, size) == reference.consistency_proof(size // 2, size)
    with pytest.raises(NotFoundError, match=r"^log\.no_such_size:"):
        tree.root(78)
