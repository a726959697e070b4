"""`carbonledger bench verify`: bundles a broker verifies per second, as a ratio against raw Ed25519.

``n`` bundles of different labels against one checkpoint, as a customs broker checks a shipment: checkpoint
signatures, shared envelopes and their proofs are verified once and cached by content hash
(:class:`verifier.verify.VerifierCache`); each label's own signature, proofs and fold are checked every time.
Each round verifies the whole shipment, fed in chunks of :data:`CHUNK` as a broker's tool might, with
:class:`verifier.shipment_workers.ShipmentWorkers` on ``processes`` processes (every step of every bundle; the
reports are those of one process), then the whole shipment with :func:`verifier.verify.verify_shipment` in this
process alone, then the raw baseline: Ed25519 verification of the same label payloads in this process. So the
three are sampled side by side on a noisy machine, round by round (the medians are reported). ``ratio`` is
the shipment's rate on ``processes`` processes over that baseline; ``one_process_ratio`` the rate of one
process over it. (Until 2026-12-03 the ways alternated chunk by chunk: the workers then sat idle while the
other two ran, and a worker woken after 40 ms idle measured up to a fifth slower than one kept busy.)
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.report import Report
from verifier.shipment_workers import ShipmentWorkers, default_processes
from verifier.verify import VerifierCache, verify_shipment

from .bench import BENCH_SCHEME, BenchIssuer, max_rss_mb, raw_verify_seconds
from .bundles import DEFAULT_BUNDLE_VERSION, build_bundle, export_trust
from .log import Log
from .startup_heap import settle_startup_heap
from .store import Store

__all__ = ["bench_verify"]

CHUNK = 100  # bundles handed to the verifier at a time, as a broker's tool feeds them


def bench_verify(
    n: int, rounds: int = 5, bundle_version: int | None = None, processes: int | None = None
) -> dict[str, Any]:
    """Requires n >= 1, rounds >= 1, processes >= 1 (default :func:`default_processes`). The figures of the
    module docstring. ``bundle_version``: the bundles' version (default the log's: v2, with status proofs)."""
    processes = processes or default_processes()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/verify.db")
        log = Log(store, SigningKey.generate(), "bench.local/log", Policy(frozenset({BENCH_SCHEME})), lambda: now)
        bi = BenchIssuer(now)
        log.submit_many(bi.setup_entries())
        envelopes = bi.labels(0, n)
        for r in log.submit_many(envelopes, with_proofs=False):
            if not hasattr(r, "index"):
                raise RuntimeError(f"bench entry refused: {r}")
        bundles = [build_bundle(log, f"BENCH-{i:08d}", version=bundle_version) for i in range(n)]
        trust = export_trust(log)
        store.close()
    at = date(2026, 1, 1)
    rates: dict[str, list[float]] = {"many": [], "one": [], "raw": []}
    with ShipmentWorkers(processes) as workers:
        settle_startup_heap()  # a broker's process before its shipment, as the log's processes do
        ways: dict[str, Callable[..., list[Report]]] = {"many": workers.verify, "one": verify_shipment}
        for _ in range(rounds):  # each round: the whole shipment each way (a fresh cache), then the raw baseline
            for way, verify in ways.items():
                cache, t0 = VerifierCache(), time.perf_counter()
                for start in range(0, n, CHUNK):
                    for report in verify(bundles[start : start + CHUNK], trust, at=at, now=now, cache=cache):
                        if report.exit_code() != 0:
                            raise RuntimeError(f"bench bundle did not verify: {report.to_dict()['steps']}")
                rates[way].append(n / (time.perf_counter() - t0))
            rates["raw"].append(n / raw_verify_seconds(bi.issuer, envelopes))
    many, one, baseline = (statistics.median(rates[way]) for way in ("many", "one", "raw"))
    return {
        "n": n,
        "rounds": rounds,
        "chunk": CHUNK,
        "processes": processes,
        "bundle_version": bundle_version or DEFAULT_BUNDLE_VERSION,
        "bundle_bytes_median": statistics.median(len(b) for b in bundles),
        "median_per_s": round(many, 1),
        "one_process_per_s": round(one, 1),
        "baseline_per_s": round(baseline, 1),
        "ratio": round(many / baseline, 3),
        "one_process_ratio": round(one / baseline, 3),
        "max_rss_mb": round(max_rss_mb(), 1),
    }
