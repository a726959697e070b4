"""Refreshing a bundle: a newer checkpoint and fresh status proofs for the same label, checked before use.

Issue 16, freshness: a buyer holding a bundle asks a log service (never trusted) for a newer bundle of the same
label. What comes back is accepted as the refresh only when it holds the very label entry of the old bundle (same
entry id at the same index: a server cannot swap the label), proves no less than the old one (status proofs, when
the old bundle carried them or the new checkpoint commits to a status map: a server cannot answer with a bundle v1
that leaves a revocation out), reaches at least the newest tree the buyer has seen, and its checkpoint extends the
old one (a consistency proof from the old tree to the new, RFC 9162 §2.1.4; the same size must have the same root).
Everything else the new bundle claims — signatures, inclusion, status proofs — is what verification checks, as for
any bundle. A refresh that does not extend the old checkpoint (``refresh.inconsistent``) is a forgery or a fork:
only verification against the buyer's trust file can tell which (step 6, then step 7 with the old checkpoint kept).
Pure: the caller fetches.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapping.errors import CarbonLedgerError, InputError, ProofError
from verifier.bundle import Bundle, parse_bundle
from verifier.merkle import verify_consistency
from verifier.note import parse_checkpoint, split_note
from verifier.status_commit import status_lines

__all__ = ["BundleHead", "bundle_head", "check_refresh", "require_not_older"]


@dataclass(frozen=True, slots=True)
class BundleHead:
    """What a refresh needs of a bundle: its label, its target and its checkpoint's tree."""

    origin: str
    label_id: str
    scheme: str
    label_entry: str
    label_index: int
    target_scheme: str | None
    size: int
    root: bytes
    proves_status: bool = False  # a bundle v2: its status is proven by map proofs
    commits_status: bool = False  # its checkpoint commits to a status map (so a bundle of it can prove status)


def bundle_head(data: bytes, what: str = "bundle") -> BundleHead:
    """Parse ``data`` strictly (:func:`verifier.bundle.parse_bundle`) and read its head; raises InputError."""
    try:
        b: Bundle = parse_bundle(data)
        cp = parse_checkpoint(split_note(b.checkpoint)[0])
    except CarbonLedgerError as e:
        raise InputError(f"{what}: {e.message}", code=e.code, field=e.field) from e
    label = b.label.entry.body["label"]
    return BundleHead(
        b.origin,
        label["label_id"],
        label["scheme"],
        b.label.entry.entry_id,
        b.label.index,
        b.target_scheme,
        cp.size,
        cp.root_hash,
        b.proves_status,
        bool(status_lines(cp)),
    )


def check_refresh(old: BundleHead, new_data: bytes, consistency_proof: list[bytes], seen_size: int = 0) -> BundleHead:
    """The new bundle's head when it may replace ``old``; raises InputError (``refresh.*``) saying why not.
    ``seen_size``: the largest tree of this log the buyer has already verified (its kept checkpoint), which a
    refresh may not go below either."""
    new = bundle_head(new_data, "the refreshed bundle")
    if new.origin != old.origin:
        raise InputError(
            f"the server sent a bundle of log {new.origin!r}, not {old.origin!r}", code="refresh.other_log"
        )
    if (new.label_entry, new.label_index) != (old.label_entry, old.label_index):
        raise InputError(
            f"the server sent label entry {new.label_entry[:16]}… at index {new.label_index}, not the bundle's "
            f"{old.label_entry[:16]}… at index {old.label_index}",
            code="refresh.other_label",
        )
    if new.size < old.size:
        raise InputError(
            f"the server's checkpoint (tree size {new.size}) is older than the bundle's ({old.size})",
            code="refresh.older",
        )
    require_not_older(new, seen_size)
    if not new.proves_status and (old.proves_status or new.commits_status):
        had = "the bundle's proven status" if old.proves_status else "its checkpoint's status map"
        raise InputError(
            f"the server sent a bundle without status proofs (a bundle v1) where {had} allows them: "
            f"a refresh never proves less than the bundle it replaces",
            code="refresh.downgrade",
        )
    try:
        verify_consistency(old.size, new.size, consistency_proof, old.root, new.root)
    except ProofError as e:
        raise InputError(
            f"the server's checkpoint at tree size {new.size} does not extend the bundle's at {old.size}: {e.message}",
            code="refresh.inconsistent",
        ) from e
    return new


def require_not_older(head: BundleHead, seen_size: int) -> None:
    """A bundle fetched online is of a tree at least as large as ``seen_size``, the largest this buyer has verified
    (its kept checkpoint): a smaller one would show a status the buyer's own tree may already contradict. Raises
    InputError ``refresh.older``."""
    if head.size < seen_size:
        raise InputError(
            f"the source's checkpoint (tree size {head.size}) is older than the newest this buyer has verified "
            f"({seen_size}): it withholds what the log has since recorded",
            code="refresh.older",
        )
