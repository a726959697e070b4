"""The status map as the log keeps it: updated per batch, in the batch's transaction; proved at any checkpoint.

DESIGN §3 (status map). On each append batch, :class:`StatusMap` takes the admitted entries' changes (the rule
book's, :func:`verifier.rules.fold_entry`), folds them into status records (:func:`verifier.status_records.
status_changes`, reading the previous records from the store in one query), applies them to the map
(:func:`verifier.status_map.apply`, reading one level of nodes a query) and hands back what to write — the
new records, the records they replace, the new nodes and the root — which :class:`ledger.log.Log` writes in
the same transaction as the entries and signs into the batch's checkpoint (``verifier/status_commit.py``).
So a crash leaves both or neither, and the committed root is always the recomputation of the entries.

A store written before the map existed has no map rows: :meth:`StatusMap.rebuild` folds its entries from
index 0 through the rule book (:func:`fold_changes`) and writes the map in one transaction, on opening.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from mapping.errors import CarbonLedgerError, ConfigError, NotFoundError
from verifier.envelope import Entry, parse_entry
from verifier.ledger_state import (
    Change,
)
from verifier.memory_state import MemoryState, fold_log
from verifier.status_map import EMPTY_ROOT, KINDS, apply, leaf_value, map_key
from verifier.status_map_proof import PRESENT, MapProof, lookup, prove, root_from_map_proof
from verifier.status_records import (
    Record,
    StatusKey,
    objects_read,
    record_bytes,
    status_changes,
)

from . import status_store as ss
from .store import Store

__all__ = ["REBUILD_CHUNK", "BatchChanges", "StatusMap", "fold_changes"]

BatchChanges = list[tuple[int, str, list[Change]]]  # (index, entry id, changes) of admitted entries, in order
REBUILD_CHUNK = 5000  # entries folded and written at a time when rebuilding


def fold_changes(entries: Iterable[tuple[int, Entry]], state: MemoryState | None = None) -> Iterator[Any]:
    """Fold ``(index, entry)`` from index 0 in log order through the rule book; yield each entry's
    ``(index, entry id, changes)``. Raises :class:`~mapping.errors.ConfigError` (``store.corrupt``) at the first
    entry the rules refuse: a log whose entries break the rules has no status to commit to."""
    try:
        yield from fold_log(entries, state if state is not None else MemoryState(complete=True))
    except CarbonLedgerError as e:
        raise ConfigError(f"cannot derive the status map: {e.message}", code="store.corrupt") from e


class StatusMap:
    """The log's status map: its root at the log's committed size, and its stored nodes (cached)."""

    def __init__(self, store: Store, cache_nodes: int = 1 << 16) -> None:
        self.store = store
        self.cache = ss.NodeCache(cache_nodes)
        self.root = EMPTY_ROOT
        self.root_page = 0  # the page holding the root's node (tables.StatusNodeRow)
        self.size = 0
        self.time_s = 0
        self._roots: dict[int, tuple[bytes, int, int]] = {}  # tree size -> (root, its page, time), as read

    # ---- loading ---------------------------------------------------------------------------------------
    def load(self, conn: Connection, size: int) -> bool:
        """Take the stored root at tree size ``size``; False when the store holds none (a rebuild is due)."""
        row = ss.root_at(conn, size)
        if row is None:
            if size:
                return False
            row = (EMPTY_ROOT, 0, 0)
        (self.root, self.root_page, self.time_s), self.size = row, size
        return True

    def rebuild(self, conn: Connection, size: int, time_s: int) -> bytes:
        """Derive the map from the log's first ``size`` entries (folded through the rule book) and write it, with
        its root at ``size``, in the caller's transaction; return the root."""
        ss.clear_records(conn)
        self.root, self.root_page, state = EMPTY_ROOT, 0, MemoryState(complete=True)
        try:
            for start in range(0, size, REBUILD_CHUNK):
                end = min(size, start + REBUILD_CHUNK)
                rows = self.store.entries(start, end)
                batch = list(fold_changes(((r.idx, parse_entry(bytes(r.envelope))) for r in rows), state))
                w = self.stage(conn, batch, -end)  # negative keys: never those of a batch's (or older) rows
                ss.write_status(self.store, conn, w, None, time_s)
                self.root, self.root_page = w.root, w.root_page
        finally:  # the cache read rows the transaction wrote, which a rollback would take back
            self.cache = ss.NodeCache(self.cache.capacity)
        if state.size != size:
            raise ConfigError(f"the store holds {state.size} of {size} entries", code="store.corrupt")
        ss.write_status(self.store, conn, ss.StatusWrite([], [], [], [], self.root, self.root_page), size, time_s)
        self.size, self.time_s = size, time_s
        return self.root

    # ---- a batch ---------------------------------------------------------------------------------------
    def stage(self, conn: Connection, batch: BatchChanges, size_key: int | None = None) -> ss.StatusWrite:
        """What the batch's admitted entries change in the map, from the committed root: nothing is written. The
        new nodes' pages are keyed by ``size_key`` (default: the tree size after the batch)."""
        wanted = {map_key(*k): k for _, _, changes in batch for ch in changes for k in objects_read(ch)}
        old_bytes = ss.read_records(self.store, conn, wanted) if wanted else {}
        old: dict[StatusKey, Record | None] = {k: json.loads(b) for k, b in old_bytes.items()}

        def read(key: StatusKey) -> Record | None:
            if key not in old and map_key(*key) not in wanted:  # not prefetched: one query
                found = ss.read_records(self.store, conn, {map_key(*key): key})
                old_bytes.update(found)
                old[key] = json.loads(found[key]) if key in found else None
            return old.get(key)

        changed = status_changes(batch, read)
        records, updates, replaced = [], {}, []
        for (kind, object_id), record in changed.items():
            data = record_bytes(record)
            mk = map_key(kind, object_id)
            records.append((mk, kind, object_id, data))
            updates[mk] = leaf_value(data)
            prev = old_bytes.get((kind, object_id))
            if prev is not None and prev != data:
                replaced.append((leaf_value(prev), mk, prev))
        reader = ss.StoreNodeReader(self.store, conn, self.cache, {self.root: self.root_page})
        root, created = apply(reader, self.root, updates)
        size = size_key if size_key is not None else batch[-1][0] + 1 if batch else self.size
        pages, nodes, root_page = ss.paginate(root, created, size, reader)
        return ss.StatusWrite(sorted(records), sorted(replaced), pages, nodes, root, root_page)

    def write(self, conn: Connection, w: ss.StatusWrite, size: int, time_s: int) -> None:
        ss.write_status(self.store, conn, w, size, time_s)

    def publish(self, w: ss.StatusWrite, size: int, time_s: int) -> None:
        """After the batch's commit: the new root is the committed one; its nodes go into the cache."""
        self.root, self.root_page, self.size, self.time_s = w.root, w.root_page, size, time_s
        self.cache.put_many(w.nodes)

    # ---- reading ---------------------------------------------------------------------------------------
    def root_at(self, conn: Connection, size: int) -> tuple[bytes, int, int]:
        """(root, the page holding it, time) the checkpoint of tree size ``size`` commits to;
        ``status.no_root`` when none."""
        row = self._roots.get(size) or ss.root_at(conn, size)
        if row is None:
            if size == 0:
                return EMPTY_ROOT, 0, 0
            raise NotFoundError(
                f"the log committed no status map root at tree size {size} (only checkpointed sizes have one)",
                code="status.no_root",
            )
        if len(self._roots) >= 1024:
            self._roots.clear()
        self._roots[size] = row  # a committed root never changes
        return row

    def prove(self, conn: Connection, size: int, kind: str, object_id: str) -> tuple[Record | None, MapProof]:
        """The object's record under the root at tree size ``size`` (None when absent) and the map proof of it."""
        if kind not in KINDS:
            raise NotFoundError(
                f"no status object kind {kind!r}: the kinds are {', '.join(sorted(KINDS))}", code="status.unknown_kind"
            )
        root, root_page, _ = self.root_at(conn, size)
        mk = map_key(kind, object_id)
        reader = ss.StoreNodeReader(self.store, conn, self.cache, {root: root_page})
        proof = prove(reader, root, mk)
        if proof.kind != PRESENT:
            return None, proof
        current = ss.read_records(self.store, conn, {mk: (kind, object_id)}).get((kind, object_id))
        if current is not None and root_from_map_proof(mk, leaf_value(current), proof) == root:
            return json.loads(current), proof
        value = lookup(reader, root, mk)  # an older root: the record an update replaced since
        assert value is not None  # prove() found it PRESENT: the same hash-checked walk from root
        older = ss.read_versions(self.store, conn, [value]).get(value)
        if older is None:
            raise ConfigError(
                f"the store holds no record of {kind} {object_id!r} with map value {value.hex()}", code="store.corrupt"
            )
        return json.loads(older), proof
