"""How the store opens connections and transactions, and what the database's failures mean to the service.

Three ways in, each a context manager over an SQLAlchemy engine:

- :func:`write_transaction` — the one serialized writer: SQLite's ``BEGIN IMMEDIATE`` (its write lock),
  PostgreSQL's transaction-scoped advisory lock; both wait at most the store's lock wait
  (:data:`LOCK_WAIT_MS`), then fail with ``store.locked``.
- :func:`read_snapshot` — one read transaction: every read inside it sees one committed state (SQLite in WAL
  mode keeps the snapshot of the transaction's first read; PostgreSQL's REPEATABLE READ the snapshot of its
  first statement), so a reader never sees the tree of one batch beside the checkpoint of another.
- :func:`connection` — a plain connection for single-statement reads.

Faults of the storage itself — disk full, a read-only file or database, a write lock held too long, the
database unreachable or gone — leave each of them as :class:`~mapping.errors.UnavailableError` (HTTP 503 with
Retry-After, CLI exit 1) with a precise code: ``store.full``, ``store.read_only``, ``store.locked``,
``store.unavailable``. They are translated here, once; what is not a storage fault (a constraint, a value the
column refuses) goes on as the driver's error.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from mapping.errors import UnavailableError

__all__ = [
    "LOCK_WAIT_MS",
    "SEQUENCER_LOCK_ID",
    "connection",
    "fault_of",
    "guard_sqlite_files",
    "read_snapshot",
    "refusal",
    "sqlite_pragmas",
    "write_transaction",
]

SEQUENCER_LOCK_ID = 0x6361726C  # "carl": the PostgreSQL advisory lock of the one sequencer
# The longest a writer waits for the store's write lock (SQLite's busy timeout, PostgreSQL's lock_timeout). A
# submission's receipt wait (ledger/sequencer.py) is shorter.
LOCK_WAIT_MS = 30_000

# SQLite's primary result codes (sqlite3.Error.sqlite_errorname, extended names start with them) → the fault.
_SQLITE_FAULTS = {
    "SQLITE_BUSY": ("store.locked", "the store's write lock is held by another writer"),
    "SQLITE_LOCKED": ("store.locked", "the store's write lock is held by another writer"),
    "SQLITE_FULL": ("store.full", "the store's disk is full"),
    "SQLITE_READONLY": ("store.read_only", "the store is read-only"),
    "SQLITE_CANTOPEN": ("store.unavailable", "the store's database file cannot be opened"),
    "SQLITE_IOERR": ("store.unavailable", "the store's file system failed a read or write"),
    "SQLITE_PROTOCOL": ("store.locked", "the store's lock protocol failed; another process holds it"),
    "SQLITE_PERM": ("store.read_only", "the store's database file may not be written"),
}
# PostgreSQL SQLSTATE classes and codes → the fault (Appendix A of the PostgreSQL manual).
_PG_FAULTS = {
    "53100": ("store.full", "the database's disk is full"),
    "55P03": ("store.locked", "the sequencer lock is held by another writer"),
    "40P01": ("store.locked", "a deadlock with another writer"),
    "25006": ("store.read_only", "the database is read-only"),
}
_PG_CLASS_FAULTS = {
    "08": ("store.unavailable", "the connection to the database failed"),
    "53": ("store.unavailable", "the database is out of resources"),
    "57": ("store.unavailable", "the database is shutting down or cancelled the statement"),
    "58": ("store.unavailable", "the database's system failed"),
}


def fault_of(error: BaseException) -> UnavailableError | None:
    """Requires an exception raised by SQLAlchemy or its driver. The storage fault it is, or None (not one)."""
    if isinstance(error, sa_exc.TimeoutError):  # the connection pool is exhausted
        return UnavailableError(f"no database connection free: {error}", code="store.unavailable")
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    orig = error.orig
    name = getattr(orig, "sqlite_errorname", None)
    found: tuple[str, str] | None = None
    if isinstance(name, str):
        found = next((v for k, v in _SQLITE_FAULTS.items() if name == k or name.startswith(k + "_")), None)
    else:
        state = getattr(orig, "sqlstate", None)
        if isinstance(state, str):
            found = _PG_FAULTS.get(state) or _PG_CLASS_FAULTS.get(state[:2])
        elif error.connection_invalidated or isinstance(error, sa_exc.OperationalError):
            found = ("store.unavailable", "the database cannot be reached")
    if found is None:
        return None
    code, what = found
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return UnavailableError(f"{what} ({detail}); retry shortly", code=code, retry_after_s=1)


def refusal(error: BaseException) -> str | None:
    """Why the store refused a value it was given (a constraint, a length, a NUL, a number or text the driver
    cannot bind) — in one short line — or None when ``error`` is no such refusal (a storage fault, a bug):
    retrying without that value may succeed."""
    if isinstance(error, sa_exc.DBAPIError):
        if fault_of(error) is not None:
            return None
        text = str(error.orig).strip()
    elif isinstance(error, OverflowError | UnicodeError | ValueError):
        text = str(error).strip()
    else:
        return None
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= 200 else line[:200] + "…"


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as e:
        fault = fault_of(e)
        if fault is None:
            raise
        raise fault from e


@contextlib.contextmanager
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads that need no common snapshot; storage faults leave as UnavailableError."""
    with _translated(), engine.connect() as conn:
        yield conn


@contextlib.contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: everything read through the connection comes from one committed state."""
    with _translated(), engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN")  # deferred: the first read fixes the WAL snapshot
            try:
                yield conn
            finally:
                _quietly(conn, "ROLLBACK")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin() as tx:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn
                tx.rollback()


@contextlib.contextmanager
def write_transaction(engine: Engine, lock_wait_ms: int) -> Iterator[Connection]:
    """The one serialized write transaction: commits on normal exit, rolls back on any exception (and then
    nothing of it is in the store)."""
    with _translated(), engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                _quietly(conn, "ROLLBACK")  # SQLite may have rolled back already (a full disk, an I/O error)
                raise
            try:
                conn.exec_driver_sql("COMMIT")
            except BaseException:
                _quietly(conn, "ROLLBACK")
                raise
        else:
            with conn.begin():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(lock_wait_ms)}")
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SEQUENCER_LOCK_ID})")
                yield conn


def _quietly(conn: Connection, sql: str) -> None:
    with contextlib.suppress(Exception):
        conn.exec_driver_sql(sql)


def sqlite_pragmas(busy_timeout_ms: int) -> Any:
    """The connect hook of a SQLite store: WAL, full fsync, the lock wait, caches."""

    def hook(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # A 32 MiB page cache per connection keeps the indexes' hot pages (entry ids hash to random places) in
        # memory, and a 32 MiB write-ahead log between checkpoints lets a batch commit without a checkpoint each.
        cur.execute("PRAGMA cache_size=-32768")
        cur.execute("PRAGMA wal_autocheckpoint=8192")
        cur.close()

    return hook


def guard_sqlite_files(engine: Engine) -> None:
    """Requires a SQLite engine. Installs :func:`_open_guard` on it when its database is a file."""
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        event.listen(engine, "do_connect", _open_guard(database))


def _open_guard(db_path: str) -> Any:
    """The ``do_connect`` hook of a SQLite store: refuse to open a connection the store could not write with.

    SQLite opens a database it may not write read-only, and then maps its ``-shm`` wal-index read-only too
    (https://www.sqlite.org/wal.html, "read-only databases"); in one process every connection to the file shares
    that mapping. Such a connection can never write again — a pool holding one never recovered once the files
    were writable — and a read-only mapping of shared memory another process resizes is how a server died of
    SIGBUS. So a new connection is refused, as ``store.read_only`` before SQLite touches any file, while the
    database, its ``-wal`` or ``-shm`` file (or, when those do not exist, their directory) may not be written;
    connections already open keep working, and new ones open again once the files are writable."""

    def hook(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
        unwritable = _unwritable(db_path)
        if unwritable is not None:
            refused = sqlite3.OperationalError(f"attempt to open {unwritable} read-only")
            refused.sqlite_errorname = "SQLITE_READONLY"  # type: ignore[attr-defined]  # what SQLite would name it
            refused.sqlite_errorcode = 8  # type: ignore[attr-defined]
            raise refused
        return None  # the dialect connects as usual

    return hook


def _unwritable(db_path: str) -> str | None:
    """The first of the database's files (or their directory) this process may not write, or None."""
    if not os.path.exists(db_path):
        return None  # created by the connection: its directory's permissions decide, and SQLite reports them
    for path in (db_path, db_path + "-wal", db_path + "-shm"):
        if os.path.exists(path) and not os.access(path, os.W_OK):
            return path
    if not (os.path.exists(db_path + "-wal") and os.path.exists(db_path + "-shm")):
        folder = os.path.dirname(os.path.abspath(db_path))
        if not os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None
