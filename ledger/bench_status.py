"""Benchmarks of the status map on a store: building a map of ``size`` label records directly (bypassing
admission, which ``bench ingest`` measures with the map maintained), timing status proofs read from the store
as :meth:`ledger.log.Log.status_proof` reads them, and the bytes the map's tables take on SQLite.

The records are those of active labels (:mod:`verifier.status_records`), one per entry of the synthetic log;
the map is written in chunks of ``chunk`` updates, as batches would be.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from verifier.status_map import EMPTY_ROOT, apply, leaf_value, map_key
from verifier.status_map_proof import verify_map_proof
from verifier.status_records import label_object_id, record_bytes

from . import status_store as ss
from .status_log import StatusMap
from .store import Store
from .tables import StatusNodeRow, StatusRecordRow, StatusRecordVersionRow, StatusRootRow

__all__ = ["STATUS_TABLES", "build_synthetic_status", "proof_summary", "status_table_bytes", "time_status_proofs"]

STATUS_TABLES = tuple(
    t.__tablename__  # type: ignore[attr-defined]
    for t in (StatusNodeRow, StatusRecordRow, StatusRecordVersionRow, StatusRootRow)
)


def _object_id(scheme: str, i: int) -> str:
    return label_object_id(scheme, f"BENCH-{i:08d}")


def build_synthetic_status(store: Store, size: int, scheme: str, chunk: int = 20000) -> bytes:
    """Write a status map holding one active label record per index ``0 <= i < size`` (label id
    ``BENCH-{i:08d}`` of ``scheme``) and its root at tree size ``size``; return the root."""
    cache = ss.NodeCache()
    root, root_page = EMPTY_ROOT, 0
    now_s = int(time.time())
    with store.write() as conn:
        for start in range(0, size, chunk):
            records, updates = [], {}
            for i in range(start, min(size, start + chunk)):
                object_id = _object_id(scheme, i)
                data = record_bytes(
                    {"entry": f"{i:064x}", "index": i, "status": "active", "decided_by": None, "replacement": None}
                )
                mk = map_key("label", object_id)
                records.append((mk, "label", object_id, data))
                updates[mk] = leaf_value(data)
            reader = ss.StoreNodeReader(store, conn, cache, {root: root_page})
            root, created = apply(reader, root, updates)
            pages, nodes, root_page = ss.paginate(root, created, min(size, start + chunk), reader)
            w = ss.StatusWrite(sorted(records), [], pages, nodes, root, root_page)
            ss.write_status(store, conn, w, None, now_s)
            cache.put_many(nodes)
        ss.write_status(store, conn, ss.StatusWrite([], [], [], [], root, root_page), size, now_s)
    return root


def time_status_proofs(
    store: Store, size: int, scheme: str, samples: int = 1000, seed: int = 1, cache_nodes: int = 1 << 17
) -> list[float]:
    """Seconds per status proof of a random label (its record and map proof, read from the store through a new
    read connection each, as the API's reads do); every 50th proof is checked with the verifier."""
    rng = random.Random(seed)
    status = StatusMap(store, cache_nodes)
    times = []
    for k in range(samples):
        object_id = _object_id(scheme, rng.randrange(size))
        t = time.perf_counter()
        with store.read() as conn:
            record, proof = status.prove(conn, size, "label", object_id)
        times.append(time.perf_counter() - t)
        if k % 50 == 0:
            assert record is not None  # build_synthetic_status gave every BENCH label a record
            with store.read() as conn:
                root = status.root_at(conn, size)[0]
            verify_map_proof(root, map_key("label", object_id), leaf_value(record_bytes(record)), proof)
    return times


def status_table_bytes(store: Store) -> int:
    """The bytes the status map's tables and their indexes take in a SQLite store (``dbstat``; an index is counted
    by the table it belongs to, so a rowid table's key index — ``status_records``' — counts too)."""
    marks = ",".join("?" * len(STATUS_TABLES))
    sql = f"SELECT sum(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name WHERE m.tbl_name IN ({marks})"
    with store.read() as conn:
        row = conn.exec_driver_sql(sql, STATUS_TABLES).first()
    return int(row[0] or 0) if row else 0


def proof_summary(times: list[float], uncached: list[float]) -> dict[str, Any]:
    ms = sorted(t * 1000 for t in times)
    return {
        "status_ms_median": round(statistics.median(ms), 4),
        "status_ms_p99": round(ms[max(0, int(0.99 * len(ms)) - 1)], 4),
        "status_ms_median_uncached": round(statistics.median(uncached) * 1000, 4),
    }
