"""C2SP tlog-tiles (ledger/tiles.py, ledger/tiles_source.py): every tile byte-identical to a naive implementation
written here from the spec's definitions; proofs computed from tiles equal the tree's and verify; malformed
tiles and bundles refused with precise codes.

The naive side reads the spec literally: the i-th hash of tile n at level l is
MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l]) by RFC 9162's recursion; level l of a tree of size s
has floor(s / 256**(l+1)) full tiles and a partial one of width floor(s / 256**l) mod 256 when that is not 0;
N is written in three-digit groups, all but the last prefixed with "x".
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.compact_range import CompactRange
from ledger.tiles import (
    TILE_WIDTH,
    TileRef,
    bundle_bytes,
    encode_index,
    entry_bundles,
    hash_tiles,
    parse_bundle,
    parse_tile,
    tile_bytes,
    tile_nodes,
)
from ledger.tiles_source import TilesSource
from ledger.tree import MerkleTree
from mapping.errors import InputError, NotFoundError
from verifier.keys import SigningKey
from verifier.merkle import verify_consistency, verify_inclusion
from verifier.note import format_checkpoint, sign_note

SIZE = 70_000
SIZES = (0, 1, 255, 256, 257, 65_536, SIZE)


# ---- the naive reference, from the spec's words ---------------------------------------------------------------
def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(b"\x00leaf %d" % i).digest() for i in range(n)]


LEAVES = _leaves(SIZE)


@functools.cache
def naive_mth(lo: int, hi: int) -> bytes:
    """RFC 9162 §2.1.1 MTH over LEAVES[lo:hi] (leaf hashes given), by its recursion."""
    if hi - lo == 1:
        return LEAVES[lo]
    k = 1
    while k * 2 < hi - lo:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(lo, lo + k) + naive_mth(lo + k, hi)).digest()


def naive_path(level: int, n: int, width: int) -> str:
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    encoded = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"tile/{level}/{encoded}" + ("" if width == 256 else f".p/{width}")


def naive_tiles(size: int) -> dict[str, bytes]:
    out = {}
    level = 0
    while size // 256**level:
        count = size // 256**level  # hashes at this tile level
        for n in range((count + 255) // 256):
            width = min(256, count - n * 256)
            hashes = [naive_mth((n * 256 + i) * 256**level, (n * 256 + i + 1) * 256**level) for i in range(width)]
            out[naive_path(level, n, width)] = b"".join(hashes)
        level += 1
    return out


# ---- ours --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nodes() -> dict[tuple[int, int], bytes]:
    """Every perfect subtree of the 70,000-leaf tree, as the log's appends make them (ledger/compact_range.py)."""
    edge, out = CompactRange(), {}
    for h in LEAVES:
        for level, index, node in edge.append(h):
            out[(level, index)] = node
    return out


def our_tiles(size: int, nodes: dict[tuple[int, int], bytes]) -> dict[str, bytes]:
    return {ref.path: tile_bytes([nodes[n] for n in tile_nodes(ref)]) for ref in hash_tiles(size)}


@pytest.mark.parametrize("size", SIZES)
def test_every_tile_is_the_naive_one(size: int, nodes: dict[tuple[int, int], bytes]) -> None:
    assert our_tiles(size, nodes) == naive_tiles(size)


def test_the_spec_examples() -> None:
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000" and encode_index(1000) == "x001/000"
    refs = hash_tiles(SIZE)
    assert sum(1 for r in refs if r.level == 0 and r.full) == 273
    assert [(r.level, r.width) for r in refs if not r.full or r.level > 0] == [(0, 112), (1, 256), (1, 17), (2, 1)]
    assert [r.path for r in hash_tiles(256)] == ["tile/0/000", "tile/1/000.p/1"]
    assert hash_tiles(0) == [] and entry_bundles(0) == []
    assert [r.path for r in entry_bundles(257)] == ["tile/entries/000", "tile/entries/001.p/1"]


@given(st.integers(min_value=0, max_value=10**15))
def test_index_encoding_matches_the_naive_one(n: int) -> None:
    assert f"tile/0/{encode_index(n)}" == naive_path(0, n, 256)


# ---- bundles and tiles: shape ---------------------------------------------------------------------------------
def test_bundles_round_trip_and_refuse_malformed_bytes() -> None:
    entries = [b"", b"a", bytes(range(256)) * 3, b"x" * 65_535]
    data = bundle_bytes(entries)
    assert data[:2] == b"\x00\x00" and data[2:5] == b"\x00\x01a"
    assert parse_bundle(data, 4) == entries
    bad = {
        "fewer entries than its width": (data, 5),
        "more entries than its width": (data, 3),
        "a length running past the end": (data[:-1], 4),
        "a length cut in half": (data + b"\x00", 4),
        "empty": (b"", 1),
    }
    for what, (blob, width) in bad.items():
        with pytest.raises(InputError) as e:
            parse_bundle(blob, width)
        assert e.value.code == "tiles.bad_bundle", what
    with pytest.raises(InputError) as e:
        bundle_bytes([b"x" * 65_536])
    assert e.value.code == "tiles.entry_too_large"


def test_tiles_refuse_the_wrong_length() -> None:
    hashes = [bytes([i]) * 32 for i in range(3)]
    assert parse_tile(tile_bytes(hashes), 3) == hashes
    for blob, width in ((tile_bytes(hashes), 2), (tile_bytes(hashes)[:-1], 3), (b"", 1), (bytes(32 * 257), 256)):
        with pytest.raises(InputError) as e:
            parse_tile(blob, width)
        assert e.value.code == "tiles.bad_tile"


# ---- proofs from tiles ----------------------------------------------------------------------------------------
def _write_tree(folder: Path, size: int, nodes: dict[tuple[int, int], bytes]) -> str:
    for path, data in our_tiles(size, nodes).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    origin = "tiles.test/log"
    note = sign_note(format_checkpoint(origin, size, naive_mth(0, size)), origin, SigningKey.generate())
    (folder / "checkpoint").write_text(note, encoding="utf-8")
    return note


@pytest.fixture(scope="module")
def tree_dir(tmp_path_factory: pytest.TempPathFactory, nodes: dict[tuple[int, int], bytes]) -> Path:
    folder = tmp_path_factory.mktemp("tiles70000")
    _write_tree(folder, SIZE, nodes)
    return folder


@pytest.fixture(scope="module")
def reference() -> MerkleTree:
    tree = MerkleTree()
    for h in LEAVES:
        tree.append_leaf_hash(h)
    return tree


def _pairs(rng: random.Random, n: int) -> Iterator[tuple[int, int]]:
    edges = [1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, SIZE - 1, SIZE]
    for a in edges:
        for b in edges:
            if a <= b:
                yield a, b
    for _ in range(n):
        b = rng.randint(1, SIZE)
        yield rng.randint(0, b), b


def test_proofs_from_tiles_are_the_trees_and_verify(tree_dir: Path, reference: MerkleTree) -> None:
    source = TilesSource(tree_dir)
    source.checkpoint()
    rng = random.Random(17)
    for size1, size2 in _pairs(rng, 150):
        proof = source.consistency_proof(size1, size2)
        assert proof == reference.consistency_proof(size1, size2), (size1, size2)
        if size1:
            verify_consistency(size1, size2, proof, naive_mth(0, size1), naive_mth(0, size2))
        index = rng.randrange(size2)
        path = source.inclusion_proof(index, size2)
        assert path == reference.inclusion_proof(index, size2), (index, size2)
        verify_inclusion(LEAVES[index], index, size2, path, naive_mth(0, size2))
        assert source.root(size2) == naive_mth(0, size2)


def test_a_size_beyond_the_checkpoint_is_not_served(tree_dir: Path) -> None:
    source = TilesSource(tree_dir)
    with pytest.raises(NotFoundError) as e:
        source.inclusion_proof(0, SIZE + 1)
    assert e.value.code == "tiles.no_such_size"


def test_a_pruned_partial_tile_is_read_from_the_full_one(tmp_path: Path, nodes: dict[tuple[int, int], bytes]) -> None:
    """A reader holding the checkpoint of size 300 asks after the log grew to 512 and removed 000.p/44."""
    _write_tree(tmp_path, 300, nodes)
    source = TilesSource(tmp_path)
    source.checkpoint()
    for path, data in our_tiles(512, nodes).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(data)
    (tmp_path / "tile/0/001.p/44").unlink()
    assert source.inclusion_proof(299, 300) == tree_of(300).inclusion_proof(299, 300)


def tree_of(size: int) -> MerkleTree:
    tree = MerkleTree()
    for h in LEAVES[:size]:
        tree.append_leaf_hash(h)
    return tree


def test_malformed_tiles_are_refused(tmp_path: Path, nodes: dict[tuple[int, int], bytes]) -> None:
    _write_tree(tmp_path, 300, nodes)
    (tmp_path / "tile/0/001.p/44").write_bytes(bytes(32 * 43))  # one hash short
    with pytest.raises(InputError) as e:
        TilesSource(tmp_path).inclusion_proof(299, 300)
    assert e.value.code == "tiles.bad_tile" and "001.p/44" in e.value.message
    (tmp_path / "tile/0/000").unlink()
    with pytest.raises(NotFoundError) as e2:
        TilesSource(tmp_path).inclusion_proof(3, 300)
    assert e2.value.code == "tiles.not_found"
    (tmp_path / "tile/entries").mkdir(parents=True)
    (tmp_path / "tile/entries/000").write_bytes(bundle_bytes([b"e"] * 255))  # a full bundle holds 256
    with pytest.raises(InputError) as e3:
        TilesSource(tmp_path).entries(0, 1)
    assert e3.value.code == "tiles.bad_bundle"


def test_the_tile_refs_say_their_paths() -> None:
    assert TileRef(-1, 1234067, 256).path == "tile/entries/x001/x234/067"
    assert TileRef(3, 5, 17).path == "tile/3/005.p/17" and TileRef(3, 5, 17).full_path == "tile/3/005"
    assert TILE_WIDTH == 256
