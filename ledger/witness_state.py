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

Per origin it keeps the newest cosigned checkpoint and that cosignature's time (``updated_s``: the time the
cosignature carries, as it always has, so older files read the same); :func:`ledger.witness_core.decide`
never stamps a later cosignature earlier. The clock is read inside the transaction, after the lock is taken.

The file also records the witness's verifier key (one state belongs to one witness: another key on the
same directory is refused) and trusted-signed checkpoints refused as inconsistent: the spec invites a witness
to keep them, as they may prove the log misbehaved. They are capped per origin and per answer code
(:data:`EVIDENCE_PER_ORIGIN` each), so a flood of one kind — say 422s anyone can make by replaying a public
checkpoint with junk proof lines — never evicts another (a split view's 409s). A refusal already kept — the
same code, old size and checkpoint text (its signed lines; proof and signature lines aside) — is not kept
again: replays cannot push older evidence out. The ``evidence_key`` table holds those keys (rows kept
before it existed get theirs when the file is opened).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mapping.errors import ConfigError, InputError, UnavailableError
from verifier.note import split_note

from .witness_core import Answer, OriginState, parse_add_checkpoint

__all__ = ["EVIDENCE_PER_ORIGIN", "STATE_FILE", "WitnessStore"]

STATE_FILE = "witness.db"
EVIDENCE_PER_ORIGIN = 100  # refused requests kept per origin and per answer code (the oldest go first)
_BUSY_TIMEOUT_MS = 30_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS witness_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,
    size TEXT NOT NULL,          -- decimal: tree sizes go up to 2**64 - 1, past SQLite's signed integers
    root_hash BLOB NOT NULL,
    note TEXT NOT NULL,          -- the cosigned note, this witness's cosignature line included
    updated_s INTEGER NOT NULL   -- the time of that cosignature (POSIX seconds)
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,          -- the whole request body, as received
    received_s INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence_key (
    id INTEGER PRIMARY KEY,      -- the evidence row's id
    digest BLOB NOT NULL         -- _evidence_digest of its body: what makes two refusals the same evidence
);
CREATE INDEX IF NOT EXISTS evidence_key_digest ON evidence_key (digest);
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
            unkeyed = conn.execute("SELECT id, body FROM evidence WHERE id NOT IN (SELECT id FROM evidence_key)")
            for id_, body in unkeyed.fetchall():  # rows kept before evidence_key existed
                conn.execute("INSERT INTO evidence_key VALUES (?, ?)", (id_, _evidence_digest(body.encode())))

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
        row = conn.execute("SELECT size, root_hash, note, updated_s FROM latest WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else OriginState(int(row[0]), bytes(row[1]), row[2], int(row[3]))

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
        self,
        origin: str,
        decide: Callable[[OriginState | None], Answer],
        body: bytes,
        clock: Callable[[], float] = time.time,
    ) -> Answer:
        """Requires ``decide`` to be pure. Under the write lock: reads ``origin``'s state, asks ``decide`` (which
        may read the clock: it runs after the lock is taken), stores its new state (on 200) or the refused
        ``body`` as evidence (stamped with ``clock``'s reading), commits (durably), then returns the
        answer — with ``evidence`` cleared when the same evidence was kept already (nothing new to report).

        Raises ``witness.state_busy`` / ``witness.state_write`` (503) when the file cannot be written: then
        nothing was stored and no cosignature may be handed out."""
        try:
            with self._transaction() as conn:
                result = decide(self._read(conn, origin))
                if result.new_state is not None:
                    s = result.new_state
                    conn.execute(
                        "INSERT INTO latest VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                        "size = excluded.size, root_hash = excluded.root_hash, note = excluded.note, "
                        "updated_s = excluded.updated_s",
                        (origin, str(s.size), s.root_hash, s.note, s.cosigned_s),
                    )
                elif result.evidence:
                    if not self._keep_evidence(conn, origin, result, body, int(clock())):
                        result = dataclasses.replace(result, evidence=False)
        except sqlite3.Error as e:
            raise UnavailableError(f"cannot update witness state {self.path}: {e}", code="witness.state_write") from e
        return result

    @staticmethod
    def _keep_evidence(conn: sqlite3.Connection, origin: str, result: Answer, body: bytes, stamp: int) -> bool:
        """Keep ``body`` unless the same evidence is kept already (False then); then drop the oldest rows of its
        origin and code over the cap."""
        digest = _evidence_digest(body)
        kept = conn.execute(
            "SELECT 1 FROM evidence_key k JOIN evidence e ON e.id = k.id "
            "WHERE k.digest = ? AND e.origin = ? AND e.code = ?",
            (digest, origin, result.code),
        ).fetchone()
        if kept is not None:
            return False
        cursor = conn.execute(
            "INSERT INTO evidence (origin, status, code, body, received_s) VALUES (?, ?, ?, ?, ?)",
            (origin, result.status, result.code, body.decode("utf-8", "replace"), stamp),
        )
        conn.execute("INSERT INTO evidence_key VALUES (?, ?)", (cursor.lastrowid, digest))
        over = conn.execute(
            "SELECT id FROM evidence WHERE origin = ? AND code = ? ORDER BY id DESC LIMIT -1 OFFSET ?",
            (origin, result.code, EVIDENCE_PER_ORIGIN),
        ).fetchall()
        conn.executemany("DELETE FROM evidence WHERE id = ?", over)
        conn.executemany("DELETE FROM evidence_key WHERE id = ?", over)
        return True


def _evidence_digest(body: bytes) -> bytes:
    """What makes two refused requests the same evidence: their old size and the checkpoint's text (the lines
    the log signed). Proof lines and signature lines aside, which anyone can vary without the log's key."""
    try:
        request = parse_add_checkpoint(body, len(body))
    except InputError:
        return hashlib.sha256(b"body\n" + body).digest()  # never evidence here: a refusal kept parsed
    text, _ = split_note(request.note)
    return hashlib.sha256(f"old {request.old_size}\n{text}".encode()).digest()
