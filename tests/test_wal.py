"""SQLite checkpoints run in the store's own thread: the write-ahead log stays bounded and nothing is lost."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ledger import wal
from ledger.log import Log
from ledger.state import Policy
from ledger.store import Store
from verifier.keys import SigningKey

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


def test_commits_are_checkpointed_outside_the_writer_and_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    store = Store(f"sqlite:///{db}")
    with store.read() as conn:  # the writer's connections never checkpoint on their own
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    log_key = SigningKey.generate()
    log = Log(store, log_key, "wal.test/log", Policy(frozenset({GD})), lambda: NOW)
    gd, cb = Signer(), Signer()
    log.submit(gd.register(GD))
    log.submit(gd.authorize(GD, cb))
    for i in range(3 * wal.COMMITS_PER_CHECKPOINT):  # one commit per batch
        log.submit_many([cb.issue(label_for(GD, f"C-{i}-{j}")) for j in range(5)])
    size, root = log.size, log.root()
    store.close()  # a last checkpoint; the thread stops
    assert _backfilled(db)  # the last checkpoint copied every frame into the database file
    reopened = Store(f"sqlite:///{db}")
    again = Log(reopened, log_key, "wal.test/log", Policy(frozenset({GD})), lambda: NOW)
    assert (again.size, again.root()) == (size, root)
    reopened.close()


def _backfilled(db: Path) -> bool:
    conn = sqlite3.connect(db)
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy == 0 and frames == copied
    finally:
        conn.close()


def test_past_the_hard_limit_a_restart_checkpoint_brings_the_log_back(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "limit.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x BLOB)")
    for _ in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (os.urandom(4000),))
    monkeypatch.setattr(wal, "HARD_LIMIT_FRAMES", 10)
    other = sqlite3.connect(db, isolation_level=None)
    busy, frames, copied = wal.WalCheckpointer.checkpoint(other)
    assert busy == 0 and frames == copied  # all copied; the next writer starts the log from its beginning
    conn.execute("INSERT INTO t VALUES (x'00')")
    _, frames_after, _ = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames_after < 10
    other.close()
    conn.close()
