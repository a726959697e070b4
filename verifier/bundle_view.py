"""What a bundle holds, for a person, read without verifying it (``carbonledger bundle show``).

The bundle is parsed on the verifier's one strict path, so what is shown is what the verifier would read; but
nothing is checked — no signature, no proof, no rule — and the view says so (``verified: false``).
"""

from __future__ import annotations

from typing import Any

from mapping.errors import CarbonLedgerError
from verifier.bundle import parse_bundle
from verifier.checkpoint import parse_checkpoint
from verifier.note_syntax import split_note
from verifier.report import label_summary

__all__ = ["describe_bundle"]


def describe_bundle(data: bytes) -> dict[str, Any]:
    """Requires nothing. The bundle's contents decoded: version, origin, the checkpoint's size and note, each
    entry (index, kind, signer, entry id), the label as stated (:func:`verifier.report.label_summary`) and its
    status items; raises the parser's ``bundle.*`` / ``json.*`` error for a bundle that cannot be read."""
    b = parse_bundle(data)
    try:
        size: int | None = parse_checkpoint(split_note(b.checkpoint)[0]).size
    except CarbonLedgerError:
        size = None  # shown as unreadable; the verifier would refuse it at step 6
    return {
        "verified": False,
        "version": b.version,
        "origin": b.origin,
        "target_scheme": b.target_scheme,
        "tree_size": size,
        "checkpoint": b.checkpoint,
        "label_entry": {"index": b.label.index, "entry_id": b.label.entry.entry_id},
        "label": label_summary(b.label.entry.body.get("label")),
        "entries": [
            {"index": e.index, "kind": e.entry.kind, "signer": e.entry.signer, "entry_id": e.entry.entry_id}
            for e in b.entries
        ],
        "status": None
        if b.status is None
        else [{"kind": it.kind, "id": it.object_id, "record": it.record} for it in b.status],
    }
