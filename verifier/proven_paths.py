"""Inclusion checks against one tree that remember the paths already proven (compiled: see verifier/__init__).

RFC 9162 §2.1.3.2's loop is a function of its state (fn, sn, r) and the proof hashes not yet used, so a state
met before with the same remaining hashes, on a path that led to the root, leads there again: the check stops
at that state instead of hashing to the top. Proofs of neighbouring leaves (a shipment's labels) share their
upper states, so most checks hash only a few levels. The outcome is :func:`verifier.merkle.verify_inclusion`'s
for every input, errors included: anything but plain ints and 32-byte ``bytes`` goes to that reference (the
tests cross-check the two over shared memos).
"""

from __future__ import annotations

import hashlib
from typing import cast

from verifier.merkle import HASH_BYTES, NODE_PREFIX, inclusion_proof_length, verify_inclusion


class ProvenPaths:
    """The inclusion paths proven in the tree of ``size`` leaves with root ``root``."""

    LIMIT = 1 << 16  # remembered states; cleared when full

    def __init__(self, size: object, root: object) -> None:
        # Typed ``object``: compiled code sees the values as given (a bool is not turned into an int).
        self.size = size
        self.root = root
        self._states: dict[tuple[int, int, bytes], tuple[bytes, ...]] = {}

    def verify(self, leaf: object, index: object, proof: object) -> None:
        """Raises :class:`ProofError` unless ``proof`` shows ``leaf`` at ``index`` in this tree."""
        size, root = self.size, self.root
        given: tuple[object, ...] | None = tuple(proof) if isinstance(proof, list | tuple) else None
        if not (
            type(size) is int
            and type(index) is int
            and 0 <= index < size
            and type(root) is bytes
            and len(root) == HASH_BYTES
            and type(leaf) is bytes
            and len(leaf) == HASH_BYTES
            and given is not None
            and len(given) == inclusion_proof_length(index, size)
            and all(type(p) is bytes and len(p) == HASH_BYTES for p in given)
        ):
            verify_inclusion(leaf, index, size, proof, root)  # type: ignore[arg-type]  # the reference decides
            return
        assert type(size) is int and type(index) is int and type(leaf) is bytes and type(root) is bytes
        path = cast(tuple[bytes, ...], given)
        states, met = self._states, []
        fn, sn, r = index, size - 1, leaf
        sha256 = hashlib.sha256
        for j, p in enumerate(path, 1):  # the loop of merkle.root_from_inclusion_proof, its state looked up
            if fn & 1 or fn == sn:
                r = sha256(NODE_PREFIX + p + r).digest()
                if not fn & 1:
                    while fn and not fn & 1:
                        fn, sn = fn >> 1, sn >> 1
            else:
                r = sha256(NODE_PREFIX + r + p).digest()
            fn, sn = fn >> 1, sn >> 1
            state = (fn, sn, r)
            rest = states.get(state)
            if rest is not None and rest == path[j:]:
                break  # this state, with these remaining hashes, was proven to lead to the root
            met.append((state, j))
        else:
            if sn != 0 or r != root:
                verify_inclusion(leaf, index, size, path, root)  # raises, naming the fault
                raise AssertionError("the reference accepted a proof this loop refused")
        if len(states) + len(met) > self.LIMIT:
            states.clear()
        for state, j in met:
            states[state] = path[j:]
