"""The status map root every checkpoint commits to is the recomputation of the log's entries (issue 16, item 1).

Attack guarded: an operator whose map says what the entries do not (a revoked label still active, a withdrawal
or a key revocation left out, a dataset's retirement forgotten). Every checkpoint the log signed — one per
batch — carries ``carbonledger-status/v1 <root> <time>``, and a monitor folding the log's entries through the
rule book (``verifier.status_replay``, which never reads the log's map) gets the same root at each size, on
SQLite and on PostgreSQL. The stored records are the replay's records, byte for byte.
"""

from __future__ import annotations

from sqlalchemy import select

from ledger.log import Log
from ledger.tables import CheckpointRow, StatusRecordRow
from verifier.envelope import parse_entry
from verifier.status_map import EMPTY_ROOT, map_key
from verifier.status_records import record_bytes
from verifier.status_replay import replay_status

from .status_story import committed, open_log, recomputed_roots, tell_story


def _checkpoint_notes(log: Log) -> dict[int, str]:
    with log.store.read() as c:
        return {r.size: r.note for r in c.execute(select(CheckpointRow.size, CheckpointRow.note))}


def test_every_checkpoint_commits_to_the_root_the_entries_give(db_url: str) -> None:
    log = open_log(db_url)
    try:
        tell_story(log)
        notes = _checkpoint_notes(log)
        assert len(notes) > 15  # one per batch
        commitments = {size: committed(note) for size, note in notes.items()}
        assert all(s == size for size, (s, _, _) in commitments.items())
        expected = recomputed_roots(log, sorted(notes))
        assert {s: root for s, (_, root, _) in commitments.items()} == expected
        assert len(set(expected.values())) == len(expected)  # every batch changed the status
        # the time is the log's clock at signing (the story moves it by one second before its last batches)
        times = [t for _, (_, _, t) in sorted(commitments.items())]
        assert times == sorted(times) and times[-1] - times[0] == 1
        # the read API answers the same root, at the newest checkpoint and at any earlier one
        assert log.status_root() == (log.size, expected[log.size], times[-1])
        some = sorted(notes)[3]
        assert log.status_root(some)[1] == expected[some]
    finally:
        log.store.close()


def test_stored_records_are_the_replays(db_url: str) -> None:
    log = open_log(db_url)
    try:
        tell_story(log)
        replay = replay_status((r.idx, parse_entry(bytes(r.envelope))) for r in log.store.entries(0, log.size))
        kinds = {kind for kind, _ in replay.records}
        assert kinds == {"label", "key", "scheme", "agreement", "pair", "dataset"}
        for (kind, object_id), record in replay.records.items():
            got, _ = log.status_proof(kind, object_id)
            assert got is not None and record_bytes(got) == record_bytes(record), (kind, object_id)
        with log.store.read() as c:
            stored = {bytes(k): bytes(v) for k, v in c.execute(select(StatusRecordRow.map_key, StatusRecordRow.record))}
        assert stored == {map_key(*k): record_bytes(r) for k, r in replay.records.items()}
    finally:
        log.store.close()


def test_an_empty_log_commits_to_the_empty_map(sqlite_url: str) -> None:
    log = open_log(sqlite_url)
    try:
        size, root, _ = committed(log.checkpoint())
        assert (size, root) == (0, EMPTY_ROOT)
        assert log.status_root()[:2] == (0, EMPTY_ROOT)
        record, proof = log.status_proof("label", '["gd-carbon-label","GD-1"]')
        assert record is None and proof.kind == "absent_empty"
    finally:
        log.store.close()
