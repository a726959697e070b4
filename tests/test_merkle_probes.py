"""Systematic negative probes: mutate valid proofs every way we can think of; each mutation must raise ProofError.

Modelled on transparency-dev/merkle proof/verify_test.go (corruptInclusionProof,
corruptConsistencyProof), applied to the published 8-leaf vectors and to every proof of
every tree up to 12 leaves (every bit of every hash), then to larger trees (one bit per byte).

One family needs an oracle rather than "must fail": a root does not bind its tree size (a
checkpoint signs both), so for the sweep a proof moved to another size is checked against
the *right root for that size*, and must fail unless it is literally that size's proof too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from mapping.errors import ProofError
from verifier.merkle import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion

from .test_merkle import KAT_LEAVES, KAT_ROOTS, VECTORS, ref_leaves, ref_mth, ref_path, ref_proof

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


class Incl(NamedTuple):  # a NamedTuple, not a dataclass: _replace is ~5x cheaper, over ~200k probes
    leaf: bytes
    index: int
    size: int
    proof: tuple[bytes, ...]
    root: bytes

    def verify(self) -> None:
        verify_inclusion(self.leaf, self.index, self.size, list(self.proof), self.root)


class Cons(NamedTuple):
    size1: int
    size2: int
    proof: tuple[bytes, ...]
    root1: bytes
    root2: bytes

    def verify(self) -> None:
        verify_consistency(self.size1, self.size2, list(self.proof), self.root1, self.root2)


def replace(p: Incl | Cons, **changes: Any) -> Incl | Cons:
    return p._replace(**changes)


def flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def bits(all_bits: bool) -> range:
    return range(256) if all_bits else range(0, 256, 9)  # 9 is coprime to 8: one bit of each byte


def proof_mutations(proof: tuple[bytes, ...], extras: list[bytes], all_bits: bool) -> Iterator[tuple[str, list[bytes]]]:
    """Truncate, extend, insert and flip: the proof-only mutations common to both proof kinds."""
    n = len(proof)
    if n:
        yield "truncated (last removed)", list(proof[:-1])
        yield "truncated (first removed)", list(proof[1:])
        yield "preceding proof[0]", [proof[0], *proof]
        if n > 1 and proof[0] != proof[-1]:
            yield "reversed", list(reversed(proof))
    for x in extras:
        yield "trailing extra hash", [*proof, x]
        yield "preceding extra hash", [x, *proof]
    if n > 1:
        yield "inserted component", [proof[0], SOME_HASH, *proof[1:]]
    for i in range(n):
        for bit in bits(all_bits):
            yield f"proof[{i}] bit {bit}", [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
        yield f"proof[{i}] 31 bytes", [*proof[:i], proof[i][:31], *proof[i + 1 :]]
        yield f"proof[{i}] 33 bytes", [*proof[:i], proof[i] + b"\x00", *proof[i + 1 :]]


def inclusion_probes(p: Incl, all_bits: bool, with_sizes: bool) -> Iterator[tuple[str, Incl]]:
    for desc, proof in proof_mutations(p.proof, [SOME_HASH, p.root, p.leaf], all_bits):
        yield desc, replace(p, proof=tuple(proof))
    for bit in bits(all_bits):
        yield f"leaf bit {bit}", replace(p, leaf=flip(p.leaf, bit))
        yield f"root bit {bit}", replace(p, root=flip(p.root, bit))
    for desc, leaf, root in [
        ("leaf 31 bytes", p.leaf[:31], p.root),
        ("leaf 33 bytes", p.leaf + b"\x00", p.root),
        ("root 31 bytes", p.leaf, p.root[:31]),
        ("root 33 bytes", p.leaf, p.root + b"\x00"),
        ("empty root", p.leaf, EMPTY_ROOT),
        ("random root", p.leaf, SOME_HASH),
        ("wrong leaf", leaf_hash(b"WrongLeaf"), p.root),
    ]:
        yield desc, replace(p, leaf=leaf, root=root)
    for desc, index in [
        ("index - 1", p.index - 1),
        ("index + 1", p.index + 1),
        ("index ^ 2", p.index ^ 2),
        ("index = size", p.size),
        ("index > size", p.size + 5),
    ]:
        if index != p.index:
            yield desc, replace(p, index=index)
    if with_sizes:  # only where the root is known not to fit the other size (published vectors)
        for desc, size in [("size * 2", p.size * 2), ("size // 2", p.size // 2)]:
            if size != p.size:
                yield desc, replace(p, size=size)


def consistency_probes(p: Cons, all_bits: bool, with_sizes: bool) -> Iterator[tuple[str, Cons]]:
    for desc, proof in proof_mutations(p.proof, [SOME_HASH, p.root1, p.root2], all_bits):
        yield desc, replace(p, proof=tuple(proof))
    yield "empty proof", replace(p, proof=())
    yield "swapped roots", replace(p, root1=p.root2, root2=p.root1)
    yield "swapped sizes", replace(p, size1=p.size2, size2=p.size1)
    for bit in bits(all_bits):
        yield f"root1 bit {bit}", replace(p, root1=flip(p.root1, bit))
        yield f"root2 bit {bit}", replace(p, root2=flip(p.root2, bit))
    for desc, r1, r2 in [
        ("root1 31 bytes", p.root1[:31], p.root2),
        ("root2 33 bytes", p.root1, p.root2 + b"\x00"),
        ("root1 33 bytes", p.root1 + b"\x00", p.root2),
        ("root2 31 bytes", p.root1, p.root2[:31]),
        ("wrong root1", SOME_HASH, p.root2),
        ("wrong root2", p.root1, SOME_HASH),
    ]:
        yield desc, replace(p, root1=r1, root2=r2)
    yield "size1 = 0 with the proof", replace(p, size1=0, root1=EMPTY_ROOT)
    yield "size1 = size2 with the proof", replace(p, size1=p.size2, root1=p.root2)
    yield "size1 > size2", replace(p, size1=p.size2 + 1)
    if with_sizes:
        for desc, s1, s2 in [
            ("size1 - 1", p.size1 - 1, p.size2),
            ("size1 + 1", p.size1 + 1, p.size2),
            ("size1 ^ 2", p.size1 ^ 2, p.size2),
            ("size2 * 2", p.size1, p.size2 * 2),
            ("size2 // 2", p.size1, p.size2 // 2),
        ]:
            if (s1, s2) != (p.size1, p.size2):
                yield desc, replace(p, size1=s1, size2=s2)


def assert_all_fail(probes: Iterator[tuple[str, Incl | Cons]], good: Incl | Cons) -> int:
    good.verify()
    count, passed = 0, []
    for desc, probe in probes:
        count += 1
        try:
            probe.verify()
        except ProofError:
            continue
        passed.append(desc)
    assert not passed, f"{good}: wrongly verified after {passed}"
    return count


# ---- the published vectors: every probe, every bit ----------------------------------------------
@pytest.mark.parametrize("v", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-of-{v['size']}")
def test_published_inclusion_proofs_resist_every_probe(v: dict[str, Any]) -> None:
    good = Incl(
        leaf_hash(KAT_LEAVES[v["index"]]),
        v["index"],
        v["size"],
        tuple(bytes.fromhex(h) for h in v["proof"]),
        KAT_ROOTS[v["size"]],
    )
    assert assert_all_fail(inclusion_probes(good, all_bits=True, with_sizes=True), good) > 500


@pytest.mark.parametrize(
    "v", [v for v in VECTORS["consistency"] if v["proof"]], ids=lambda v: f"{v['size1']}-to-{v['size2']}"
)
def test_published_consistency_proofs_resist_every_probe(v: dict[str, Any]) -> None:
    good = Cons(
        v["size1"],
        v["size2"],
        tuple(bytes.fromhex(h) for h in v["proof"]),
        KAT_ROOTS[v["size1"]],
        KAT_ROOTS[v["size2"]],
    )
    assert assert_all_fail(consistency_probes(good, all_bits=True, with_sizes=True), good) > 1000


# ---- every proof of every small tree -------------------------------------------------------------
@pytest.mark.parametrize("size", range(1, 34))
def test_every_inclusion_proof_resists_probes(size: int) -> None:
    leaves = ref_leaves(size)
    root = ref_mth(leaves)
    for index in range(size):
        good = Incl(leaf_hash(leaves[index]), index, size, tuple(ref_path(index, leaves)), root)
        assert_all_fail(inclusion_probes(good, all_bits=size <= 12, with_sizes=False), good)


@pytest.mark.parametrize("size2", range(2, 34))
def test_every_consistency_proof_resists_probes(size2: int) -> None:
    leaves = ref_leaves(size2)
    for size1 in range(1, size2):
        good = Cons(size1, size2, tuple(ref_proof(size1, leaves)), ref_mth(leaves[:size1]), ref_mth(leaves))
        assert_all_fail(consistency_probes(good, all_bits=size2 <= 12, with_sizes=False), good)


# ---- a proof moved to another size, with that size's true root ------------------------------------
def test_a_proof_verifies_at_another_size_only_if_it_is_that_sizes_proof() -> None:
    leaves = ref_leaves(40)
    for size in range(1, 40):
        for index in range(size):
            proof = ref_path(index, leaves[:size])
            for other in {size - 1, size + 1, size * 2, size // 2} - {size}:
                if not index < other <= 40:
                    continue
                same = ref_path(index, leaves[:other]) == proof
                try:
                    verify_inclusion(leaf_hash(leaves[index]), index, other, proof, ref_mth(leaves[:other]))
                    assert same, (index, size, other)
                except ProofError:
                    assert not same, (index, size, other)
    for size2 in range(2, 40):
        for size1 in range(1, size2):
            proof = ref_proof(size1, leaves[:size2])
            for s1, s2 in {(size1 - 1, size2), (size1 + 1, size2), (size1, size2 + 1), (size1, size2 - 1)}:
                if not 0 < s1 < s2 <= 40:
                    continue
                same = ref_proof(s1, leaves[:s2]) == proof
                try:
                    verify_consistency(s1, s2, proof, ref_mth(leaves[:s1]), ref_mth(leaves[:s2]))
                    assert same, (size1, size2, s1, s2)
                except ProofError:
                    assert not same, (size1, size2, s1, s2)
