"""A naive status map, written from the definition in verifier/status_map.py's docstring and nothing else.

It holds a plain dict of every (key, value) pair and recomputes everything by recursive splitting on bits, with
no stored nodes, no batching and no cleverness. The tags and the empty hash are spelled out here again, so the
tests also catch a constant that drifted. Used only to cross-check the fast code, never by it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

KEY_TAG = b"carbonledger/status-map/v1/key\x00"
VALUE_TAG = b"carbonledger/status-map/v1/value\x00"
LEAF_TAG = b"carbonledger/status-map/v1/leaf\x00"
NODE_TAG = b"carbonledger/status-map/v1/node\x00"
EMPTY = b"\x00" * 32


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_key(kind: str, object_id: str) -> bytes:
    return sha(KEY_TAG + bytes([len(kind)]) + kind.encode() + object_id.encode())


def ref_value(record: bytes) -> bytes:
    return sha(VALUE_TAG + record)


def bit(key: bytes, i: int) -> int:
    """Bit i of the key, most significant first: bit 7 - i % 8 of byte i // 8."""
    return (key[i // 8] >> (7 - i % 8)) & 1


def ref_root(pairs: Mapping[bytes, bytes], depth: int = 0) -> bytes:
    """T(S) for the pairs under a node at ``depth`` (they all agree on their first ``depth`` bits)."""
    if not pairs:
        return EMPTY
    if len(pairs) == 1:
        ((key, value),) = pairs.items()
        return sha(LEAF_TAG + key + value)
    left = {k: v for k, v in pairs.items() if bit(k, depth) == 0}
    right = {k: v for k, v in pairs.items() if bit(k, depth) == 1}
    return sha(NODE_TAG + ref_root(left, depth + 1) + ref_root(right, depth + 1))


def ref_path(pairs: Mapping[bytes, bytes], key: bytes) -> tuple[str, list[bytes], tuple[bytes, bytes] | None]:
    """What a proof for ``key`` must hold: its kind, the siblings top-down, and the other leaf it ends at."""
    siblings: list[bytes] = []
    here = dict(pairs)
    depth = 0
    while True:
        if not here:
            return "absent_empty", siblings, None
        if len(here) == 1:
            ((k, v),) = here.items()
            return ("present", siblings, None) if k == key else ("absent_leaf", siblings, (k, v))
        same = {k: v for k, v in here.items() if bit(k, depth) == bit(key, depth)}
        other = {k: v for k, v in here.items() if bit(k, depth) != bit(key, depth)}
        siblings.append(ref_root(other, depth + 1))
        here, depth = same, depth + 1
