"""ledger/compact_range.py's appended_proofs: the receipts of an append batch, built from the edge before the batch
and the nodes the batch made, cross-checked with RFC 9162's own recursion (naive MTH, no stored subtrees) and with
the verifier; and the log's receipts, which it now builds that way."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.compact_range import CompactRange, appended_proofs
from ledger.log import Log
from ledger.store import Store
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_inclusion

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH over leaf hashes, by the definition."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]), by the recursion itself."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*_rfc_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_rfc_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _batch(start: int, size: int) -> tuple[list[bytes], list[list[bytes]], bytes]:
    leaves = [leaf_hash(b"leaf-%d" % i) for i in range(size)]
    edge = CompactRange()
    for h in leaves[:start]:
        edge.append(h)
    before, made = edge.copy(), {}
    for h in leaves[start:]:
        made.update({(lv, ix): nh for lv, ix, nh in edge.append(h)})
    return leaves, appended_proofs(before, made, size), edge.root()


@pytest.mark.parametrize(
    ("start", "size"), [(0, 1), (0, 2), (1, 2), (0, 8), (7, 8), (8, 9), (3, 77), (60, 77), (63, 64), (64, 200)]
)
def test_each_receipt_is_rfc_9162_path_and_verifies(start: int, size: int) -> None:
    leaves, proofs, root = _batch(start, size)
    assert len(proofs) == size - start
    for i, proof in zip(range(start, size), proofs, strict=True):
        assert proof == _rfc_path(i, leaves), i
        verify_inclusion(leaves[i], i, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_receipts_match_the_recursion_for_any_batch(pair: tuple[int, int]) -> None:
    start, size = pair
    leaves, proofs, _ = _batch(start, size)
    assert proofs == [_rfc_path(i, leaves) for i in range(start, size)]


def test_an_empty_batch_has_no_receipts() -> None:
    edge = CompactRange()
    edge.append(leaf_hash(b"x"))
    assert appended_proofs(edge, {}, 1) == []


def test_receipts_are_distinct_lists() -> None:
    """A receipt's proof is its own list: changing one changes no other receipt."""
    _, proofs, _ = _batch(5, 40)
    assert len({id(p) for p in proofs}) == len(proofs)


def test_the_logs_receipts_verify_against_their_checkpoint_root(tmp_path: Path) -> None:
    """Batches through the log: every receipt's proof verifies against the root of its batch's tree size."""
    store = Store(f"sqlite:///{tmp_path}/r.db")
    log = Log(store, SigningKey.generate(), "test.local/log", Policy(frozenset({GD})), lambda: NOW)
    gd, cb = Signer(), Signer()
    for batch in ([gd.register(GD), gd.authorize(GD, cb)], [cb.issue(label_for(GD, f"L-{i}")) for i in range(17)]):
        receipts = log.submit_many(batch)
        root = log.root()
        for r in receipts:
            assert not isinstance(r, Exception) and r.tree_size == log.size
            verify_inclusion(leaf_hash(log.entry(r.index).envelope), r.index, r.tree_size, r.inclusion_proof, root)
    last = log.submit_many([cb.issue(label_for(GD, "L-last"))], with_proofs=False)[0]
    assert not isinstance(last, Exception) and last.inclusion_proof == []
    store.close()
