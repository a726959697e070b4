"""ledger/proof_plan.py: which stored subtrees a proof needs, checked against RFC 9162's recursion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.proof_plan import (
    consistency_plan,
    inclusion_plan,
    new_perfect_nodes,
    nodes_for_ranges,
    perfect_subtrees,
    range_hash,
)
from mapping.errors import ProofError
from verifier.merkle import EMPTY_ROOT, leaf_hash, node_hash

from .test_merkle import ref_leaves, ref_mth, ref_path, ref_proof

N = 70
LEAVES = ref_leaves(N)


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


# ---- reference ranges: RFC 9162 PATH and PROOF, but naming [begin, end) instead of hashing ------
def ref_path_ranges(m: int, begin: int, end: int) -> list[tuple[int, int]]:
    if end - begin == 1:
        return []
    mid = begin + _k(end - begin)
    if m < mid:
        return [*ref_path_ranges(m, begin, mid), (mid, end)]
    return [*ref_path_ranges(m, mid, end), (begin, mid)]


def ref_subproof_ranges(m: int, begin: int, end: int, b: bool) -> list[tuple[int, int]]:
    if m == end:
        return [] if b else [(begin, end)]
    mid = begin + _k(end - begin)
    if m <= mid:
        return [*ref_subproof_ranges(m, begin, mid, b), (mid, end)]
    return [*ref_subproof_ranges(m, mid, end, False), (begin, mid)]


def rfc_nodes(begin: int, end: int) -> list[tuple[int, int]]:
    """Every range the RFC 9162 recursion visits for MTH(D[begin:end])."""
    if end - begin <= 1:
        return [(begin, end)]
    mid = begin + _k(end - begin)
    return [(begin, end), *rfc_nodes(begin, mid), *rfc_nodes(mid, end)]


def perfect_hash(level: int, index: int) -> bytes:
    """The stored hash of subtree (level, index), from the reference."""
    return ref_mth(LEAVES[index << level : (index + 1) << level])


def accepted(begin: int, end: int) -> bool:
    w = end - begin
    return 0 <= begin < end and (w == 1 or begin % _k(w) == 0)


# ---- perfect_subtrees --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("begin", "end", "nodes"),
    [
        (0, 1, [(0, 0)]),
        (0, 8, [(3, 0)]),
        (0, 7, [(2, 0), (1, 2), (0, 6)]),
        (4, 7, [(1, 2), (0, 6)]),
        (8, 13, [(2, 2), (0, 12)]),
        (0, 70, [(6, 0), (2, 16), (1, 34)]),
        (2, 6, [(1, 1), (1, 2)]),  # begin a multiple of k = 2 but not of 4: still foldable
        (4, 9, [(2, 1), (0, 8)]),
        (1, 3, [(0, 1), (0, 2)]),
    ],
)
def test_perfect_subtrees_examples(begin: int, end: int, nodes: list[tuple[int, int]]) -> None:
    assert perfect_subtrees(begin, end) == nodes


@pytest.mark.parametrize(("begin", "end"), [(1, 4), (3, 8), (2, 7), (6, 11), (5, 5), (7, 3), (-1, 2), (0, 0)])
def test_perfect_subtrees_refuses_ranges_it_cannot_fold(begin: int, end: int) -> None:
    with pytest.raises(ProofError) as e:
        perfect_subtrees(begin, end)
    assert e.value.code in {"proof.bad_range", "proof.bad_sizes"}
    assert str(begin) in e.value.message


def test_perfect_subtrees_accepts_exactly_the_documented_ranges_and_folds_to_the_mth() -> None:
    for begin in range(N):
        for end in range(begin + 1, N + 1):
            if not accepted(begin, end):
                with pytest.raises(ProofError, match=r"^proof\.bad_range:"):
                    perfect_subtrees(begin, end)
                continue
            nodes = perfect_subtrees(begin, end)
            covered = begin
            for i, (level, index) in enumerate(nodes):  # perfect, aligned, contiguous, left to right
                assert index << level == covered
                covered += 1 << level
                if i + 1 < len(nodes) and nodes[i + 1][0] == level:  # maximal: siblings would have merged
                    assert index % 2 == 1
            assert covered == end
            assert range_hash(begin, end, perfect_hash) == ref_mth(LEAVES[begin:end])


def test_every_range_of_the_rfc_recursion_is_accepted() -> None:
    for size in range(1, N + 1):
        for begin, end in rfc_nodes(0, size):
            assert accepted(begin, end) and perfect_subtrees(begin, end)


def test_range_hash_of_nothing_is_the_empty_root_and_fetches_nothing() -> None:
    def never(level: int, index: int) -> bytes:
        raise AssertionError("no node should be fetched")

    assert range_hash(0, 0, never) == EMPTY_ROOT
    assert range_hash(5, 5, never) == EMPTY_ROOT


def test_range_hash_fetches_only_the_planned_nodes() -> None:
    asked: list[tuple[int, int]] = []

    def get(level: int, index: int) -> bytes:
        asked.append((level, index))
        return perfect_hash(level, index)

    assert range_hash(0, 7, get) == ref_mth(LEAVES[:7])
    assert sorted(asked) == sorted(perfect_subtrees(0, 7))


# ---- plans -------------------------------------------------------------------------------------
def test_inclusion_plan_matches_rfc_path_for_every_small_tree() -> None:
    for size in range(1, N + 1):
        for index in range(size):
            plan = inclusion_plan(index, size)
            assert plan == ref_path_ranges(index, 0, size)
            hashes = [range_hash(b, e, perfect_hash) for b, e in plan]
            assert hashes == ref_path(index, LEAVES[:size])


def test_consistency_plan_matches_rfc_proof_for_every_small_tree() -> None:
    for size2 in range(0, N + 1):
        for size1 in range(0, size2 + 1):
            plan = consistency_plan(size1, size2)
            want = [] if size1 in (0, size2) else ref_subproof_ranges(size1, 0, size2, True)
            assert plan == want, (size1, size2)
            assert [range_hash(b, e, perfect_hash) for b, e in plan] == ref_proof(size1, LEAVES[:size2])


def test_plan_errors_name_the_values() -> None:
    with pytest.raises(ProofError) as e:
        inclusion_plan(5, 5)
    assert e.value.code == "proof.index_out_of_range" and e.value.message == "index 5 >= size 5"
    with pytest.raises(ProofError) as e:
        consistency_plan(6, 5)
    assert e.value.code == "proof.bad_sizes" and e.value.message == "size1 6 > size2 5"
    for bad in [(-1, 3), (0, -1)]:
        with pytest.raises(ProofError, match=r"^proof\.bad_sizes:"):
            inclusion_plan(*bad)
        with pytest.raises(ProofError, match=r"^proof\.bad_sizes:"):
            consistency_plan(*bad)


def test_nodes_for_ranges_is_the_union_for_one_fetch() -> None:
    ranges = inclusion_plan(5, 13) + consistency_plan(6, 13) + [(3, 3)]
    expected = {n for b, e in ranges if b != e for n in perfect_subtrees(b, e)}
    assert nodes_for_ranges(ranges) == expected
    assert nodes_for_ranges([]) == set()


@given(st.integers(min_value=1, max_value=2**63), st.data())
def test_plans_are_logarithmic_for_huge_trees(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    size1 = data.draw(st.integers(min_value=0, max_value=size))
    height = (size - 1).bit_length()
    incl, cons = inclusion_plan(index, size), consistency_plan(size1, size)
    assert len(incl) <= height and len(cons) <= 2 * height + 1
    assert len(nodes_for_ranges(incl)) <= 2 * height + 1
    assert len(nodes_for_ranges(cons)) <= 3 * height + 2
    for begin, end in incl + cons:
        assert len(perfect_subtrees(begin, end)) <= height + 1


# ---- new_perfect_nodes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size_before", "nodes"),
    [
        (0, [(0, 0)]),
        (1, [(0, 1), (1, 0)]),
        (2, [(0, 2)]),
        (3, [(0, 3), (1, 1), (2, 0)]),
        (6, [(0, 6)]),
        (7, [(0, 7), (1, 3), (2, 1), (3, 0)]),
        (11, [(0, 11), (1, 5), (2, 2)]),
    ],
)
def test_new_perfect_nodes_examples(size_before: int, nodes: list[tuple[int, int]]) -> None:
    assert new_perfect_nodes(size_before) == nodes


def test_new_perfect_nodes_builds_every_perfect_subtree_exactly_once() -> None:
    store: dict[tuple[int, int], bytes] = {}
    for i in range(N):
        for level, index in new_perfect_nodes(i):
            assert (level, index) not in store
            assert (index + 1) << level == i + 1  # completed by this very leaf
            store[(level, index)] = (
                leaf_hash(LEAVES[i])
                if level == 0
                else node_hash(store[(level - 1, 2 * index)], store[(level - 1, 2 * index + 1)])
            )
        size = i + 1
        want = {(lv, ix) for lv in range(size.bit_length()) for ix in range(size >> lv)}
        assert set(store) == want
        assert range_hash(0, size, lambda lv, ix: store[(lv, ix)]) == ref_mth(LEAVES[:size])


def test_new_perfect_nodes_refuses_negative_sizes() -> None:
    with pytest.raises(ProofError, match=r"^proof\.bad_sizes:"):
        new_perfect_nodes(-1)
