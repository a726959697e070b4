"""`carbonledger bench ingest --processes N`: labels submitted over HTTP to N `serve` processes on one database,
stated next to one process on the same database, as a ratio to raw Ed25519 verification measured in the run.

Issue 21 item 4: several API processes on one (PostgreSQL) database — one sequencer at a time holds the
advisory lock, the others forward or wait — must each take submissions. Submitters are issuer keys, each with
its own hash chain, sending one entry per request in chain order (as a certification body's client does); they
are spread over the processes. Envelopes are signed before the clock starts. The database must hold no log yet
(a fresh PostgreSQL database, or none given: a temporary SQLite file).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from verifier.envelope import parse_entry
from verifier.keys import SigningKey

from .bench_crash import CRASH_SCHEME, IssuerChain, ServeProcess, register_issuers
from .home import init_home
from .http_client import new_client

__all__ = ["bench_processes"]

_JSON = {"content-type": "application/json"}
_MAX_RETRIES = 200  # a 503 (back-pressure, a store busy) is retried after a short pause, never dropped


def _signed(chains: list[IssuerChain], per_chain: int, start: int) -> list[list[bytes]]:
    out = []
    for c, chain in enumerate(chains):
        envelopes = []
        for i in range(per_chain):
            env, eid = chain.next_label(start + c * per_chain + i)
            chain.advance(eid)
            envelopes.append(env)
        out.append(envelopes)
    return out


def _raw_per_s(chains: list[IssuerChain], envelopes: list[list[bytes]]) -> float:
    items = [(chain.key.verifying_key, parse_entry(e)) for chain, es in zip(chains, envelopes, strict=True) for e in es]
    prepared = [(vk, e.signed_message(), e.signature) for vk, e in items]
    t0 = time.perf_counter()
    for vk, msg, sig in prepared:
        vk.verify(msg, sig)
    return len(prepared) / (time.perf_counter() - t0)


def _send(base: str, envelopes: list[bytes], errors: list[str]) -> None:
    with new_client(base_url=base, timeout=60) as client:
        for env in envelopes:
            for _ in range(_MAX_RETRIES):
                r = client.post("/v1/entries", content=env, headers=_JSON)
                if r.status_code == 201:
                    break
                if r.status_code != 503:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                    return
                time.sleep(0.05)
            else:
                errors.append("503 after every retry")
                return


def _timed_run(servers: list[ServeProcess], envelopes: list[list[bytes]]) -> float:
    errors: list[str] = []
    threads = [
        threading.Thread(target=_send, args=(servers[i % len(servers)].base, es, errors), daemon=True)
        for i, es in enumerate(envelopes)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"bench submission refused: {errors[0]}")
    return seconds


def _servers(home: Path, count: int, tmp: Path) -> list[ServeProcess]:
    servers = [ServeProcess(home, tmp / f"serve-{i}.log") for i in range(count)]
    for s in servers:
        s.wait_ready()
    return servers


def _stop(servers: list[ServeProcess]) -> None:
    for s in servers:
        s.proc.terminate()
    for s in servers:
        try:
            s.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a server that will not stop is killed: the bench must end
            s.kill()
        else:
            s.out.close()


def bench_processes(
    n: int, processes: int, database_url: str | None = None, *, submitters: int = 8, workdir: Path | None = None
) -> dict[str, Any]:
    """``n`` labels through one process, then ``n`` more through ``processes`` processes, on one database."""
    tmp = Path(workdir or tempfile.mkdtemp(prefix="carbonledger-processes-"))
    home = tmp / "home"
    init_home(home, origin="processes.bench/log", allowed_schemes=[CRASH_SCHEME], database_url=database_url)
    chains = [IssuerChain(SigningKey.generate()) for _ in range(submitters)]
    per_chain = max(1, n // submitters)
    first, second = _signed(chains, per_chain, 0), _signed(chains, per_chain, per_chain * submitters)
    # the chains were advanced while signing; registration needs only the keys
    raw = _raw_per_s(chains, first)
    figures: dict[str, float] = {}
    try:
        for label, count, envelopes in (("one", 1, first), ("many", processes, second)):
            servers = _servers(home, count, tmp)
            try:
                if label == "one":
                    with new_client(base_url=servers[0].base, timeout=30) as client:
                        register_issuers(client, SigningKey.generate(), chains)
                figures[label] = per_chain * submitters / _timed_run(servers, envelopes)
            finally:
                _stop(servers)
    finally:
        if workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return {
        "n": per_chain * submitters,
        "processes": processes,
        "submitters": submitters,
        "per_s": round(figures["many"], 1),
        "one_process_per_s": round(figures["one"], 1),
        "baseline_per_s": round(raw, 1),
        "ratio": round(figures["many"] / raw, 3),
        "one_process_ratio": round(figures["one"] / raw, 3),
        "store": "sqlite" if database_url is None else "postgresql",
    }
