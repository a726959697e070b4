"""The persistent log store, and its storage contract.

Storage contract
----------------
- Everything one append batch writes — its entries, the Merkle nodes that became
  complete, the authority changes (schemes, keys and their chain heads, labels), the
  status map's records, nodes and root (``ledger/status_store.py``) and the log-signed
  checkpoint of the new tree size, which commits to that root — is written in ONE
  transaction. A receipt is handed out only after that transaction commits, so
  an acknowledged entry is durable and covered by a stored checkpoint.
- A crash before the commit leaves no trace of the batch; a crash after it loses
  nothing. On opening, the log reloads its authority state and the right edge of
  the tree from the store and checks that the newest checkpoint's size and root
  agree with the stored tree (:class:`ledger.log.Log` on opening, :meth:`ledger.log.Log.reload`).
- One sequencer at a time: SQLite takes its write lock at ``BEGIN IMMEDIATE``;
  PostgreSQL takes a transaction-scoped advisory lock. Inside the lock the log
  compares the stored tree size with its own and reloads when another process
  appended meanwhile.
- Merkle nodes are stored once each, as hashes of perfect subtrees, so any proof
  or historic root needs O(log n) nodes, fetched in one query.
- SQLite runs in WAL mode with ``synchronous=FULL``: a committed batch survives
  power loss, not only a process crash.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from mapping.errors import ConfigError, MissingExtraError
from verifier.envelope import envelope_bytes
from verifier.schemas import ENTRY_KINDS

from . import label_search, store_session
from .store_session import LOCK_WAIT_MS
from .tables import (
    INT64_MAX,
    NODE_LEVEL_SHIFT,
    AgreementEventRow,
    CheckpointRow,
    DatasetRow,
    EntryRow,
    KeyRow,
    LabelRow,
    NodeRow,
    SchemeRow,
)

_FETCH_CHUNK = 500
_ENTRY_ID = re.compile(r"[0-9a-f]{64}", re.ASCII)
# Kinds whose entry ids another table indexes (labels, datasets, agreement events); the others are few, and
# found through the index on (scheme, kind, subject) — the entries table has no index on entry ids.
_KINDS_INDEXED_BY_ID = frozenset(
    {"label.issue", "dataset.publish", "agreement.propose", "agreement.accept", "agreement.withdraw"}
)
_OTHER_KINDS = [k for k in ENTRY_KINDS if k not in _KINDS_INDEXED_BY_ID]


def node_id(level: int, index: int) -> int:
    return (level << NODE_LEVEL_SHIFT) | index


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Store:
    """SQL storage of one log. Reads need no lock; :meth:`write` is the one write path."""

    def __init__(self, url: str, *, echo: bool = False, lock_wait_ms: int = LOCK_WAIT_MS) -> None:
        """``lock_wait_ms``: how long a writer waits for the write lock before ``store.locked``
        (ledger/store_session.py)."""
        self.url = normalize_url(url)
        self.lock_wait_ms = lock_wait_ms
        try:
            self.engine: Engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
        except ModuleNotFoundError as e:
            raise MissingExtraError("postgres", f"the store {url!r}", e) from e
        except Exception as e:
            raise ConfigError(f"cannot use database URL {url!r}: {e}", code="config.database_url") from e
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            store_session.guard_sqlite_files(self.engine)
            event.listen(self.engine, "connect", store_session.sqlite_pragmas(lock_wait_ms))
        try:
            SQLModel.metadata.create_all(self.engine)
        except Exception as e:
            fault = store_session.fault_of(e)
            if fault is not None and fault.code == "store.read_only":  # ledger/store_session.py names the file
                raise fault from e
            raise ConfigError(f"cannot open database {self.url!r}: {e}", code="config.database_unreachable") from e

    def close(self) -> None:
        self.engine.dispose()

    def write(self) -> contextlib.AbstractContextManager[Connection]:
        """One serialized write transaction: commits on normal exit, rolls back on any exception."""
        return store_session.write_transaction(self.engine, self.lock_wait_ms)

    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection for reads that need no common snapshot."""
        return store_session.connection(self.engine)

    def snapshot(self) -> contextlib.AbstractContextManager[Connection]:
        """One read transaction: every read through it sees the same committed state."""
        return store_session.read_snapshot(self.engine)

    # ---- reads -------------------------------------------------------------
    def tree_size(self, conn: Connection | None = None) -> int:
        with _maybe(self, conn) as c:
            top = c.execute(select(func.max(EntryRow.idx))).scalar_one()  # O(log n) on the primary key
        return 0 if top is None else top + 1

    def nodes(self, ids: Iterable[int], conn: Connection | None = None) -> dict[int, bytes]:
        wanted = sorted(set(ids))
        out: dict[int, bytes] = {}
        with _maybe(self, conn) as c:
            for start in range(0, len(wanted), _FETCH_CHUNK):
                chunk = wanted[start : start + _FETCH_CHUNK]
                for nid, h in c.execute(select(NodeRow.id, NodeRow.hash).where(NodeRow.id.in_(chunk))):
                    out[nid] = bytes(h)
        return out

    def entry(self, index: int) -> EntryRow | None:
        if not 0 <= index <= INT64_MAX:  # no row holds it (and SQLite would overflow on it)
            return None
        with self.read() as c:
            row = c.execute(select(EntryRow).where(EntryRow.idx == index)).first()
        return None if row is None else EntryRow.model_validate(row._mapping)

    def dataset_entry_by_id(self, entry_id: str, conn: Connection | None = None) -> EntryRow | None:
        """The dataset.publish entry with this entry id (entries are keyed by index and by (signer, seq); an
        entry id is found through the table of the records that are looked up by it)."""
        q = select(EntryRow).join(DatasetRow, DatasetRow.idx == EntryRow.idx).where(DatasetRow.entry_id == entry_id)
        with _maybe(self, conn) as c:
            row = c.execute(q).first()
        return None if row is None else EntryRow.model_validate(row._mapping)

    def entry_by_id(self, entry_id: str) -> EntryRow | None:
        """The entry whose entry id is ``entry_id`` (64 lower-case hex digits), or None.

        Entries are keyed by index and by (signer, seq): a random-keyed index on entry ids would cost every
        append a random B-tree insert. So the id is looked up where another table already indexes it — labels,
        datasets, agreement events, which hold most entries — and then among the other kinds' entries (scheme
        registrations and rotations, keys, profiles, revocations and supersessions, retirements), read
        through the index on (scheme, kind, subject): O(number of such entries), never a scan of the log."""
        if not _ENTRY_ID.fullmatch(entry_id):
            return None
        with self.read() as c:
            for table in (LabelRow, DatasetRow, AgreementEventRow):
                idx = c.execute(select(table.idx).where(table.entry_id == entry_id)).scalar()
                if idx is not None:
                    row = c.execute(select(EntryRow).where(EntryRow.idx == idx)).first()
                    if row is not None and row.entry_id == entry_id:
                        return EntryRow.model_validate(row._mapping)
            schemes = list(c.execute(select(SchemeRow.scheme_id)).scalars())  # a list: (scheme, kind) index lookups
            q = select(EntryRow).where(
                EntryRow.scheme.in_(schemes),
                EntryRow.kind.in_(_OTHER_KINDS),
                EntryRow.entry_id == entry_id,
            )
            row = c.execute(q).first()
        return None if row is None else EntryRow.model_validate(row._mapping)

    def entries_at(self, indexes: Iterable[int]) -> dict[int, EntryRow]:
        """The entries at ``indexes`` (those the log holds), by index, fetched in one query per 500."""
        wanted = sorted({i for i in indexes if 0 <= i <= INT64_MAX})
        out: dict[int, EntryRow] = {}
        with self.read() as c:
            for start in range(0, len(wanted), _FETCH_CHUNK):
                chunk = wanted[start : start + _FETCH_CHUNK]
                for r in c.execute(select(EntryRow).where(EntryRow.idx.in_(chunk))):
                    out[r.idx] = EntryRow.model_validate(r._mapping)
        return out

    def entries(self, start: int, end: int) -> list[EntryRow]:
        start, end = max(0, start), min(end, INT64_MAX)
        if start >= end:
            return []
        with self.read() as c:
            rows = c.execute(select(EntryRow).where(EntryRow.idx >= start, EntryRow.idx < end).order_by(EntryRow.idx))
            return [EntryRow.model_validate(r._mapping) for r in rows]

    def find_entries(
        self, kinds: Iterable[str], scheme: str, subject: str | None = None, conn: Connection | None = None
    ) -> list[EntryRow]:
        q = select(EntryRow).where(EntryRow.scheme == scheme, EntryRow.kind.in_(list(kinds)))
        if subject is not None:
            q = q.where(EntryRow.subject == subject)
        with _maybe(self, conn) as c:
            return [EntryRow.model_validate(r._mapping) for r in c.execute(q.order_by(EntryRow.idx))]

    def entry_at_seq(self, signer: str, seq: int, conn: Connection | None = None) -> EntryRow | None:
        if not -INT64_MAX - 1 <= seq <= INT64_MAX:  # not a 64-bit number: no row holds it
            return None
        with _maybe(self, conn) as c:
            row = c.execute(select(EntryRow).where(EntryRow.signer == signer, EntryRow.seq == seq)).first()
        return None if row is None else EntryRow.model_validate(row._mapping)

    def labels_by_ids(self, label_ids: Iterable[str], conn: Connection | None = None) -> list[LabelRow]:
        wanted = sorted(set(label_ids))
        out: list[LabelRow] = []
        with _maybe(self, conn) as c:
            for start in range(0, len(wanted), _FETCH_CHUNK):
                chunk = wanted[start : start + _FETCH_CHUNK]
                out.extend(
                    LabelRow.model_validate(r._mapping)
                    for r in c.execute(select(LabelRow).where(LabelRow.label_id.in_(chunk)))
                )
        return out

    def labels_with_id(self, label_id: str, scheme: str | None = None) -> list[LabelRow]:
        """The labels holding ``label_id`` — one per scheme at most, since admission keys labels by (scheme,
        label id) — ordered by scheme; only ``scheme``'s when it is given."""
        q = select(LabelRow).where(LabelRow.label_id == label_id)
        if scheme is not None:
            q = q.where(LabelRow.scheme == scheme)
        with self.read() as c:
            return [LabelRow.model_validate(r._mapping) for r in c.execute(q.order_by(LabelRow.scheme))]

    def label_by_entry(self, entry_id: str, conn: Connection | None = None) -> LabelRow | None:
        with _maybe(self, conn) as c:
            row = c.execute(select(LabelRow).where(LabelRow.entry_id == entry_id)).first()
        return None if row is None else LabelRow.model_validate(row._mapping)

    def labels(self, scheme: str | None = None, limit: int = 1000, after: int | None = None) -> list[LabelRow]:
        """Labels in log order (of ``scheme``, when given), from the first issued after log index ``after``."""
        q = select(LabelRow).order_by(LabelRow.idx).limit(limit)
        if after is not None:
            q = q.where(LabelRow.idx > after)
        if scheme is not None:
            q = q.where(LabelRow.scheme == scheme)
        with self.read() as c:
            return [LabelRow.model_validate(r._mapping) for r in c.execute(q)]

    def search_labels(
        self,
        *,
        text: str = "",
        model: str = "",
        gtin: str = "",
        manufacturer: str = "",
        scheme: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> list[LabelRow]:
        """Labels matching every filter given, newest first, at most ``limit`` (below log index ``before`` if given):
        ``text`` a case-insensitive substring of the label id, model, GTIN, product name, manufacturer, scheme id or
        the scheme's registered name; ``model`` and ``manufacturer`` case-insensitive substrings of those columns;
        ``gtin`` the GTIN exactly; ``scheme`` the scheme id exactly. Empty filters are ignored."""
        with self.read() as c:
            stmt = label_search.statement(c, text, model, gtin, manufacturer, scheme, before).limit(limit)
            return [LabelRow.model_validate(r._mapping) for r in c.execute(stmt)]

    def dataset_rows(self, dataset_id: str | None = None, conn: Connection | None = None) -> list[DatasetRow]:
        q = select(DatasetRow).order_by(DatasetRow.dataset_id, DatasetRow.version)
        if dataset_id is not None:
            q = q.where(DatasetRow.dataset_id == dataset_id)
        with _maybe(self, conn) as c:
            return [DatasetRow.model_validate(r._mapping) for r in c.execute(q)]

    def dataset_by_entry(self, entry_id: str, conn: Connection | None = None) -> DatasetRow | None:
        with _maybe(self, conn) as c:
            row = c.execute(select(DatasetRow).where(DatasetRow.entry_id == entry_id)).first()
        return None if row is None else DatasetRow.model_validate(row._mapping)

    def dataset_envelope_by_id(self, entry_id: str, conn: Connection | None = None) -> bytes | None:
        row = self.dataset_entry_by_id(entry_id, conn)
        return None if row is None else row.envelope

    @staticmethod
    def retire_dataset(conn: Connection, dataset_id: str, version: int, index: int, by_entry: str) -> None:
        conn.execute(
            update(DatasetRow)
            .where(DatasetRow.dataset_id == dataset_id, DatasetRow.version == version)
            .values(status="retired", retired_index=index, retire_entry=by_entry)
        )

    def agreement_events(self, conn: Connection | None = None) -> list[tuple[AgreementEventRow, bytes]]:
        """Every agreement entry in log order, with its envelope."""
        cols = list(AgreementEventRow.__table__.columns)  # type: ignore[attr-defined]
        q = (
            select(*cols, EntryRow.payload, EntryRow.signer.label("entry_signer"), EntryRow.sig)  # type: ignore
            .join(EntryRow, EntryRow.idx == AgreementEventRow.idx)
            .order_by(AgreementEventRow.idx)
        )
        with _maybe(self, conn) as c:
            return [
                (
                    AgreementEventRow.model_validate({col.name: r._mapping[col.name] for col in cols}),
                    envelope_bytes(bytes(r.payload), r.entry_signer, bytes(r.sig)),
                )
                for r in c.execute(q)
            ]

    def keys(self, conn: Connection | None = None) -> list[KeyRow]:
        with _maybe(self, conn) as c:
            return [KeyRow.model_validate(r._mapping) for r in c.execute(select(KeyRow))]

    def schemes(self, conn: Connection | None = None) -> list[SchemeRow]:
        with _maybe(self, conn) as c:
            return [SchemeRow.model_validate(r._mapping) for r in c.execute(select(SchemeRow))]

    def checkpoint_times(self) -> list[tuple[int, int]]:
        """(tree size, timestamp ms) of every stored checkpoint, smallest first: the log's growth."""
        q = select(CheckpointRow.size, CheckpointRow.timestamp_ms).order_by(CheckpointRow.size)
        with self.read() as c:
            return [(int(size), int(ms)) for size, ms in c.execute(q)]

    def latest_checkpoint(self, conn: Connection | None = None) -> CheckpointRow | None:
        with _maybe(self, conn) as c:
            row = c.execute(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1)).first()
        return None if row is None else CheckpointRow.model_validate(row._mapping)

    # ---- writes (inside write()) -------------------------------------------
    @staticmethod
    def insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(insert(table), rows)

    def insert_tuples(
        self, conn: Connection, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Bulk insert on the hot path: one driver-level executemany, no per-row ORM work."""
        if not rows:
            return
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
        conn.exec_driver_sql(sql, rows)

    @staticmethod
    def replace_keys(conn: Connection, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(delete(KeyRow).where(KeyRow.key_id.in_([r["key_id"] for r in rows])))
            conn.execute(insert(KeyRow), rows)

    @staticmethod
    def update_scheme_root(conn: Connection, scheme_id: str, root_key_id: str) -> None:
        conn.execute(update(SchemeRow).where(SchemeRow.scheme_id == scheme_id).values(root_key_id=root_key_id))

    @staticmethod
    def update_label_status(conn: Connection, scheme: str, label_id: str, values: dict[str, Any]) -> None:
        conn.execute(update(LabelRow).where(LabelRow.scheme == scheme, LabelRow.label_id == label_id).values(**values))


@contextlib.contextmanager
def _maybe(store: Store, conn: Connection | None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
    else:
        with store.read() as c:
            yield c
