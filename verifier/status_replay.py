"""Recompute the status map from a log's entries: what a monitor or an auditor runs to check the root a
checkpoint commits to (DESIGN §3: "anyone can recompute the root from the log").

Folds every entry, from index 0, through the rule book (:func:`verifier.rules.fold_entry`, the same fold the
log admits by), turns each admitted entry's changes into status records (:mod:`verifier.status_records`) and
puts them in an in-memory map. Pure: the entries are handed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from verifier.envelope import Entry
from verifier.memory_state import MemoryState, fold_log
from verifier.status_map import EMPTY_ROOT, MemoryNodeStore, apply
from verifier.status_records import Record, StatusKey, map_updates, status_changes

__all__ = ["StatusReplay", "replay_status"]


@dataclass
class StatusReplay:
    """A whole log folded: its rule-book state, every object's status record, and the map of them."""

    state: MemoryState = field(default_factory=lambda: MemoryState(complete=True))
    records: dict[StatusKey, Record] = field(default_factory=dict)
    nodes: MemoryNodeStore = field(default_factory=MemoryNodeStore)
    root: bytes = EMPTY_ROOT
    roots: dict[int, bytes] = field(default_factory=dict)  # tree size -> root, at each size asked to keep

    def add(self, entries: Iterable[tuple[int, Entry]]) -> bytes:
        """Fold the next entries (one batch) and return the root at the new size."""
        changed = status_changes(list(fold_log(entries, self.state)), self.records.get)
        self.records.update(changed)
        self.root, new_nodes = apply(self.nodes, self.root, map_updates(changed))
        self.nodes.put_all(new_nodes)
        self.roots[self.state.size] = self.root
        return self.root


def replay_status(entries: Iterable[tuple[int, Entry]], batch: int = 1000) -> StatusReplay:
    """Fold a whole log, ``(index, entry)`` from index 0 in order, in batches of ``batch`` entries (the root
    at the end does not depend on the batching; the intermediate roots are kept at each batch's end)."""
    replay = StatusReplay()
    pending: list[tuple[int, Entry]] = []
    for item in entries:
        pending.append(item)
        if len(pending) >= batch:
            replay.add(pending)
            pending = []
    if pending or not replay.roots:
        replay.add(pending)
    return replay
