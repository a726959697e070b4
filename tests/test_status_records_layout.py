"""``status_records`` changed layout on SQLite (2026-12-03): a rowid table with its key in an index, where a
store made before has a WITHOUT ROWID table. Both must hold the same rows and answer the same queries: a store
made before goes on appending, proving status and passing fsck, and its map root equals a new store's.

Attack guarded: an operator upgrades and the log, on its older table, serves a status the entries do not give
(or refuses to append), so a buyer is told "absent" or "active" for a label its story revoked.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ledger.fsck import fsck
from verifier.keys import SigningKey
from verifier.status_records import label_object_id

from .status_story import GD, open_log, recomputed_roots, tell_story

_OLD_TABLE = (
    "CREATE TABLE status_records (map_key BLOB NOT NULL, kind VARCHAR(16) NOT NULL, object_id VARCHAR NOT NULL, "
    "record BLOB NOT NULL, PRIMARY KEY (map_key)) WITHOUT ROWID"
)


def _layout(url: str) -> str:
    log = open_log(url)
    with log.store.read() as conn:
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'status_records'")).scalar_one()
    log.store.close()
    return str(sql)


def test_a_new_store_keeps_status_records_in_rowid_order(tmp_path: Path) -> None:
    assert "WITHOUT ROWID" not in _layout(f"sqlite:///{tmp_path}/new.db").upper()


def test_attack_a_store_with_the_earlier_layout_still_proves_the_same_status(tmp_path: Path) -> None:
    old_url, new_url = f"sqlite:///{tmp_path}/old.db", f"sqlite:///{tmp_path}/new.db"
    key = SigningKey.generate()
    made = open_log(old_url, key)  # the tables as today, then status_records as the earlier code made it
    with made.store.write() as conn:
        conn.execute(text("DROP TABLE status_records"))
        conn.execute(text(_OLD_TABLE))
    made.store.close()
    assert "WITHOUT ROWID" in _layout(old_url).upper()

    old, new = open_log(old_url, key), open_log(new_url, key)
    try:
        tell_story(old)
        copied = new.submit_many([old.entry(i).envelope for i in range(old.size)])  # the same entries, one batch
        assert all(hasattr(r, "index") for r in copied), copied
        assert old.size == new.size
        assert old.status_root()[1] == new.status_root()[1]  # the same map from the same entries
        assert recomputed_roots(old, [old.size]) == {old.size: old.status_root()[1]}
        record, _ = old.status_proof("label", label_object_id(GD, "GD-ST-1"))
        assert record is not None and record["status"] == "revoked"
        report = fsck(old.store, old.origin, old.vkey)
        assert report.ok, report.difference
    finally:
        old.store.close()
        new.store.close()
