"""Admission's stateless checks: in this process for small batches, in worker processes for large ones.

Everything admission checks about an entry by itself — size, the one valid envelope form, canonical
JSON, the kind's schema and, where the signer's key is already known, the Ed25519 signature — needs no
log state. For a large batch the log hands these checks to a pool of worker processes (Python threads
cannot run the JSON and schema work in parallel) and keeps for itself what needs the log's state in
order: authority, chains, duplicates, label lifecycle. A worker reports per envelope either the error,
or that the envelope parsed and, when its signature verified under the key it was given, the exact bytes
verified: (entry id, signature, public key). The entry id is the SHA-256 of the payload only, so a signature
is remembered by all three — a copy of the envelope with another signature shares the id and must not pass.
The log then rebuilds the entry from the same bytes with :func:`verifier.envelope.entry_from_checked_envelope`.

Smaller batches are checked by :func:`check_here`: this thread parses while two threads verify the signatures
of entries whose signer is known (Ed25519 runs in C without the GIL). :func:`start` picks the way for a batch
and :func:`finish` hands the log the parsed entries and the verified triples either way.

The workers belong to the process that started them: :func:`shutdown_workers` stops them (``carbonledger
serve`` calls it on SIGTERM, SIGINT and normal exit), and each worker exits by itself once that process is
gone (even after ``kill -9``), so no worker — and, with them, no multiprocessing resource tracker — outlives it.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from mapping import errors
from mapping.errors import CarbonLedgerError
from verifier import schemas
from verifier.envelope import Entry, claimed_signer, entry_from_checked_envelope, parse_entry
from verifier.keys import VerifyingKey
from verifier.worker_process import become_worker

ErrorDetail = tuple[str, str, str, str | None]  # (class name, code, message, field)
Verified = tuple[str, bytes, bytes]  # (entry id, signature, public key): the exact bytes whose signature verified
# ("verified", (entry id, signature, public key)) | ("parsed", None) | ("error", (class name, code, message, field))
Outcome = tuple[Literal["verified"], Verified] | tuple[Literal["parsed"], None] | tuple[Literal["error"], ErrorDetail]

POOL_MIN_BATCH = 256  # below this, starting work in other processes costs more than it saves
_CHUNKS_PER_WORKER = 4
THREAD_MIN_BATCH = 32  # smaller batches verify inline: a thread hand-off costs more than it saves
_THREAD_CHUNK = 64
_THREADS = 2

KnownKey = Callable[[str], VerifyingKey | None]  # a signer's committed key, if the log knows it
Results = list[Any]  # one slot per envelope of a batch; a check's error goes into its slot


@dataclass(slots=True)
class PendingBatch:
    """A batch whose stateless checks may be running in worker processes (``outcomes`` pending), with the
    committed signer keys they verify signatures under and every signer the envelopes claim; None when this
    process checks it itself."""

    envelopes: Sequence[bytes]
    keys: dict[str, bytes] | None = None
    outcomes: list[Future[list[Outcome]]] | None = None
    signers: frozenset[str] = frozenset()


def start(envelopes: Sequence[bytes], known_key: KnownKey, use_workers: bool) -> PendingBatch:
    """Start a batch's checks: in worker processes when ``use_workers`` and the batch is large (signatures under
    the keys ``known_key`` gives now), else nothing yet — :func:`finish` then checks it in this process."""
    if not (use_workers and len(envelopes) >= POOL_MIN_BATCH):
        return PendingBatch(envelopes)
    signers = frozenset(s for s in map(claimed_signer, envelopes) if s is not None)
    keys = {signer: vk.public_key for signer in signers if (vk := known_key(signer)) is not None}
    return PendingBatch(envelopes, keys, start_in_workers(envelopes, keys), signers)


def finish(
    pending: PendingBatch, results: Results, known_key: KnownKey
) -> tuple[list[tuple[int, Entry]], set[Verified]]:
    """The batch's parsed entries (slot, entry) and the (entry id, signature, public key) of each signature that
    verified; each refused envelope's error is put in its slot of ``results``."""
    if pending.outcomes is None:
        return check_here(pending.envelopes, results, known_key)
    return rebuild_checked(pending, results)


@functools.cache
def thread_pool() -> ThreadPoolExecutor:
    """The log's helper threads: the signature checks of :func:`check_here`."""
    return ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="carbonledger-verify")


def verify_chunk(items: list[tuple[Entry, VerifyingKey]]) -> set[Verified]:
    """The (entry id, signature, public key) of each entry whose signature verifies under the key given."""
    out: set[Verified] = set()
    for e, k in items:
        signature = e.signature
        if k.key_id == e.signer and k.is_valid(e.signed_message(), signature):
            out.add((e.entry_id, signature, k.public_key))
    return out


def check_here(
    envelopes: Sequence[bytes], results: Results, known_key: KnownKey
) -> tuple[list[tuple[int, Entry]], set[Verified]]:
    """Parse every envelope (this thread) while helper threads check the signatures of entries whose signer the
    committed state already knows. On a machine with two cores the signature checks overlap the parsing. The
    returned set holds (entry id, signature, public key) of each signature that verified; admission re-checks
    any entry whose own triple is not in it (an unknown signer, a key bound within this batch, a bad signature —
    or a copy of a verified entry with another signature, which shares its entry id)."""
    parsed: list[tuple[int, Entry]] = []
    futures: list[Future[set[Verified]]] = []
    todo: list[tuple[Entry, VerifyingKey]] = []
    parallel = len(envelopes) >= THREAD_MIN_BATCH
    for i, env in enumerate(envelopes):
        try:
            entry = parse_entry(env)
        except CarbonLedgerError as e:
            results[i] = e
            continue
        parsed.append((i, entry))
        key = known_key(entry.signer) if parallel else None
        if key is not None:
            todo.append((entry, key))
            if len(todo) == _THREAD_CHUNK:
                futures.append(thread_pool().submit(verify_chunk, todo))
                todo = []
    if todo:
        futures.append(thread_pool().submit(verify_chunk, todo))
    preverified: set[Verified] = set()
    for f in futures:
        preverified |= f.result()
    return parsed, preverified


def rebuild_checked(pending: PendingBatch, results: Results) -> tuple[list[tuple[int, Entry]], set[Verified]]:
    """The workers' outcomes: errors into their slots, and each accepted envelope rebuilt from the same bytes
    (:func:`verifier.envelope.entry_from_checked_envelope`). A worker reports a verified signature as the (entry
    id, signature, public key) it checked; those triples, as reported, are what admission may skip — an entry
    whose rebuilt triple differs in any byte is verified again."""
    assert pending.outcomes is not None  # finish() calls it only for a batch started in workers
    parsed: list[tuple[int, Entry]] = []
    preverified: set[Verified] = set()
    for i, (env, outcome) in enumerate(zip(pending.envelopes, collect(pending.outcomes), strict=True)):
        if outcome[0] == "error":
            results[i] = rebuild_error(outcome[1])
            continue
        try:
            entry = entry_from_checked_envelope(env)
        except CarbonLedgerError as e:  # pragma: no cover - a worker accepted these bytes
            results[i] = e
            continue
        parsed.append((i, entry))
        if outcome[0] == "verified":
            preverified.add(outcome[1])
    return parsed, preverified


def workers() -> int:
    """One worker per core but one, at most four: the core left is the writer's. The thread that admits and
    writes a batch is the pipeline's critical path; with a worker on every core, three busy processes share
    two cores and the writer waits its turn. Measured on two cores (`bench ingest --n 20000`, interleaved,
    three rounds): one worker 0.453 of raw Ed25519, two workers 0.383."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


_pool_lock = threading.Lock()
_pool_instance: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    """The worker pool, started on first use (once, whichever threads ask at the same time)."""
    global _pool_instance
    with _pool_lock:
        if _pool_instance is None:
            # "spawn": a clean interpreter that imports only the verifier, never a fork of a process holding
            # database connections and threads.
            _pool_instance = ProcessPoolExecutor(
                max_workers=workers(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=become_worker,
                initargs=(os.getpid(),),
            )
        return _pool_instance


def shutdown_workers() -> None:
    """Stop the worker processes (if any were started) and wait for them to exit; queued checks are cancelled.
    A later large batch starts a new pool."""
    global _pool_instance
    with _pool_lock:
        pool, _pool_instance = _pool_instance, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


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
        signature = entry.signature
        if vk.is_valid(entry.signed_message(), signature):
            out.append(("verified", (entry.entry_id, signature, vk.public_key)))
        else:
            out.append(("parsed", None))
    return out


def start_in_workers(envelopes: Sequence[bytes], keys: dict[str, bytes]) -> list[Future[list[Outcome]]]:
    """Hand :func:`check_chunk` over ``envelopes`` to the worker pool and return at once; :func:`collect`
    waits for the outcomes. Starting the next batches early keeps the workers busy while the log writes."""
    n = len(envelopes)
    parts = max(1, workers() * _CHUNKS_PER_WORKER)
    size = -(-n // parts)
    pool = _pool()
    return [pool.submit(check_chunk, envelopes[i : i + size], keys) for i in range(0, n, size)]


def collect(futures: list[Future[list[Outcome]]]) -> list[Outcome]:
    """The outcomes of :func:`start_in_workers`, in input order."""
    out: list[Outcome] = []
    for f in futures:
        out.extend(f.result())
    return out


def rebuild_error(detail: ErrorDetail) -> CarbonLedgerError:
    """The error a worker reported, as the same class with the same code, message and field."""
    name, code, message, field = detail
    cls = getattr(errors, name, CarbonLedgerError)
    if not (isinstance(cls, type) and issubclass(cls, CarbonLedgerError)):
        cls = CarbonLedgerError
    err = cls.__new__(cls)
    CarbonLedgerError.__init__(err, message, code=code, field=field)
    return err
