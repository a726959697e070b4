"""Bundles: a label, the entries that prove its authority and status, and one checkpoint (DESIGN §3).

A bundle is canonical JSON; each envelope is carried as the base64 of its exact
bytes, so the verifier checks the bytes the log hashed, never a re-serialization.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier import schemas
from verifier.canonical import canonicalize, require_canonical
from verifier.envelope import Entry, parse_entry

BUNDLE_VERSION = "carbonledger.bundle/v1"
MAX_BUNDLE_BYTES = 16 << 20


@dataclass(frozen=True)
class BundleEntry:
    index: int
    entry: Entry
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Bundle:
    origin: str
    checkpoint: str
    label_entry: str
    target_scheme: str | None
    entries: tuple[BundleEntry, ...]

    @property
    def label(self) -> BundleEntry:
        return next(e for e in self.entries if e.entry.entry_id == self.label_entry)


def encode_bundle(
    origin: str,
    checkpoint: str,
    label_entry: str,
    entries: list[tuple[int, bytes, list[bytes]]],
    target_scheme: str | None = None,
) -> bytes:
    doc: dict[str, Any] = {
        "version": BUNDLE_VERSION,
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
    return canonicalize(doc)


def parse_bundle(data: bytes, entry_cache: dict[str, Entry] | None = None) -> Bundle:
    """Parse a bundle strictly; raise :class:`InputError` (``bundle.*``, ``json.*``) naming the field.

    ``entry_cache`` maps an envelope's base64 text to its parsed entry: bundles of one shipment share
    their scheme's registration and authorizations, which then parse once (entries are immutable, and
    only envelopes that parsed are cached)."""
    doc = require_canonical(data, max_bytes=MAX_BUNDLE_BYTES, what="bundle")
    if isinstance(doc, dict) and doc.get("version") != BUNDLE_VERSION:
        raise InputError(
            f"unknown bundle version {doc.get('version')!r}; this verifier reads {BUNDLE_VERSION}",
            code="bundle.version",
            field="/version",
        )
    try:
        schemas.validate("bundle", doc)
    except CarbonLedgerError as e:
        raise InputError(f"bundle: {e.message}", code="bundle.invalid", field=e.field) from e
    entries: list[BundleEntry] = []
    seen_index: set[int] = set()
    seen_id: set[str] = set()
    for i, item in enumerate(doc["entries"]):
        field = f"/entries/{i}"
        entry = None if entry_cache is None else entry_cache.get(item["envelope"])
        if entry is None:
            entry = _parse_item(item, field)
            if entry_cache is not None:
                entry_cache[item["envelope"]] = entry
        if item["index"] in seen_index or entry.entry_id in seen_id:
            raise InputError(f"{field} repeats an index or entry", code="bundle.duplicate_entry", field=field)
        seen_index.add(item["index"])
        seen_id.add(entry.entry_id)
        entries.append(BundleEntry(item["index"], entry, tuple(bytes.fromhex(h) for h in item["proof"])))
    if doc["label_entry"] not in seen_id:
        raise InputError("label_entry names no entry of the bundle", code="bundle.no_label", field="/label_entry")
    bundle = Bundle(doc["origin"], doc["checkpoint"], doc["label_entry"], doc.get("target_scheme"), tuple(entries))
    if bundle.label.entry.kind != "label.issue":
        raise InputError(
            f"label_entry is a {bundle.label.entry.kind}, not a label.issue",
            code="bundle.no_label",
            field="/label_entry",
        )
    return bundle


def _parse_item(item: dict[str, Any], field: str) -> Entry:
    try:
        raw = binascii.a2b_base64(item["envelope"])
    except (binascii.Error, ValueError) as e:
        raise InputError(f"{field}/envelope is not base64: {e}", code="bundle.invalid", field=field) from e
    if base64.b64encode(raw).decode() != item["envelope"]:
        raise InputError(f"{field}/envelope is not canonical padded base64", code="bundle.invalid", field=field)
    try:
        return parse_entry(raw)
    except CarbonLedgerError as e:
        raise InputError(f"{field}/envelope: {e.message}", code="bundle.bad_entry", field=field) from e
