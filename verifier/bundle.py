"""Bundles: a label, the entries that prove its authority and status, and one checkpoint (DESIGN §3).

A bundle is canonical JSON as written; each envelope is carried as the base64 of its exact bytes, so the
verifier checks the bytes the log hashed, never a re-serialization — and a bundle reformatted on its way (its
container re-indented or its members reordered) reads the same, still strictly (no duplicate member, no float).

Two versions, one strict path (canonical bytes, then the bundle schema, which admits both):

- ``carbonledger.bundle/v1``: the label, its entries with inclusion proofs, one checkpoint. A log proves
  inclusion, never absence, so its status is "none seen as of tree size N".
- ``carbonledger.bundle/v2``: v1 plus ``status`` (:mod:`verifier.status_commit`, :mod:`verifier.bundle_status`),
  status map proofs against the checkpoint's ``carbonledger-status/v1`` commitment. The verifier requires
  items for ``("label", label_object_id(scheme, label_id))``, ``("key", the label's signer key id)`` and
  ``("scheme", the label's scheme)``; for a target scheme T other than the label's, ``("pair",
  pair_object_id(scheme, T))`` (record null or no agreements listed: proven absence) and ``("agreement", id)``
  for each agreement the pair record lists, with every entry those agreement records list among the bundle's
  entries; ``("dataset", id)`` for cited datasets may follow. Without the pair item the bundle holds no
  evidence about T (``no_evidence``).
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier import schemas
from verifier.b64 import decode_canonical
from verifier.bundle_status import BundleStatusItem, StatusItemCache, parse_status
from verifier.canonical import canonicalize, check_size, loads_strict, require_canonical
from verifier.envelope import Entry, parse_entry

BUNDLE_VERSION = "carbonledger.bundle/v1"
BUNDLE_VERSION_V2 = "carbonledger.bundle/v2"
BUNDLE_VERSIONS = (BUNDLE_VERSION, BUNDLE_VERSION_V2)
MAX_BUNDLE_BYTES = 16 << 20


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a parsed item is one object (see the cache)
class BundleEntry:
    index: int
    entry: Entry
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Bundle:
    origin: str
    checkpoint: str
    target_scheme: str | None
    entries: tuple[BundleEntry, ...]
    label: BundleEntry  # the entry the document's ``label_entry`` names
    version: str = BUNDLE_VERSION
    status: tuple[BundleStatusItem, ...] | None = None  # bundle v2's status proofs; None in a v1 bundle

    @property
    def proves_status(self) -> bool:
        """A bundle v2: its status is proven by map proofs, not read from the entries it happens to hold."""
        return self.status is not None

    def of_kind(self, *kinds: str) -> tuple[BundleEntry, ...]:
        """The bundle's entries of these kinds, in bundle order."""
        return tuple(e for e in self.entries if e.entry.kind in kinds)


def encode_bundle(
    origin: str,
    checkpoint: str,
    label_entry: str,
    entries: list[tuple[int, bytes, list[bytes]]],
    target_scheme: str | None = None,
    status: list[dict[str, Any]] | None = None,
) -> bytes:
    """The canonical bytes of a bundle: v1, or v2 when ``status`` (the status items, each ``{kind, id, record,
    proof}`` with the proof's base64) is given; the items are sorted by (kind, id) here."""
    doc: dict[str, Any] = {
        "version": BUNDLE_VERSION if status is None else BUNDLE_VERSION_V2,
        "origin": origin,
        "checkpoint": checkpoint,
        "label_entry": label_entry,
        "entries": [
            {"index": i, "envelope": base64.b64encode(env).decode(), "proof": [h.hex() for h in proof]}
            for i, env, proof in sorted(entries, key=lambda t: t[0])
        ],
    }
    if target_scheme:
        doc["target_scheme"] = target_scheme
    if status is not None:
        doc["status"] = sorted(status, key=lambda it: (it["kind"], it["id"]))
    return canonicalize(doc)


ItemKey = tuple[int, str]  # (index, the envelope text's last 48 characters: its signature's base64)
CachedItem = tuple[str, list[str], "BundleEntry"]  # (envelope text, proof hex, the parsed item)


def parse_bundle(
    data: bytes,
    item_cache: dict[ItemKey, CachedItem] | None = None,
    status_cache: StatusItemCache | None = None,
) -> Bundle:
    """Parse a bundle strictly; raise :class:`InputError` (``bundle.*``, ``json.*``) naming the field.

    ``item_cache`` remembers parsed items of earlier bundles: bundles of one shipment against one checkpoint
    share their scheme's registration and authorizations with the same proofs, which then parse once. An item
    is reused only when its full envelope text and proof equal the remembered ones (the short key just finds
    the candidate without hashing kilobytes); entries are immutable, and only items that parsed are kept.
    ``status_cache`` does the same for a v2 bundle's status items (:func:`verifier.bundle_status.parse_status`)."""
    doc = _bundle_shell(data)
    entries: list[BundleEntry] = []
    seen_index: set[int] = set()
    seen_id: set[str] = set()
    label: BundleEntry | None = None
    for i, item in enumerate(doc["entries"]):
        text, proof = item["envelope"], item["proof"]
        key = (item["index"], text[-48:])
        hit = None if item_cache is None else item_cache.get(key)
        if hit is not None and hit[0] == text and hit[1] == proof:
            be = hit[2]
        else:
            if not _split_validators()[1].is_valid(item):
                _refuse_by_schema(doc)
            be = BundleEntry(item["index"], _parse_item(item, f"/entries/{i}"), tuple(map(bytes.fromhex, proof)))
            if item_cache is not None and be.entry.entry_id != doc["label_entry"]:
                item_cache[key] = (text, proof, be)  # shared items only: each label is in one bundle
        if be.index in seen_index or be.entry.entry_id in seen_id:
            field = f"/entries/{i}"
            raise InputError(f"{field} repeats an index or entry", code="bundle.duplicate_entry", field=field)
        seen_index.add(be.index)
        seen_id.add(be.entry.entry_id)
        entries.append(be)
        if be.entry.entry_id == doc["label_entry"]:
            label = be
    if label is None:
        raise InputError("label_entry names no entry of the bundle", code="bundle.no_label", field="/label_entry")
    status = None
    if "status" in doc:  # the schema requires it in v2 and forbids it in v1
        status = parse_status(
            doc["status"], _split_validators()[2].is_valid, lambda: _refuse_by_schema(doc), status_cache
        )
    bundle = Bundle(
        doc["origin"], doc["checkpoint"], doc.get("target_scheme"), tuple(entries), label, doc["version"], status
    )
    if label.entry.kind != "label.issue":
        raise InputError(
            f"label_entry is a {label.entry.kind}, not a label.issue",
            code="bundle.no_label",
            field="/label_entry",
        )
    return bundle


def _bundle_shell(data: bytes) -> dict[str, Any]:
    """The bundle's document: canonical bytes, a known version, valid under the bundle schema but for its
    entries' items (checked one by one, or equal to an item that was), each item of the shape a cache lookup
    reads; or the error naming the fault."""
    check_size(data, MAX_BUNDLE_BYTES, "bundle")
    try:
        doc = require_canonical(data, what="bundle")
    except InputError as e:
        # The bundle is an unsigned container: a copy reformatted by an editor or `python -m json.tool` says
        # the same (what is signed travels inside it as base64 and as records re-serialized for their proofs),
        # so it is read on the strict path that only drops the canonical-form rule — duplicates, floats, NaN,
        # lone surrogates and unsafe integers are still refused.
        if e.code != "json.non_canonical":
            raise
        doc = loads_strict(data, what="bundle")
    if type(doc) is dict and str(doc.get("version", "")).startswith("carbonledger.trust/"):
        raise InputError(
            "this is a trust file, not a label bundle: give the bundle first and this file with --trust",
            code="bundle.is_a_trust_file",
            field="/version",
        )
    if type(doc) is dict and doc.get("version") not in BUNDLE_VERSIONS:
        raise InputError(
            f"unknown bundle version {doc.get('version')!r}; this verifier reads {' and '.join(BUNDLE_VERSIONS)}",
            code="bundle.version",
            field="/version",
        )
    if not (_split_validators()[0].is_valid(doc) and all(map(_plain_item, doc["entries"]))):
        _refuse_by_schema(doc)
    return doc


def _refuse_by_schema(doc: Any) -> None:
    """Raise the bundle schema's first refusal of ``doc`` (one the split validators found)."""
    try:
        schemas.validate("bundle", doc)
    except CarbonLedgerError as e:
        raise InputError(f"bundle: {e.message}", code="bundle.invalid", field=e.field) from e
    raise InputError("bundle: an entry is not an object of index, envelope and proof", code="bundle.invalid")


@cache
def _split_validators() -> tuple[Any, Any, Any]:
    """The bundle schema cut in three, all derived from the shipped schema: the document with its entries'
    and status items unchecked, one entry item, one status item. A document is valid under the whole schema
    exactly when it is valid under the first and each item under the second or third, so items equal to ones
    already checked need no second look."""
    shell = copy.deepcopy(schemas.load_schema("bundle"))
    del shell["properties"]["entries"]["items"]
    del shell["properties"]["status"]["items"]
    item = {"$ref": f"{shell['$id']}#/properties/entries/items"}
    status_item = {"$ref": f"{shell['$id']}#/properties/status/items"}
    return schemas.compile_schema(shell), schemas.compile_schema(item), schemas.compile_schema(status_item)


def _plain_item(item: Any) -> bool:
    """An item with exactly the three members, of the types a cache lookup reads. Its values are checked by
    the item schema, or are equal to an item's that was."""
    return (
        type(item) is dict
        and len(item) == 3
        and type(item.get("index")) is int
        and type(item.get("envelope")) is str
        and type(item.get("proof")) is list
    )


def _parse_item(item: dict[str, Any], field: str) -> Entry:
    try:
        raw = decode_canonical(item["envelope"])
    except ValueError as e:
        raise InputError(
            f"{field}/envelope is not canonical padded base64: {e}", code="bundle.invalid", field=field
        ) from e
    try:
        return parse_entry(raw)
    except CarbonLedgerError as e:
        raise InputError(f"{field}/envelope: {e.message}", code="bundle.bad_entry", field=field) from e
