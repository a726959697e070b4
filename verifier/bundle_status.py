"""A bundle v2's ``status`` member: parsed once per distinct item, proven once per distinct item and root.

The member (:mod:`verifier.status_commit`) is a list, sorted by (kind, id) without repeats, of
``{"kind", "id", "record", "proof"}``; each proof shows ``map_key(kind, id)`` mapping to
``leaf_value(canonical bytes of record)`` (``record`` null: absent) under the root the bundle's checkpoint
commits to (``carbonledger-status/v1`` line). Steps 3, 4, 8 and 10 then read the records it proves.

A shipment's bundles share their key's, scheme's, pair's and agreements' items with the same proofs against
the same root: :func:`parse_status` hands out the item parsed before for the same kind, id, proof text and
record bytes (the parse cache), and :func:`prove_status` verifies a given item against a given root once
(the proof cache, keyed by the item itself: compared by identity, so it stays unique while remembered).
A label's own item is in one bundle only and is never remembered; its proof is checked in its wire form
against the map paths the shipment's other labels proved (:mod:`verifier.proven_map_paths`), never decoded
into an object. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from mapping.errors import CarbonLedgerError, InputError, ProofError
from verifier.b64 import decode_canonical
from verifier.canonical import canonicalize, is_bmp_only
from verifier.proven_map_paths import ProvenMapPaths, wire_form_ok
from verifier.status_commit import ProvenStatus, StatusCommitment, StatusItem
from verifier.status_map import leaf_value, map_key
from verifier.status_map_proof import MAX_PROOF_TEXT, MapProof

__all__ = [
    "BundleStatusItem",
    "StatusItemCache",
    "canonical_part",
    "label_status_id",
    "parse_status",
    "prove_status",
    "signed_time",
]


class BundleStatusItem:
    """One parsed status item: the object, its record with the exact bytes its proof commits to, and the proof
    in its wire form (checked by :func:`verifier.proven_map_paths.wire_form_ok`; :attr:`proof` decodes it).
    Compared and hashed by identity (see the proof cache); nothing changes one once parsed."""

    __slots__ = ("key", "kind", "object_id", "proof_wire", "record", "record_bytes")

    def __init__(
        self, kind: str, object_id: str, record: dict[str, Any] | None, record_bytes: bytes | None, proof_wire: bytes
    ) -> None:
        self.kind, self.object_id, self.record, self.proof_wire = kind, object_id, record, proof_wire
        self.record_bytes = record_bytes  # RFC 8785 bytes of the record; None when the item claims absence
        self.key = (kind, object_id)

    @property
    def proof(self) -> MapProof:
        return MapProof.from_bytes(self.proof_wire)

    def status_item(self) -> StatusItem:
        """The item as :mod:`verifier.status_commit` spells it."""
        return StatusItem(self.kind, self.object_id, self.record, self.proof)


StatusItemCache = dict[tuple[str, str, str], BundleStatusItem]  # (kind, id, proof text) -> the parsed item

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


def canonical_part(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value parsed from a canonical document (float-free): orjson's sorted compact
    form when it holds only Basic Multilingual Plane characters (where the key orders agree, as in
    :func:`verifier.canonical.require_canonical`), else :func:`verifier.canonical.canonicalize`'s. Either way
    the serialization is one-to-one, so a proof that verifies over these bytes commits to exactly ``value``."""
    try:
        data = orjson.dumps(value, option=_SORTED)
    except (TypeError, orjson.JSONEncodeError):
        return canonicalize(value)
    return data if is_bmp_only(data) else canonicalize(value)


def _plain(raw: Any) -> bool:
    """An item with exactly the four members, of the types a cache lookup reads (the item schema checks the
    rest, or the item equals one that it checked)."""
    return (
        type(raw) is dict
        and len(raw) == 4
        and type(raw.get("kind")) is str
        and type(raw.get("id")) is str
        and type(raw.get("proof")) is str
        and "record" in raw
    )


def parse_status(
    values: list[Any],
    item_valid: Callable[[Any], bool],
    refuse: Callable[[], None],
    cache: StatusItemCache | None = None,
) -> tuple[BundleStatusItem, ...]:
    """The bundle's ``status`` list, strictly: each item valid under the bundle schema's status item
    (``item_valid``; ``refuse()`` raises the schema's refusal) or equal to one that was, its proof in its one
    wire encoding, the list sorted by (kind, id) without repeats. Raises :class:`InputError` (``bundle.invalid``)."""
    out: list[BundleStatusItem] = []
    for i, raw in enumerate(values):
        if not _plain(raw):
            refuse()
            raise InputError(f"/status/{i} is not an object of kind, id, record and proof", code="bundle.invalid")
        kind, object_id, text, record = raw["kind"], raw["id"], raw["proof"], raw["record"]
        record_bytes = None if record is None else canonical_part(record)
        hit = None if cache is None else cache.get((kind, object_id, text))
        if hit is not None and hit.record_bytes == record_bytes:
            out.append(hit)
            continue
        if not item_valid(raw):
            refuse()
            raise InputError(f"/status/{i} is not a valid status item", code="bundle.invalid", field=f"/status/{i}")
        try:
            wire = _wire(text)
        except InputError as e:
            field = f"/status/{i}/proof"
            raise InputError(f"{field}: {e.message}", code="bundle.invalid", field=field) from e
        parsed = BundleStatusItem(kind, object_id, record, record_bytes, wire)
        if cache is not None and kind != "label":  # a label's item is in one bundle only
            cache[(kind, object_id, text)] = parsed
        out.append(parsed)
    keys = [it.key for it in out]
    if keys != sorted(set(keys)):
        raise InputError("/status is sorted by kind and id, without repeats", code="bundle.invalid", field="/status")
    return tuple(out)


def _wire(text: str) -> bytes:
    """The proof's wire bytes when ``text`` is exactly a proof's one encoding; else :meth:`MapProof.from_json`'s
    refusal naming the fault (the same refusal as decoding it: :func:`wire_form_ok` is its acceptance)."""
    raw = None
    if len(text) <= MAX_PROOF_TEXT:
        try:
            raw = decode_canonical(text)
        except ValueError:
            raw = None
    if raw is not None and wire_form_ok(raw):
        return raw
    return MapProof.from_json(text).to_bytes()  # raises for every text but a proof's encoding


def prove_status(
    items: tuple[BundleStatusItem, ...],
    commitment: StatusCommitment,
    size: int,
    proven: set[tuple[BundleStatusItem, bytes]] | None = None,
    paths: ProvenMapPaths | None = None,
) -> ProvenStatus:
    """What ``items`` prove against ``commitment`` (the status of tree ``size``); raises :class:`ProofError`
    naming the first item whose proof fails (a forged status is not authentic). ``proven`` remembers the
    (item, root) pairs verified before: a shipment's shared items are verified once; ``paths`` (for this root)
    the map paths proven, which a shipment's labels share (:mod:`verifier.proven_map_paths`)."""
    root = commitment.root
    if paths is None or paths.root != root:
        paths = ProvenMapPaths(root)
    records: dict[tuple[str, str], dict[str, Any] | None] = {}
    for it in items:
        records[it.key] = it.record
        if proven is not None and (it, root) in proven:
            continue
        value = None if it.record_bytes is None else leaf_value(it.record_bytes)
        try:
            paths.verify(map_key(it.kind, it.object_id), value, it.proof_wire, wire_checked=True)
        except CarbonLedgerError as e:
            claim = "absent" if value is None else "with the record it carries"
            raise ProofError(
                f"the status proof for {it.kind} {it.object_id} ({claim}) does not verify against the checkpoint's "
                f"status map root [{e.code}]: {e.message}",
                code=e.code if isinstance(e, ProofError) else "proof.map_malformed",
            ) from e
        if proven is not None and it.kind != "label":
            proven.add((it, root))
    return ProvenStatus(size, commitment.time_s, records)


def label_status_id(scheme: str, label_id: str) -> str:
    """:func:`verifier.status_records.label_object_id` (the canonical JSON array ``[scheme, label_id]``), by
    :func:`canonical_part`: the id of a label's status object."""
    return canonical_part([scheme, label_id]).decode()


@lru_cache(maxsize=256)  # a shipment's bundles share their checkpoint's time
def signed_time(time_s: int) -> str:
    """A commitment's unix time as RFC 3339 UTC (``2026-11-24T12:00:00Z``); beyond year 9999, the number."""
    try:
        return datetime.fromtimestamp(time_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"unix time {time_s}"
