"""The status map as stored (pages of nodes, ``ledger/status_store.py``) is the map: the same roots and proofs as
the in-memory reference after random batches of inserts and updates, on SQLite and on PostgreSQL; and a page
changed behind the log's back is caught when it is read, never served as a proof.

Attack guarded: a store whose nodes were edited (a revoked label's leaf put back to "active" under the same
hash, or a page swapped for another batch's): every node is checked to hash to its address when read, so a
proof from a tampered store fails (``map.node_corrupt``) instead of proving what the log never committed.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from sqlalchemy import select, update

from ledger import status_store as ss
from ledger.status_log import StatusMap
from ledger.store import Store
from ledger.tables import StatusNodeRow
from mapping.errors import NotFoundError
from verifier.status_map import EMPTY_ROOT, MemoryNodeStore, apply, map_key
from verifier.status_map_proof import prove


def _key(i: int) -> bytes:
    return map_key("label", f'["s","L-{i}"]')


def _value(i: int, version: int) -> bytes:
    return hashlib.sha256(b"%d/%d" % (i, version)).digest()


def _store_batches(store: Store, batches: list[dict[bytes, bytes]]) -> StatusMap:
    """Apply each batch through the store as the log does (stage-like: reader, apply, pages, write, publish)."""
    status = StatusMap(store, cache_nodes=64)  # a tiny cache: most reads go to the store
    size = 0
    for updates in batches:
        size += len(updates)
        with store.write() as conn:
            reader = ss.StoreNodeReader(store, conn, status.cache, {status.root: status.root_page})
            root, created = apply(reader, status.root, updates)
            pages, nodes, root_page = ss.paginate(root, created, size, reader)
            w = ss.StatusWrite([], [], pages, nodes, root, root_page)
            ss.write_status(store, conn, w, size, 0)
        status.publish(w, size, 0)
    return status


def test_stored_pages_give_the_reference_roots_and_proofs(db_url: str) -> None:
    rng = random.Random(16)
    batches, versions = [], {}
    for _ in range(12):
        updates = {}
        for _ in range(rng.randint(1, 120)):
            i = rng.randrange(400)
            versions[i] = versions.get(i, 0) + 1
            updates[_key(i)] = _value(i, versions[i])
        batches.append(updates)
    store = Store(db_url)
    try:
        status = _store_batches(store, batches)
        memory, root = MemoryNodeStore(), EMPTY_ROOT
        for updates in batches:
            root, created = apply(memory, root, updates)
            memory.put_all(created)
        assert status.root == root
        fresh = StatusMap(store, cache_nodes=0)  # nothing cached: every node from its page
        with store.read() as conn:
            reader = ss.StoreNodeReader(store, conn, fresh.cache, {status.root: status.root_page})
            for i in rng.sample(range(500), 60):  # present and absent keys
                assert prove(reader, root, _key(i)) == prove(memory, root, _key(i))
    finally:
        store.close()


def test_a_tampered_page_is_caught_when_read(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    try:
        status = _store_batches(store, [{_key(i): _value(i, 1) for i in range(50)}, {_key(3): _value(3, 2)}])
        with store.write() as conn:
            page_id, blob = conn.execute(
                select(StatusNodeRow.id, StatusNodeRow.nodes).order_by(StatusNodeRow.id.desc())
            ).first()
            forged = bytearray(blob)
            forged[32 + 40] ^= 1  # a byte of the first node's encoding
            conn.execute(update(StatusNodeRow).where(StatusNodeRow.id == page_id).values(nodes=bytes(forged)))
        with store.read() as conn, pytest.raises(NotFoundError) as e:
            for i in range(50):  # a fresh reader, nothing cached: each node from its page
                reader = ss.StoreNodeReader(store, conn, ss.NodeCache(0), {status.root: status.root_page})
                prove(reader, status.root, _key(i))
        assert e.value.code == "map.node_corrupt"
        assert status.root != EMPTY_ROOT
    finally:
        store.close()
