"""The monitor: an auditor that follows a log it does not trust, replays every entry and catches split views.

DESIGN §3: "monitors follow the log (API or tiles), replay every entry through the rule book, recompute the
status map root and report split views with both signed notes as evidence." One :meth:`Monitor.run_once`:

1. the log's newest checkpoint must be signed by the trust file's log key, for the trust file's origin;
2. if it is larger than the kept checkpoint, the log must prove it consistent with the kept one (RFC 9162
   §2.1.4: a checkpoint of a tree that does not extend the one kept is a split view — unless the entries served,
   appended to the kept ones, rebuild its signed root, which proves it does extend it: then the proof is what is
   wrong, e.g. a mirror's corrupted hash tile, reported as ``log.bad_proof``); every new entry is then
   fetched, its leaf hash appended to the monitor's own Merkle tree (whose root must be the signed one: RFC 9162
   §2.1.1, the root is the hash over the leaves, computed here, never read from the log), and folded through the
   rule book (:class:`verifier.status_replay.StatusReplay`: the verifier's fold, which never reads the log's
   database or its receipts), and the status map root it gives must be the one the checkpoint commits to
   (``carbonledger-status/v1``, :mod:`verifier.status_commit`);
3. every other log-signed checkpoint seen — the witnesses' newest (``GET /checkpoints/{origin}``), the ones
   earlier runs could not settle yet — is evidence: one of a size the monitor holds must have the root the
   monitor's tree has at that size, a larger one must be proven consistent by the log; either failing is a
   split view, reported with both signed notes.

Only a run that finds nothing advances the kept checkpoint (:mod:`ledger.monitor_state`); a run that finds
something leaves the state where it was, and the next run finds it again. I/O is through the
:class:`~ledger.log_source.LogSource` and the witness readers handed in, and the state files; the clock is
passed in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from mapping.errors import CarbonLedgerError, ConfigError, InputError, NoteError, NotFoundError, ProofError
from verifier.merkle import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion
from verifier.note import Checkpoint, parse_checkpoint, split_note, verify_note, witness_report
from verifier.status_commit import status_commitment
from verifier.trust import Trust

from .log_source import LogSource
from .monitor_findings import (
    Finding,
    RunReport,
    WitnessSeen,
    b64,
    bad_proof_finding,
    rule_finding,
    split_view_finding,
    status_root_finding,
    tree_root_finding,
)
from .monitor_replay import MonitorReplay
from .monitor_state import MonitorFiles
from .tree import MerkleTree

__all__ = ["CHUNK", "MAX_PROBES", "Monitor", "WitnessReader"]

CHUNK = 1000  # entries fetched, stored and folded at a time
MAX_PROBES = 1000  # inclusion proofs asked for to name the entry behind a tree root mismatch
WitnessReader = tuple[str, Callable[[], str | None]]  # (its URL, read its newest checkpoint of this origin)


class Monitor:
    """Follows the log named by ``trust`` (its origin and log key; its witness keys name the cosigners) with
    the state in ``files``. Open it once; call :meth:`run_once` per poll."""

    def __init__(
        self, trust: Trust, files: MonitorFiles, clock: Callable[[], float] = time.time, *, use_workers: bool = False
    ) -> None:
        """Requires a parsed trust file and an open state directory. ``use_workers``: run the stateless checks of large
        batches in worker processes (``ledger/precheck.py``; only for programs whose main module is import-safe, as the
        ``carbonledger`` command's is)."""
        self.trust = trust
        self.files = files
        self.clock = clock
        self.use_workers = use_workers
        self._open = False

    # ---- opening the state ------------------------------------------------------------------------
    def _load(self) -> int:
        """Requires the state directory to be locked by ``files``. Rebuild the tree and the rule-book state from the
        kept entries; return how many were replayed."""
        st = self.files.load()
        self.tree = MerkleTree()
        self.replay = MonitorReplay(self.use_workers)
        self.kept_note = st.kept_note
        self.seen = st.seen
        self._kept_status = self.replay.root
        if st.kept_note is None:
            self.files.truncate(0)
            self._open = True
            return 0
        try:
            kept = self._log_signed(st.kept_note)
        except NoteError as e:
            raise ConfigError(
                f"the kept checkpoint in {self.files.path} is not this log's ({e.message}): a state of another log?",
                code="monitor.state_other_log",
            ) from e
        self.files.truncate(kept.size)
        for h in st.leaf_hashes[: kept.size]:
            self.tree.append_leaf_hash(h)
        found = self._fold_stream((lo, st.envelopes[lo : lo + CHUNK]) for lo in range(0, kept.size, CHUNK))
        if found is not None:
            raise ConfigError(f"the kept entries no longer replay: {found.message}", code="monitor.state_corrupt")
        commitment = status_commitment(kept)
        if self.tree.root() != kept.root_hash or commitment is None or commitment.root != self.replay.root:
            raise ConfigError(
                f"the kept entries in {self.files.path} do not rebuild the kept checkpoint's roots",
                code="monitor.state_corrupt",
            )
        self._kept_status = self.replay.root
        self._open = True
        return kept.size

    # ---- one run ---------------------------------------------------------------------------------
    def run_once(self, source: LogSource, witnesses: Sequence[WitnessReader] = ()) -> RunReport:
        """Requires nothing of the log. Follow it one step; return what was found (errors of reaching or
        reading the log, or of the state, raise: they are no finding about the log — but only after the checkpoints
        the witnesses and earlier runs hold were checked, and only when those show nothing)."""
        replayed = 0 if self._open else self._load()
        self._open = False  # until this run ends cleanly: a run cut short reloads the state next time
        kept_size = self.tree.size
        report = RunReport(self.trust.origin, kept_size, kept_size, self.kept_note or "", replayed=replayed)
        evidence: list[tuple[str, str, Checkpoint]] = []
        broken: list[Finding] = []
        # A log that will not be followed this run (it errs, or serves what its key did not sign) must not hide what
        # the witnesses hold: their notes are still checked against the kept tree, which needs nothing of the log.
        # The failure is raised after that, unless a finding outranks it.
        failure: list[CarbonLedgerError] = []
        try:
            log_note = source.checkpoint()
            latest = self._log_signed(log_note)
            report.log_size = latest.size
            if latest.size > kept_size:
                broken = self._advance(source, log_note, latest, report)
                if not broken:
                    self.kept_note, self._kept_status = log_note, self.replay.root
            else:
                evidence.append(("log", log_note, latest))
        except CarbonLedgerError as e:
            failure.append(e)
        evidence += self._witnesses(witnesses, report)
        for note in self.seen:
            try:
                evidence.append(("seen", note, self._log_signed(note)))
            except NoteError:
                continue  # not this log's: no evidence of anything
        size = kept_size if broken or failure else self.tree.size
        report.size, report.checkpoint, report.status_root = size, self.kept_note or "", b64(self._kept_status)
        report.findings = broken + self._check_evidence(source, size, evidence, failure)
        report.pending = len(self.seen)
        if failure and not report.findings:
            raise failure[0]
        # the tree and the fold went past the kept size: rebuilt from the state next run
        self._open = not broken and not failure
        return report

    def _advance(self, source: LogSource, note: str, latest: Checkpoint, report: RunReport) -> list[Finding]:
        """Requires ``latest`` log-signed and larger than the kept checkpoint. Check it against the kept one, fetch and
        replay the entries up to its size."""
        start = self.tree.size
        if start:
            proof = source.consistency_proof(start, latest.size)
            try:
                verify_consistency(start, latest.size, proof, self.tree.root(), latest.root_hash)
            except ProofError as e:
                why = (
                    f"the log's checkpoint of size {latest.size} does not extend the kept checkpoint of size "
                    f"{start}: {e.message}"
                )
                if self._extends_kept(source, latest, report):
                    return [bad_proof_finding(start, latest.size, proof)]
                return [split_view_finding(why, self.kept_note or "", note, "log", proof)]
        findings: list[Finding] = []
        hashes: list[bytes] = []
        first: list[bytes] = []  # the first chunk's envelopes: to name an entry behind a root mismatch

        def fetched() -> Iterator[tuple[int, list[bytes]]]:
            for lo in range(start, latest.size, CHUNK):
                hi = min(latest.size, lo + CHUNK)
                envelopes = source.entries(lo, hi)
                if len(envelopes) != hi - lo:
                    raise InputError(
                        f"the log answered {len(envelopes)} entries for [{lo}, {hi})", code="source.malformed"
                    )
                batch = [leaf_hash(e) for e in envelopes]
                for h in batch:
                    self.tree.append_leaf_hash(h)
                hashes.extend(batch)
                first[:] = first or envelopes
                self.files.append(envelopes, batch)
                report.fetched += len(envelopes)
                yield lo, envelopes

        refused = self._fold_stream(fetched())
        report.replayed += self.replay.size - start
        broken = refused is not None
        if refused is not None:
            findings.append(refused)
        computed = self.tree.root(latest.size)
        if computed != latest.root_hash:
            index = self._culprit(source, latest, start, hashes)
            entry_id = None if index is None else _payload_entry_id(first[index - start])
            findings.append(tree_root_finding(latest.size, latest.root_hash, computed, index, entry_id))
        if not broken:
            try:
                commitment = status_commitment(latest)
            except NoteError:
                commitment = None
            if commitment is None or commitment.root != self.replay.root:
                committed = None if commitment is None else commitment.root
                findings.append(status_root_finding(latest.size, committed, self.replay.root))
        if not findings:
            self.files.keep(note)
        return findings

    def _extends_kept(self, source: LogSource, latest: Checkpoint, report: RunReport) -> bool:
        """Requires the tree at the kept size. Whether the leaves the source serves up to ``latest``'s size, appended to
        the kept ones, give ``latest``'s signed root — which proves it extends the kept tree, whatever a failed proof
        said (a mirror's corrupted tile must not pass for a split view). False when they do not, or the source will
        not serve them (the failed proof then stands). Leaves the tree past the kept size (the run is broken)."""
        try:
            for lo in range(self.tree.size, latest.size, CHUNK):
                hi = min(latest.size, lo + CHUNK)
                envelopes = source.entries(lo, hi)
                if len(envelopes) != hi - lo:
                    return False
                for envelope in envelopes:
                    self.tree.append_leaf_hash(leaf_hash(envelope))
                report.fetched += len(envelopes)
        except CarbonLedgerError:
            return False
        return self.tree.root(latest.size) == latest.root_hash

    def _fold_stream(self, chunks: Iterable[tuple[int, list[bytes]]]) -> Finding | None:
        """Requires the first chunk to start at the replay's size, each next one where the last ended. Fold the chunks
        ``(start, envelopes)`` on through the rule book, each chunk's stateless checks running while the previous chunk
        is folded; the first entry refused, as a finding (the chunks after it are still drawn: a caller's fetching goes
        on)."""
        found: Finding | None = None
        previous: tuple[int, Any] | None = None
        for lo, envelopes in chunks:
            if found is not None:
                continue
            # started before the previous chunk is folded (its signatures under the keys known so far; an entry
            # whose key the previous chunk brings is verified by the fold itself)
            pending = self.replay.start(envelopes)
            if previous is not None:
                found = self._finish(*previous)
            previous = (lo, pending)
        if previous is not None and found is None:
            found = self._finish(*previous)
        return found

    def _finish(self, start: int, pending: Any) -> Finding | None:
        """Requires ``start`` == the replay's size. Fold the started chunk; its first refused entry, as a finding."""
        pending = self.replay.restarted_if_stale(pending)
        refusal = self.replay.add(start, pending)
        if refusal is None:
            return None
        entry_id = refusal.entry_id or _payload_entry_id(pending.envelopes[refusal.index - start])
        return rule_finding(refusal.index, entry_id, refusal.error.code, refusal.error.message)

    def _culprit(self, source: LogSource, latest: Checkpoint, start: int, hashes: list[bytes]) -> int | None:
        """Requires one leaf hash per entry from ``start``. The first new entry whose leaf the log cannot prove included
        under the signed root (None if none of the first :data:`MAX_PROBES` fails): the entry the log serves is not the
        one it signed."""
        for i in range(start, min(latest.size, start + MAX_PROBES)):
            try:
                proof = source.inclusion_proof(i, latest.size)
                verify_inclusion(hashes[i - start], i, latest.size, proof, latest.root_hash)
            except ProofError:
                return i
        return None

    # ---- evidence -------------------------------------------------------------------------------
    def _log_signed(self, note: str) -> Checkpoint:
        """Requires nothing. The checkpoint of a note the trust file's log key signed for its origin; ``NoteError``
        otherwise."""
        verify_note(note, [self.trust.log_vkey])
        cp = parse_checkpoint(split_note(note)[0])
        if cp.origin != self.trust.origin:
            raise NoteError(
                f"the checkpoint is of origin {cp.origin!r}, not the trusted log's {self.trust.origin!r}",
                code="checkpoint.mismatch",
            )
        return cp

    def _witnesses(self, witnesses: Sequence[WitnessReader], report: RunReport) -> list[tuple[str, str, Checkpoint]]:
        """Requires nothing of the witnesses. Each one's newest log-signed checkpoint of this origin, as evidence;
        what each answered (or why it is no evidence) goes into ``report``."""
        out = []
        for url, read in witnesses:
            try:
                note = read()
                if note is None:
                    report.witnesses.append(WitnessSeen(url, error="has cosigned no checkpoint of this log"))
                    continue
                cp = self._log_signed(note)
                cosigners: tuple[str, ...] = ()
                if self.trust.witness_vkeys:
                    now = int(self.clock())
                    found = witness_report(note, self.trust.witness_vkeys, now_s=now, log_vkey=self.trust.log_vkey)
                    cosigners = tuple(found.names)
            except CarbonLedgerError as e:
                report.witnesses.append(WitnessSeen(url, error=f"[{e.code}] {e.message}"))
                continue
            report.witnesses.append(WitnessSeen(url, cp.size, cosigners))
            out.append((url, note, cp))
        return out

    def _check_evidence(
        self,
        source: LogSource,
        size: int,
        evidence: list[tuple[str, str, Checkpoint]],
        failure: list[CarbonLedgerError],
    ) -> list[Finding]:
        """Requires ``size`` <= the tree's size, every leaf below it checked. Every log-signed checkpoint seen against
        the monitor's tree of ``size`` checked leaves; a log that fails to give a consistency proof leaves that
        checkpoint for a later run, its error appended to ``failure`` (the other checkpoints are still checked)."""
        findings: list[Finding] = []
        keep: dict[str, str] = {}
        root = self.tree.root(size)
        kept = self.kept_note or ""
        for where, note, cp in evidence:
            body = cp.body()
            if body in keep or (cp.size == 0 and cp.root_hash == EMPTY_ROOT):
                continue
            if cp.size <= size:
                if self.tree.root(cp.size) != cp.root_hash:
                    why = (
                        f"two checkpoints signed by the log: size {cp.size} with root {b64(cp.root_hash)} (from "
                        f"{where}) and size {size}, whose tree has root {b64(self.tree.root(cp.size))} at size "
                        f"{cp.size}"
                    )
                    proof = self.tree.consistency_proof(cp.size, size)
                    findings.append(split_view_finding(why, kept, note, where, proof))
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
                findings.append(split_view_finding(why, kept, note, where, proof))
        self.seen = list(keep.values())
        self.files.set_seen(self.seen)
        return findings


def _payload_entry_id(envelope: bytes) -> str | None:
    """The entry id (SHA-256 of the payload) of an envelope the parser refused, when its payload can be read."""
    try:
        payload = base64.b64decode(json.loads(envelope)["payload"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(payload).hexdigest()
