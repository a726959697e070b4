"""Status map proofs against one root that remember the paths already proven (the map's :mod:`verifier.proven_paths`).

:func:`verifier.status_map_proof.root_from_map_proof` hashes from the end of a key's path up to the root; after
the sibling at depth ``i + 1`` its state is the node hash at depth ``i`` on the key's path, and what remains is a
function of that hash, the key's first ``i`` bits and the siblings not yet used. So a state met before with the
same first bits and the same remaining siblings, on a path that led to the root, leads there again: the check
stops at that state instead of hashing to the top. A shipment's labels are keys of one map whose paths share
their upper nodes, so most label proofs hash only a few levels.

Proofs are read in their wire form (:class:`~verifier.status_map_proof.MapProof`'s module docstring), which
:func:`wire_form_ok` checks exactly as :meth:`MapProof.from_bytes` decodes it, so a shipment's proofs are never
decoded into objects: the remaining siblings of a state are the first ``i`` bits of the bitmap and the hashes
they list, compared as bytes. The outcome of :meth:`ProvenMapPaths.verify` is
:func:`verifier.status_map_proof.verify_map_proof`'s on the decoded proof for every input, errors included:
only membership proofs of plain 32-byte ``bytes`` in the canonical shape take the remembered path; anything
else, and any proof that does not reach the root, goes to that reference (which names the fault). Pure.
"""

from __future__ import annotations

import hashlib

from verifier.status_map import EMPTY_HASH, HASH_BYTES, LEAF_TAG, MAX_DEPTH, NODE_TAG
from verifier.status_map_proof import MAX_PROOF_BYTES, MapProof, verify_map_proof

__all__ = ["ProvenMapPaths", "wire_form_ok"]

_PRESENT, _ABSENT_LEAF = 0, 2  # wire kind bytes


def wire_form_ok(raw: bytes) -> bool:
    """Whether ``raw`` is exactly the wire encoding of a proof (what :meth:`MapProof.from_bytes` accepts)."""
    if type(raw) is not bytes or not 3 <= len(raw) <= MAX_PROOF_BYTES or raw[0] > _ABSENT_LEAF:
        return False
    depth = (raw[1] << 8) | raw[2]
    width = (depth + 7) >> 3
    if depth > MAX_DEPTH or len(raw) < 3 + width:
        return False
    bitmap = int.from_bytes(raw[3 : 3 + width], "big")
    if bitmap & ((1 << (width * 8 - depth)) - 1):
        return False
    at = 3 + width
    tail = at + bitmap.bit_count() * HASH_BYTES
    if len(raw) != tail + (2 * HASH_BYTES if raw[0] == _ABSENT_LEAF else 0):
        return False
    listed = raw[at:tail]
    if EMPTY_HASH in listed:  # rare: look at the hashes one by one
        return all(listed[j : j + HASH_BYTES] != EMPTY_HASH for j in range(0, len(listed), HASH_BYTES))
    return True


class ProvenMapPaths:
    """The status map paths proven under ``root``."""

    LIMIT = 1 << 16  # remembered states; cleared when full

    def __init__(self, root: bytes) -> None:
        self.root = root
        self._states: dict[tuple[int, int, bytes], tuple[int, bytes]] = {}

    def verify(self, key: bytes, value: bytes | None, raw: bytes, *, wire_checked: bool = False) -> None:
        """Raises :class:`~mapping.errors.ProofError` unless ``raw`` (a proof's wire form; ``wire_checked``: already
        found so by :func:`wire_form_ok`) shows ``key`` mapping to ``value`` (None: absent) under this root,
        exactly as :func:`verify_map_proof` does for the decoded proof (whose decoding refuses any other bytes)."""
        root = self.root
        depth = (raw[1] << 8) | raw[2] if type(raw) is bytes and len(raw) >= 3 else 0
        width = (depth + 7) >> 3
        bitmap = int.from_bytes(raw[3 : 3 + width], "big") if depth else 0
        if not (
            type(root) is bytes
            and len(root) == HASH_BYTES
            and type(key) is bytes
            and len(key) == HASH_BYTES
            and type(value) is bytes
            and len(value) == HASH_BYTES
            and (wire_checked or wire_form_ok(raw))
            and raw[0] == _PRESENT
            and (depth == 0 or bitmap & (1 << (width * 8 - depth)))  # canonical: the last sibling is not empty
        ):
            verify_map_proof(root, key, value, MapProof.from_bytes(raw))  # the reference decides
            return
        sha256 = hashlib.sha256
        states, met = self._states, []
        k = int.from_bytes(key, "big")
        h = sha256(LEAF_TAG + key + value).digest()
        at, pos, shift = 3 + width, len(raw), width * 8 - 1
        for i in range(depth - 1, -1, -1):  # root_from_map_proof's loop, its state looked up
            if (bitmap >> (shift - i)) & 1:
                s = raw[pos - HASH_BYTES : pos]
                pos -= HASH_BYTES
            else:
                s = EMPTY_HASH
            h = sha256(NODE_TAG + s + h if (k >> (MAX_DEPTH - 1 - i)) & 1 else NODE_TAG + h + s).digest()
            state = (i, k >> (MAX_DEPTH - i), h)  # the node at depth i on the key's path, by its first i bits
            rest = (bitmap >> (shift + 1 - i), raw[at:pos])  # the siblings above it: their bits and hashes
            if states.get(state) == rest:
                break  # this state, with these remaining siblings, was proven to lead to the root
            met.append((state, rest))
        else:
            if h != root:
                verify_map_proof(root, key, value, MapProof.from_bytes(raw))  # raises, naming the fault
                raise AssertionError("the reference accepted a status map proof this loop refused")
        if len(states) + len(met) > self.LIMIT:
            states.clear()
        for state, rest in met:
            states[state] = rest
