"""The monitor's evidence: the log-signed checkpoints a run holds besides the one it follows — the witnesses'
newest, the ones earlier runs kept — and their check against the monitor's own tree and status roots.

A checkpoint is evidence when the trust file's log key signed it for the trust file's origin, whatever else the
note carries: a witness's cosignature line that does not verify is the witness's error, reported, and the note is
still checked. One of a size the monitor holds must have the tree root the monitor's tree has at that size (or it
is a split view, with both signed notes) and the status map root the monitor's replay gives there (or the log
signed a status no replay gives); a larger one must be proven consistent by the log, and is kept until a later
run settles it. I/O: only the witness readers and the source handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from mapping.errors import CarbonLedgerError, NoteError, NotFoundError, ProofError
from verifier.merkle import verify_consistency
from verifier.note import Checkpoint, parse_checkpoint, split_note, verify_note, witness_report
from verifier.trust import Trust

from .log_source import LogSource
from .monitor_findings import Finding, WitnessSeen, b64, empty_tree_finding, split_view_finding, status_check
from .tree import MerkleTree

__all__ = [
    "Seen",
    "WitnessReader",
    "check_evidence",
    "log_signed",
    "log_signed_or_none",
    "read_witnesses",
    "signed_sizes",
]

Seen = tuple[str, str, Checkpoint]  # (where it came from: "log", "seen" or a witness's URL, the note, its checkpoint)
WitnessReader = tuple[str, Callable[[], str | None]]  # (its URL, read its newest checkpoint of this origin)


def log_signed(trust: Trust, note: str) -> Checkpoint:
    """Requires nothing. The checkpoint of a note the trust file's log key signed for its origin; ``NoteError``
    (or another :class:`CarbonLedgerError` for a note that does not even parse) otherwise."""
    verify_note(note, [trust.log_vkey])
    cp = parse_checkpoint(split_note(note)[0])
    if cp.origin != trust.origin:
        raise NoteError(
            f"the checkpoint is of origin {cp.origin!r}, not the trusted log's {trust.origin!r}",
            code="checkpoint.mismatch",
        )
    return cp


def log_signed_or_none(trust: Trust, note: str) -> Checkpoint | None:
    """:func:`log_signed`'s checkpoint, or None for a note the log did not sign (no evidence of anything)."""
    try:
        return log_signed(trust, note)
    except CarbonLedgerError:
        return None


def signed_sizes(trust: Trust, notes: Iterable[str]) -> set[int]:
    """The tree sizes of those of ``notes`` the log signed."""
    return {cp.size for cp in (log_signed_or_none(trust, n) for n in notes) if cp is not None}


def read_witnesses(
    trust: Trust, witnesses: Sequence[WitnessReader], clock: Callable[[], float], answered: list[WitnessSeen]
) -> list[Seen]:
    """Requires nothing of the witnesses. Each one's newest log-signed checkpoint of this origin, as evidence; what
    each answered (who cosigned it, or why its note is no evidence, or why its cosignatures do not count) is
    appended to ``answered``."""
    out: list[Seen] = []
    for url, read in witnesses:
        try:
            note = read()
            if note is None:
                answered.append(WitnessSeen(url, error="has cosigned no checkpoint of this log"))
                continue
            cp = log_signed(trust, note)
        except CarbonLedgerError as e:
            answered.append(WitnessSeen(url, error=f"[{e.code}] {e.message}"))
            continue
        cosigners: tuple[str, ...] = ()
        error = None
        if trust.witness_vkeys:
            try:
                found = witness_report(note, trust.witness_vkeys, now_s=int(clock()), log_vkey=trust.log_vkey)
                cosigners = tuple(found.names)
            except CarbonLedgerError as e:  # the witness's fault: the log's signature alone makes it evidence
                error = f"[{e.code}] {e.message}"
        answered.append(WitnessSeen(url, cp.size, cosigners, error))
        out.append((url, note, cp))
    return out


def check_evidence(
    tree: MerkleTree,
    status_at: Callable[[int], bytes | None],
    size: int,
    kept_note: str,
    evidence: Sequence[Seen],
    source: LogSource,
    failure: list[CarbonLedgerError],
) -> tuple[list[Finding], list[str]]:
    """Requires ``size`` <= the tree's size, every leaf below it checked, and ``status_at(n)`` the status map root
    after the first ``n`` of them (None where not remembered: only the tree root is checked there). Every log-signed
    checkpoint seen against the monitor's tree of ``size`` checked leaves; a log that fails to give a consistency
    proof leaves that checkpoint for a later run, its error appended to ``failure`` (the other checkpoints are
    still checked). Returns the findings, and the notes to keep: the ones found out (for good) and the larger
    ones (until settled)."""
    findings: list[Finding] = []
    keep: dict[str, str] = {}
    root = tree.root(size)
    for where, note, cp in evidence:
        body = cp.body()
        if body in keep:
            continue
        if cp.size <= size:
            found = _against_tree(tree, status_at, size, kept_note, (where, note, cp))
            if found is not None:
                findings.append(found)
                keep[body] = note  # evidence, kept for good
            continue
        keep[body] = note  # ahead of the kept checkpoint: settled by a later run
        if size == 0:
            continue
        try:
            proof = source.consistency_proof(size, cp.size)
        except NotFoundError:
            continue  # the log has not published that size yet (a witness may be ahead of it)
        except CarbonLedgerError as e:
            failure.append(e)
            continue
        try:
            verify_consistency(size, cp.size, proof, root, cp.root_hash)
        except ProofError as e:
            why = (
                f"the checkpoint of size {cp.size} (from {where}) does not extend the kept checkpoint of size "
                f"{size}: {e.message}"
            )
            findings.append(split_view_finding(why, kept_note, note, where, proof))
    return findings, list(keep.values())


def _against_tree(
    tree: MerkleTree, status_at: Callable[[int], bytes | None], size: int, kept_note: str, seen: Seen
) -> Finding | None:
    """Requires ``cp.size`` <= ``size``. What is wrong with the checkpoint against the monitor's tree and replay."""
    where, note, cp = seen
    if tree.root(cp.size) != cp.root_hash:
        if cp.size == 0:  # no tree has it: the one note is the evidence (and nothing may be kept yet)
            return empty_tree_finding(note, where, cp.root_hash)
        why = (
            f"two checkpoints signed by the log: size {cp.size} with root {b64(cp.root_hash)} (from {where}) and "
            f"size {size}, whose tree has root {b64(tree.root(cp.size))} at size {cp.size}"
        )
        return split_view_finding(why, kept_note, note, where, tree.consistency_proof(cp.size, size))
    computed = status_at(cp.size)
    return None if computed is None else status_check(cp, computed, where, note)
