"""Benchmarks: ingest and proof latency, as ratios against a raw baseline measured in the same run.

``ingest``: realistic signed label entries go through the full admission path
(canonical form, schema, signature, authority, chain) into a fresh SQLite store,
durable when acknowledged, with receipts (inclusion proofs and checkpoint).
Entries are generated batch by batch (untimed) so memory stays flat; for each
batch the raw limit — Ed25519 verifications of the same entries' signed bytes —
is timed next to the ingest, and the medians over batches are reported.

``proofs``: a store of ``size`` leaves is built directly (bypassing admission,
which ``ingest`` measures), then random inclusion and consistency proofs are
timed end to end (plan, one node query, hashing) and spot-checked with the verifier;
so are status proofs of one object each, from a status map of ``size`` label records
(``ledger/bench_status.py``).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mapping.gtin import with_check_digit
from verifier.envelope import ZERO_ENTRY_ID, envelope_bytes, parse_entry, public_key_to_b64
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion

from . import bench_status, precheck, status_store
from .compact_range import CompactRange
from .issuer import build_and_sign
from .log import Log
from .rows import ENTRY_COLUMNS
from .startup_heap import settle_startup_heap
from .store import Store, node_id
from .stored_tree import StoredTree
from .tables import CheckpointRow, EntryRow, NodeRow

BENCH_SCHEME = "bench-carbon-label"
_PIPELINE_GROUP = 10  # batches signed ahead, then ingested back to back


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def realistic_label(i: int) -> dict[str, Any]:
    """A compact label record with every field group of DESIGN §4 (about 1 KB canonical)."""
    co2 = 200 + (i % 997)
    return {
        "label_id": f"BENCH-{i:08d}",
        "scheme": BENCH_SCHEME,
        "claim": {"type": "footprint", "basis": "gross"},
        "product": {
            "name": f"Split air conditioner {i % 50}",
            "model": f"KFR-{26 + i % 9}GW/B{i % 7}",
            "ids": [{"system": "gtin", "value": with_check_digit(f"069{i:010d}")}],
            "category": {"system": "cpc", "code": "43912"},
            "manufacturer": {"name": "Example Appliances Co.", "country": "CN"},
            "production_site": {"country": "CN", "grid_region": "CN-South"},
        },
        "footprint": {
            "pcf": {"value": f"{co2 + 30}.5", "unit": "kgCO2e"},
            "declaredUnitOfMeasurement": "piece",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "36.5",
            "boundary": "cradle-to-gate",
            "pcfExcludingBiogenicUptake": f"{co2 + 30}.5",
            "pcfIncludingBiogenicUptake": f"{co2 + 30}.5",
            "stages": {
                "raw-materials": {"masses_kg": {"CO2": f"{co2}", "N2O": "0.1"}, "other_co2e_kg": "4"},
                "production": {"masses_kg": {"CO2": "0"}},
            },
            "ipccCharacterizationFactors": ["AR5"],
            "biogenic": {"method": "0/0"},
            "electricity": [
                {
                    "kwh": "58.4",
                    "basis": "location",
                    "factor": {"value": "0.5568", "unit": "kgCO2/kWh", "kind": "combustion-co2"},
                }
            ],
            "allocation": {"rule": "physical"},
            "exemptedEmissionsPercent": "0.6",
            "primaryDataShare": "41.5",
            "referencePeriodStart": "2024-01-01",
            "referencePeriodEnd": "2024-12-31",
        },
        "methodology": {"standards": ["GB/T 24067-2024"], "profile": {"id": "gd-carbon-label", "version": "1"}},
        "verification": {"level": "reasonable", "body": {"name": "CQC Guangzhou"}, "date": "2025-03-01"},
        "cites": [],
        "issued_at": "2025-03-02",
        "valid_until": "2028-03-01",
    }


class BenchIssuer:
    """A scheme root and one certification body issuing realistic labels, each entry chained to the last."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.root = SigningKey.generate()
        self.issuer = SigningKey.generate()
        self.seq, self.prev = 0, ZERO_ENTRY_ID

    def setup_entries(self) -> list[bytes]:
        reg, reg_id = build_and_sign(
            "scheme.register",
            {
                "scheme": {"id": BENCH_SCHEME, "name": "Benchmark label", "role": "scheme"},
                "public_key": public_key_to_b64(self.root.public_key),
            },
            self.root,
            0,
            ZERO_ENTRY_ID,
            self.now,
        )
        auth, _ = build_and_sign(
            "key.authorize",
            {
                "scheme": BENCH_SCHEME,
                "public_key": public_key_to_b64(self.issuer.public_key),
                "kinds": ["label.issue"],
                "holder": {"name": "Bench CB", "role": "certification-body"},
            },
            self.root,
            1,
            reg_id,
            self.now,
        )
        return [reg, auth]

    def labels(self, start: int, count: int) -> list[bytes]:
        out = []
        for i in range(start, start + count):
            env, eid = build_and_sign(
                "label.issue", {"label": realistic_label(i)}, self.issuer, self.seq, self.prev, self.now
            )
            self.seq, self.prev = self.seq + 1, eid
            out.append(env)
        return out


def raw_verify_seconds(issuer: SigningKey, envelopes: list[bytes]) -> float:
    """Time Ed25519 verification alone of the entries' signed bytes (parsed beforehand, untimed)."""
    items = [(e.signed_message(), e.signature) for e in map(parse_entry, envelopes)]
    vk = issuer.verifying_key
    t0 = time.perf_counter()
    for msg, sig in items:
        vk.verify(msg, sig)
    return time.perf_counter() - t0


def bench_ingest(
    n: int, batch: int = 1000, workdir: Path | None = None, precheck_workers: bool = True, witnesses: int = 0
) -> dict[str, Any]:
    """``witnesses``: that many witnesses (the real witness core and state files, answering in this process:
    ledger/witness_local.py) cosign every batch's checkpoint before its receipts, all of them required."""
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        log = Log(
            store,
            SigningKey.generate(),
            "bench.local/log",
            Policy(frozenset({BENCH_SCHEME})),
            lambda: now,
            precheck_workers=precheck_workers,
        )
        bi = BenchIssuer(now)
        for r in log.submit_many(bi.setup_entries()):
            if not hasattr(r, "index"):
                raise RuntimeError(f"bench setup refused: {r}")
        local = _bench_witnesses(log, witnesses, Path(tmp)) if witnesses else None
        if precheck_workers:
            precheck.start_workers()  # as `carbonledger serve` does at start-up
        settle_startup_heap()  # as `carbonledger serve` does once its app is built
        ingest_rates, raw_rates, sizes = [], [], []
        total_ingest_s = total_raw_s = 0.0
        done = 0
        while done < n:
            # Untimed: sign the next group of batches (bounded, so memory stays flat at any n).
            group: list[list[bytes]] = []
            while done < n and len(group) < _PIPELINE_GROUP:
                count = min(batch, n - done)
                group.append(bi.labels(done, count))
                done += count
            for envelopes in group:
                sizes.append(statistics.median(len(e) for e in envelopes))
                raw_s = raw_verify_seconds(bi.issuer, envelopes)
                raw_rates.append(len(envelopes) / raw_s)
                total_raw_s += raw_s
            # Timed: the group through the pipelined write path; each batch's time is the interval
            # between its results and the previous batch's (the first includes filling the pipeline).
            t_prev = t_start = time.perf_counter()
            for envelopes, results in zip(group, log.submit_pipelined(group), strict=True):
                t = time.perf_counter()
                refused = [r for r in results if not hasattr(r, "index")]
                if refused:
                    raise RuntimeError(f"bench entry refused: {refused[0]}")
                if witnesses and len(results[0].cosigned_by) < witnesses:  # type: ignore[union-attr]
                    raise RuntimeError(f"a checkpoint was published below policy: {results[0]}")
                ingest_rates.append(len(envelopes) / (t - t_prev))
                t_prev = t
            total_ingest_s += time.perf_counter() - t_start
        map_bytes = bench_status.status_table_bytes(store)
        if local is not None:
            local.close()
        store.close()
    median_rate, baseline = statistics.median(ingest_rates), statistics.median(raw_rates)
    return {
        "n": n,
        "batch": batch,
        "batches": len(ingest_rates),
        "entry_bytes_median": statistics.median(sizes),
        "median_per_s": round(median_rate, 1),
        "baseline_per_s": round(baseline, 1),
        "ratio": round(median_rate / baseline, 3),
        "overall_per_s": round(n / total_ingest_s, 1),
        # flatness with store size: the median of the first and of the last tenth of the batches
        "first_tenth_per_s": round(statistics.median(ingest_rates[: max(1, len(ingest_rates) // 10)]), 1),
        "last_tenth_per_s": round(statistics.median(ingest_rates[-max(1, len(ingest_rates) // 10) :]), 1),
        "overall_baseline_per_s": round(n / total_raw_s, 1),
        "max_rss_mb": round(max_rss_mb(), 1),
        "status_map_bytes_per_entry": round(map_bytes / n),  # nodes, records and roots (dbstat), every root kept
        "store": "sqlite (WAL, synchronous=FULL)",
        "precheck_workers": precheck.workers() if precheck_workers else 0,
        "witnesses": witnesses,
        "cpus": os.cpu_count(),
    }


def _bench_witnesses(log: Log, count: int, tmp: Path) -> Any:
    from .witness_core import WitnessIdentity
    from .witness_local import witness_log_locally

    identities = [WitnessIdentity(f"witness-{i}.bench.local", SigningKey.generate()) for i in range(count)]
    return witness_log_locally(log, identities, tmp / "witnesses", threshold=count)[0]


_NO_SIG = bytes(64)


def _synthetic_leaf(i: int) -> bytes:
    """The envelope bytes the store rebuilds for synthetic entry ``i`` (not a valid entry: proofs only)."""
    return envelope_bytes(b"bench-leaf-%d" % i, "0" * 64, _NO_SIG)


def build_synthetic_store(store: Store, size: int, chunk: int = 20000) -> bytes:
    """Fill an empty store with ``size`` small leaves and their Merkle nodes; return the root."""
    edge = CompactRange()
    now_ms = int(time.time() * 1000)
    zero = "0" * 64
    with store.write() as conn:
        if store.tree_size(conn):
            raise RuntimeError("build_synthetic_store needs an empty store")
        for start in range(0, size, chunk):
            entries, nodes = [], []
            for i in range(start, min(size, start + chunk)):
                data = b"bench-leaf-%d" % i
                entries.append((i, f"{i:064x}", "bench", zero, i, None, None, now_ms, data, _NO_SIG))
                for level, index, h in edge.append(leaf_hash(_synthetic_leaf(i))):
                    nodes.append((node_id(level, index), h))
            store.insert_tuples(conn, EntryRow, ENTRY_COLUMNS, entries)
            store.insert_tuples(conn, NodeRow, ("id", "hash"), nodes)
        root = edge.root()
        store.insert_rows(conn, CheckpointRow, [{"size": size, "root": root, "note": "", "timestamp_ms": now_ms}])
    return root


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 4)


def bench_proofs(size: int, samples: int = 1000, db: Path | None = None, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = db or Path(tmp) / "proofs.db"
        store = Store(f"sqlite:///{path}")
        t0 = time.perf_counter()
        if store.tree_size() == 0:
            build_synthetic_store(store, size)
        if store.tree_size() != size:
            raise RuntimeError(f"{path} holds {store.tree_size()} leaves, not {size}")
        with store.read() as conn:
            has_map = status_store.root_at(conn, size) is not None
        if not has_map:
            bench_status.build_synthetic_status(store, size, BENCH_SCHEME)
        build_s = time.perf_counter() - t0
        tree = StoredTree(store)  # what Log's proofs read: plan, one node query, hashing
        root = tree.root(size)
        incl, cons = [], []
        for k in range(samples):
            index = rng.randrange(size)
            t = time.perf_counter()
            proof = tree.inclusion_proof(index, size)
            incl.append(time.perf_counter() - t)
            size1 = rng.randrange(1, size + 1)
            t = time.perf_counter()
            cproof = tree.consistency_proof(size1, size)
            cons.append(time.perf_counter() - t)
            if k % 50 == 0:  # spot-check correctness with the verifier
                verify_inclusion(leaf_hash(_synthetic_leaf(index)), index, size, proof, root)
                verify_consistency(size1, size, cproof, tree.root(size1), root)
        status_s = bench_status.time_status_proofs(store, size, BENCH_SCHEME, samples)
        uncached_s = bench_status.time_status_proofs(store, size, BENCH_SCHEME, max(10, samples // 10), 2, 0)
        map_bytes = bench_status.status_table_bytes(store)
        store.close()
    return {
        "size": size,
        "samples": samples,
        "inclusion_ms_median": _median_ms(incl),
        "consistency_ms_median": _median_ms(cons),
        "inclusion_ms_p99": round(sorted(incl)[int(0.99 * samples) - 1] * 1000, 4),
        "consistency_ms_p99": round(sorted(cons)[int(0.99 * samples) - 1] * 1000, 4),
        **bench_status.proof_summary(status_s, uncached_s),
        "status_map_bytes_per_entry": round(map_bytes / size),  # one chunked build: no per-batch old roots
        "build_s": round(build_s, 1),
        "max_rss_mb": round(max_rss_mb(), 1),
    }
