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
3. every other log-signed checkpoint seen — the log's own when it is not larger than the kept one, the
   witnesses' newest (``GET /checkpoints/{origin}``), the ones earlier runs kept — is evidence
   (:mod:`ledger.monitor_evidence`): one of a size the monitor holds must have the root the monitor's tree has
   at that size (else a split view, reported with both signed notes) and commit to the status map root the
   replay gives there (else exit 9: the log signed a status no replay gives — the fold is cut at the sizes of the
   checkpoints the run holds, so those roots are known); a larger one must be proven consistent by the log (else
   a split view), and is kept until a later run settles it — the log's own too, when the log will not prove it;
4. a log whose newest checkpoint is smaller than the kept one is reported (``log.rollback``, exit 9; see
   :mod:`ledger.monitor_findings`).

Only a run whose log's checkpoint shows nothing advances the kept checkpoint (:mod:`ledger.monitor_state`); a run
that finds something there leaves the state where it was, and the next run finds it again. What the evidence
shows is kept for good: the notes found out, and the split views proven on the log's own checkpoint. I/O is
through the :class:`~ledger.log_source.LogSource` and the witness readers handed in, and the state files; the
clock is passed in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from mapping.errors import CarbonLedgerError, ConfigError, InputError, NoteError, ProofError
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
from verifier.note import Checkpoint
from verifier.status_commit import status_commitment
from verifier.trust import Trust

from .log_source import LogSource
from .monitor_evidence import (
    WitnessReader,
    check_evidence,
    log_signed,
    log_signed_or_none,
    read_witnesses,
    signed_sizes,
)
from .monitor_findings import (
    SPLIT,
    Finding,
    RunReport,
    WitnessSeen,
    b64,
    bad_proof_finding,
    rollback_finding,
    rule_finding,
    split_view_finding,
    split_view_from_dict,
    status_check,
    tree_root_finding,
)
from .monitor_replay import MonitorReplay
from .monitor_state import MonitorFiles
from .tree import MerkleTree

__all__ = ["CHUNK", "MAX_PROBES", "Monitor", "WitnessReader"]

CHUNK = 1000  # entries fetched, stored and folded at a time
MAX_PROBES = 1000  # inclusion proofs asked for to name the entry behind a tree root mismatch


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
    def _load(self, needed: set[int]) -> int:
        """Requires the state directory to be locked by ``files``. Rebuild the tree and the rule-book state from the
        kept entries, remembering the status map root at the ``needed`` sizes (and the kept checkpoints'); return
        how many were replayed."""
        st = self.files.load()
        self.tree = MerkleTree()
        self.replay = MonitorReplay(self.use_workers)
        self.kept_note = st.kept_note
        self.seen = st.seen
        self.split_views = [  # a note kept in the state that the log did not sign is no evidence
            split_view_from_dict(d) for d in st.split_views if log_signed_or_none(self.trust, d["notes"][1])
        ]
        self._kept_status = self.replay.root
        if st.kept_note is None:
            self.files.truncate(0)
            self._open = True
            return 0
        try:
            kept = log_signed(self.trust, st.kept_note)
        except NoteError as e:
            raise ConfigError(
                f"the kept checkpoint in {self.files.path} is not this log's ({e.message}): a state of another log?",
                code="monitor.state_other_log",
            ) from e
        self.files.truncate(kept.size)
        for h in st.leaf_hashes[: kept.size]:
            self.tree.append_leaf_hash(h)
        self.replay.want(needed | signed_sizes(self.trust, st.seen) | {kept.size})
        ranges = _ranges(0, kept.size, self.replay.wanted)
        found = self._fold_stream((lo, st.envelopes[lo:hi]) for lo, hi in ranges)
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
        # A log that will not be followed this run (it errs, or serves what its key did not sign) must not hide what
        # the witnesses hold: their notes are still checked against the kept tree, which needs nothing of the log.
        # The failure is raised after that, unless a finding outranks it.
        failure: list[CarbonLedgerError] = []
        log_note, latest = "", None
        try:
            log_note = source.checkpoint()
            latest = log_signed(self.trust, log_note)
        except CarbonLedgerError as e:
            failure.append(e)
        answered: list[WitnessSeen] = []
        evidence = read_witnesses(self.trust, witnesses, self.clock, answered)
        # the sizes whose status roots this run checks: read before the fold, which is cut there
        needed = {cp.size for _, _, cp in evidence} | ({latest.size} if latest is not None else set())
        if self._open and any(
            n <= self.tree.size and self.replay.root_at(n) is None for n in needed | signed_sizes(self.trust, self.seen)
        ):
            self._open = False  # the fold passed a size this run needs without remembering it: fold again
        replayed = 0 if self._open else self._load(needed)
        self._open = False  # until this run ends cleanly: a run cut short reloads the state next time
        kept_size = self.tree.size
        self.replay.want(needed | signed_sizes(self.trust, self.seen) | {kept_size})
        report = RunReport(self.trust.origin, kept_size, kept_size, self.kept_note or "", replayed=replayed)
        report.witnesses = answered
        earlier = list(self.split_views)  # proven on the log's own checkpoint by earlier runs: kept for good
        broken: list[Finding] = []
        rolled_back: list[Finding] = []
        if latest is not None:
            report.log_size = latest.size
            if latest.size > kept_size:
                try:
                    broken = self._advance(source, log_note, latest, report)
                except CarbonLedgerError as e:
                    failure.append(e)
                    evidence.insert(0, ("log", log_note, latest))  # log-signed: kept until a later run settles it
                else:
                    if not broken:
                        self.kept_note, self._kept_status = log_note, self.replay.root
            else:
                evidence.insert(0, ("log", log_note, latest))
                if latest.size < kept_size:
                    rolled_back.append(rollback_finding(latest.size, kept_size))
        for note in self.seen:
            cp = log_signed_or_none(self.trust, note)
            if cp is not None:  # else not this log's: no evidence of anything
                evidence.append(("seen", note, cp))
        size = kept_size if broken or failure else self.tree.size
        report.size, report.checkpoint, report.status_root = size, self.kept_note or "", b64(self._kept_status)
        checked, self.seen = check_evidence(
            self.tree, self.replay.root_at, size, self.kept_note or "", evidence, source, failure
        )
        self.files.set_seen(self.seen, self.kept_note)
        again = {_notes(f) for f in broken if f.type == SPLIT}
        report.findings = broken + [f for f in earlier if _notes(f) not in again] + rolled_back + checked
        report.pending = len(self.seen)
        if failure and not report.findings:
            raise failure[0]
        # the tree and the fold went past the kept size: rebuilt from the state next run
        self._open = not broken and not failure
        return report

    def _advance(self, source: LogSource, note: str, latest: Checkpoint, report: RunReport) -> list[Finding]:
        """Requires ``latest`` log-signed and larger than the kept checkpoint. Check it against the kept one, fetch and
        replay the entries up to its size (the fold cut at the replay's wanted sizes)."""
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
                split = split_view_finding(why, self.kept_note or "", note, "log", proof)
                self._keep_split_view(split)
                return [split]
        findings: list[Finding] = []
        hashes: list[bytes] = []
        first: list[bytes] = []  # the first MAX_PROBES envelopes: to name an entry behind a root mismatch

        def fetched() -> Iterator[tuple[int, list[bytes]]]:
            for lo, hi in _ranges(start, latest.size, self.replay.wanted):
                envelopes = source.entries(lo, hi)
                if len(envelopes) != hi - lo:
                    raise InputError(
                        f"the log answered {len(envelopes)} entries for [{lo}, {hi})", code="source.malformed"
                    )
                batch = [leaf_hash(e) for e in envelopes]
                for h in batch:
                    self.tree.append_leaf_hash(h)
                hashes.extend(batch)
                first.extend(envelopes[: max(0, MAX_PROBES - len(first))])
                self.files.append(envelopes, batch)
                report.fetched += len(envelopes)
                yield lo, envelopes

        refused = self._fold_stream(fetched())
        report.replayed += self.replay.size - start
        if refused is not None:
            findings.append(refused)
        computed = self.tree.root(latest.size)
        if computed != latest.root_hash:
            index = self._culprit(source, latest, start, hashes)
            entry_id = None if index is None else _payload_entry_id(first[index - start])
            findings.append(tree_root_finding(latest.size, latest.root_hash, computed, index, entry_id))
        if refused is None:
            wrong_status = status_check(latest, self.replay.root)
            if wrong_status is not None:
                findings.append(wrong_status)
        if not findings:
            self.files.keep(note)
        return findings

    def _keep_split_view(self, finding: Finding) -> None:
        """Keep for good a split view proven on the log's own checkpoint: reported on every later run."""
        if all(_notes(f) != _notes(finding) for f in self.split_views):
            self.split_views.append(finding)
            self.files.set_split_views([f.to_dict() for f in self.split_views])

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
            except CarbonLedgerError:
                return None  # the log will not prove (a refusal, a missing hash tile): the mismatch stands unnamed
            try:
                verify_inclusion(hashes[i - start], i, latest.size, proof, latest.root_hash)
            except ProofError:
                return i
        return None


def _ranges(lo: int, hi: int, cuts: Iterable[int]) -> list[tuple[int, int]]:
    """[lo, hi) as ranges of at most :data:`CHUNK` entries, cut at each of ``cuts`` inside it (where the fold is to
    remember a status root)."""
    out = []
    for end in [*sorted(c for c in set(cuts) if lo < c < hi), hi]:
        while lo < end:
            out.append((lo, min(end, lo + CHUNK)))
            lo = out[-1][1]
    return out


def _notes(finding: Finding) -> tuple[str, ...]:
    """The signed notes a finding carries as evidence."""
    return tuple(finding.evidence.get("notes", ()))


def _payload_entry_id(envelope: bytes) -> str | None:
    """The entry id (SHA-256 of the payload) of an envelope the parser refused, when its payload can be read."""
    try:
        payload = base64.b64decode(json.loads(envelope)["payload"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(payload).hexdigest()
