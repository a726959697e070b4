"""SQLite write-ahead-log checkpoints, off the sequencer's path.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that writer stalls while
the log's pages are copied into the database file and synced — on the ingest benchmark, about a seventh of
the sequencer's time. The store turns it off (``wal_autocheckpoint=0``) and this daemon thread, with its own
connection, runs a PASSIVE checkpoint after every few commits instead: it copies what no reader still needs,
never blocks the writer, and SQLite releases the GIL while it works. When the log has grown past a hard
limit anyway (a reader held an old snapshot through several checkpoints), one RESTART checkpoint waits for
the readers and lets the next writer start the log from its beginning again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("carbonledger.wal")

COMMITS_PER_CHECKPOINT = 8  # ~8 append batches (~25 MB of log at 1000 label entries each)
HARD_LIMIT_FRAMES = 16384  # 64 MiB of 4 KiB pages


class WalCheckpointer:
    def __init__(self, path: str) -> None:
        self._path = path
        self._wake = threading.Event()
        self._stopping = False
        self._commits = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="carbonledger-wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Called after each write transaction commits."""
        with self._lock:
            self._commits += 1
            due = self._commits % COMMITS_PER_CHECKPOINT == 0
        if due:
            self._wake.set()

    def close(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=30000")
            while True:
                self._wake.wait()
                self._wake.clear()
                self.checkpoint(conn)
                if self._stopping:
                    return
        except sqlite3.Error:  # pragma: no cover - the database went away under us
            log.exception("WAL checkpoints stopped for %s", self._path)
        finally:
            conn.close()

    @staticmethod
    def checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
        """One PASSIVE checkpoint (and a RESTART one past the hard limit): (busy, log frames, copied frames)."""
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames > HARD_LIMIT_FRAMES:
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        return busy, frames, copied
