"""What the read layer (:mod:`ledger.reads`) returns: the shapes of schemes, entries and label checks, and the
dicts of stored rows, as the API serializes them and the pages render them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mapping.errors import CarbonLedgerError, MappingError
from verifier.b64 import decode_canonical
from verifier.merkle import leaf_hash
from verifier.report import Report

from .tables import EntryRow, LabelRow

__all__ = [
    "EntrySummary",
    "LabelCheck",
    "SchemeInfo",
    "entry_dict",
    "entry_payload",
    "label_fields",
    "scheme_profile",
]


def entry_payload(envelope: bytes) -> dict[str, Any]:
    """The decoded payload of a logged (already admitted) envelope."""
    doc = json.loads(envelope)
    return json.loads(decode_canonical(doc["payload"]))


@dataclass(frozen=True)
class SchemeInfo:
    scheme_id: str
    name: str
    name_zh: str | None
    role: str
    country: str | None
    root_key_id: str
    registered_index: int
    name_zh_hant: str | None = None  # the Traditional form the registration states, if it states one


@dataclass(frozen=True)
class EntrySummary:
    index: int
    kind: str
    signer: str
    scheme: str | None
    subject: str | None
    integrated: str  # ISO 8601, UTC, seconds


@dataclass(frozen=True)
class LabelCheck:
    """The server-side check of a logged label: its bundle's verification report (against the log's own keys,
    about ``to`` on ``at``), and the log's equivalence verdict for ``to`` — or why there is none."""

    report: Report
    verdict: dict[str, Any] | None
    verdict_error: CarbonLedgerError | None


def entry_dict(row: EntryRow) -> dict[str, Any]:
    envelope = row.envelope
    return {
        "index": row.idx,
        "entry_id": row.entry_id,
        "kind": row.kind,
        "signer": row.signer,
        "seq": row.seq,
        "leaf_hash": leaf_hash(envelope).hex(),
        "envelope": json.loads(envelope),
    }


def label_fields(row: LabelRow) -> dict[str, Any]:
    return {
        "label_id": row.label_id,
        "scheme": row.scheme,
        "product": row.product_name,
        "model": row.model,
        "gtin": row.gtin,
        "manufacturer": row.manufacturer,
        "status": row.status,
        "index": row.idx,
    }


def scheme_profile(scheme_id: str) -> dict[str, str] | None:
    from mapping.profiles import get_profile

    try:
        p = get_profile(scheme_id)
    except MappingError:
        return None
    return {"id": p.id, "version": p.version}
