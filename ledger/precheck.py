"""Admission's stateless checks, spread over worker processes for large batches.

Everything admission checks about an entry by itself — size, the one valid envelope form, canonical
JSON, the kind's schema and, where the signer's key is already known, the Ed25519 signature — needs no
log state. For a large batch the log hands these checks to a pool of worker processes (Python threads
cannot run the JSON and schema work in parallel) and keeps for itself what needs the log's state in
order: authority, chains, duplicates, label lifecycle. A worker reports per envelope either the error,
or that the envelope parsed and whether its signature verified under the key it was given; the log then
rebuilds the entry from the same bytes with :func:`verifier.envelope.entry_from_checked_envelope`.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from mapping import errors
from mapping.errors import CarbonLedgerError
from verifier import schemas
from verifier.envelope import parse_entry
from verifier.keys import VerifyingKey

# (status, payload): ("verified", None) | ("parsed", None) | ("error", (class name, code, message, field))
Outcome = tuple[str, tuple[str, str, str, str | None] | None]

POOL_MIN_BATCH = 256  # below this, starting work in other processes costs more than it saves
_CHUNKS_PER_WORKER = 4


def workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@functools.cache
def _pool() -> ProcessPoolExecutor:
    # "spawn": a clean interpreter that imports only the verifier, never a fork of a process holding
    # database connections and threads.
    return ProcessPoolExecutor(max_workers=workers(), mp_context=multiprocessing.get_context("spawn"))


def _ready(pause_s: float) -> int:
    """Worker side: load what checks need (every entry kind's compiled schema), then hold the worker a
    moment so that each warm-up job lands in a process of its own."""
    for kind in schemas.ENTRY_KINDS:
        schemas.validator(kind)
    time.sleep(pause_s)
    return os.getpid()


def start_workers() -> int:
    """Start every worker process now and load its schemas, so the first large batch does not pay for it
    (the service calls this at start-up). Returns how many distinct worker processes answered."""
    pool = _pool()
    return len({f.result() for f in [pool.submit(_ready, 0.2) for _ in range(workers())]})


def check_chunk(envelopes: Sequence[bytes], keys: dict[str, bytes]) -> list[Outcome]:
    """Worker side: the stateless admission checks of each envelope (run in a worker process)."""
    out: list[Outcome] = []
    verifiers: dict[str, VerifyingKey] = {}
    for env in envelopes:
        try:
            entry = parse_entry(env)
        except CarbonLedgerError as e:
            out.append(("error", (type(e).__name__, e.code, e.message, e.field)))
            continue
        public_key = keys.get(entry.signer)
        if public_key is None:
            out.append(("parsed", None))
            continue
        vk = verifiers.get(entry.signer) or verifiers.setdefault(entry.signer, VerifyingKey(public_key))
        out.append(("verified" if vk.is_valid(entry.signed_message(), entry.signature) else "parsed", None))
    return out


def start_in_workers(envelopes: Sequence[bytes], keys: dict[str, bytes]) -> list[Future[list[Outcome]]]:
    """Hand :func:`check_chunk` over ``envelopes`` to the worker pool and return at once; :func:`collect`
    waits for the outcomes. Starting the next batches early keeps the workers busy while the log writes."""
    n = len(envelopes)
    parts = max(1, workers() * _CHUNKS_PER_WORKER)
    size = -(-n // parts)
    return [_pool().submit(check_chunk, envelopes[i : i + size], keys) for i in range(0, n, size)]


def collect(futures: list[Future[list[Outcome]]]) -> list[Outcome]:
    """The outcomes of :func:`start_in_workers`, in input order."""
    out: list[Outcome] = []
    for f in futures:
        out.extend(f.result())
    return out


def rebuild_error(detail: tuple[str, str, str, str | None]) -> CarbonLedgerError:
    """The error a worker reported, as the same class with the same code, message and field."""
    name, code, message, field = detail
    cls = getattr(errors, name, CarbonLedgerError)
    if not (isinstance(cls, type) and issubclass(cls, CarbonLedgerError)):
        cls = CarbonLedgerError
    err = cls.__new__(cls)
    CarbonLedgerError.__init__(err, message, code=code, field=field)
    return err
