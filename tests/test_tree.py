"""ledger/tree.py: the in-memory tree against the published vectors and the naive RFC 9162 reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.tree import MerkleTree
from mapping.errors import NotFoundError, ProofError
from verifier.merkle import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion

from .test_merkle import KAT_LEAVES, KAT_ROOTS, VECTORS, ref_leaves, ref_mth, ref_path, ref_proof


def build(leaves: tuple[bytes, ...] | list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    for i, data in enumerate(leaves):
        assert tree.append(data) == i
    return tree


def test_empty_tree() -> None:
    tree = MerkleTree()
    assert tree.size == len(tree) == 0
    assert tree.root() == tree.root(0) == EMPTY_ROOT
    assert tree.consistency_proof(0, 0) == []
    with pytest.raises(ProofError, match=r"^proof\.index_out_of_range:"):
        tree.inclusion_proof(0, 0)


def test_published_vectors() -> None:
    tree = build(KAT_LEAVES)
    for size, root in KAT_ROOTS.items():
        assert tree.root(size) == root
    assert tree.root() == KAT_ROOTS[8]
    for v in VECTORS["inclusion"]:
        assert tree.inclusion_proof(v["index"], v["size"]) == [bytes.fromhex(h) for h in v["proof"]]
    for v in VECTORS["consistency"]:
        assert tree.consistency_proof(v["size1"], v["size2"]) == [bytes.fromhex(h) for h in v["proof"]]


def test_append_leaf_hash_is_append_of_the_hashed_leaf() -> None:
    a, b = build(KAT_LEAVES), MerkleTree()
    for i, data in enumerate(KAT_LEAVES):
        assert b.append_leaf_hash(leaf_hash(data)) == i
    assert a.root() == b.root() and a.inclusion_proof(3, 7) == b.inclusion_proof(3, 7)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_append_leaf_hash_refuses_wrong_lengths_and_keeps_the_tree(bad: bytes) -> None:
    tree = build(KAT_LEAVES[:3])
    with pytest.raises(ProofError) as e:
        tree.append_leaf_hash(bad)
    assert e.value.code == "proof.bad_hash_length" and f"got {len(bad)} bytes" in e.value.message
    assert tree.size == 3 and tree.root() == KAT_ROOTS[3]


def test_every_historic_root_and_proof_up_to_70_leaves() -> None:
    leaves = ref_leaves(70)
    tree = build(leaves)
    for size in range(0, 71):
        root = ref_mth(leaves[:size])
        assert tree.root(size) == root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == ref_path(index, leaves[:size])
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
        for size1 in range(0, size + 1):
            proof = tree.consistency_proof(size1, size)
            assert proof == ref_proof(size1, leaves[:size])
            verify_consistency(size1, size, proof, tree.root(size1), root)


def test_a_growing_tree_keeps_answering_for_old_sizes() -> None:
    tree = MerkleTree()
    leaves = ref_leaves(40)
    roots = []
    for data in leaves:
        tree.append(data)
        roots.append(tree.root())
        for size, root in enumerate(roots, start=1):  # every earlier root is still served, and consistent
            assert tree.root(size) == root
            verify_consistency(size, tree.size, tree.consistency_proof(size, tree.size), root, tree.root())


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_trees_agree_with_the_reference(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=1500), label="size")
    leaves = ref_leaves(size)
    tree = build(leaves)
    for _ in range(5):
        size2 = data.draw(st.integers(min_value=1, max_value=size), label="size2")
        size1 = data.draw(st.integers(min_value=0, max_value=size2), label="size1")
        index = data.draw(st.integers(min_value=0, max_value=size2 - 1), label="index")
        assert tree.root(size2) == ref_mth(leaves[:size2])
        assert tree.inclusion_proof(index, size2) == ref_path(index, leaves[:size2])
        assert tree.consistency_proof(size1, size2) == ref_proof(size1, leaves[:size2])


def test_sizes_beyond_the_tree_are_not_found() -> None:
    tree = build(KAT_LEAVES[:5])
    for call in (lambda: tree.root(6), lambda: tree.inclusion_proof(0, 6), lambda: tree.consistency_proof(2, 6)):
        with pytest.raises(NotFoundError) as e:
            call()
        assert e.value.code == "tree.no_such_size" and "6 > tree size 5" in e.value.message


def test_bad_positions_are_proof_errors() -> None:
    tree = build(KAT_LEAVES[:5])
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: tree.inclusion_proof(5, 5), "proof.index_out_of_range"),
        (lambda: tree.inclusion_proof(-1, 5), "proof.bad_sizes"),
        (lambda: tree.consistency_proof(4, 3), "proof.bad_sizes"),
        (lambda: tree.consistency_proof(-1, 3), "proof.bad_sizes"),
        (lambda: tree.root(-1), "proof.bad_sizes"),
    ]
    for call, code in cases:
        with pytest.raises(ProofError) as e:
            call()
        assert e.value.code == code
