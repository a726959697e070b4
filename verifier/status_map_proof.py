"""Status map proofs: what a key maps to (or that it maps to nothing) under a root, in O(log n) hashes.

A proof follows the key's bits from the root (``verifier/status_map.py`` defines the tree) to the first node
that is not internal, at depth ``d``, and holds the ``d`` siblings met on the way, top-down, and what it ended at:

- ``present``       the key's own leaf (its value is the caller's claim, so the proof carries neither);
- ``absent_empty``  an empty subtree: no key has this prefix;
- ``absent_leaf``   the leaf of another key that shares the first ``d`` bits: the only key with this prefix.

Verifying: ``h`` = the leaf hash of (key, claimed value), of the other leaf, or ``EMPTY_HASH``; then for
``i = d-1 .. 0``, ``h = SHA-256(NODE_TAG || sibling_i || h)`` when bit ``i`` of the key is 1, else
``SHA-256(NODE_TAG || h || sibling_i)``; the proof holds when ``h`` is the root. Leaf and node hashes have
distinct tags and the tree is a function of its set, so under one root a key has exactly one proof shape:
present with one value, or absent — never both. A tree builder never leaves an empty sibling next to the end
of a path (that leaf or branch would hang higher), so such a proof is refused as not canonical.

Wire form (:meth:`MapProof.to_bytes`; :meth:`MapProof.to_json` is its padded standard base64):

    u8  kind           0 present, 1 absent_empty, 2 absent_leaf
    u16 depth          big-endian, 0 <= depth <= 256
    bitmap             ceil(depth / 8) bytes: bit i (most significant first) is set when sibling i is not
                       EMPTY_HASH; the unused low bits of the last byte are zero
    hashes             32 bytes per set bit, top-down; none is EMPTY_HASH (that is the bitmap's job)
    leaf key, value    32 + 32 bytes, for absent_leaf only
Nothing may follow. Decoding refuses every other spelling, so a proof has one encoding (tests round-trip it).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from mapping.errors import InputError, NotFoundError, OversizedError, ProofError
from verifier.b64 import decode_canonical
from verifier.status_map import (
    EMPTY_HASH,
    HASH_BYTES,
    LEAF_TAG,
    LEAF_TYPE,
    MAX_DEPTH,
    NODE_TAG,
    NodeReader,
    key_bit,
    read_node,
)

__all__ = [
    "ABSENT_EMPTY",
    "ABSENT_LEAF",
    "KINDS",
    "MAX_PROOF_BYTES",
    "MAX_PROOF_TEXT",
    "PRESENT",
    "MapProof",
    "lookup",
    "prove",
    "root_from_map_proof",
    "verify_map_proof",
]

PRESENT = "present"
ABSENT_EMPTY = "absent_empty"
ABSENT_LEAF = "absent_leaf"
KINDS = (PRESENT, ABSENT_EMPTY, ABSENT_LEAF)  # in the order of their wire byte

MAX_PROOF_BYTES = 1 + 2 + MAX_DEPTH // 8 + MAX_DEPTH * HASH_BYTES + 2 * HASH_BYTES  # 8,291
MAX_PROOF_TEXT = 4 * -(-MAX_PROOF_BYTES // 3)  # its base64 length: 11,056 characters

_sha256 = hashlib.sha256


@dataclass(frozen=True, slots=True)
class MapProof:
    """A path from a root towards a key: ``siblings[i]`` is the sibling at depth ``i + 1`` (``EMPTY_HASH`` for an
    empty one), ``len(siblings)`` the depth where the path ends; ``leaf_key``/``leaf_value`` only for
    ``absent_leaf``. Built by :func:`prove` or decoded; checked only by :func:`verify_map_proof`."""

    kind: str
    siblings: tuple[bytes, ...]
    leaf_key: bytes | None = None
    leaf_value: bytes | None = None

    @property
    def depth(self) -> int:
        return len(self.siblings)

    @property
    def hash_count(self) -> int:
        """The hashes the wire form carries: the non-empty siblings."""
        return sum(s != EMPTY_HASH for s in self.siblings)

    def to_bytes(self) -> bytes:
        """Requires a well-formed proof (as :func:`prove` or :meth:`from_bytes` make). Its one wire encoding."""
        depth = len(self.siblings)
        bitmap = 0
        for i, s in enumerate(self.siblings):
            if s != EMPTY_HASH:
                bitmap |= 1 << (-(-depth // 8) * 8 - 1 - i)
        out = [bytes([KINDS.index(self.kind)]), depth.to_bytes(2, "big"), bitmap.to_bytes(-(-depth // 8), "big")]
        out += [s for s in self.siblings if s != EMPTY_HASH]
        if self.kind == ABSENT_LEAF:
            out += [self.leaf_key or b"", self.leaf_value or b""]
        return b"".join(out)

    def to_json(self) -> str:
        """The wire encoding in padded standard base64 (RFC 4648 §4): a JSON string."""
        return base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_json(cls, text: str) -> MapProof:
        """Requires nothing. The proof ``text`` encodes; raises :class:`InputError` for any other spelling."""
        if not isinstance(text, str):
            raise InputError(
                f"a status map proof must be a base64 string, got {type(text).__name__}", code="input.map_proof"
            )
        if len(text) > MAX_PROOF_TEXT:
            raise OversizedError(
                f"a status map proof of {len(text)} characters is over the {MAX_PROOF_TEXT} a depth-256 proof takes",
                code="input.oversized",
            )
        try:
            raw = decode_canonical(text)
        except ValueError as e:
            raise InputError(f"a status map proof is not canonical base64: {e}", code="input.map_proof_base64") from e
        return cls.from_bytes(raw)

    @classmethod
    def from_bytes(cls, data: bytes) -> MapProof:
        """Requires nothing. The proof ``data`` encodes; raises :class:`InputError` unless ``data`` is exactly the
        wire encoding of one (see the module docstring)."""
        if not isinstance(data, bytes):
            raise InputError(f"a status map proof must be bytes, got {type(data).__name__}", code="input.map_proof")
        if len(data) > MAX_PROOF_BYTES:
            raise OversizedError(
                f"a status map proof of {len(data)} bytes is over the {MAX_PROOF_BYTES} a depth-256 proof takes",
                code="input.oversized",
            )
        if len(data) < 3:
            raise InputError(f"a status map proof of {len(data)} bytes is truncated", code="input.map_proof_length")
        if data[0] >= len(KINDS):
            raise InputError(f"status map proof kind byte {data[0]} is not 0, 1 or 2", code="input.map_proof_kind")
        kind, depth = KINDS[data[0]], int.from_bytes(data[1:3], "big")
        if depth > MAX_DEPTH:
            raise InputError(f"status map proof depth {depth} is over {MAX_DEPTH}", code="input.map_proof_depth")
        width = -(-depth // 8)
        if len(data) < 3 + width:
            raise InputError(
                f"status map proof of depth {depth} is truncated in its bitmap", code="input.map_proof_length"
            )
        bitmap = int.from_bytes(data[3 : 3 + width], "big")
        if bitmap & ((1 << (width * 8 - depth)) - 1):
            raise InputError("status map proof bitmap has bits set past its depth", code="input.map_proof_bitmap")
        count = bitmap.bit_count()
        expected = 3 + width + count * HASH_BYTES + (2 * HASH_BYTES if kind == ABSENT_LEAF else 0)
        if len(data) != expected:
            raise InputError(
                f"status map proof ({kind}, depth {depth}, {count} hashes) must be {expected} bytes, got {len(data)}",
                code="input.map_proof_length",
            )
        at = 3 + width
        listed = [data[at + j * HASH_BYTES : at + (j + 1) * HASH_BYTES] for j in range(count)]
        if EMPTY_HASH in listed:
            raise InputError(
                "status map proof lists the empty hash as a sibling (the bitmap says empty)",
                code="input.map_proof_empty",
            )
        it = iter(listed)
        siblings = tuple(next(it) if bitmap >> (width * 8 - 1 - i) & 1 else EMPTY_HASH for i in range(depth))
        tail = at + count * HASH_BYTES
        if kind == ABSENT_LEAF:
            return cls(kind, siblings, data[tail : tail + HASH_BYTES], data[tail + HASH_BYTES :])
        return cls(kind, siblings)


# ---- proving (the log's side) -------------------------------------------------------------------
def _walk(reader: NodeReader, root: bytes, key: bytes) -> tuple[list[bytes], bytes]:
    """The siblings along ``key``'s path from ``root`` and the encoding it ends at (b"" for an empty subtree)."""
    if not isinstance(key, bytes) or len(key) != HASH_BYTES:
        raise InputError(f"a status map key must be {HASH_BYTES} bytes, got {key!r}", code="input.map_hash_length")
    if not isinstance(root, bytes) or len(root) != HASH_BYTES:
        raise InputError(f"a status map root must be {HASH_BYTES} bytes, got {root!r}", code="input.map_hash_length")
    siblings: list[bytes] = []
    node = root
    while node != EMPTY_HASH:
        enc = read_node(reader, node)  # checked: it hashes to ``node``
        if enc[0] == LEAF_TYPE:
            return siblings, enc
        depth = len(siblings)
        if depth >= MAX_DEPTH:
            raise NotFoundError(f"status map node {node.hex()} is internal at depth 256", code="map.node_corrupt")
        if key_bit(key, depth):
            node, sibling = enc[33:], enc[1:33]
        else:
            node, sibling = enc[1:33], enc[33:]
        siblings.append(sibling)
    return siblings, b""


def prove(reader: NodeReader, root: bytes, key: bytes) -> MapProof:
    """Requires ``root`` a root whose nodes ``reader`` holds and a 32-byte key. The proof of what ``key`` maps to
    under ``root``, reading one node a level (about log2(n) + 1.3 for n random keys)."""
    siblings, enc = _walk(reader, root, key)
    if not enc:
        return MapProof(ABSENT_EMPTY, tuple(siblings))
    if enc[1:33] == key:
        return MapProof(PRESENT, tuple(siblings))
    return MapProof(ABSENT_LEAF, tuple(siblings), enc[1:33], enc[33:])


def lookup(reader: NodeReader, root: bytes, key: bytes) -> bytes | None:
    """Requires what :func:`prove` requires. The value ``key`` maps to under ``root``, or None when absent."""
    _, enc = _walk(reader, root, key)
    return enc[33:] if enc and enc[1:33] == key else None


# ---- verifying (the buyer's side: pure, no reader) ---------------------------------------------
def root_from_map_proof(key: bytes, value: bytes | None, proof: MapProof) -> bytes:
    """Requires nothing. The root under which ``proof`` shows ``key`` mapping to ``value`` (None: to nothing).

    Raises :class:`ProofError` when the proof cannot show that under any root. Steps numbered for the tests.
    """
    _check_hash("key", key)  # 1. lengths
    if value is not None:
        _check_hash("value", value)
    if not isinstance(proof, MapProof) or proof.kind not in KINDS or not isinstance(proof.siblings, tuple):
        raise ProofError(f"not a status map proof: {proof!r}", code="proof.map_malformed")  # 2. shape
    depth = len(proof.siblings)
    if depth > MAX_DEPTH:
        raise ProofError(f"status map proof depth {depth} is over {MAX_DEPTH}", code="proof.map_too_deep")
    for i, s in enumerate(proof.siblings):
        _check_hash(f"sibling {i}", s)
    other, other_value = proof.leaf_key, proof.leaf_value
    if (proof.kind == ABSENT_LEAF) != (other is not None and other_value is not None) or (
        proof.kind != ABSENT_LEAF and (other is not None or other_value is not None)
    ):
        raise ProofError(f"a {proof.kind} proof with leaf fields that do not fit it", code="proof.map_malformed")
    if value is not None and proof.kind != PRESENT:  # 3. the claim against what the proof shows
        raise ProofError(
            f"a value is claimed for key {key.hex()}, but the proof shows it absent", code="proof.map_key_absent"
        )
    if value is None and proof.kind == PRESENT:
        raise ProofError(
            f"key {key.hex()} is claimed absent, but the proof shows it present", code="proof.map_key_present"
        )
    if value is not None:  # 4. where the path ends
        h = _sha256(LEAF_TAG + key + value).digest()
    elif other is not None and other_value is not None:  # absent_leaf (the shape check above)
        _check_hash("other leaf's key", other)
        _check_hash("other leaf's value", other_value)
        if other == key:
            raise ProofError(
                f"an absence proof for key {key.hex()} ends at that key's own leaf", code="proof.map_key_present"
            )
        if (int.from_bytes(other, "big") ^ int.from_bytes(key, "big")) >> (MAX_DEPTH - depth):
            raise ProofError(
                f"an absence proof of depth {depth} for key {key.hex()} ends at leaf {other.hex()}, "
                f"which does not share the key's first {depth} bits",
                code="proof.map_leaf_off_path",
            )
        h = _sha256(LEAF_TAG + other + other_value).digest()
    else:
        h = EMPTY_HASH
    if depth and proof.siblings[-1] == EMPTY_HASH:  # 5. canonical: no builder leaves an empty last sibling
        raise ProofError(
            f"status map proof of depth {depth} ends beside an empty subtree: not canonical",
            code="proof.map_not_canonical",
        )
    k = int.from_bytes(key, "big")  # 6. hash up to the root
    for i in range(depth - 1, -1, -1):
        s = proof.siblings[i]
        h = _sha256(NODE_TAG + s + h if (k >> (MAX_DEPTH - 1 - i)) & 1 else NODE_TAG + h + s).digest()
    return h


def verify_map_proof(root: bytes, key: bytes, value: bytes | None, proof: MapProof) -> None:
    """Requires nothing. Raises :class:`ProofError` unless ``proof`` shows ``key`` mapping to ``value`` under
    ``root`` (``value`` None: ``key`` absent). Returns nothing."""
    _check_hash("root", root)
    got = root_from_map_proof(key, value, proof)
    if got != root:  # 7. the root
        what = "absent" if value is None else f"mapping to {value.hex()}"
        raise ProofError(
            f"status map proof for key {key.hex()} {what} leads to root {got.hex()}, not the given root {root.hex()}",
            code="proof.root_mismatch",
        )


_BYTES = (bytes, bytearray)


def _check_hash(name: str, value: object) -> None:
    if not isinstance(value, _BYTES) or len(value) != HASH_BYTES:
        got = f"{len(value)} bytes" if isinstance(value, _BYTES) else type(value).__name__
        raise ProofError(f"status map {name} must be {HASH_BYTES} bytes, got {got}", code="proof.bad_hash_length")
