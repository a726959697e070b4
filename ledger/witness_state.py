"""A witness's state: the newest checkpoint it cosigned per origin, in one SQLite file (``witness.db``) of the
state directory. Several threads and several processes may share it.

tlog-witness (in our words): the witness must persist the new checkpoint before it answers, and checking the
old size against the stored one and storing the new one must be one atomic step — otherwise two requests can
both pass the check and the older one be stored last, rolling the witness back. Here that step is one
``BEGIN IMMEDIATE`` transaction (:meth:`WitnessStore.check_and_store`): it takes SQLite's write lock first,
then re-reads the state, decides (``ledger.witness_core.decide``, pure), writes and commits; a second
writer — another thread's connection or another process — waits for the lock and then reads the new state.
WAL journal and ``synchronous=FULL``: a commit is on disk before the answer goes out, and a ``kill -9`` at any
moment leaves the last committed state (never a half-written one).

The file also records the witness's verifier key (one state belongs to one witness: another key on the
same directory is refused) and, capped per origin, trusted-signed checkpoints refused as inconsistent: the
spec invites a witness to keep them, as they may prove the log misbehaved.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mapping.errors import ConfigError, UnavailableError

from .witness_core import Answer, OriginState

__all__ = ["EVIDENCE_PER_ORIGIN", "STATE_FILE", "WitnessStore"]

STATE_FILE = "witness.db"
EVIDENCE_PER_ORIGIN = 100
_BUSY_TIMEOUT_MS = 30_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS witness_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,
    size TEXT NOT NULL,          -- decimal: tree sizes go up to 2**64 - 1, past SQLite's signed integers
    root_hash BLOB NOT NULL,
    note TEXT NOT NULL,          -- the cosigned note, this witness's cosignature line included
    updated_s INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,          -- the whole request body, as received
    received_s INTEGER NOT NULL
);
"""


class WitnessStore:
    """The state in ``directory/witness.db`` for the witness whose verifier key is ``witness_vkey``."""

    def __init__(self, directory: Path, witness_vkey: str) -> None:
        """Requires nothing. Creates the directory and the file when missing; raises ``witness.state_unusable``
        when it cannot be opened and ``witness.state_other_key`` when it belongs to another witness key."""
        self.path = Path(directory) / STATE_FILE
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                f"cannot create state directory {directory}: {e.strerror}", code="witness.state_unusable"
            ) from e
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM witness_meta WHERE name = 'witness_vkey'").fetchone()
            if row is None:
                conn.execute("INSERT INTO witness_meta VALUES ('witness_vkey', ?)", (witness_vkey,))
            elif row[0] != witness_vkey:
                raise ConfigError(
                    f"state {self.path} belongs to witness key {row[0]!r}, not {witness_vkey!r}",
                    code="witness.state_other_key",
                )

    # ---- connections -----------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
            except sqlite3.Error as e:
                raise ConfigError(f"cannot open witness state {self.path}: {e}", code="witness.state_unusable") from e
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is held from its start to its commit."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise UnavailableError(f"witness state {self.path} is busy: {e}", code="witness.state_busy") from e
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise UnavailableError(f"cannot commit witness state {self.path}: {e}", code="witness.state_write") from e

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # ---- reading and the one atomic step ------------------------------------------------------------
    @staticmethod
    def _read(conn: sqlite3.Connection, origin: str) -> OriginState | None:
        row = conn.execute("SELECT size, root_hash, note FROM latest WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else OriginState(int(row[0]), bytes(row[1]), row[2])

    def latest(self, origin: str) -> OriginState | None:
        """Requires nothing. The newest state committed for ``origin`` (None: never cosigned)."""
        try:
            return self._read(self._conn(), origin)
        except sqlite3.Error as e:
            raise UnavailableError(f"cannot read witness state {self.path}: {e}", code="witness.state_read") from e

    def origins(self) -> dict[str, int]:
        """Requires nothing. Every origin with a cosigned checkpoint, and its size."""
        rows = self._conn().execute("SELECT origin, size FROM latest ORDER BY origin").fetchall()
        return {origin: int(size) for origin, size in rows}

    def evidence(self, origin: str) -> list[tuple[int, str, str]]:
        """Requires nothing. The kept refused requests for ``origin``, oldest first: (status, code, body)."""
        rows = (
            self._conn()
            .execute("SELECT status, code, body FROM evidence WHERE origin = ? ORDER BY id", (origin,))
            .fetchall()
        )
        return [(int(s), c, b) for s, c, b in rows]

    def check_and_store(
        self, origin: str, decide: Callable[[OriginState | None], Answer], body: bytes, now_s: int | None = None
    ) -> Answer:
        """Requires ``decide`` to be pure. Under the write lock: reads ``origin``'s state, asks ``decide``, stores
        its new state (on 200) or the refused ``body`` as evidence, commits (durably), then returns the answer.

        Raises ``witness.state_busy`` / ``witness.state_write`` (503) when the file cannot be written: then
        nothing was stored and no cosignature may be handed out."""
        stamp = int(time.time()) if now_s is None else now_s
        try:
            with self._transaction() as conn:
                result = decide(self._read(conn, origin))
                if result.new_state is not None:
                    s = result.new_state
                    conn.execute(
                        "INSERT INTO latest VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                        "size = excluded.size, root_hash = excluded.root_hash, note = excluded.note, "
                        "updated_s = excluded.updated_s",
                        (origin, str(s.size), s.root_hash, s.note, stamp),
                    )
                elif result.evidence:
                    self._keep_evidence(conn, origin, result, body, stamp)
        except sqlite3.Error as e:
            raise UnavailableError(f"cannot update witness state {self.path}: {e}", code="witness.state_write") from e
        return result

    @staticmethod
    def _keep_evidence(conn: sqlite3.Connection, origin: str, result: Answer, body: bytes, stamp: int) -> None:
        conn.execute(
            "INSERT INTO evidence (origin, status, code, body, received_s) VALUES (?, ?, ?, ?, ?)",
            (origin, result.status, result.code, body.decode("utf-8", "replace"), stamp),
        )
        conn.execute(
            "DELETE FROM evidence WHERE origin = ? AND id NOT IN "
            "(SELECT id FROM evidence WHERE origin = ? ORDER BY id DESC LIMIT ?)",
            (origin, origin, EVIDENCE_PER_ORIGIN),
        )
