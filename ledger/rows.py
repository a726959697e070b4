"""Between the rule book's records and the store's rows, both ways: what an append writes, what a load reads.

The rule book (``verifier/ledger_state.py``) speaks in records — :class:`KeyRecord`, :class:`SchemeRecord`,
:class:`LabelRecord`, :class:`DatasetRecord`, agreement events; the store (``ledger/tables.py``) in rows.
Each function here turns one into the other and nothing else: no query, no state. The hot path (entries,
labels) writes plain tuples in the column order of :data:`ENTRY_COLUMNS` and :data:`LABEL_COLUMNS`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from mapping.negotiation import AgreementEvent
from verifier.agreements import event_from_payload
from verifier.envelope import Entry, parse_entry, public_key_bytes_from_b64
from verifier.equivalence_offline import KNOWN_CONVERSIONS
from verifier.keys import VerifyingKey
from verifier.ledger_state import AddAgreementEvent, DatasetRecord, KeyRecord, LabelRecord, SchemeRecord

from .tables import AgreementEventRow, DatasetRow, KeyRow, SchemeRow

__all__ = [
    "ENTRY_COLUMNS",
    "LABEL_COLUMNS",
    "agreement_event",
    "agreement_event_row",
    "dataset_record",
    "dataset_row",
    "entry_row",
    "key_id_of",
    "key_record",
    "key_row",
    "label_row",
    "scheme_record",
]

ENTRY_COLUMNS = ("idx", "entry_id", "kind", "signer", "seq", "scheme", "subject", "integrated_ms", "payload", "sig")
LABEL_COLUMNS = (
    "scheme",
    "label_id",
    "entry_id",
    "idx",
    "signer",
    "status",
    "product_name",
    "model",
    "gtin",
    "manufacturer",
)


# ---- written by an append -----------------------------------------------------------------------------------
def entry_row(entry: Entry, index: int, integrated_ms: int) -> tuple[Any, ...]:
    """The entries row of an admitted entry (:data:`ENTRY_COLUMNS`): its scheme and subject are what bundles and
    pages look entries up by (the label id, the key id a key entry is about, the profile, agreement or dataset)."""
    body = entry.body
    kind = entry.kind
    scheme: str | None
    subject: str | None = None
    if kind == "label.issue":
        scheme, subject = body["label"]["scheme"], body["label"]["label_id"]
    elif kind == "scheme.register":
        scheme = body["scheme"]["id"]
    elif kind == "key.authorize":
        scheme, subject = body["scheme"], key_id_of(body["public_key"])
    elif kind == "scheme.rotate":
        scheme, subject = body["scheme"], key_id_of(body["new_public_key"])
    elif kind == "profile.publish":
        scheme, subject = body["scheme"], body["profile"]["id"]
    elif kind == "agreement.propose":
        scheme, subject = body["scheme"], body["terms"]["id"]
    elif kind in ("agreement.accept", "agreement.withdraw"):
        scheme, subject = body["scheme"], body["agreement"]["id"]
    elif kind in ("dataset.publish", "dataset.retire"):
        scheme, subject = body["publisher"], body["dataset"]["id"]
    else:
        scheme = body.get("scheme")
        subject = body.get("label_id") or body.get("key_id")
    return (
        index,
        entry.entry_id,
        kind,
        entry.signer,
        entry.seq,
        scheme,
        subject,
        integrated_ms,
        entry.payload,
        entry.signature,
    )


def label_row(rec: LabelRecord, label: dict[str, Any]) -> tuple[Any, ...]:
    """The labels row of a newly issued label (:data:`LABEL_COLUMNS`), with the product fields search uses."""
    product = label["product"]
    gtin = None
    for ident in product.get("ids", ()):
        if ident["system"] == "gtin":
            gtin = ident["value"]
            break
    return (
        rec.scheme,
        rec.label_id,
        rec.entry_id,
        rec.index,
        rec.signer,
        rec.status,
        product["name"],
        product.get("model"),
        gtin,
        product["manufacturer"]["name"],
    )


def key_row(k: KeyRecord) -> dict[str, Any]:
    return {
        "key_id": k.key_id,
        "public_key": k.verifying_key.public_key,
        "scheme": k.scheme,
        "role": k.role,
        "kinds": " ".join(sorted(k.kinds)),
        "authorized_index": k.authorized_index,
        "not_after": k.not_after.isoformat() if k.not_after else None,
        "revoked_index": k.revoked_index,
        "revoked_from_index": k.revoked_from_index,
        "head_seq": k.head_seq,
        "head_id": k.head_id,
    }


def dataset_row(r: DatasetRecord, title: str | None) -> dict[str, Any]:
    return {
        "dataset_id": r.dataset_id,
        "version": r.version,
        "publisher": r.publisher,
        "entry_id": r.entry_id,
        "idx": r.index,
        "title": title,
    }


def agreement_event_row(a: AddAgreementEvent) -> dict[str, Any]:
    return {
        "idx": a.event.index,
        "entry_id": a.entry_id,
        "agreement_id": a.event.agreement_id,
        "version": a.event.version,
        "kind": a.event.kind,
        "scheme": a.scheme,
        "terms_hash": a.event.terms_hash,
        "at": a.event.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# ---- read by a load -----------------------------------------------------------------------------------------
def key_record(r: KeyRow) -> KeyRecord:
    return KeyRecord(
        r.key_id,
        VerifyingKey(bytes(r.public_key)),
        r.scheme,
        r.role,
        frozenset(r.kinds.split()),
        r.authorized_index,
        datetime.fromisoformat(r.not_after) if r.not_after else None,
        r.revoked_index,
        r.revoked_from_index,
        r.head_seq,
        r.head_id,
    )


def scheme_record(r: SchemeRow) -> SchemeRecord:
    return SchemeRecord(r.scheme_id, r.root_key_id, r.role, r.name, r.registered_index)


def dataset_record(row: DatasetRow) -> DatasetRecord:
    return DatasetRecord(
        row.dataset_id, row.version, row.publisher, row.entry_id, row.idx, row.status, row.retired_index
    )


def agreement_event(row: AgreementEventRow, envelope: bytes) -> AgreementEvent:
    """Rebuild an admitted agreement event (its signer was the party's current root when admitted)."""
    body = parse_entry(envelope).body
    return event_from_payload(
        body,
        index=row.idx,
        at=datetime.fromisoformat(body["signed_at"]),
        signer_scheme=row.scheme,
        signer_is_root=True,
        known_conversions=KNOWN_CONVERSIONS,
    )


def key_id_of(public_key_b64: str) -> str:
    return hashlib.sha256(public_key_bytes_from_b64(public_key_b64, "/public_key")).hexdigest()
