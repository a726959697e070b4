"""The monitor's replay: the rule book's fold and the status map, batch by batch, with the stateless checks of a
batch run ahead of it (in worker processes, or in helper threads) — the checks admission runs, from
``ledger/precheck.py``.

It is :class:`verifier.status_replay.StatusReplay` (each admitted entry's changes become status records, put in
an in-memory map) with one difference: :func:`verifier.rules.fold_entry` is handed the (entry id, signature,
public key) triples whose Ed25519 signature a pre-check verified, exactly as the log's admission does, so a
signature is checked once, off the folding thread. The fold skips the signature math only for the exact bytes
verified under the exact key it resolves; everything else — the signer, the chain, authority, the kind's rules
— is judged in log order against the monitor's own state. Nothing here reads the log's database.

The replay remembers its status map root at the sizes it is told to (:meth:`MonitorReplay.want`: the sizes of
the checkpoints a monitor run holds), when a batch it folds ends there — the caller cuts its batches at those
sizes — so a checkpoint of a size the fold has passed has its status commitment checked too. Bounded: only the
wanted sizes (and size 0) are remembered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mapping.errors import CarbonLedgerError
from verifier.collector import collector_paused
from verifier.envelope import Entry
from verifier.keys import VerifyingKey
from verifier.ledger_state import Change
from verifier.memory_state import MemoryState
from verifier.rules import fold_entry
from verifier.status_map import EMPTY_ROOT, MemoryNodeStore, apply
from verifier.status_records import Record, StatusKey, map_updates, status_changes

from . import precheck

__all__ = ["MonitorReplay", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """The first entry of a batch that is refused: its index, its entry id (when it parsed), the error."""

    index: int
    entry_id: str | None
    error: CarbonLedgerError


class MonitorReplay:
    """A log folded from index 0: the rule-book state, every object's status record, and the status map."""

    def __init__(self, use_workers: bool = False) -> None:
        self.state = MemoryState(complete=True)
        self.records: dict[StatusKey, Record] = {}
        self.nodes = MemoryNodeStore()
        self.root = EMPTY_ROOT
        self.use_workers = use_workers
        self.wanted: frozenset[int] = frozenset()
        self._roots: dict[int, bytes] = {0: EMPTY_ROOT}

    @property
    def size(self) -> int:
        return self.state.size

    def want(self, sizes: set[int] | frozenset[int]) -> None:
        """Remember the status map root at each of ``sizes`` the fold ends a batch at from now on; forget those
        remembered at other sizes (but size 0's)."""
        self.wanted = frozenset(sizes)
        self._roots = {s: r for s, r in self._roots.items() if s in self.wanted or s == 0}

    def root_at(self, size: int) -> bytes | None:
        """The status map root after the first ``size`` entries, if remembered (see :meth:`want`)."""
        return self._roots.get(size)

    def known_key(self, key_id: str) -> VerifyingKey | None:
        record = self.state.keys.get(key_id)
        return None if record is None else record.verifying_key

    def start(self, envelopes: Sequence[bytes]) -> precheck.PendingBatch:
        """Start the stateless checks of the next batch (signatures under the keys the state knows now)."""
        return precheck.start(envelopes, self.known_key, self.use_workers)

    def restarted_if_stale(self, pending: precheck.PendingBatch) -> precheck.PendingBatch:
        """``pending``, or its checks started again when the state now knows a signer's key they had not: a chunk
        started while the chunk before it (which authorized that key) was being folded would otherwise have
        every such signature verified by the fold, in this thread, instead of by the workers."""
        if pending.keys is None:  # checked in this thread at the fold, under the keys known then
            return pending
        had, known = pending.keys, self.known_key
        if any(s not in had and known(s) is not None for s in pending.signers):
            for outcome in pending.outcomes or ():
                outcome.cancel()  # those not running yet: the workers go on to the new checks
            return self.start(pending.envelopes)
        return pending

    def add(self, start: int, pending: precheck.PendingBatch) -> Refusal | None:
        """Requires ``start`` == :attr:`size`. Fold the batch at ``start``; on the first refused entry stop and
        return it (the state then holds the entries before it, the map does not: the replay is to be dropped).

        The collector is paused for the batch (verifier/collector.py): what the fold keeps is acyclic, and with the
        collector on, its collections walked the ever larger state the replay holds (parsing one payload cost
        26 µs instead of 4 on ``bench monitor``)."""
        with collector_paused():
            return self._add(start, pending)

    def _add(self, start: int, pending: precheck.PendingBatch) -> Refusal | None:
        results: list[object] = [None] * len(pending.envelopes)
        parsed, verified = precheck.finish(pending, results, self.known_key)
        first_error = next((i for i, r in enumerate(results) if isinstance(r, CarbonLedgerError)), None)
        folded: list[tuple[int, str, list[Change]]] = []
        entry: Entry
        for slot, entry in parsed:
            if first_error is not None and slot > first_error:
                break
            index = start + slot
            try:
                changes = fold_entry(entry, index, self.state, None, verified)
            except CarbonLedgerError as e:
                return Refusal(index, entry.entry_id, e)
            self.state.apply(entry, index, changes)
            folded.append((index, entry.entry_id, changes))
        if first_error is not None:
            error = results[first_error]
            assert isinstance(error, CarbonLedgerError)
            return Refusal(start + first_error, None, error)
        changed = status_changes(folded, self.records.get)
        self.records.update(changed)
        self.root, new_nodes = apply(self.nodes, self.root, map_updates(changed))
        self.nodes.put_all(new_nodes)
        if self.size in self.wanted:
            self._roots[self.size] = self.root
        return None
