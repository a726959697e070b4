"""What a monitor run finds, and the verdict and exit code it comes to. Pure: no I/O, no clock.

Exit codes (stable; ``carbonledger monitor``): 0 every checkpoint consistent and every entry obeys the rule
book; 9 the log broke a rule, or a root it signed is not the one its entries give (the tree's, or the status
map's — of any log-signed checkpoint seen, the log's or a witness's, at any size the monitor replayed), or a
checkpoint signs an ambiguous status commitment, or a consistency proof served fails where the entries prove the
two checkpoints consistent, or the log's newest checkpoint is smaller than one it served before (``log.rollback``:
consistent, so no split view, but the log — or the mirror followed — shows readers an older tree than one it
signed, the "freeze" that hides newer entries; like a mirror's bad proof it is something served that is wrong, and
an operator must look); 10 a split view: two checkpoints signed by the log's key that no one tree can have (the
same size with two roots, or a consistency proof between them that fails and entries that do not prove them
consistent), with both signed notes as evidence — or one checkpoint no tree can have (size 0 with a root other
than the empty tree's), with that note as the evidence. A split view outranks a broken rule: it is proof that
the log showed different histories to different readers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from mapping.errors import NoteError
from verifier.checkpoint import Checkpoint
from verifier.status_commit import status_commitment

__all__ = [
    "BAD_PROOF",
    "BROKEN",
    "CONSISTENT",
    "EXIT_BROKEN",
    "EXIT_CONSISTENT",
    "EXIT_SPLIT_VIEW",
    "ROLLBACK",
    "RULE",
    "SPLIT",
    "SPLIT_VIEW",
    "STATUS_ROOT",
    "TREE_ROOT",
    "Finding",
    "RunReport",
    "WitnessSeen",
    "b64",
    "bad_proof_finding",
    "empty_tree_finding",
    "rollback_finding",
    "rule_finding",
    "split_view_finding",
    "split_view_from_dict",
    "status_check",
    "status_root_finding",
    "tree_root_finding",
]

EXIT_CONSISTENT, EXIT_BROKEN, EXIT_SPLIT_VIEW = 0, 9, 10
CONSISTENT, BROKEN, SPLIT_VIEW = "consistent", "broken", "split_view"

# finding types
RULE = "rule"  # an entry the rule book refuses (or that does not even parse)
TREE_ROOT = "tree_root_mismatch"  # the entries do not rebuild the checkpoint's Merkle root
STATUS_ROOT = "status_root_mismatch"  # the entries do not give the status root the checkpoint commits to
SPLIT = "split_view"
BAD_PROOF = "bad_proof"  # a consistency proof that fails where the entries prove the checkpoints consistent
ROLLBACK = "rollback"  # the log's newest checkpoint is smaller than one it served before


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Finding:
    """One thing the log did wrong. ``rule`` is the stable code (the rule book's error code for an entry)."""

    type: str
    rule: str
    message: str
    index: int | None = None
    entry_id: str | None = None
    size: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "rule": self.rule, "message": self.message}
        for name in ("index", "entry_id", "size"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out | self.evidence

    @property
    def exit_code(self) -> int:
        return EXIT_SPLIT_VIEW if self.type == SPLIT else EXIT_BROKEN


def rule_finding(index: int, entry_id: str | None, rule: str, message: str) -> Finding:
    where = f"entry {index}" + (f" ({entry_id})" if entry_id else "")
    return Finding(RULE, rule, f"{where} breaks {rule}: {message}", index=index, entry_id=entry_id)


def tree_root_finding(size: int, signed: bytes, computed: bytes, index: int | None, entry_id: str | None) -> Finding:
    culprit = f"; the first entry whose inclusion proof fails is {index} ({entry_id})" if index is not None else ""
    return Finding(
        TREE_ROOT,
        "log.root_mismatch",
        f"the checkpoint of size {size} signs the tree root {b64(signed)}, but its {size} entries give "
        f"{b64(computed)}{culprit}",
        index=index,
        entry_id=entry_id,
        size=size,
        evidence={"signed_root": b64(signed), "computed_root": b64(computed)},
    )


def status_root_finding(
    size: int, committed: bytes | None, computed: bytes, source: str | None = None, note: str | None = None
) -> Finding:
    """The checkpoint of ``size`` commits to ``committed`` (None: to no status root), the replay gives ``computed``.
    ``source`` and ``note``: where a checkpoint other than the one followed came from, and its signed note."""
    where, extra = _from(source, note)
    if committed is None:
        msg = f"the checkpoint of size {size}{where} commits to no status map root (no carbonledger-status/v1 line)"
        return Finding(
            STATUS_ROOT, "status.no_commitment", msg, size=size, evidence={"computed_root": b64(computed)} | extra
        )
    return Finding(
        STATUS_ROOT,
        "status.root_mismatch",
        f"the checkpoint of size {size}{where} commits to the status map root {b64(committed)}, but replaying its "
        f"{size} entries through the rule book gives {b64(computed)}",
        size=size,
        evidence={"committed_root": b64(committed), "computed_root": b64(computed)} | extra,
    )


def _from(source: str | None, note: str | None) -> tuple[str, dict[str, Any]]:
    """The words naming where a checkpoint other than the one followed came from, and the evidence naming it."""
    where = f" (from {source})" if source is not None else ""
    return where, ({} if note is None else {"source": source, "note": note})


def status_check(cp: Checkpoint, computed: bytes, source: str | None = None, note: str | None = None) -> Finding | None:
    """Requires ``computed`` to be the status map root the replay gives at ``cp``'s size. None when ``cp`` commits to
    it; else the finding: no commitment, another root, or an ambiguous commitment (two status lines, or a malformed
    one: the error's own code, ``checkpoint.malformed``)."""
    try:
        commitment = status_commitment(cp)
    except NoteError as e:
        where, extra = _from(source, note)
        msg = f"the checkpoint of size {cp.size}{where} signs an ambiguous status commitment: {e.message}"
        return Finding(STATUS_ROOT, e.code, msg, size=cp.size, evidence={"computed_root": b64(computed)} | extra)
    if commitment is not None and commitment.root == computed:
        return None
    return status_root_finding(cp.size, None if commitment is None else commitment.root, computed, source, note)


def rollback_finding(size: int, kept_size: int) -> Finding:
    """The log's newest checkpoint (of ``size``, consistent or not) is smaller than the kept one it served before."""
    return Finding(
        ROLLBACK,
        "log.rollback",
        f"the log's newest checkpoint is of size {size}, smaller than the checkpoint of size {kept_size} it served "
        f"before: it shows readers an older tree than one it signed (a frozen or rolled-back log, or a stale mirror)",
        size=size,
        evidence={"kept_size": kept_size},
    )


def bad_proof_finding(old_size: int, size: int, proof: list[bytes]) -> Finding:
    """The source's consistency proof failed, but its entries appended to the kept ones rebuild the signed root:
    the newer checkpoint extends the kept one (RFC 9162 §2.1.1, the root is the hash over the leaves), so no split
    view — what the source served as the proof (a hash tile, say) is wrong."""
    return Finding(
        BAD_PROOF,
        "log.bad_proof",
        f"the consistency proof served from size {old_size} to {size} does not verify, yet the entries served "
        f"rebuild the signed root of size {size} on the kept tree: the checkpoints are consistent, the proof "
        f"(or the hash tiles it is read from) is wrong",
        size=size,
        evidence={"consistency_proof": [h.hex() for h in proof]},
    )


def split_view_finding(why: str, note_a: str, note_b: str, source_b: str, proof: list[bytes] | None) -> Finding:
    evidence: dict[str, Any] = {"notes": [note_a, note_b], "source": source_b}
    if proof is not None:
        evidence["consistency_proof"] = [h.hex() for h in proof]
    return Finding(SPLIT, "log.split_view", why, evidence=evidence)


def empty_tree_finding(note: str, source: str, root: bytes) -> Finding:
    """A log-signed checkpoint of size 0 whose root is not the empty tree's: no tree has it, the note alone is the
    evidence (RFC 9162 §2.1.1: the root of the empty tree is the hash of the empty string)."""
    why = (
        f"the log signed a checkpoint of size 0 with root {b64(root)} (from {source}): a tree of size 0 has only "
        f"the empty root"
    )
    return Finding(SPLIT, "log.split_view", why, evidence={"notes": [note], "source": source})


def split_view_from_dict(d: dict[str, Any]) -> Finding:
    """Requires ``d`` to be a split view's :meth:`Finding.to_dict` (as the monitor's state keeps it)."""
    evidence: dict[str, Any] = {k: d[k] for k in ("notes", "source", "consistency_proof") if k in d}
    return Finding(SPLIT, d["rule"], d["message"], evidence=evidence)


@dataclass(frozen=True)
class WitnessSeen:
    """What one witness answered: its newest checkpoint of this log (size), who cosigned it, or why none."""

    url: str
    size: int | None = None
    cosigned_by: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "size": self.size, "cosigned_by": list(self.cosigned_by), "error": self.error}


@dataclass
class RunReport:
    """One run: the log followed, the kept size after it, what was fetched and replayed, what was found."""

    origin: str
    size: int  # the kept checkpoint's tree size after the run
    log_size: int  # the size of the checkpoint the log served
    checkpoint: str  # the kept checkpoint note after the run
    fetched: int = 0  # entries fetched this run
    replayed: int = 0  # entries replayed this run (on opening the state, and fetched ones)
    status_root: str = ""
    findings: list[Finding] = field(default_factory=list)
    witnesses: list[WitnessSeen] = field(default_factory=list)
    pending: int = 0  # log-signed checkpoints seen that are ahead of the log's own (checked later)

    @property
    def exit_code(self) -> int:
        return max((f.exit_code for f in self.findings), default=EXIT_CONSISTENT)

    @property
    def verdict(self) -> str:
        return {EXIT_CONSISTENT: CONSISTENT, EXIT_BROKEN: BROKEN, EXIT_SPLIT_VIEW: SPLIT_VIEW}[self.exit_code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "origin": self.origin,
            "size": self.size,
            "log_size": self.log_size,
            "fetched": self.fetched,
            "replayed": self.replayed,
            "status_root": self.status_root,
            "checkpoint": self.checkpoint,
            "pending_checkpoints": self.pending,
            "witnesses": [w.to_dict() for w in self.witnesses],
            "findings": [f.to_dict() for f in self.findings],
        }
