"""The status map: a compacted sparse Merkle tree from each status-bearing object to its current status.

DESIGN §3: "an authenticated map (sparse or compacted Merkle tree, O(log n) proofs) from every status-bearing
object — label, key, scheme, agreement, pair of schemes, dataset — to its current status". This module holds
the hashing, the node encodings, the node store seam and the batch update; proofs are in
``verifier/status_map_proof.py``. Pure: the only I/O is through the :class:`NodeReader` it is handed.

The hashing, exactly (SHA-256 throughout; ``||`` is concatenation):

- **Key** of an object: ``SHA-256(KEY_TAG || u8(len(kind)) || kind || object_id)``, kind and id in UTF-8, the
  kind one of :data:`KINDS`. Bit ``i`` of a key (``0 <= i < 256``) is bit ``7 - i % 8`` of byte ``i // 8``
  (most significant first): it chooses the child at depth ``i + 1``, 0 left, 1 right.
- **Value** of an object: ``SHA-256(VALUE_TAG || record)``, ``record`` being the canonical bytes of its
  status record (the caller's; this module never reads records).
- **Tree**: for the set ``S`` of (key, value) pairs under a node at depth ``d`` (their first ``d`` bits agree)

  ``T(S) = EMPTY_HASH`` (32 zero bytes) when ``S`` is empty;
  ``T(S) = SHA-256(LEAF_TAG || key || value)`` when ``S = {(key, value)}``;
  ``T(S) = SHA-256(NODE_TAG || T(S0) || T(S1))`` otherwise, ``S0`` and ``S1`` the pairs whose bit ``d`` is 0, 1.

  The root is ``T(every pair)``; the empty map's root is :data:`EMPTY_ROOT` (= ``EMPTY_HASH``). So a leaf hangs
  at the shallowest depth where its prefix is unique (two distinct keys share at most 255 bits: depth <= 256),
  and a node with one empty child exists only where all of its two or more keys share the next bit. The root
  is a function of the set alone: the order and batching of updates never change it. It is the binary tree
  the Jellyfish Merkle tree (Diem/Aptos) hashes, with our own tags and an all-zero empty hash, so nodes may
  later be stored 16-ary (four levels a node) without changing a root or a proof.
- **Node encodings** (what a store holds, addressed by the node's hash; 65 bytes each):
  a leaf is ``0x00 || key || value``, an internal node ``0x01 || left || right`` (a child may be
  ``EMPTY_HASH``, not both); its hash is ``SHA-256(tag || encoding[1:])`` with the leaf or node tag.

Content addressing keeps every old root provable: an update writes new nodes and never changes one, so the root
a checkpoint committed to at tree size N still reads its whole tree. There are no deletions: statuses change,
objects never leave the map (an object's end is a status, e.g. revoked or retired).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from typing import Protocol, runtime_checkable

from mapping.errors import InputError, NotFoundError

__all__ = [
    "EMPTY_HASH",
    "EMPTY_ROOT",
    "HASH_BYTES",
    "INTERNAL_TYPE",
    "KEY_TAG",
    "KINDS",
    "LEAF_TAG",
    "LEAF_TYPE",
    "MAX_DEPTH",
    "NODE_BYTES",
    "NODE_TAG",
    "VALUE_TAG",
    "BatchNodeReader",
    "MemoryNodeStore",
    "NodeReader",
    "apply",
    "check_node",
    "internal_hash",
    "key_bit",
    "leaf_hash",
    "leaf_value",
    "map_key",
    "read_node",
    "read_nodes",
]

HASH_BYTES = 32
MAX_DEPTH = 256  # a key has 256 bits: no leaf hangs deeper
NODE_BYTES = 1 + 2 * HASH_BYTES

# Domain separation: each hash input starts with its own tag (all four differ; the leaf and node tags have the
# same length, so a leaf's and a node's hash inputs can never be the same bytes). None starts with RFC 9162's
# 0x00 or 0x01, so no map hash is a log hash.
KEY_TAG = b"carbonledger/status-map/v1/key\x00"
VALUE_TAG = b"carbonledger/status-map/v1/value\x00"
LEAF_TAG = b"carbonledger/status-map/v1/leaf\x00"
NODE_TAG = b"carbonledger/status-map/v1/node\x00"

# The hash of the empty subtree and the root of the empty map: 32 zero bytes (no SHA-256 output known to be it).
EMPTY_HASH = bytes(HASH_BYTES)
EMPTY_ROOT = EMPTY_HASH

LEAF_TYPE = 0x00  # first byte of a leaf's encoding
INTERNAL_TYPE = 0x01  # first byte of an internal node's encoding

# The status-bearing objects of DESIGN §3. A kind outside the list is refused: a typo would prove absence.
KINDS = frozenset({"agreement", "dataset", "key", "label", "pair", "scheme"})

_sha256 = hashlib.sha256


def map_key(kind: str, object_id: str) -> bytes:
    """Requires ``kind`` in :data:`KINDS` and a non-empty ``object_id``. The object's 32-byte map key."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise InputError(f"status map kind {kind!r} is not one of {sorted(KINDS)}", code="input.map_kind")
    if not isinstance(object_id, str) or not object_id:
        raise InputError(f"status map object id must be a non-empty string, got {object_id!r}", code="input.map_id")
    try:
        raw_id = object_id.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"status map object id {object_id!r} is not valid Unicode", code="input.map_id") from e
    raw_kind = kind.encode("ascii")
    return _sha256(KEY_TAG + bytes([len(raw_kind)]) + raw_kind + raw_id).digest()


def leaf_value(record_bytes: bytes) -> bytes:
    """Requires the canonical bytes of a status record. The 32-byte value the map holds for it."""
    if not isinstance(record_bytes, bytes | bytearray):
        raise InputError(f"a status record must be bytes, got {type(record_bytes).__name__}", code="input.map_record")
    return _sha256(VALUE_TAG + record_bytes).digest()


def leaf_hash(key: bytes, value: bytes) -> bytes:
    """Requires a 32-byte key and value. ``SHA-256(LEAF_TAG || key || value)``."""
    _check_hash("key", key)
    _check_hash("value", value)
    return _sha256(LEAF_TAG + key + value).digest()


def internal_hash(left: bytes, right: bytes) -> bytes:
    """Requires two 32-byte child hashes. ``SHA-256(NODE_TAG || left || right)``."""
    _check_hash("left child", left)
    _check_hash("right child", right)
    return _sha256(NODE_TAG + left + right).digest()


def key_bit(key: bytes, depth: int) -> int:
    """Requires a 32-byte key and ``0 <= depth < 256``. Bit ``depth`` of the key (most significant first)."""
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


# ---- the store seam ---------------------------------------------------------------------------
class NodeReader(Protocol):
    """Where nodes live: ``get`` answers a node's encoding by its hash, or None when the store lacks it.

    Nodes are immutable and content-addressed: writing the same (hash, encoding) twice is a no-op (an
    ``INSERT ... ON CONFLICT DO NOTHING``), and a node is never changed or removed while a kept root needs it.
    """

    def get(self, node_hash: bytes) -> bytes | None: ...


@runtime_checkable
class BatchNodeReader(Protocol):
    """A reader that also answers many hashes in one call (one SQL query per tree level in :func:`apply`)."""

    def get(self, node_hash: bytes) -> bytes | None: ...

    def get_many(self, node_hashes: Collection[bytes]) -> Mapping[bytes, bytes]: ...


class MemoryNodeStore:
    """The in-memory store: a dict from node hash to encoding (tests, benchmarks, a monitor's replay)."""

    def __init__(self, nodes: Mapping[bytes, bytes] | None = None) -> None:
        self.nodes: dict[bytes, bytes] = dict(nodes or {})

    def get(self, node_hash: bytes) -> bytes | None:
        return self.nodes.get(node_hash)

    def get_many(self, node_hashes: Collection[bytes]) -> dict[bytes, bytes]:
        nodes = self.nodes
        return {h: nodes[h] for h in node_hashes if h in nodes}

    def put_all(self, new_nodes: Mapping[bytes, bytes]) -> None:
        """Adds what :func:`apply` returned (already-held nodes are left as they are: they are the same)."""
        self.nodes.update(new_nodes)

    def __len__(self) -> int:
        return len(self.nodes)


def read_node(reader: NodeReader, node_hash: bytes) -> bytes:
    """Requires a non-empty node hash. Its encoding from ``reader``, checked to hash to ``node_hash`` (unless the
    reader says it hands out only checked nodes: ``checks_nodes``)."""
    encoding = reader.get(node_hash)
    if encoding is None:
        raise NotFoundError(f"the node store holds no status map node {node_hash.hex()}", code="map.node_missing")
    return encoding if getattr(reader, "checks_nodes", False) else check_node(node_hash, encoding)


def read_nodes(reader: NodeReader, node_hashes: Iterable[bytes]) -> dict[bytes, bytes]:
    """Requires non-empty node hashes. Their checked encodings, in one ``get_many`` call when the reader has one.

    A reader whose ``checks_nodes`` attribute is true vouches that every encoding it answers was checked with
    :func:`check_node` (or made by :func:`apply`): a cache in front of a store checks each node once."""
    wanted = set(node_hashes)
    if not wanted:
        return {}
    get_many = getattr(reader, "get_many", None)  # a BatchNodeReader (a Protocol's isinstance costs ~10 µs a call)
    if get_many is not None:
        found = get_many(wanted)
        if len(found) != len(wanted) or not all(h in found for h in wanted):
            h = next(h for h in wanted if h not in found)
            raise NotFoundError(f"the node store holds no status map node {h.hex()}", code="map.node_missing")
        if getattr(reader, "checks_nodes", False):
            return dict(found)
        return {h: check_node(h, found[h]) for h in wanted}
    return {h: read_node(reader, h) for h in wanted}


def check_node(node_hash: bytes, encoding: bytes) -> bytes:
    """Requires nothing. ``encoding`` as plain bytes when it is a valid node encoding hashing to ``node_hash``;
    raises :class:`~mapping.errors.NotFoundError` (``map.node_corrupt``) otherwise."""
    if isinstance(encoding, bytearray | memoryview):  # a driver's buffer type: hash and slice plain bytes
        encoding = bytes(encoding)
    if not isinstance(encoding, bytes) or len(encoding) != NODE_BYTES or encoding[0] not in (0, 1):
        raise NotFoundError(
            f"status map node {node_hash.hex()} is stored in no valid encoding (65 bytes, type 0 or 1)",
            code="map.node_corrupt",
        )
    tag = LEAF_TAG if encoding[0] == LEAF_TYPE else NODE_TAG
    if _sha256(tag + encoding[1:]).digest() != node_hash or encoding == bytes([INTERNAL_TYPE]) + bytes(64):
        raise NotFoundError(
            f"the node stored under {node_hash.hex()} hashes to another value (or has two empty children)",
            code="map.node_corrupt",
        )
    return encoding


# ---- the batch update -------------------------------------------------------------------------
# A subtree the batch touches is a list (cheaper than an object, and this loop is the ingest's hot path):
# [old hash, depth, lo, hi, old encoding (b"" when empty), left child's task, right child's task, new hash], the
# slice [lo, hi) of the sorted updates being the ones under it.
_OLD, _DEPTH, _LO, _HI, _ENC, _LEFT, _RIGHT, _NEW = range(8)


def apply(reader: NodeReader, root: bytes, updates: Mapping[bytes, bytes]) -> tuple[bytes, dict[bytes, bytes]]:
    """Requires ``root`` a root whose nodes ``reader`` holds, and 32-byte keys and values.

    Inserts or overwrites every (key, value) of ``updates`` and returns the new root with the nodes it created
    (hash → encoding); the caller persists them (nothing is written here). It reads only the nodes on the paths
    to the updated keys, one level at a time (one ``get_many`` a level), and creates at most one node a level a
    key, so a batch of b updates on a map of n keys costs O(b log n). The result depends on the final set only:
    neither the order of ``updates`` nor how a history is cut into batches changes a root. An update that sets a
    key to the value it already has changes nothing and creates no node.
    """
    _check_hash("root", root)
    pairs = sorted(_checked_update(k, v) for k, v in updates.items())
    if not pairs:
        return root, {}
    keys = [int.from_bytes(k, "big") for k, _ in pairs]
    created: dict[bytes, bytes] = {}
    top: list = [root, 0, 0, len(pairs), b"", None, None, b""]
    order: list[list] = []
    level = [top]
    while level:  # read downwards, one level of the tree at a time
        encodings = read_nodes(reader, [t[_OLD] for t in level if t[_OLD] != EMPTY_HASH])
        below: list[list] = []
        for task in level:
            order.append(task)
            old = task[_OLD]
            if old == EMPTY_HASH:
                continue
            task[_ENC] = enc = encodings[old]
            if enc[0] == LEAF_TYPE:
                continue
            depth, lo, hi = task[_DEPTH], task[_LO], task[_HI]
            if depth >= MAX_DEPTH:
                raise NotFoundError(f"status map node {old.hex()} is internal at depth 256", code="map.node_corrupt")
            shift = MAX_DEPTH - 1 - depth
            if hi - lo == 1:  # one update below: it goes to one side
                mid = hi if not (keys[lo] >> shift) & 1 else lo
            else:
                mid = bisect_left(keys, ((keys[lo] >> shift) | 1) << shift, lo, hi)
            if lo < mid:
                task[_LEFT] = child = [enc[1:33], depth + 1, lo, mid, b"", None, None, b""]
                below.append(child)
            if mid < hi:
                task[_RIGHT] = child = [enc[33:], depth + 1, mid, hi, b"", None, None, b""]
                below.append(child)
        level = below
    sha256, node_tag = _sha256, NODE_TAG
    for task in reversed(order):  # then hash upwards: every child task comes after its parent
        enc = task[_ENC]
        if not enc:  # an empty subtree: the updates under it are all new keys
            task[_NEW] = _build(pairs, keys, task[_LO], task[_HI], task[_DEPTH], created)
        elif enc[0] == LEAF_TYPE:
            task[_NEW] = _settle_leaf(task, pairs, keys, created)
        else:
            left_task, right_task = task[_LEFT], task[_RIGHT]
            left = enc[1:33] if left_task is None else left_task[_NEW]
            right = enc[33:] if right_task is None else right_task[_NEW]
            if (left_task is None or left == left_task[_OLD]) and (right_task is None or right == right_task[_OLD]):
                task[_NEW] = task[_OLD]
            else:
                h = sha256(node_tag + left + right).digest()
                created[h] = b"\x01" + left + right
                task[_NEW] = h
    return top[_NEW], created


def _settle_leaf(task: list, pairs: list[tuple[bytes, bytes]], keys: list[int], created: dict[bytes, bytes]) -> bytes:
    """One old leaf under the updates [lo, hi): rebuild this subtree from it and them."""
    enc, lo, hi, depth = task[_ENC], task[_LO], task[_HI], task[_DEPTH]
    old_key, old_value = enc[1:33], enc[33:]
    old_int = int.from_bytes(old_key, "big")
    i = bisect_left(keys, old_int, lo, hi)
    if i < hi and keys[i] == old_int:  # the old leaf's key is updated
        if hi - lo == 1 and pairs[i][1] == old_value:
            return task[_OLD]  # type: ignore[no-any-return]
        new = _build(pairs, keys, lo, hi, depth, created)
    else:
        merged = [*pairs[lo:i], (old_key, old_value), *pairs[i:hi]]
        merged_keys = [*keys[lo:i], old_int, *keys[i:hi]]
        new = _build(merged, merged_keys, 0, len(merged), depth, created)
    created.pop(task[_OLD], None)  # the old leaf, moved down unchanged, is already stored
    return new


def _build(
    pairs: list[tuple[bytes, bytes]], keys: list[int], lo: int, hi: int, depth: int, out: dict[bytes, bytes]
) -> bytes:
    """T(S) of the distinct sorted pairs[lo:hi] (hi > lo), all agreeing on their first ``depth`` bits."""
    if hi - lo == 1:
        key, value = pairs[lo]
        h = _sha256(LEAF_TAG + key + value).digest()
        out[h] = b"\x00" + key + value
        return h
    mid = _split(keys, lo, hi, depth)
    left = _build(pairs, keys, lo, mid, depth + 1, out) if lo < mid else EMPTY_HASH
    right = _build(pairs, keys, mid, hi, depth + 1, out) if mid < hi else EMPTY_HASH
    return _internal(left, right, out)


def _internal(left: bytes, right: bytes, out: dict[bytes, bytes]) -> bytes:
    h = _sha256(NODE_TAG + left + right).digest()
    out[h] = b"\x01" + left + right
    return h


def _split(keys: list[int], lo: int, hi: int, depth: int) -> int:
    """The first index in [lo, hi) whose key has bit ``depth`` set (keys[lo:hi] sorted, sharing ``depth`` bits)."""
    shift = MAX_DEPTH - 1 - depth
    return bisect_left(keys, ((keys[lo] >> shift) | 1) << shift, lo, hi)


def _checked_update(key: bytes, value: bytes) -> tuple[bytes, bytes]:
    for name, h in (("key", key), ("value", value)):
        if not isinstance(h, bytes) or len(h) != HASH_BYTES:
            raise InputError(
                f"a status map update's {name} must be {HASH_BYTES} bytes, got {h!r}", code="input.map_update"
            )
    return key, value


_BYTES = (bytes, bytearray)


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, _BYTES) or len(value) != HASH_BYTES:
        got = f"{len(value)} bytes" if isinstance(value, _BYTES) else type(value).__name__
        raise InputError(f"status map {name} must be {HASH_BYTES} bytes, got {got}", code="input.map_hash_length")
