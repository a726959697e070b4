"""verifier/proven_map_paths.py remembers the status map paths a shipment proved: its outcome must be
verify_map_proof's for every input — good proofs, forged ones (a flipped sibling, another key's proof, another
value, a proof cut short) and absence proofs — whatever the memo holds from the proofs checked before it."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InputError, ProofError
from verifier.proven_map_paths import ProvenMapPaths, wire_form_ok
from verifier.status_map import EMPTY_ROOT, MemoryNodeStore, apply
from verifier.status_map_proof import MapProof, prove, verify_map_proof


def _h(tag: bytes, n: int) -> bytes:
    return hashlib.sha256(tag + n.to_bytes(4, "big")).digest()


def _outcome(check, root: bytes, key: bytes, value: bytes | None, proof: MapProof) -> str:  # type: ignore[no-untyped-def]
    try:
        check(root, key, value, proof)
    except ProofError as e:
        return e.code
    return "ok"


def _flipped(proof: MapProof, i: int) -> MapProof:
    siblings = list(proof.siblings)
    siblings[i] = bytes([siblings[i][0] ^ 1]) + siblings[i][1:]
    return MapProof(proof.kind, tuple(siblings), proof.leaf_key, proof.leaf_value)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    picks=st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from(["good", "flip", "other", "value", "cut"])), max_size=60
    ),
)
def test_remembered_paths_give_the_reference_outcome(n: int, picks: list[tuple[int, str]]) -> None:
    pairs = {_h(b"k", i): _h(b"v", i) for i in range(n)}
    store = MemoryNodeStore()
    root, nodes = apply(store, EMPTY_ROOT, pairs)
    store.put_all(nodes)
    paths = ProvenMapPaths(root)
    keys = list(pairs)
    for j, how in picks:
        key = _h(b"k", j)  # j >= n: a key the map does not hold
        value = pairs.get(key)
        proof = prove(store, root, key)
        if how == "flip" and proof.siblings:
            proof = _flipped(proof, j % len(proof.siblings))
        elif how == "other":
            proof = prove(store, root, keys[j % len(keys)])
        elif how == "value" and value is not None:
            value = _h(b"forged", j)
        elif how == "cut" and proof.siblings:
            proof = MapProof(proof.kind, proof.siblings[:-1], proof.leaf_key, proof.leaf_value)
        expected = _outcome(verify_map_proof, root, key, value, proof)
        assert _outcome(lambda _r, k, v, p: paths.verify(k, v, p.to_bytes()), root, key, value, proof) == expected
        if how == "good":
            assert expected == "ok"


def test_odd_inputs_go_to_the_reference() -> None:
    paths = ProvenMapPaths(EMPTY_ROOT)
    with pytest.raises(ProofError):
        paths.verify(b"short", _h(b"v", 0), MapProof("present", ()).to_bytes())
    with pytest.raises(ProofError):  # a present proof against the empty map
        paths.verify(_h(b"k", 0), _h(b"v", 0), MapProof("present", ()).to_bytes())
    paths.verify(_h(b"k", 0), None, MapProof("absent_empty", ()).to_bytes())  # the empty map proves every key absent
    with pytest.raises(InputError):  # not a wire form at all: the decoder names it
        paths.verify(_h(b"k", 0), _h(b"v", 0), b"\x00\x00")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.integers(0, 300))
def test_the_wire_check_accepts_exactly_what_the_decoder_accepts(data: bytes, depth: int) -> None:
    """Random bytes, and random bytes after a well-formed header of a random depth."""
    width = -(-depth // 8)
    header = bytes([data[0] % 3 if data else 0]) + depth.to_bytes(2, "big") + bytes(width)
    for raw in (data, header + data, header):
        try:
            decoded = MapProof.from_bytes(raw)
        except InputError:
            decoded = None
        assert wire_form_ok(raw) == (decoded is not None), raw.hex()
        if decoded is not None:
            assert decoded.to_bytes() == raw


def test_the_wire_check_on_real_proofs() -> None:
    pairs = {_h(b"k", i): _h(b"v", i) for i in range(50)}
    store = MemoryNodeStore()
    root, nodes = apply(store, EMPTY_ROOT, pairs)
    store.put_all(nodes)
    for i in range(60):
        raw = prove(store, root, _h(b"k", i)).to_bytes()
        assert wire_form_ok(raw)
        for cut in (raw[:-1], raw + b"\x00", raw[:3] + b"\xff" + raw[4:]):
            try:
                MapProof.from_bytes(cut)
                ok = True
            except InputError:
                ok = False
            assert wire_form_ok(cut) == ok
