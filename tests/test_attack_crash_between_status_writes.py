"""A batch's entries and its status map changes are written in one transaction: a crash between any two of its
writes leaves both or neither (issue 16, item 2; the storage contract of ``ledger/store.py``).

Attack guarded (an accident an attacker can provoke: a full disk, a killed process): a map that holds a batch
the log does not (a label "active" that was never logged, a record whose entry is missing), or a log whose
newest checkpoint commits to a map the store does not hold. Faults are injected before, between and after the
map's own writes; afterwards the store's map equals the recomputation from its entries, the same process and a
reopened one agree, and the batch submitted again lands with the map maintained.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from ledger import status_store
from ledger.batch_view import BatchView
from ledger.log import Log
from ledger.store import Store
from ledger.tables import CheckpointRow, StatusRecordRow, StatusRootRow
from verifier.envelope import parse_entry
from verifier.status_records import label_object_id
from verifier.status_replay import replay_status

from .status_story import GD, open_log
from .test_verify_equivalence import World, current_label


class Crash(Exception):
    pass


def _fault_in_status_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """The nodes and records are written, then the process dies before the root."""
    real = status_store.write_status

    def half(store: Any, conn: Any, w: Any, size: Any, time_s: int) -> None:
        real(store, conn, w, None, time_s)
        raise Crash("after the map's nodes and records")

    monkeypatch.setattr(status_store, "write_status", half)


def _fault_before_checkpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries, state and the whole map are written; the checkpoint is not."""
    real = Store.insert_rows

    def insert_rows(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        if table is CheckpointRow:
            raise Crash("before the checkpoint")
        real(conn, table, rows)

    monkeypatch.setattr(Store, "insert_rows", staticmethod(insert_rows))


def _fault_before_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are written, the state and the map are not."""

    def write(self: BatchView) -> None:
        raise Crash("before the state and the map")

    monkeypatch.setattr(BatchView, "write", write)


FAULTS = {
    "in_status_write": _fault_in_status_write,
    "before_checkpoint": _fault_before_checkpoint,
    "before_map": _fault_before_map,
}


def _consistent(log: Log) -> None:
    """The store's map is the recomputation of its entries, at the store's size."""
    store = log.store
    replay = replay_status((r.idx, parse_entry(bytes(r.envelope))) for r in store.entries(0, store.tree_size()))
    with store.read() as c:
        records = c.execute(select(func.count()).select_from(StatusRecordRow)).scalar_one()
        newest = c.execute(select(func.max(StatusRootRow.size))).scalar_one()
    assert newest == store.tree_size() == replay.state.size
    assert records == len(replay.records)  # no record of an entry the log does not hold
    assert log.status_root()[:2] == (replay.state.size, replay.root)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_crash_leaves_map_and_entries_together(db_url: str, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    log = open_log(db_url)
    try:
        w = World(log)
        w.issue("GD-CRASH-0")
        size, root = log.size, log.status_root()
        batch = [w.cqc.issue(current_label(f"GD-CRASH-{i}")) for i in (1, 2, 3)]
        with monkeypatch.context() as m:
            FAULTS[fault](m)
            with pytest.raises(Crash):
                log.submit_many(batch)
        assert log.size == size and log.status_root() == root  # nothing was published
        _consistent(log)
        reopened = open_log(db_url, log.log_key)
        assert reopened.status_root() == root
        reopened.store.close()
        record, proof = log.status_proof("label", label_object_id(GD, "GD-CRASH-1"))
        assert record is None and proof.kind != "present"  # the label never landed, in the map either
        results = log.submit_many(batch)  # the same batch, again: it lands, the map with it
        assert all(hasattr(r, "index") for r in results), results
        _consistent(log)
        record, _ = log.status_proof("label", label_object_id(GD, "GD-CRASH-1"))
        assert record is not None and record["status"] == "active"
    finally:
        log.store.close()
