"""`carbonledger bench monitor`: entries per second the monitor replays, as a ratio against raw Ed25519.

A log of ``n`` realistic label entries (``ledger.bench.realistic_label``) is built in-process in a fresh SQLite
store (untimed), served in-process (the FastAPI app over Starlette's ASGI test transport: no sockets), and a
monitor with a fresh state follows it once: checkpoint, ``GET /v1/entries`` ranges, base64, leaf hashes and the
Merkle root, the rule book's fold (signature, chain, authority, schema) and the status map root — timed end to
end. The baseline, measured in the same run, is Ed25519 verification alone of the same entries' signed bytes.
``resume_per_s`` times a second monitor opening the same state (re-folding the kept entries, no fetch).
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # Starlette 1.x warns on import that its test client prefers the httpx2 package; httpx (a dependency)
    # serves it as well, and a benchmark's stderr is no place for the notice.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
    from fastapi.testclient import TestClient

from verifier.envelope import ZERO_ENTRY_ID, parse_entry, public_key_to_b64
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.trust import Trust

from . import precheck
from .api import create_app
from .bench import BENCH_SCHEME, realistic_label
from .issuer import build_and_sign
from .log import Log
from .log_source_api import ApiSource
from .monitor import Monitor
from .monitor_state import MonitorFiles
from .store import Store

__all__ = ["bench_monitor"]

ORIGIN = "bench.local/monitor"


def _entries(n: int, now: datetime) -> tuple[list[bytes], SigningKey]:
    """The scheme's registration, its issuer's authorization, and ``n`` labels by that issuer (signed, untimed)."""
    root, issuer = SigningKey.generate(), SigningKey.generate()
    reg, reg_id = build_and_sign(
        "scheme.register",
        {
            "scheme": {"id": BENCH_SCHEME, "name": "Benchmark label", "role": "scheme"},
            "public_key": public_key_to_b64(root.public_key),
        },
        root,
        0,
        ZERO_ENTRY_ID,
        now,
    )
    auth, _ = build_and_sign(
        "key.authorize",
        {
            "scheme": BENCH_SCHEME,
            "public_key": public_key_to_b64(issuer.public_key),
            "kinds": ["label.issue"],
            "holder": {"name": "Bench CB", "role": "certification-body"},
        },
        root,
        1,
        reg_id,
        now,
    )
    out, prev = [reg, auth], ZERO_ENTRY_ID
    for i in range(n):
        env, prev = build_and_sign("label.issue", {"label": realistic_label(i)}, issuer, i, prev, now)
        out.append(env)
    return out, issuer


def bench_monitor(n: int, workers: bool = True) -> dict[str, Any]:
    """Requires n >= 1. The monitor's rate over a log of n labels, and the raw Ed25519 rate of the same labels."""
    now = datetime.now(UTC).replace(microsecond=0)
    envelopes, issuer = _entries(n, now)
    if workers:
        precheck.start_workers()  # as `carbonledger monitor` does at start-up
    with tempfile.TemporaryDirectory() as tmp:
        log = Log(
            Store(f"sqlite:///{tmp}/bench.db"),
            SigningKey.generate(),
            ORIGIN,
            Policy(frozenset({BENCH_SCHEME})),
            lambda: now,
        )
        try:
            for lo in range(0, len(envelopes), 1000):
                refused = [
                    r for r in log.submit_many(envelopes[lo : lo + 1000], with_proofs=False) if not hasattr(r, "index")
                ]
                if refused:
                    raise RuntimeError(f"bench entry refused: {refused[0]}")
            trust = Trust(origin=ORIGIN, log_vkey=log.vkey, witness_vkeys=(), threshold=0, scheme_roots={})
            with TestClient(create_app(log), base_url="http://bench.test") as client:
                source = ApiSource("http://bench.test", client)

                def timed_run() -> tuple[Any, float]:
                    """One monitor run over the state directory (the second one resumes from the first's)."""
                    files = MonitorFiles(Path(tmp) / "state")
                    try:
                        t0 = time.perf_counter()
                        return Monitor(trust, files, use_workers=workers).run_once(source), time.perf_counter() - t0
                    finally:
                        files.close()

                report, monitor_s = timed_run()
                if report.exit_code or report.size != len(envelopes):
                    raise RuntimeError(f"the monitor did not follow the bench log: {report.to_dict()['findings']}")
                again, resume_s = timed_run()
                if again.exit_code or again.fetched:
                    raise RuntimeError("the resumed monitor refetched or found something")
        finally:
            log.store.close()
    items = [(e.signed_message(), e.signature) for e in map(parse_entry, envelopes[2:])]
    vk = issuer.verifying_key
    t0 = time.perf_counter()
    for msg, sig in items:
        vk.verify(msg, sig)
    raw_s = time.perf_counter() - t0
    monitor_rate, raw_rate = len(envelopes) / monitor_s, len(items) / raw_s
    return {
        "n": n,
        "entries": len(envelopes),
        "monitor_s": round(monitor_s, 3),
        "monitor_per_s": round(monitor_rate, 1),
        "resume_per_s": round(len(envelopes) / resume_s, 1),
        "baseline_per_s": round(raw_rate, 1),
        "ratio": round(monitor_rate / raw_rate, 3),
        "transport": "in-process ASGI (no sockets)",
        "precheck_workers": precheck.workers() if workers else 0,
        "cpus": os.cpu_count(),
    }
