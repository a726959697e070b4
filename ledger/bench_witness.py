"""`carbonledger bench witness`: add-checkpoint requests per second for one witness, against raw Ed25519.

A log of growing size is simulated in memory (ledger/tree.py): each request carries the next checkpoint, its
consistency proof from the previous one and the log's signature, so every request is a 200 that verifies a
proof and a signature, cosigns and commits the state durably (SQLite, ``synchronous=FULL``: one fsync each).
The requests go, one after another, through the in-process ASGI app (httpx's ASGI transport: the whole
Starlette stack, no sockets) on a fresh state directory per round. Two rates are timed in the same run:
the pure core alone (parse, verify, decide, cosign; no HTTP, no disk) and, as the baseline, raw Ed25519
verification of the same checkpoint notes' log signatures. Medians over rounds.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from verifier.keys import SigningKey, VerifyingKey
from verifier.note import encode_vkey, format_checkpoint, sign_note, split_note

from .tree import MerkleTree
from .witness_app import create_witness_app
from .witness_core import OriginState, WitnessIdentity, answer, trusted_logs
from .witness_state import WitnessStore

__all__ = ["bench_witness", "checkpoint_bodies"]

ORIGIN = "bench.example/log"
LEAVES_PER_CHECKPOINT = 7


def checkpoint_bodies(log_key: SigningKey, n: int) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """Requires n >= 1. ``n`` add-checkpoint bodies, each extending the previous (old size, proof, signed
    checkpoint), and for each the (signed text, signature) the baseline verifies."""
    tree = MerkleTree()
    bodies: list[bytes] = []
    signed: list[tuple[bytes, bytes]] = []
    old = 0
    for i in range(n):
        for j in range(LEAVES_PER_CHECKPOINT):
            tree.append(f"entry {i}.{j}".encode())
        size = tree.size
        note = sign_note(format_checkpoint(ORIGIN, size, tree.root(size)), ORIGIN, log_key)
        proof = tree.consistency_proof(old, size) if old else []
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        bodies.append(f"old {old}\n{lines}\n{note}".encode())
        text, sig_lines = split_note(note)
        raw = base64.b64decode(sig_lines[0].split(" ")[2])
        signed.append((text.encode(), raw[4:]))
        old = size
    return bodies, signed


async def _run_asgi(app: Any, bodies: list[bytes]) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://witness.test") as client:
        start = time.perf_counter()
        for body in bodies:
            response = await client.post("/add-checkpoint", content=body)
            if response.status_code != 200:
                raise RuntimeError(f"bench request refused: {response.status_code} {response.text}")
        return time.perf_counter() - start


def _core_seconds(bodies: list[bytes], witness: WitnessIdentity, logs: Any) -> float:
    state: OriginState | None = None
    start = time.perf_counter()
    for body in bodies:
        result = answer(body, logs, state, witness, 1_700_000_000)
        if result.new_state is None:
            raise RuntimeError(f"bench core refused: {result.status} {result.body}")
        state = result.new_state
    return time.perf_counter() - start


def _raw_seconds(log_key: SigningKey, signed: list[tuple[bytes, bytes]]) -> float:
    key = VerifyingKey(log_key.public_key)
    start = time.perf_counter()
    for message, signature in signed:
        if not key.is_valid(message, signature):
            raise RuntimeError("bench baseline: a signature does not verify")
    return time.perf_counter() - start


def bench_witness(n: int = 300, rounds: int = 3) -> dict[str, Any]:
    """Requires n >= 1, rounds >= 1. The figures (see the module docstring); ratio = asgi / raw Ed25519."""
    log_key = SigningKey.generate()
    witness = WitnessIdentity("bench.example/witness", SigningKey.generate())
    logs = trusted_logs([encode_vkey(ORIGIN, log_key.public_key)])
    bodies, signed = checkpoint_bodies(log_key, n)
    asgi, core, raw = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="carbonledger-bench-witness-") as tmp:
            store = WitnessStore(Path(tmp), witness.vkey)
            try:
                app = create_witness_app(witness, logs, store)
                asgi.append(n / asyncio.run(_run_asgi(app, bodies)))
            finally:
                store.close()
        core.append(n / _core_seconds(bodies, witness, logs))
        raw.append(n / _raw_seconds(log_key, signed))
    median_asgi, median_core, baseline = statistics.median(asgi), statistics.median(core), statistics.median(raw)
    return {
        "mode": "in-process ASGI (httpx.ASGITransport), sequential requests, SQLite synchronous=FULL",
        "n": n,
        "rounds": rounds,
        "median_per_s": round(median_asgi, 1),
        "core_per_s": round(median_core, 1),
        "baseline_per_s": round(baseline, 1),
        "ratio": round(median_asgi / baseline, 4),
        "core_ratio": round(median_core / baseline, 4),
        "body_bytes_last": len(bodies[-1]),
    }
