"""The receipts' fast proof planner agrees with the general planner and with RFC 9162's recursion."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import proof_plan
from ledger.batch_proofs import inclusion_ranges, range_hash
from ledger.tree import MerkleTree
from verifier.merkle import leaf_hash, verify_inclusion


def test_matches_general_planner_for_all_small_trees() -> None:
    for size in range(1, 130):
        for index in range(size):
            assert inclusion_ranges(index, size) == proof_plan.inclusion_plan(index, size), (index, size)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**40).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_matches_general_planner_for_large_trees(pair: tuple[int, int]) -> None:
    index, size = pair
    assert inclusion_ranges(index, size) == proof_plan.inclusion_plan(index, size)


def test_hashes_from_perfect_nodes_verify() -> None:
    tree = MerkleTree()
    leaves = [b"leaf-%d" % i for i in range(77)]
    for leaf in leaves:
        tree.append(leaf)
    nodes: dict[tuple[int, int], bytes] = {}
    for level in range(8):
        for idx in range(77 >> level):
            nodes[(level, idx)] = _naive(leaves, level, idx)
    root = tree.root(77)
    for index in range(77):
        proof = [range_hash(b, e, lambda lv, ix: nodes[(lv, ix)]) for b, e in inclusion_ranges(index, 77)]
        verify_inclusion(leaf_hash(leaves[index]), index, 77, proof, root)


def _naive(leaves: list[bytes], level: int, idx: int) -> bytes:
    hashes = [leaf_hash(x) for x in leaves[idx << level : (idx + 1) << level]]
    while len(hashes) > 1:
        hashes = [proof_plan.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]
