"""How a checkpoint commits to the status map, and how a bundle carries status proofs (bundle v2).

**The commitment** is one extension line of the checkpoint body (C2SP tlog-checkpoint: after the root hash, a
checkpoint "may" carry extension lines, which verifiers that do not know them ignore, so the checkpoint stays a
standard one), signed by the log's signature over the body and by every witness cosignature over it::

    carbonledger-status/v1 <base64 of the 32-byte map root> <unix seconds>

The root is the status map's (:mod:`verifier.status_map`) after folding every entry below the checkpoint's
tree size through the rule book (:mod:`verifier.status_records`); the time is when the log signed it, so a
buyer knows how old the status is. A log-signed entry would have cost a leaf per checkpoint and a circular
"status as of the entry before this one"; the line costs nothing and a witness's cosignature covers it.

**In a bundle** (``carbonledger.bundle/v2``) the member ``status`` is a list, sorted by (kind, id) and
without repeats, of ``{"kind", "id", "record", "proof"}``: ``record`` the object's status record (a JSON
object, absent objects ``null``), ``proof`` the base64 :class:`~verifier.status_map_proof.MapProof` of
``map_key(kind, id)`` mapping to ``leaf_value(canonical bytes of record)`` (or absent) under the root the
bundle's checkpoint commits to. Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from mapping.errors import InputError, NoteError
from verifier.canonical import canonicalize
from verifier.checkpoint import Checkpoint
from verifier.status_map import KINDS, leaf_value, map_key
from verifier.status_map_proof import MapProof, verify_map_proof

__all__ = [
    "STATUS_EXTENSION",
    "ProvenStatus",
    "StatusCommitment",
    "StatusItem",
    "format_status_extension",
    "parse_status_items",
    "status_commitment",
    "status_lines",
    "verify_status_items",
]

STATUS_EXTENSION = "carbonledger-status/v1"
_LINE = re.compile(r"carbonledger-status/v1 ([A-Za-z0-9+/]{43}=) (0|[1-9][0-9]{0,11})")
MAX_STATUS_ITEMS = 256


@dataclass(frozen=True, slots=True)
class StatusCommitment:
    root: bytes  # the status map's root at the checkpoint's tree size
    time_s: int  # when the log signed it (unix seconds)


def format_status_extension(root: bytes, time_s: int) -> str:
    if len(root) != 32 or time_s < 0:
        raise ValueError("a status commitment is a 32-byte root and a non-negative time")
    return f"{STATUS_EXTENSION} {base64.b64encode(root).decode()} {time_s}"


def status_lines(cp: Checkpoint) -> list[str]:
    """The checkpoint's extension lines of the ``carbonledger-status/v1`` kind (well formed or not)."""
    return [line for line in cp.extensions if line.split(" ", 1)[0] == STATUS_EXTENSION]


def status_commitment(cp: Checkpoint) -> StatusCommitment | None:
    """The checkpoint's status commitment; None when it has none. A checkpoint with two such lines, or a
    malformed one, is refused (``checkpoint.malformed``): the log signed an ambiguous status."""
    lines = status_lines(cp)
    if not lines:
        return None
    match = _LINE.fullmatch(lines[0]) if len(lines) == 1 else None
    root = base64.b64decode(match.group(1)) if match else b""
    if match is None or base64.b64encode(root).decode() != match.group(1):
        raise NoteError(
            f"checkpoint carries {len(lines)} {STATUS_EXTENSION} lines, or one not of the form "
            f"'{STATUS_EXTENSION} <base64 root> <unix seconds>'",
            code="checkpoint.malformed",
        )
    return StatusCommitment(root, int(match.group(2)))


@dataclass(frozen=True, slots=True)
class StatusItem:
    kind: str
    object_id: str
    record: dict[str, Any] | None
    proof: MapProof


@dataclass(frozen=True, slots=True)
class ProvenStatus:
    """The records a bundle proves against its checkpoint's commitment: ``records[(kind, id)]`` is the
    object's record, or None when the map proves it absent."""

    size: int
    time_s: int
    records: dict[tuple[str, str], dict[str, Any] | None]

    def get(self, kind: str, object_id: str) -> tuple[bool, dict[str, Any] | None]:
        """(proven, record): proven False when the bundle carries no proof for this object."""
        key = (kind, object_id)
        return (key in self.records, self.records.get(key))


def parse_status_items(value: Any, field: str = "/status") -> tuple[StatusItem, ...]:
    """A bundle's ``status`` member, strictly: a sorted list without repeats of the four-member objects."""
    if type(value) is not list or len(value) > MAX_STATUS_ITEMS:
        raise InputError(f"{field} is a list of at most {MAX_STATUS_ITEMS} status proofs", code="bundle.invalid")
    items: list[StatusItem] = []
    for i, item in enumerate(value):
        where = f"{field}/{i}"
        if type(item) is not dict or set(item) != {"kind", "id", "record", "proof"}:
            raise InputError(f"{where} has exactly kind, id, record and proof", code="bundle.invalid", field=where)
        kind, object_id, record = item["kind"], item["id"], item["record"]
        if kind not in KINDS or type(object_id) is not str or not 0 < len(object_id) <= 512:
            raise InputError(f"{where} names no status object", code="bundle.invalid", field=where)
        if record is not None and type(record) is not dict:
            raise InputError(f"{where}/record is an object or null", code="bundle.invalid", field=f"{where}/record")
        try:
            proof = MapProof.from_json(item["proof"])
        except InputError as e:
            raise InputError(f"{where}/proof: {e.message}", code="bundle.invalid", field=f"{where}/proof") from e
        items.append(StatusItem(kind, object_id, record, proof))
    keys = [(it.kind, it.object_id) for it in items]
    if keys != sorted(set(keys)):
        raise InputError(f"{field} is sorted by kind and id, without repeats", code="bundle.invalid", field=field)
    return tuple(items)


def verify_status_items(items: tuple[StatusItem, ...], commitment: StatusCommitment, size: int) -> ProvenStatus:
    """Every item's proof against the commitment; raises :class:`~mapping.errors.ProofError` at the first
    that fails (a forged status is not authentic)."""
    records: dict[tuple[str, str], dict[str, Any] | None] = {}
    for it in items:
        value = None if it.record is None else leaf_value(canonicalize(it.record))
        verify_map_proof(commitment.root, map_key(it.kind, it.object_id), value, it.proof)
        records[(it.kind, it.object_id)] = it.record
    return ProvenStatus(size, commitment.time_s, records)
