"""verifier/merkle.py: known answers, edge cases, and a cross-check against a naive RFC 9162 §2.1 reference.

The reference functions below (``ref_*``) are written straight from the RFC's recursive
definitions, with no cleverness, and are shared with test_tree.py, test_proof_plan.py and
test_merkle_probes.py. They are used only to check the fast code, never by it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import ProofError
from verifier.merkle import (
    EMPTY_ROOT,
    LEAF_PREFIX,
    NODE_PREFIX,
    consistency_proof_length,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from verifier.proven_paths import ProvenPaths

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962_8_leaves.json").read_text())
KAT_LEAVES = [bytes.fromhex(h) for h in VECTORS["leaves_hex"]]
KAT_ROOTS = {int(n): bytes.fromhex(h) for n, h in VECTORS["roots_by_size"].items()}


# ---- the naive reference: RFC 9162 §2.1 as written ------------------------------------------
def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1), found by counting up."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_leaves(n: int) -> tuple[bytes, ...]:
    """A deterministic leaf list: the 8 KAT leaves, then b"leaf-<i>"."""
    return tuple(KAT_LEAVES[i] if i < len(KAT_LEAVES) else b"leaf-%d" % i for i in range(n))


@cache
def ref_mth(leaves: tuple[bytes, ...]) -> bytes:
    """§2.1.1 MTH(D[n])."""
    n = len(leaves)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + leaves[0])
    k = _k(n)
    return _sha(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:]))


def ref_path(m: int, leaves: tuple[bytes, ...]) -> list[bytes]:
    """§2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: tuple[bytes, ...], b: bool) -> list[bytes]:
    """§2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def ref_proof(m: int, leaves: tuple[bytes, ...]) -> list[bytes]:
    """§2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) for 0 < m < n; empty otherwise (our convention)."""
    if m == 0 or m == len(leaves):
        return []
    return ref_subproof(m, leaves, True)


# ---- the reference itself reproduces the published vectors ----------------------------------
def test_reference_reproduces_the_published_roots() -> None:
    assert ref_mth(()) == EMPTY_ROOT == bytes.fromhex(VECTORS["empty_root"])
    for size, root in KAT_ROOTS.items():
        assert ref_mth(ref_leaves(size)) == root


@pytest.mark.parametrize("v", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-of-{v['size']}")
def test_reference_reproduces_published_inclusion_proofs(v: dict[str, Any]) -> None:
    assert ref_path(v["index"], ref_leaves(v["size"])) == [bytes.fromhex(h) for h in v["proof"]]


@pytest.mark.parametrize("v", VECTORS["consistency"], ids=lambda v: f"{v['size1']}-to-{v['size2']}")
def test_reference_reproduces_published_consistency_proofs(v: dict[str, Any]) -> None:
    assert ref_proof(v["size1"], ref_leaves(v["size2"])) == [bytes.fromhex(h) for h in v["proof"]]


# ---- hashing ---------------------------------------------------------------------------------
def test_domain_separation_prefixes_and_empty_root() -> None:
    assert (LEAF_PREFIX, NODE_PREFIX) == (b"\x00", b"\x01")
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == KAT_ROOTS[1]
    assert node_hash(leaf_hash(b""), leaf_hash(b"\x00")) == KAT_ROOTS[2]
    assert leaf_hash(b"ab") != node_hash(b"a" * 32, b"b" * 32)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_node_hash_refuses_wrong_length_children(bad: bytes) -> None:
    with pytest.raises(ProofError) as e:
        node_hash(bad, EMPTY_ROOT)
    assert e.value.code == "proof.bad_hash_length" and f"got {len(bad)} bytes" in e.value.message
    with pytest.raises(ProofError):
        node_hash(EMPTY_ROOT, bad)


# ---- known answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("v", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-of-{v['size']}")
def test_published_inclusion_proofs_verify(v: dict[str, Any]) -> None:
    proof = [bytes.fromhex(h) for h in v["proof"]]
    leaf = leaf_hash(KAT_LEAVES[v["index"]])
    root = KAT_ROOTS[v["size"]]
    assert root_from_inclusion_proof(leaf, v["index"], v["size"], proof) == root
    verify_inclusion(leaf, v["index"], v["size"], proof, root)


@pytest.mark.parametrize("v", VECTORS["consistency"], ids=lambda v: f"{v['size1']}-to-{v['size2']}")
def test_published_consistency_proofs_verify(v: dict[str, Any]) -> None:
    proof = [bytes.fromhex(h) for h in v["proof"]]
    root1, root2 = KAT_ROOTS[v["size1"]], KAT_ROOTS[v["size2"]]
    verify_consistency(v["size1"], v["size2"], proof, root1, root2)
    if v["size1"] != v["size2"]:
        assert root_from_consistency_proof(v["size1"], v["size2"], proof, root1) == root2


# ---- edge cases the brief fixes ----------------------------------------------------------------
def test_index_at_or_past_size_raises_naming_both_values() -> None:
    with pytest.raises(ProofError) as e:
        verify_inclusion(leaf_hash(b""), 5, 5, [], EMPTY_ROOT)
    assert e.value.code == "proof.index_out_of_range" and e.value.message == "index 5 >= size 5"
    for index, size in [(0, 0), (1, 0), (2, 1), (8, 8)]:
        with pytest.raises(ProofError, match=r"^proof\.index_out_of_range:"):
            verify_inclusion(leaf_hash(b""), index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("index", "size"), [(-1, 4), (0, -1), (True, 4)])
def test_negative_or_non_integer_positions_raise(index: int, size: int) -> None:
    with pytest.raises(ProofError) as e:
        verify_inclusion(leaf_hash(b""), index, size, [], EMPTY_ROOT)
    assert e.value.code == "proof.bad_sizes"


def test_single_leaf_tree() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    with pytest.raises(ProofError, match=r"^proof\.root_mismatch:"):
        verify_inclusion(h, 0, 1, [], leaf_hash(b"other"))
    with pytest.raises(ProofError, match=r"^proof\.wrong_length:"):
        verify_inclusion(h, 0, 1, [h], h)
    for leaf, root in [(b"", h), (h, b""), (b"", b"")]:  # empty hashes, as transparency-dev probes
        with pytest.raises(ProofError, match=r"^proof\.bad_hash_length:"):
            verify_inclusion(leaf, 0, 1, [], root)


def test_size1_greater_than_size2_raises() -> None:
    with pytest.raises(ProofError) as e:
        verify_consistency(2, 1, [], KAT_ROOTS[2], KAT_ROOTS[1])
    assert e.value.code == "proof.bad_sizes" and e.value.message == "size1 2 > size2 1"
    with pytest.raises(ProofError, match=r"^proof\.bad_sizes:"):
        verify_consistency(1, 0, [], KAT_ROOTS[1], EMPTY_ROOT)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    verify_consistency(3, 3, [], KAT_ROOTS[3], KAT_ROOTS[3])
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    with pytest.raises(ProofError, match=r"^proof\.root_mismatch:"):
        verify_consistency(3, 3, [], KAT_ROOTS[3], KAT_ROOTS[4])
    with pytest.raises(ProofError, match=r"^proof\.wrong_length:"):
        verify_consistency(3, 3, [KAT_ROOTS[3]], KAT_ROOTS[3], KAT_ROOTS[3])
    with pytest.raises(ProofError, match=r"^proof\.wrong_length:"):
        verify_consistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)


def test_size1_zero_needs_an_empty_proof_and_the_empty_root() -> None:
    verify_consistency(0, 5, [], EMPTY_ROOT, KAT_ROOTS[5])
    with pytest.raises(ProofError) as e:
        verify_consistency(0, 5, [], KAT_ROOTS[1], KAT_ROOTS[5])
    assert e.value.code == "proof.root_mismatch" and EMPTY_ROOT.hex() in e.value.message
    with pytest.raises(ProofError, match=r"^proof\.wrong_length:"):
        verify_consistency(0, 5, [EMPTY_ROOT], EMPTY_ROOT, KAT_ROOTS[5])
    with pytest.raises(ProofError, match=r"^proof\.root_mismatch:"):
        verify_consistency(0, 0, [], KAT_ROOTS[1], KAT_ROOTS[1])


def test_a_proof_is_needed_between_different_nonzero_sizes() -> None:
    with pytest.raises(ProofError) as e:
        verify_consistency(1, 2, [], KAT_ROOTS[1], KAT_ROOTS[2])
    assert e.value.code == "proof.wrong_length" and "has 0 hashes, expected 1" in e.value.message


@pytest.mark.parametrize("length", [0, 31, 33])
def test_every_hash_must_be_32_bytes(length: int) -> None:
    bad = b"\x01" * length
    v = VECTORS["inclusion"][2]
    proof = [bytes.fromhex(h) for h in v["proof"]]
    leaf, root = leaf_hash(KAT_LEAVES[v["index"]]), KAT_ROOTS[v["size"]]
    cases = [(bad, proof, root), (leaf, proof, bad), (leaf, [bad, *proof[1:]], root), (leaf, [*proof[:2], bad], root)]
    for lf, pr, rt in cases:
        with pytest.raises(ProofError, match=r"^proof\.bad_hash_length:"):
            verify_inclusion(lf, v["index"], v["size"], pr, rt)
    c = VECTORS["consistency"][2]
    cproof = [bytes.fromhex(h) for h in c["proof"]]
    r1, r2 = KAT_ROOTS[c["size1"]], KAT_ROOTS[c["size2"]]
    for a, b, pr in [(bad, r2, cproof), (r1, bad, cproof), (r1, r2, [*cproof[:1], bad, *cproof[2:]])]:
        with pytest.raises(ProofError, match=r"^proof\.bad_hash_length:"):
            verify_consistency(c["size1"], c["size2"], pr, a, b)


def test_error_messages_name_the_values() -> None:
    v = VECTORS["inclusion"][1]
    proof = [bytes.fromhex(h) for h in v["proof"]]
    with pytest.raises(ProofError) as e:
        verify_inclusion(leaf_hash(KAT_LEAVES[0]), 0, 8, proof[:2], KAT_ROOTS[8])
    assert e.value.message == "inclusion proof for index 0 in tree size 8 has 2 hashes, expected 3"
    with pytest.raises(ProofError) as e:
        verify_inclusion(leaf_hash(KAT_LEAVES[1]), 0, 8, proof, KAT_ROOTS[8])
    assert "index 0 in tree size 8" in e.value.message and KAT_ROOTS[8].hex() in e.value.message


# ---- cross-check against the reference on every small tree -----------------------------------
SMALL = 70


def test_every_inclusion_proof_up_to_70_leaves_verifies() -> None:
    for size in range(1, SMALL + 1):
        leaves = ref_leaves(size)
        root = ref_mth(leaves)
        for index in range(size):
            proof = ref_path(index, leaves)
            assert inclusion_proof_length(index, size) == len(proof)
            verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)


def test_every_consistency_proof_up_to_70_leaves_verifies() -> None:
    leaves = ref_leaves(SMALL)
    for size2 in range(0, SMALL + 1):
        root2 = ref_mth(leaves[:size2])
        for size1 in range(0, size2 + 1):
            proof = ref_proof(size1, leaves[:size2])
            assert consistency_proof_length(size1, size2) == len(proof), (size1, size2)
            verify_consistency(size1, size2, proof, ref_mth(leaves[:size1]), root2)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_larger_trees_agree_with_the_reference(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(min_value=1, max_value=3000), label="size2")
    size1 = data.draw(st.integers(min_value=1, max_value=size2), label="size1")
    index = data.draw(st.integers(min_value=0, max_value=size2 - 1), label="index")
    leaves = ref_leaves(size2)
    root2 = ref_mth(leaves)
    verify_inclusion(leaf_hash(leaves[index]), index, size2, ref_path(index, leaves), root2)
    verify_consistency(size1, size2, ref_proof(size1, leaves), ref_mth(leaves[:size1]), root2)
    if index + 1 < size2:  # the neighbour's leaf never verifies with this proof
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(leaves[index + 1]), index, size2, ref_path(index, leaves), root2)


@given(st.integers(min_value=1, max_value=2**62), st.data())
def test_proof_lengths_are_logarithmic(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    size1 = data.draw(st.integers(min_value=0, max_value=size))
    assert inclusion_proof_length(index, size) <= (size - 1).bit_length()
    assert consistency_proof_length(size1, size) <= 2 * (size - 1).bit_length() + 1


# ---- ProvenPaths: the memoized inclusion check must decide exactly as verify_inclusion --------
def _tampered(proof: list[bytes], k: int) -> list[bytes]:
    out = list(proof)
    out[k] = bytes([out[k][0] ^ 1]) + out[k][1:]
    return out


_Index = enum.IntEnum("_Index", {f"I{i}": i for i in range(300)})  # type: ignore[misc]
FAULTS = [
    *["none"] * 4,
    *["proof", "leaf", "index", "short", "bool", "float", "leaf31", "str"],
    *["bytearray leaf", "bytearray hash", "int subclass", "no proof"],
]


def _outcome(check: Any) -> str:
    try:
        check()
    except ProofError as e:
        return e.code
    except TypeError:
        return "TypeError"
    return "ok"


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_proven_paths_decide_as_verify_inclusion_over_a_shared_memo(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=300), label="size")
    leaves = ref_leaves(size)
    root = ref_mth(leaves)
    paths = ProvenPaths(size, root)
    for _ in range(data.draw(st.integers(min_value=1, max_value=40), label="queries")):
        index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
        leaf, at, proof = leaf_hash(leaves[index]), index, ref_path(index, leaves)
        fault = data.draw(
            st.sampled_from(FAULTS),
            label="fault",
        )
        if fault == "proof" and proof:
            proof = _tampered(proof, data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="k"))
        elif fault == "leaf":
            leaf = leaf_hash(b"not-" + leaves[index])
        elif fault == "index":
            at = data.draw(st.integers(min_value=0, max_value=size - 1), label="other index")
        elif fault == "short" and proof:
            proof = proof[:-1]
        elif fault == "bool":
            at = bool(index)  # type: ignore[assignment]
        elif fault == "float":
            at = float(index)  # type: ignore[assignment]
        elif fault == "leaf31":
            leaf = leaf[:31]
        elif fault == "str" and proof:
            proof = [proof[0].hex(), *proof[1:]]  # type: ignore[list-item]
        elif fault == "bytearray leaf":
            leaf = bytearray(leaf)  # type: ignore[assignment]
        elif fault == "bytearray hash" and proof:
            proof = [bytearray(proof[0]), *proof[1:]]  # type: ignore[list-item]
        elif fault == "int subclass":
            at = _Index(index)  # type: ignore[assignment]
        elif fault == "no proof":
            proof = None  # type: ignore[assignment]
        expected = _outcome(lambda: verify_inclusion(leaf, at, size, proof, root))  # noqa: B023
        assert _outcome(lambda: paths.verify(leaf, at, proof)) == expected, (fault, index, at)  # noqa: B023


def test_a_warm_memo_still_checks_every_hash_a_proof_does_not_share() -> None:
    """Once every leaf's path is proven, a proof whose upper hashes differ from the proven ones still fails:
    a state is reused only with the same remaining hashes."""
    size = 37
    leaves = ref_leaves(size)
    paths = ProvenPaths(size, ref_mth(leaves))
    for i in range(size):
        paths.verify(leaf_hash(leaves[i]), i, ref_path(i, leaves))
    for i in range(size):
        proof = ref_path(i, leaves)
        for k in range(len(proof)):
            with pytest.raises(ProofError):
                paths.verify(leaf_hash(leaves[i]), i, _tampered(proof, k))
        with pytest.raises(ProofError):
            paths.verify(leaf_hash(leaves[i]), (i + 1) % size, proof)


@pytest.mark.parametrize(
    ("size", "root"),
    [(True, None), (1.0, None), (-1, None), (1, "str"), (1, "bytearray"), (1, "short"), (1, "good")],
    ids=["bool size", "float size", "negative size", "str root", "bytearray root", "31-byte root", "good"],
)
def test_proven_paths_of_odd_trees_decide_as_the_reference(size: Any, root: Any) -> None:
    leaf = leaf_hash(b"only")
    roots = {"str": leaf.hex(), "bytearray": bytearray(leaf), "short": leaf[:31], "good": leaf, None: leaf}
    tree_root = roots[root]
    expected = _outcome(lambda: verify_inclusion(leaf, 0, size, [], tree_root))
    assert _outcome(lambda: ProvenPaths(size, tree_root).verify(leaf, 0, [])) == expected
