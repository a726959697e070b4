"""verifier/status_map.py and verifier/status_map_proof.py: known answers, a cross-check against the naive map of
tests/status_map_reference.py, systematic negatives named after the attack each refuses, the strict wire form,
and the store seam (corrupt and missing nodes, old roots kept).

``python -m tests.test_status_map [N] [BATCH]`` is the benchmark (not a test): it builds an N-key map (default
1,000,000) in batches of BATCH (default 1000) in memory and prints build, prove and verify figures.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import sys
import time
from collections.abc import Collection, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import InputError, NotFoundError, OversizedError, ProofError
from tests.status_map_reference import EMPTY, LEAF_TAG, NODE_TAG, ref_key, ref_path, ref_root, ref_value
from verifier.status_map import (
    EMPTY_ROOT,
    KINDS,
    MemoryNodeStore,
    apply,
    internal_hash,
    leaf_hash,
    leaf_value,
    map_key,
)
from verifier.status_map_proof import (
    ABSENT_EMPTY,
    ABSENT_LEAF,
    MAX_PROOF_TEXT,
    PRESENT,
    MapProof,
    lookup,
    prove,
    verify_map_proof,
)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> bytes:
    return _sha(b"key %d" % n)


def _v(n: int) -> bytes:
    return _sha(b"value %d" % n)


def _build(pairs: Mapping[bytes, bytes], batch: int = 0) -> tuple[MemoryNodeStore, bytes]:
    store, root = MemoryNodeStore(), EMPTY_ROOT
    items = list(pairs.items())
    step = batch or max(len(items), 1)
    for i in range(0, len(items), step):
        root, new = apply(store, root, dict(items[i : i + step]))
        store.put_all(new)
    return store, root


# Keys that share long prefixes (down to the last bit), mixed with random ones.
_CLOSE = [bytes(31) + bytes([b]) for b in (0, 1, 2, 3, 128, 255)] + [bytes([b]) + bytes(31) for b in (0x80, 0xC0, 0x40)]
KEYS = st.one_of(st.sampled_from(_CLOSE), st.binary(min_size=32, max_size=32))
VALUES = st.one_of(st.sampled_from([_v(0), _v(1)]), st.binary(min_size=32, max_size=32))
BATCHES = st.lists(st.dictionaries(KEYS, VALUES, max_size=12), min_size=1, max_size=6)


# ---- known answers -------------------------------------------------------------------------------
def test_the_constants_are_the_documented_ones() -> None:
    assert EMPTY_ROOT == EMPTY == bytes(32)
    assert leaf_hash(_k(1), _v(1)) == _sha(LEAF_TAG + _k(1) + _v(1))
    assert internal_hash(_k(1), _k(2)) == _sha(NODE_TAG + _k(1) + _k(2))
    assert map_key("label", "GD-CL-2025-0101") == ref_key("label", "GD-CL-2025-0101")
    assert leaf_value(b'{"status":"active"}') == ref_value(b'{"status":"active"}')


def test_small_maps_have_the_roots_the_definition_gives() -> None:
    left, right = bytes(32), b"\x80" + bytes(31)  # differ at bit 0
    assert _build({})[1] == EMPTY_ROOT
    nothing = prove(MemoryNodeStore(), EMPTY_ROOT, left)
    assert nothing == MapProof(ABSENT_EMPTY, ()) and nothing.to_bytes() == b"\x01\x00\x00"
    verify_map_proof(EMPTY_ROOT, left, None, nothing)
    assert _build({left: _v(0)})[1] == leaf_hash(left, _v(0))  # a lone leaf is the root
    assert _build({left: _v(0), right: _v(1)})[1] == internal_hash(leaf_hash(left, _v(0)), leaf_hash(right, _v(1)))
    deep = bytes(31) + b"\x01"  # shares 255 bits with ``left``: 255 one-sided nodes above a split at depth 255
    h = internal_hash(leaf_hash(left, _v(0)), leaf_hash(deep, _v(1)))
    for _ in range(255):
        h = internal_hash(h, EMPTY_ROOT)
    assert _build({left: _v(0), deep: _v(1)})[1] == h
    proof = prove(*_build({left: _v(0), deep: _v(1)}), deep)
    assert proof.depth == 256 and proof.hash_count == 1 and len(proof.to_bytes()) == 3 + 32 + 32


# A known answer for reimplementations (the hex values are pinned: changing them changes the spec).
KAT_RECORDS = {
    ("label", "GD-CL-2025-0101"): b'{"status":"active"}',
    ("key", "ab" * 32): b'{"status":"authorized"}',
    ("scheme", "gd-carbon-label"): b'{"status":"registered"}',
}
KAT_LABEL_KEY = "91a84a9ff460f1fc270d8d0b22d21f403f485730243458b4bad1ea9491189361"
KAT_ROOT = "89086d6c685ae43817d2872348d4b485c87a4c86bfefecb2f951ffe8d327d887"
KAT_ABSENT_DATASET_PROOF = (  # "dataset" "cn-grid" is absent: the proof ends at the label's leaf, depth 1
    "AgABgLOw/sezf7D9mFBz0/8VM4+LyZlQDBbKnQf6wlgFWuldkahKn/Rg8fwnDY0LItIfQD9IVzAkNFi0utHqlJEYk2F196EWO3g/u7EHqyMVlD6S"
    "YmQTEjTrfqBuyTSphkVZtw=="
)


def test_known_answer() -> None:
    pairs = {map_key(kind, i): leaf_value(record) for (kind, i), record in KAT_RECORDS.items()}
    assert map_key("label", "GD-CL-2025-0101").hex() == ref_key("label", "GD-CL-2025-0101").hex() == KAT_LABEL_KEY
    assert ref_root({ref_key(k, i): ref_value(r) for (k, i), r in KAT_RECORDS.items()}).hex() == KAT_ROOT
    store, root = _build(pairs)
    assert root.hex() == KAT_ROOT
    absent = map_key("dataset", "cn-grid")
    assert prove(store, root, absent).to_json() == KAT_ABSENT_DATASET_PROOF
    verify_map_proof(root, absent, None, MapProof.from_json(KAT_ABSENT_DATASET_PROOF))


def test_keys_separate_kinds_and_refuse_unknown_ones() -> None:
    assert len({map_key(kind, "x") for kind in KINDS}) == len(KINDS)
    assert map_key("label", "x") != map_key("label", "y")
    for kind, object_id in (("labels", "x"), ("", "x"), ("label", ""), ("label", "\ud800")):
        with pytest.raises(InputError):
            map_key(kind, object_id)


# ---- the cross-check with the naive map ------------------------------------------------------------
@settings(max_examples=120, deadline=None)
@given(BATCHES, st.lists(KEYS, max_size=4), st.randoms(use_true_random=False))
def test_batches_agree_with_the_reference_and_every_proof_verifies(
    batches: list[dict[bytes, bytes]], strangers: list[bytes], rnd: random.Random
) -> None:
    store, root, state = MemoryNodeStore(), EMPTY_ROOT, {}
    history = []
    for batch in batches:
        root, new = apply(store, root, batch)
        assert not set(new) - _reachable(MemoryNodeStore({**store.nodes, **new}), root)  # only nodes of the new tree
        store.put_all(new)
        state.update(batch)
        assert root == ref_root(state)
        history.append((root, dict(state)))
    items = list(state.items())
    rnd.shuffle(items)
    assert _build(dict(items), batch=rnd.randint(1, 5))[1] == root  # neither order nor batching matters
    for old_root, old_state in history:  # every old root stays provable from the same store
        for key in [*old_state, *strangers]:
            proof = prove(store, old_root, key)
            if old_root == root:  # the proof is the reference's path (checked for the last root: it is slow)
                kind, siblings, other = ref_path(old_state, key)
                assert (proof.kind, list(proof.siblings)) == (kind, siblings)
                assert (proof.leaf_key, proof.leaf_value) == (other or (None, None))
            verify_map_proof(old_root, key, old_state.get(key), proof)
            assert lookup(store, old_root, key) == old_state.get(key)
            assert MapProof.from_json(proof.to_json()) == proof


def _reachable(store: MemoryNodeStore, root: bytes) -> set[bytes]:
    out, todo = set(), [root]
    while todo:
        h = todo.pop()
        if h == EMPTY_ROOT or h in out:
            continue
        out.add(h)
        enc = store.nodes[h]
        if enc[0] == 1:
            todo += [enc[1:33], enc[33:]]
    return out


def test_a_batch_writes_only_new_nodes_along_its_paths() -> None:
    store, root = _build({_k(i): _v(i) for i in range(2000)}, batch=500)
    before = set(store.nodes)
    batch = {_k(i): _v(i + 10_000) for i in range(0, 4000, 40)}  # 50 updates, 50 inserts
    new_root, new = apply(store, root, batch)
    assert not set(new) & before
    store.put_all(new)
    depths = sum(prove(store, new_root, k).depth + 1 for k in batch)
    assert len(new) <= depths  # at most one node a level a key
    assert apply(store, new_root, {_k(0): _v(10_000)}) == (new_root, {})  # no change, no node


def test_a_reader_without_get_many_is_enough() -> None:
    class Plain:
        def __init__(self, nodes: dict[bytes, bytes]) -> None:
            self.nodes = nodes

        def get(self, node_hash: bytes) -> bytes | None:
            return self.nodes.get(node_hash)

    store, root = _build({_k(i): _v(i) for i in range(100)})
    assert apply(Plain(store.nodes), root, {_k(7): _v(0)}) == apply(store, root, {_k(7): _v(0)})


def test_proving_reads_one_node_a_level() -> None:
    n = 20_000
    store, root = _build({_k(i): _v(i) for i in range(n)}, batch=1000)
    reads = []

    class Counting:
        def get(self, node_hash: bytes) -> bytes | None:
            reads.append(node_hash)
            return store.get(node_hash)

    depths = []
    for i in range(0, 2 * n, 97):
        reads.clear()
        proof = prove(Counting(), root, _k(i))
        assert len(reads) == proof.depth + (proof.kind != ABSENT_EMPTY)
        depths.append(proof.depth)
    assert statistics.mean(depths) < n.bit_length() + 2  # log2(20,000) = 14.3


# ---- systematic negatives ---------------------------------------------------------------------------
STATE = {_k(i): _v(i) for i in range(300)}
STORE, ROOT = _build(STATE, batch=64)
MEMBER = _k(5)
ABSENT_AT_LEAF = next(_k(i) for i in range(300, 10_000) if prove(STORE, ROOT, _k(i)).kind == ABSENT_LEAF)
ABSENT_AT_EMPTY = next(_k(i) for i in range(300, 10_000) if prove(STORE, ROOT, _k(i)).kind == ABSENT_EMPTY)
CASES = [(MEMBER, STATE[MEMBER]), (ABSENT_AT_LEAF, None), (ABSENT_AT_EMPTY, None)]
CASE_IDS = ["member", "absent_at_leaf", "absent_at_empty"]


def _refused(proof: MapProof, key: bytes, value: bytes | None, root: bytes = ROOT) -> ProofError:
    with pytest.raises(ProofError) as e:
        verify_map_proof(root, key, value, proof)
    return e.value


def _with(proof: MapProof, siblings: list[bytes]) -> MapProof:
    return MapProof(proof.kind, tuple(siblings), proof.leaf_key, proof.leaf_value)


@pytest.mark.parametrize(("key", "value"), CASES, ids=CASE_IDS)
def test_bit_flip_in_any_proof_hash_is_refused(key: bytes, value: bytes | None) -> None:
    proof = prove(STORE, ROOT, key)
    verify_map_proof(ROOT, key, value, proof)
    for i, s in enumerate(proof.siblings):
        for b in range(256):
            flipped = bytearray(s)
            flipped[b // 8] ^= 0x80 >> (b % 8)
            _refused(_with(proof, [*proof.siblings[:i], bytes(flipped), *proof.siblings[i + 1 :]]), key, value)
    if proof.kind == ABSENT_LEAF:
        assert proof.leaf_key is not None and proof.leaf_value is not None
        for b in range(256):
            flipped_key, flipped_value = bytearray(proof.leaf_key), bytearray(proof.leaf_value)
            flipped_key[b // 8] ^= 0x80 >> (b % 8)
            flipped_value[b // 8] ^= 0x80 >> (b % 8)
            _refused(MapProof(ABSENT_LEAF, proof.siblings, bytes(flipped_key), proof.leaf_value), key, value)
            _refused(MapProof(ABSENT_LEAF, proof.siblings, proof.leaf_key, bytes(flipped_value)), key, value)


@pytest.mark.parametrize(("key", "value"), CASES, ids=CASE_IDS)
def test_bit_flip_anywhere_in_the_wire_form_is_refused(key: bytes, value: bytes | None) -> None:
    raw = prove(STORE, ROOT, key).to_bytes()
    for b in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[b // 8] ^= 0x80 >> (b % 8)
        try:
            forged = MapProof.from_bytes(bytes(flipped))
        except InputError:
            continue
        _refused(forged, key, value)


@pytest.mark.parametrize(("key", "value"), CASES, ids=CASE_IDS)
def test_truncated_or_extended_proof_is_refused(key: bytes, value: bytes | None) -> None:
    proof = prove(STORE, ROOT, key)
    s = list(proof.siblings)
    for forged in (s[:-1], s[1:], [*s, EMPTY], [*s, _k(1)], [_k(1), *s], [EMPTY, *s], []):
        _refused(_with(proof, forged), key, value)
    _refused(_with(proof, [_k(1)] * 257), key, value)


@pytest.mark.parametrize(("key", "value"), CASES, ids=CASE_IDS)
def test_proof_under_another_root_is_refused(key: bytes, value: bytes | None) -> None:
    proof = prove(STORE, ROOT, key)
    for root in (EMPTY_ROOT, _k(1), ROOT[:-1] + bytes([ROOT[-1] ^ 1])):
        assert _refused(proof, key, value, root).code == "proof.root_mismatch"


def test_proof_for_another_key_is_refused() -> None:
    for key, value in CASES:
        proof = prove(STORE, ROOT, key)
        for other in (_k(6), _k(77), ABSENT_AT_LEAF, ABSENT_AT_EMPTY):
            if other != key:
                _refused(proof, other, value if value is None else STATE.get(other, value))


def test_wrong_value_for_a_present_key_is_refused() -> None:
    proof = prove(STORE, ROOT, MEMBER)
    for value in (_v(6), EMPTY, STATE[MEMBER][:-1] + b"\x00"):
        assert _refused(proof, MEMBER, value).code == "proof.root_mismatch"


def test_forged_absence_proof_for_present_key_is_refused() -> None:
    proof = prove(STORE, ROOT, MEMBER)
    assert _refused(proof, MEMBER, None).code == "proof.map_key_present"  # a membership proof read as absence
    s = list(proof.siblings)
    for depth in range(len(s) + 2):  # stop the path anywhere, at an empty subtree or at a neighbour's leaf
        path = [*s, _k(1), _k(2)][:depth]
        _refused(MapProof(ABSENT_EMPTY, tuple(path)), MEMBER, None)
        for other in STATE:
            if other != MEMBER:
                _refused(MapProof(ABSENT_LEAF, tuple(path), other, STATE[other]), MEMBER, None)
    for key in (ABSENT_AT_LEAF, ABSENT_AT_EMPTY):  # a real absence proof of a neighbour, presented for the member
        _refused(prove(STORE, ROOT, key), MEMBER, None)


def test_absence_proof_ending_at_the_keys_own_leaf_is_refused() -> None:
    proof = prove(STORE, ROOT, MEMBER)
    forged = MapProof(ABSENT_LEAF, proof.siblings, MEMBER, STATE[MEMBER])  # would hash to the real root
    assert _refused(forged, MEMBER, None).code == "proof.map_key_present"


def test_forged_membership_claim_on_an_absence_proof_is_refused() -> None:
    for key in (ABSENT_AT_LEAF, ABSENT_AT_EMPTY):
        proof = prove(STORE, ROOT, key)
        assert _refused(proof, key, _v(1)).code == "proof.map_key_absent"
        _refused(MapProof(PRESENT, proof.siblings), key, _v(1))
        if proof.kind == ABSENT_LEAF:  # the neighbour's value, claimed for the absent key
            _refused(MapProof(PRESENT, proof.siblings), key, proof.leaf_value)


def test_absence_proof_ending_at_a_leaf_off_the_path_is_refused() -> None:
    proof = prove(STORE, ROOT, ABSENT_AT_LEAF)
    assert proof.leaf_key is not None
    off = bytes([proof.leaf_key[0] ^ 0x80]) + proof.leaf_key[1:]  # differs from the key at bit 0
    forged = MapProof(ABSENT_LEAF, proof.siblings, off, proof.leaf_value)
    assert _refused(forged, ABSENT_AT_LEAF, None).code == "proof.map_leaf_off_path"


def test_internal_node_passed_off_as_a_leaf_is_refused() -> None:
    """A node's two children read as a leaf's (key, value): the leaf and node tags differ, so the hashes do."""
    proof = prove(STORE, ROOT, MEMBER)
    for depth in range(1, proof.depth):
        enc = STORE.nodes[_node_on_path(MEMBER, depth)]
        forged = MapProof(ABSENT_LEAF, proof.siblings[:depth], enc[1:33], enc[33:])
        _refused(forged, MEMBER, None)
        _refused(MapProof(PRESENT, proof.siblings[:depth]), enc[1:33], enc[33:])


def _node_on_path(key: bytes, depth: int) -> bytes:
    h = ROOT
    for i in range(depth):
        enc = STORE.nodes[h]
        h = enc[33:] if key[i // 8] >> (7 - i % 8) & 1 else enc[1:33]
    return h


def test_proof_ending_beside_an_empty_subtree_is_refused_as_not_canonical() -> None:
    lone = _build({MEMBER: _v(0)})[1]
    forged = MapProof(PRESENT, (EMPTY,))
    assert _refused(forged, MEMBER, _v(0), lone).code == "proof.map_not_canonical"


def test_malformed_proofs_and_claims_are_refused_as_proof_errors() -> None:
    proof = prove(STORE, ROOT, MEMBER)
    for key, value, forged in (
        (MEMBER[:31], STATE[MEMBER], proof),
        (MEMBER, STATE[MEMBER][:31], proof),
        (MEMBER, STATE[MEMBER], _with(proof, [*proof.siblings[:-1], b"\x01" * 31])),
        (MEMBER, STATE[MEMBER], MapProof("present!", proof.siblings)),
        (MEMBER, STATE[MEMBER], MapProof(PRESENT, proof.siblings, MEMBER, STATE[MEMBER])),
        (ABSENT_AT_LEAF, None, MapProof(ABSENT_LEAF, prove(STORE, ROOT, ABSENT_AT_LEAF).siblings, MEMBER)),
    ):
        _refused(forged, key, value)
    with pytest.raises(ProofError):
        verify_map_proof(ROOT[:31], MEMBER, STATE[MEMBER], proof)


# ---- the wire form ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value"), CASES, ids=CASE_IDS)
def test_wire_form_round_trips_byte_for_byte(key: bytes, value: bytes | None) -> None:
    proof = prove(STORE, ROOT, key)
    raw = proof.to_bytes()
    assert len(raw) == 3 + -(-proof.depth // 8) + 32 * proof.hash_count + (64 if proof.kind == ABSENT_LEAF else 0)
    assert MapProof.from_bytes(raw) == proof and MapProof.from_bytes(raw).to_bytes() == raw
    assert MapProof.from_json(proof.to_json()) == proof


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=200)
    | st.builds(
        lambda p, tail: p + tail,
        st.sampled_from([prove(STORE, ROOT, k).to_bytes() for k, _ in CASES]),
        st.binary(max_size=3),
    )
)
def test_a_proof_has_one_encoding(data: bytes) -> None:
    try:
        proof = MapProof.from_bytes(data)
    except InputError:
        return
    assert proof.to_bytes() == data


def _decode_refused(text: str | bytes, oversized: bool = False) -> None:
    with pytest.raises(OversizedError if oversized else InputError):
        if isinstance(text, str):
            MapProof.from_json(text)
        else:
            MapProof.from_bytes(text)


def test_strict_decoding_refuses_every_other_spelling() -> None:
    proof = prove(STORE, ROOT, ABSENT_AT_LEAF)
    raw, text = proof.to_bytes(), proof.to_json()
    for bad in (raw[:-1], raw + b"\x00", raw[:2], b"", b"\x03" + raw[1:], raw[:3] + bytes([raw[3] ^ 0x80]) + raw[4:]):
        _decode_refused(bad)
    _decode_refused(b"\x01\x01\x01" + bytes(32))  # depth 257
    _decode_refused(b"\x01\x00\x01\x7f")  # a bitmap bit past depth 1
    _decode_refused(b"\x00\x00\x01\x80" + bytes(32))  # the empty hash listed as a sibling
    _decode_refused(b"\x00" * (MAX_PROOF_TEXT), oversized=True)
    _decode_refused("A" * (MAX_PROOF_TEXT + 4), oversized=True)
    for padded in (prove(STORE, ROOT, k).to_json() for k, _ in CASES):
        _decode_refused(padded.rstrip("=") if padded.endswith("=") else padded + "=")  # missing or extra padding
        _decode_refused(padded[:-1])
    _decode_refused(text + "\n")
    _decode_refused(" " + text)
    _decode_refused(text.replace("+", "-").replace("/", "_") if ("+" in text or "/" in text) else text + "*")
    short = MapProof(ABSENT_EMPTY, ()).to_json()  # 3 bytes: "AQAA"; 1 byte pads
    assert short == "AQAA"
    with pytest.raises(InputError) as e:
        MapProof.from_json("AR==")  # non-zero pad bits
    assert e.value.code == "input.map_proof_base64"
    with pytest.raises(InputError):
        MapProof.from_json(raw)  # type: ignore[arg-type]


# ---- the store seam --------------------------------------------------------------------------------------
def test_a_missing_or_corrupt_node_is_named_not_used() -> None:
    nodes = dict(STORE.nodes)
    victim = _node_on_path(MEMBER, 3)
    del nodes[victim]
    with pytest.raises(NotFoundError) as e:
        prove(MemoryNodeStore(nodes), ROOT, MEMBER)
    assert e.value.code == "map.node_missing"
    with pytest.raises(NotFoundError):
        apply(MemoryNodeStore(nodes), ROOT, {MEMBER: _v(1)})
    nodes[victim] = STORE.nodes[victim][:-1] + b"\x00"
    for call in (lambda s: prove(s, ROOT, MEMBER), lambda s: apply(s, ROOT, {MEMBER: _v(1)})):
        with pytest.raises(NotFoundError) as e:
            call(MemoryNodeStore(nodes))
        assert e.value.code == "map.node_corrupt"


def test_updates_must_be_32_byte_keys_and_values() -> None:
    for bad in ({MEMBER[:31]: _v(1)}, {MEMBER: _v(1)[:31]}, {"x": _v(1)}):
        with pytest.raises(InputError):
            apply(STORE, ROOT, bad)  # type: ignore[arg-type]


# ---- the benchmark (python -m tests.test_status_map [N] [BATCH]) ------------------------------------------
def bench(n: int, batch: int) -> None:
    class Counting:
        def __init__(self, inner: MemoryNodeStore) -> None:
            self.inner, self.reads = inner, 0

        def get(self, node_hash: bytes) -> bytes | None:
            self.reads += 1
            return self.inner.get(node_hash)

        def get_many(self, node_hashes: Collection[bytes]) -> Mapping[bytes, bytes]:
            self.reads += len(node_hashes)
            return self.inner.get_many(node_hashes)

    store, root = MemoryNodeStore(), EMPTY_ROOT
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        root, new = apply(store, root, {_k(i): _v(i) for i in range(start, min(n, start + batch))})
        store.put_all(new)
    build_s = time.perf_counter() - t0
    print(f"build {n:,} keys in batches of {batch}: {build_s:.1f} s ({build_s / (n / batch) * 1e3:.1f} ms a batch)")
    print(
        f"nodes {len(store):,}: {len(store) / n:.2f} a key, {len(store) * 65 / n:.0f} bytes of encodings a key "
        f"(+ {len(store) * 32 / n:.0f} bytes of hash addresses)"
    )
    live = len(_reachable(store, root))
    print(f"live tree (nodes the last root reaches): {live:,}, {live / n:.2f} a key, {live * 97 / n:.0f} bytes a key")
    counting = Counting(store)
    t0 = time.perf_counter()
    root2, new = apply(counting, root, {_k(i): _v(i + 1) for i in random.Random(1).sample(range(2 * n), batch)})
    print(
        f"one more batch of {batch} (half updates, half inserts): {(time.perf_counter() - t0) * 1e3:.0f} ms, "
        f"{counting.reads:,} nodes read, {len(new):,} written ({len(new) * 97 / batch:.0f} bytes a key)"
    )
    keys = [_k(i) for i in random.Random(2).sample(range(2 * n), 2000)]
    prove_s, verify_s, reads, sizes = [], [], [], []
    for key in keys:
        counting.reads = 0
        t0 = time.perf_counter()
        proof = prove(counting, root, key)
        prove_s.append(time.perf_counter() - t0)
        value = lookup(store, root, key)
        t0 = time.perf_counter()
        verify_map_proof(root, key, value, proof)
        verify_s.append(time.perf_counter() - t0)
        reads.append(counting.reads)
        sizes.append(len(proof.to_bytes()))
    print(
        f"prove: median {statistics.median(prove_s) * 1e6:.0f} µs, nodes read median {statistics.median(reads):.0f}"
        f" max {max(reads)}; verify: median {statistics.median(verify_s) * 1e6:.0f} µs"
    )
    print(
        f"proof: median {statistics.median(sizes):.0f} bytes ({statistics.median(sizes) * 4 / 3:.0f} base64 chars)"
        f", max {max(sizes)}; new root differs: {root2 != root}"
    )


if __name__ == "__main__":
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
