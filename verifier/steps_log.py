"""Steps 5, 6 and 7 of DESIGN §6: what the log's own proofs show.

5. every envelope used is included, by its proof, in the tree of the verified checkpoint — and, for a bundle v2,
   every status map proof verifies against the status root the checkpoint commits to;
6. the checkpoint is signed by the log key and cosigned by at least the threshold of distinct witness keys
   (threshold 0 is reported as "no split-view protection");
7. the checkpoint is consistent with the last one this verifier kept (state passed in, new state returned).

Every proof is checked against the verified checkpoint's own size and root — never against a root stated
elsewhere in the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mapping.errors import CarbonLedgerError, InputError
from verifier.bundle import Bundle
from verifier.bundle_status import label_status_id, prove_status, signed_time
from verifier.merkle import leaf_hash, verify_consistency
from verifier.note import Checkpoint, parse_checkpoint, split_note, verify_note, witness_report
from verifier.proven_map_paths import ProvenMapPaths
from verifier.proven_paths import ProvenPaths
from verifier.report import FAILED, NOT_APPLICABLE, PASSED, Report
from verifier.shipment_cache import VerifierCache
from verifier.status_commit import ProvenStatus, StatusCommitment, status_commitment
from verifier.trust import Trust

__all__ = [
    "KeptCheckpoint",
    "VerifiedCheckpoint",
    "step5_inclusion",
    "step5_status",
    "step6_checkpoint",
    "step7_consistency",
]


@dataclass(frozen=True)
class KeptCheckpoint:
    """The newest checkpoint this buyer verified for a log (step 7 state)."""

    origin: str
    size: int
    root: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "root": self.root.hex()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeptCheckpoint:
        try:
            root = bytes.fromhex(d["root"])
            if len(root) != 32 or not isinstance(d["size"], int) or d["size"] < 0:
                raise ValueError("bad size or root")
            return cls(str(d["origin"]), d["size"], root)
        except (KeyError, ValueError, TypeError) as e:
            raise InputError(f"kept checkpoint state is unusable: {e}", code="state.invalid") from e


# ---- step 6 -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerifiedCheckpoint:
    cp: Checkpoint
    witnesses: list[str]
    newest_cosignature_s: int | None
    status: StatusCommitment | None = None  # the status map root and time the checkpoint commits to, if any
    cosignature_times: tuple[int, ...] = ()  # each counted witness's newest cosignature time, newest first

    def witnessed_s(self, threshold: int) -> int | None:
        """Requires threshold >= 1. The time by which ``threshold`` distinct witnesses had cosigned this
        checkpoint (the threshold-th newest cosignature), None when fewer did: the witnesses' clock, not the
        log's, says how fresh the checkpoint is."""
        times = self.cosignature_times
        return times[threshold - 1] if len(times) >= threshold else None


def step6_checkpoint(
    report: Report, b: Bundle, t: Trust, now: datetime, cache: VerifierCache
) -> VerifiedCheckpoint | None:
    now_s = int(now.timestamp())
    key = (b.checkpoint, t.log_vkey, t.witness_vkeys, t.threshold, now_s)
    hit = cache.checkpoints.get(key)
    if hit is None:
        hit = cache.checkpoints[key] = judge_checkpoint(b.checkpoint, t, now_s)
    vc, status, detail = hit
    if vc is not None:
        report.tree_size = vc.cp.size
    report.set(6, status, detail)
    return vc


def judge_checkpoint(note: str, t: Trust, now_s: int) -> tuple[VerifiedCheckpoint | None, str, str]:
    """Step 6 for one checkpoint note and trust file at the verifier's clock ``now_s``: the verified checkpoint
    (None when the log's key did not sign it), the step's status and its detail. Witnesses count by distinct
    public key, never the log's own; a cosignature dated after ``now_s`` counts neither toward the threshold
    nor for freshness (step 9)."""
    try:
        verify_note(note, [t.log_vkey])  # raises unless the log's key signed it
        cp = parse_checkpoint(split_note(note)[0])
        # one (name, time) per distinct public key: two keys under one name are two witnesses (the name is the
        # operator's choice; cosignature/v1 commits to the key), one key under two names is one
        cos = (
            witness_report(note, list(t.witness_vkeys), cp, now_s=now_s, log_vkey=t.log_vkey).cosigned
            if t.witness_vkeys
            else ()
        )
    except CarbonLedgerError as e:
        return None, FAILED, f"checkpoint not signed by the trusted log key [{e.code}]: {e.message}"
    try:
        commitment = status_commitment(cp)
    except CarbonLedgerError as e:
        return None, FAILED, f"the log signed a checkpoint whose status commitment is malformed [{e.code}]: {e.message}"
    times = tuple(sorted((c.timestamp_s for c in cos if c.timestamp_s is not None), reverse=True))
    vc = VerifiedCheckpoint(cp, sorted(c.name for c in cos), times[0] if times else None, commitment, times)
    if len(vc.witnesses) < t.threshold:
        return vc, FAILED, f"{len(vc.witnesses)} distinct witness cosignatures, {t.threshold} required"
    if t.threshold == 0:
        return vc, PASSED, f"signed by the log at tree size {cp.size}; witness threshold 0: no split-view protection"
    return (
        vc,
        PASSED,
        f"signed by the log at tree size {cp.size} and cosigned by {len(vc.witnesses)} of "
        f"{len(t.witness_vkeys)} witnesses (threshold {t.threshold}): {', '.join(vc.witnesses)}",
    )


# ---- step 5 -----------------------------------------------------------------------------------
def step5_inclusion(report: Report, b: Bundle, vc: VerifiedCheckpoint | None, cache: VerifierCache) -> frozenset[int]:
    """Step 5 over EVERY entry of the bundle (label, authority, status, agreement and dataset entries);
    returns the indexes whose inclusion verified, so steps 8 and 10 never use an entry outside the tree."""
    if vc is None:
        report.set(5, FAILED, "not checked: no verified checkpoint (step 6) to check inclusion against")
        return frozenset()
    size, root = vc.cp.size, vc.cp.root_hash
    # The inclusion paths proven in this tree: a shipment's labels share their upper nodes.
    paths: ProvenPaths = cache.remember(("proven paths", size, root), lambda: ProvenPaths(size, root))
    included: set[int] = set()
    failures: list[str] = []
    for be in b.entries:
        # A parsed item is one object (the item cache hands out the same one only for the same envelope,
        # index and proof), so the item itself keys its verified inclusion in this tree.
        k = (be, size, root)
        if k not in cache.inclusions:
            lh = leaf_hash(be.entry.envelope)
            try:
                paths.verify(lh, be.index, be.proof)
            except CarbonLedgerError as e:
                failures.append(
                    f"{be.entry.kind} at index {be.index} is not in the checkpoint's tree of size "
                    f"{size} [{e.code}]: {e.message}"
                )
                continue
            if be is not b.label:
                cache.inclusions.add(k)
        included.add(be.index)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        report.set(5, FAILED, failures[0] + more)
    else:
        report.set(5, PASSED, f"all {len(b.entries)} envelopes are in the tree of size {size}")
    return frozenset(included)


def step5_status(report: Report, b: Bundle, vc: VerifiedCheckpoint | None, cache: VerifierCache) -> ProvenStatus | None:
    """Step 5 for a bundle v2's status proofs: each verifies against the status root the verified checkpoint
    commits to (a forged or missing proof is not authentic), and the label's record is this bundle's label.
    Returns what they prove; None for a bundle v1, or when step 5 failed."""
    if b.status is None or vc is None:
        return None
    commitment = vc.status
    if commitment is None:
        fail_step5(
            report,
            f"the bundle carries {len(b.status)} status proofs (bundle v2), but its checkpoint commits to no "
            f"status map: they prove nothing",
        )
        return None
    try:
        paths = cache.remember(("map paths", commitment.root), lambda: ProvenMapPaths(commitment.root))
        proven = prove_status(b.status, commitment, vc.cp.size, cache.status_proven, paths)
    except CarbonLedgerError as e:
        fail_step5(report, e.message)
        return None
    label, entry = b.label.entry.body["label"], b.label.entry
    has, record = proven.get("label", label_status_id(label["scheme"], label["label_id"]))
    if has and record is None:
        fail_step5(
            report,
            f"the status map proves no label {label['label_id']} of {label['scheme']} as of tree size "
            f"{vc.cp.size}, yet the bundle's label entry is in the tree",
        )
        return None
    if has and record is not None and (record.get("entry"), record.get("index")) != (entry.entry_id, b.label.index):
        fail_step5(
            report,
            f"the status map's record of label {label['label_id']} of {label['scheme']} names entry "
            f"{str(record.get('entry'))[:16]}… at index {record.get('index')}, not the bundle's label entry "
            f"{entry.entry_id[:16]}… at index {b.label.index}",
        )
        return None
    step5 = report.steps.get(5)
    if step5 is not None and step5.status == PASSED:
        report.set(
            5,
            PASSED,
            f"{step5.detail}; its {len(b.status)} status proofs verify against the status map root the checkpoint "
            f"commits to (signed at {signed_time(commitment.time_s)})",
        )
    return proven


def fail_step5(report: Report, detail: str) -> None:
    """Step 5 fails with ``detail``, after any failure it already holds."""
    old = report.steps.get(5)
    report.set(5, FAILED, detail if old is None or old.status != FAILED else f"{old.detail}; {detail}")


# ---- step 7 -----------------------------------------------------------------------------------
def step7_consistency(
    report: Report, vc: VerifiedCheckpoint | None, kept: KeptCheckpoint | None, proof: list[bytes] | None
) -> None:
    if vc is None:
        report.set(7, NOT_APPLICABLE, "not checked: no verified checkpoint (step 6 failed)")
        return
    cp = vc.cp
    new = KeptCheckpoint(cp.origin, cp.size, cp.root_hash)
    if kept is None or kept.origin != cp.origin:
        report.set(7, PASSED, f"no earlier checkpoint kept for {cp.origin}; keeping tree size {cp.size}")
        report.keep_checkpoint = new.to_dict()
        return
    if kept.size == cp.size:
        if kept.root == cp.root_hash:
            report.set(7, PASSED, f"same tree size {cp.size} and root as the checkpoint kept")
            report.keep_checkpoint = kept.to_dict()
        else:
            report.set(
                7,
                FAILED,
                f"tree size {cp.size} has root {cp.root_hash.hex()[:16]}… here but "
                f"{kept.root.hex()[:16]}… in the checkpoint kept: the log forked",
            )
        return
    if proof is None:
        report.set(
            7,
            NOT_APPLICABLE,
            f"offline: no consistency proof between the kept size {kept.size} and {cp.size}; fetch one with --server",
        )
        report.keep_checkpoint = kept.to_dict()
        return
    small, large = (kept, new) if kept.size < cp.size else (new, kept)
    try:
        verify_consistency(small.size, large.size, proof, small.root, large.root)
    except CarbonLedgerError as e:
        report.set(
            7, FAILED, f"no valid consistency proof from size {small.size} to {large.size} [{e.code}]: {e.message}"
        )
        return
    report.set(7, PASSED, f"consistent with the kept checkpoint (size {kept.size} → {cp.size})")
    report.keep_checkpoint = large.to_dict()  # never move back to a smaller tree
