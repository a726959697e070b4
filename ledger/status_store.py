"""The status map in the store: its nodes, records and roots, read and written in the caller's transaction.

The map itself is :mod:`verifier.status_map` (pure); this module is its storage (tables in ``ledger/tables.py``):
``status_nodes`` (65-byte node encodings, content-addressed and never changed, so every root a checkpoint
committed to still reads its whole tree; in pages of the nodes one batch made in four levels under one of them,
each node with the pages of its children), ``status_records`` (map key → the object's current record, canonical
JSON), ``status_record_versions`` (map value → a record an update replaced: what an older root's leaf holds) and
``status_roots`` (tree size → root, the page holding it, and the signed time).

:class:`StoreNodeReader` is the :class:`~verifier.status_map.BatchNodeReader` over one connection, for the trees
under the roots it is given: it learns where each child is from its parent (a tree is read from its root down),
``get_many`` is one query per 500 pages, and both go through a :class:`NodeCache` shared by the log's readers.
Nodes never change, so a cached node is right forever; the cache only spares queries (the top levels of the
tree are read by every batch and every proof).
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.engine import Connection

from verifier.status_map import EMPTY_HASH, INTERNAL_TYPE, check_node
from verifier.status_records import StatusKey

from .store import Store
from .tables import (
    STATUS_PAGE_BITS,
    STATUS_PAGE_LEVELS,
    CheckpointRow,
    StatusNodeRow,
    StatusRecordRow,
    StatusRecordVersionRow,
    StatusRootRow,
)

__all__ = [
    "NodeCache",
    "StatusWrite",
    "StoreNodeReader",
    "clear_records",
    "decode_cached",
    "paginate",
    "read_records",
    "read_versions",
    "replace_checkpoint_note",
    "root_at",
    "unpack_page",
    "write_status",
]

_CHUNK = 500  # keys or pages per IN query (SQLite allows 32,766 parameters, PostgreSQL 65,535)
_PAGES = struct.Struct(">qq")  # the pages holding a node's two children
_NO_CHILD = -(1 << 63)  # the page written for an empty child, or a leaf's (pages may be negative: a rebuild's)
_VALUE = 65 + _PAGES.size  # a node as cached: its encoding and its children's pages
_RECORD = 32 + _VALUE  # a node in a page: its hash, then that
Cached = tuple[bytes, int | None, int | None]  # (encoding, left child's page, right child's page)


def decode_cached(value: bytes) -> Cached:
    """(encoding, left child's page, right child's page) of a node as the cache (and a page) keeps it."""
    left, right = _PAGES.unpack_from(value, 65)
    return value[:65], None if left == _NO_CHILD else left, None if right == _NO_CHILD else right


class NodeCache:
    """A bounded cache of status map nodes by hash, in two generations: a lookup that hits the older one moves the
    node into the newer; when the newer is full it becomes the older and the oldest is dropped. Thread-safe
    enough for its use (dict operations under the GIL; a lost promotion only costs a query). A node is kept as
    one ``bytes`` (its encoding and its children's pages): a dict of bytes is not tracked by the garbage
    collector, a dict of tuples is — 100,000 cached nodes would make every full collection walk them."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        self.capacity = capacity
        self._new: dict[bytes, bytes] = {}
        self._old: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def get(self, node_hash: bytes) -> Cached | None:
        found = self._new.get(node_hash)
        if found is None:
            found = self._old.get(node_hash)
            if found is None:
                return None
            self._put(node_hash, found)
        return decode_cached(found)

    def put_many(self, nodes: Iterable[tuple[bytes, bytes]]) -> None:
        """Cache (hash, encoding and children's pages) pairs (:func:`paginate`'s, or a page's)."""
        for h, value in nodes:
            self._put(h, value)

    def _put(self, node_hash: bytes, value: bytes) -> None:
        if self.capacity <= 0:
            return
        self._new[node_hash] = value
        if len(self._new) >= self.capacity:
            with self._lock:
                if len(self._new) >= self.capacity:
                    self._old, self._new = self._new, {}

    def __len__(self) -> int:
        return len(self._new) + len(self._old)


class StoreNodeReader:
    """Status map nodes read through one connection (inside a write transaction, or a read), cached, for the
    trees under ``roots`` (root hash → the page holding it). It learns which page holds each child from its
    parent (a tree is read from its root down) and takes in every node of each page it reads (a path continues in
    the same page for up to four levels). Queries go to the driver's connection directly (SQLAlchemy's
    per-statement work would cost more than SQLite's lookup). Each node read from the store is checked to hash to
    its address once, before it enters the cache (``checks_nodes``: :func:`verifier.status_map.read_nodes` need
    not check it again)."""

    checks_nodes = True

    def __init__(self, store: Store, conn: Connection, cache: NodeCache, roots: Mapping[bytes, int]) -> None:
        self._raw = _raw(conn)
        self._cache = cache
        self.pages: dict[bytes, int] = dict(roots)  # node hash -> the page holding it, learned from its parent
        mark, table = _marks(store), StatusNodeRow.__tablename__
        self._one = f"SELECT id, nodes FROM {table} WHERE id = {mark}"
        self._many = f"SELECT id, nodes FROM {table} WHERE id IN "
        self._mark = mark

    def _learn(self, found: Cached) -> bytes:
        enc, left, right = found
        if left is not None:
            self.pages[enc[1:33]] = left
        if right is not None:
            self.pages[enc[33:]] = right
        return enc

    def _take(self, rows: Iterable[tuple[int, bytes]]) -> dict[bytes, bytes]:
        """Every node of the pages read: checked, cached, and where it is kept; returned (the cache may already
        have let some of them go again)."""
        read: dict[bytes, bytes] = {}
        for page, blob in rows:
            for h, value in unpack_page(bytes(blob)):
                check_node(h, value[:65])
                read[h] = value
                self.pages[h] = page
        self._cache.put_many(read.items())
        return read

    def get(self, node_hash: bytes) -> bytes | None:
        found = self._cache.get(node_hash)
        if found is None and node_hash in self.pages:
            value = self._take(self._raw.execute(self._one, (self.pages[node_hash],)).fetchall()).get(node_hash)
            found = None if value is None else decode_cached(value)
        return None if found is None else self._learn(found)

    def get_many(self, node_hashes: Collection[bytes]) -> dict[bytes, bytes]:
        cache, learn = self._cache, self._learn
        out: dict[bytes, bytes] = {}
        missing, pages = [], set()
        for h in node_hashes:
            found = cache.get(h)
            if found is not None:
                out[h] = learn(found)
            elif h in self.pages:
                missing.append(h)
                pages.add(self.pages[h])
        ids, read = sorted(pages), {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            sql = self._many + "(" + ",".join([self._mark] * len(chunk)) + ")"
            read.update(self._take(self._raw.execute(sql, tuple(chunk)).fetchall()))
        for h in missing:
            if h in read:
                out[h] = learn(decode_cached(read[h]))
        return out


def unpack_page(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The (hash, encoding and children's pages) of each node in a page's ``nodes``; a blob of no such form holds
    none (its nodes are then missing: ``map.node_missing``)."""
    if len(blob) % _RECORD:
        return []
    return [(blob[at : at + 32], blob[at + 32 : at + _RECORD]) for at in range(0, len(blob), _RECORD)]


def paginate(
    root: bytes, created: Mapping[bytes, bytes], size: int, reader: StoreNodeReader
) -> tuple[list[tuple[int, bytes]], list[tuple[bytes, bytes]], int]:
    """The ``status_nodes`` rows (page id, nodes) of the nodes a batch made under its new ``root``
    (:func:`verifier.status_map.apply`) — a page, keyed by ``size``, for each made node at a depth that is a
    multiple of :data:`STATUS_PAGE_LEVELS`, holding the made nodes of the levels below it down to the next —
    the nodes as the cache keeps them, and the page holding the root. Each child is a made node or one the
    reader read or learned of (everything :func:`apply` links to)."""
    if root not in created:
        return [], [], reader.pages[root]
    known, page_of, order, count = reader.pages, {}, [], 0
    pending = [(root, 0, 0)]
    while pending:  # down the made nodes from the root: each node but the root is made under a made parent
        h, depth, page = pending.pop()
        if depth % STATUS_PAGE_LEVELS == 0:
            page, count = (size << STATUS_PAGE_BITS) | count, count + 1
        page_of[h] = page
        order.append(h)
        enc = created[h]
        if enc[0] == INTERNAL_TYPE:
            if enc[1:33] in created:
                pending.append((enc[1:33], depth + 1, page))
            if enc[33:] in created:
                pending.append((enc[33:], depth + 1, page))
    if count > 1 << STATUS_PAGE_BITS:
        raise ValueError(f"a batch of {count} status map pages is over {1 << STATUS_PAGE_BITS}")
    pack, empty = _PAGES.pack, EMPTY_HASH
    values, rows = [], {}
    for h in order:
        enc = created[h]
        if enc[0] == INTERNAL_TYPE:
            left, right = enc[1:33], enc[33:]
            lp = _NO_CHILD if left == empty else page_of[left] if left in page_of else known[left]
            rp = _NO_CHILD if right == empty else page_of[right] if right in page_of else known[right]
            value = enc + pack(lp, rp)
        else:
            value = enc + _LEAF_PAGES
        values.append((h, value))
        rows.setdefault(page_of[h], []).append(h + value)
    return [(page, b"".join(parts)) for page, parts in sorted(rows.items())], values, page_of[root]


_LEAF_PAGES = _PAGES.pack(_NO_CHILD, _NO_CHILD)


def _raw(conn: Connection) -> Any:
    """The driver's connection (sqlite3 or psycopg) under ``conn``, in ``conn``'s transaction."""
    return conn.connection.dbapi_connection


def _marks(store: Store) -> str:
    return "?" if store.engine.dialect.paramstyle == "qmark" else "%s"


def _select_in(raw: Any, head: str, mark: str, keys: list[bytes]) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        sql = head + "(" + ",".join([mark] * len(chunk)) + ")"
        for k, v in raw.execute(sql, tuple(chunk)).fetchall():
            out[bytes(k)] = bytes(v)
    return out


def read_records(store: Store, conn: Connection, keys: Mapping[bytes, StatusKey]) -> dict[StatusKey, bytes]:
    """The stored current record bytes of the objects ``keys`` names (map key → (kind, id)), by (kind, id)."""
    head = f"SELECT map_key, record FROM {StatusRecordRow.__tablename__} WHERE map_key IN "
    found = _select_in(_raw(conn), head, _marks(store), list(keys))
    return {keys[k]: v for k, v in found.items()}


def read_versions(store: Store, conn: Connection, values: Iterable[bytes]) -> dict[bytes, bytes]:
    """Replaced record bytes by their map value."""
    head = f"SELECT value, record FROM {StatusRecordVersionRow.__tablename__} WHERE value IN "
    return _select_in(_raw(conn), head, _marks(store), list(set(values)))


@dataclass(frozen=True, slots=True)
class StatusWrite:
    """What one batch writes: the new current records, the records they replace, the new nodes (the
    ``status_nodes`` rows of :func:`paginate`, and the nodes as the cache keeps them) and the root (with the page
    holding it)."""

    records: list[tuple[bytes, str, str, bytes]]  # (map key, kind, object id, record bytes)
    replaced: list[tuple[bytes, bytes, bytes]]  # (map value of the old bytes, map key, old record bytes)
    pages: list[tuple[int, bytes]]
    nodes: list[tuple[bytes, bytes]]
    root: bytes
    root_page: int


def write_status(store: Store, conn: Connection, w: StatusWrite, size: int | None, time_s: int) -> None:
    """Write a batch's map changes and its root at ``size`` (None: no root) in the caller's transaction (the
    entries' own), through the driver's ``executemany``."""
    mark = _marks(store)
    cursor = _raw(conn).cursor()
    if w.replaced:
        cursor.executemany(
            f"INSERT INTO {StatusRecordVersionRow.__tablename__} (value, map_key, record) VALUES ({mark}, {mark}, "
            f"{mark}) ON CONFLICT (value) DO NOTHING",
            w.replaced,
        )
    if w.records:
        cursor.executemany(
            f"INSERT INTO {StatusRecordRow.__tablename__} (map_key, kind, object_id, record) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (map_key) DO UPDATE SET record = excluded.record",
            w.records,
        )
    if w.pages:
        cursor.executemany(
            f"INSERT INTO {StatusNodeRow.__tablename__} (id, nodes) VALUES ({mark}, {mark}) "
            "ON CONFLICT (id) DO NOTHING",
            w.pages,  # a row already there holds the same nodes: its key names the entries that made them
        )
    if size is not None:
        cursor.execute(
            f"INSERT INTO {StatusRootRow.__tablename__} (size, root, root_page, time_s) VALUES ({mark}, {mark}, "
            f"{mark}, {mark}) ON CONFLICT (size) DO UPDATE SET root = excluded.root, root_page = excluded.root_page, "
            f"time_s = excluded.time_s",
            (size, w.root, w.root_page, time_s),
        )


def root_at(conn: Connection, size: int) -> tuple[bytes, int, int] | None:
    """(root, the page holding it, time) stored for tree size ``size``, or None."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"SELECT root, root_page, time_s FROM {StatusRootRow.__tablename__} WHERE size = {mark}"
    row = _raw(conn).execute(sql, (size,)).fetchone()
    return None if row is None else (bytes(row[0]), int(row[1]), int(row[2]))


def clear_records(conn: Connection) -> None:
    """Forget the current records, before a rebuild from the entries (a store written before the map, or by a
    version that did not keep it: the records it holds are not its newest checkpoint's). Nodes, replaced records
    and roots stay: content-addressed, they still prove what older checkpoints committed to."""
    conn.execute(delete(StatusRecordRow))


def replace_checkpoint_note(conn: Connection, size: int, note: str) -> None:
    """The checkpoint of ``size`` signed again (same tree, now with its status commitment)."""
    conn.execute(update(CheckpointRow).where(CheckpointRow.size == size).values(note=note))
