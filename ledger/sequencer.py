"""Pooling concurrent submissions into batches, with explicit back-pressure.

Many callers (HTTP requests) call :meth:`Sequencer.submit` at once. One worker
thread drains the queue — up to ``max_batch`` envelopes, waiting at most
``max_wait_ms`` for more once the first arrives — and hands the batch to the log:
:meth:`Log.start_checks` starts its stateless checks in worker processes and
:meth:`Log.commit_checked` admits, appends and signs one checkpoint per batch.
While one batch is written, the checks of up to :data:`LOOKAHEAD` batches already
waiting run ahead (the pipeline ``carbonledger bench ingest`` measures). Each caller
wakes with its own receipt (or its own refusal) once its batch is durable. When
more than ``max_pending`` envelopes wait, ``submit`` raises
:class:`BackPressureError` at once (HTTP 503 with Retry-After): the log never
queues without bound. A caller whose receipt does not come within ``receipt_timeout_s`` gets
:class:`BackPressureError` too (HTTP 503 with Retry-After), saying that its entry may still be appended — its
batch is not cancelled — so that it looks the entry up by entry id (``GET /v1/entries/by-id/{entry_id}``)
before it submits again.
"""

from __future__ import annotations

import asyncio
import binascii
import collections
import json
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from mapping.errors import BackPressureError, CarbonLedgerError, UnavailableError
from verifier.b64 import decode_canonical
from verifier.envelope import entry_id

from .log import Log, Receipt
from .precheck import PendingBatch
from .store_session import fault_of

log = logging.getLogger("carbonledger.sequencer")

LOOKAHEAD = 2  # batches whose checks run ahead of the one being written
RECEIPT_TIMEOUT_RETRY_AFTER_S = 2  # after a receipt timeout: look the entry up, then retry, after this long


@dataclass(frozen=True)
class SequencerLimits:
    max_batch: int = 1000
    max_wait_ms: int = 20
    max_pending: int = 10000
    # Shorter than the store's lock wait (ledger/store_session.py LOCK_WAIT_MS, 30 s): a batch stuck on the lock
    # fails with store.locked only after its callers were told their entry may still land (log.busy).
    receipt_timeout_s: float = 20.0


def claimed_entry_id(envelope: bytes) -> str | None:
    """The entry id an envelope's payload hashes to, read without checking anything else; None if unreadable."""
    try:
        doc = json.loads(envelope)
        return entry_id(decode_canonical(doc["payload"]))
    except (ValueError, TypeError, KeyError, RecursionError, binascii.Error):
        return None


class Sequencer:
    def __init__(self, log: Log, limits: SequencerLimits | None = None) -> None:
        self.log = log
        self.limits = limits or SequencerLimits()
        self._queue: queue.Queue[tuple[bytes, Future[Receipt]] | None] = queue.Queue()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="carbonledger-sequencer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Submissions queued or being appended, not yet answered."""
        with self._pending_lock:
            return self._pending

    def enqueue(self, envelope: bytes) -> Future[Receipt]:
        """Queue one submission and return its future at once (:class:`BackPressureError` when the queue is full)."""
        with self._pending_lock:
            if self._pending >= self.limits.max_pending:
                raise BackPressureError(f"{self._pending} submissions are waiting; retry shortly", retry_after_s=1)
            self._pending += 1
        fut: Future[Receipt] = Future()
        self._queue.put((envelope, fut))
        return fut

    def submit(self, envelope: bytes) -> Receipt:
        """Queue one submission and wait for its receipt (or its refusal), at most ``receipt_timeout_s``."""
        fut = self.enqueue(envelope)
        try:
            return fut.result(timeout=self.limits.receipt_timeout_s)
        except TimeoutError as e:  # the batch goes on: the entry may still be appended
            raise self._no_receipt(envelope) from e

    async def submit_async(self, envelope: bytes) -> Receipt:
        """:meth:`submit` for an asyncio loop (the service's): waiting holds no thread, so waiting submissions
        never starve the threads that serve reads, and the back-pressure limit (``max_pending``) bounds them."""
        fut = self.enqueue(envelope)
        try:  # shielded: a timed-out caller never cancels its entry's batch
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), self.limits.receipt_timeout_s)
        except TimeoutError as e:
            raise self._no_receipt(envelope) from e

    def _no_receipt(self, envelope: bytes) -> BackPressureError:
        eid = claimed_entry_id(envelope)
        where = f"GET /v1/entries/by-id/{eid}" if eid else "its entry id (the SHA-256 of its payload)"
        return BackPressureError(
            f"no receipt within {self.limits.receipt_timeout_s:g} s: the log is slow, and the entry may still "
            f"be appended; look it up by {where} before submitting it again",
            retry_after_s=RECEIPT_TIMEOUT_RETRY_AFTER_S,
        )

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _take_batch(self) -> list[tuple[bytes, Future[Receipt]]] | None:
        """Wait for a submission, then take what follows within ``max_wait_ms``; None once closing."""
        first = self._queue.get()
        if first is None:
            return None
        return self._take_more([first], self.limits.max_wait_ms / 1000)

    def _take_waiting(self) -> list[tuple[bytes, Future[Receipt]]] | None:
        """The submissions already queued, without waiting; None when there are none."""
        return self._take_more([], 0) or None

    def _take_more(
        self, batch: list[tuple[bytes, Future[Receipt]]], wait_s: float
    ) -> list[tuple[bytes, Future[Receipt]]]:
        """Fill ``batch`` up to ``max_batch`` with queued submissions, waiting at most ``wait_s`` for the first
        one (after it, only what is already queued); a close request stays queued for the next take."""
        while len(batch) < self.limits.max_batch:
            try:
                item = self._queue.get(timeout=wait_s) if wait_s > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            batch.append(item)
            wait_s = 0
        return batch

    def _run(self) -> None:
        # A pipeline: the stateless checks of the batches already waiting (up to LOOKAHEAD of them) run in the
        # log's worker processes while this thread admits and writes the oldest one.
        window: collections.deque[tuple[list[tuple[bytes, Future[Receipt]]], PendingBatch | Exception]] = (
            collections.deque()
        )
        while True:
            if not window:
                first = self._take_batch()  # waits for work
                if first is None:
                    return
                window.append((first, self._start(first)))
            while len(window) <= LOOKAHEAD and (more := self._take_waiting()) is not None:
                window.append((more, self._start(more)))
            batch, pending = window.popleft()
            self._commit(batch, pending)

    def _start(self, batch: list[tuple[bytes, Future[Receipt]]]) -> PendingBatch | Exception:
        try:
            return self.log.start_checks([env for env, _ in batch])
        except Exception as e:  # pragma: no cover - starting checks only hands bytes to workers
            return e

    def _commit(self, batch: list[tuple[bytes, Future[Receipt]]], pending: PendingBatch | Exception) -> None:
        try:
            if isinstance(pending, Exception):
                raise pending
            results = self.log.commit_checked(pending)
        except Exception as raised:  # nothing of the batch is acknowledged; the log's state stays the committed one
            e = fault_of(raised) or raised  # a storage fault raised past the store's own translation
            if isinstance(e, UnavailableError):  # a storage fault: the next batch tries again
                log.warning("append batch of %d failed: %s (%s)", len(batch), e.message, e.code)
            else:
                log.exception("append batch of %d failed", len(batch))
            for _, fut in batch:
                fut.set_exception(e)
        else:
            for (_, fut), result in zip(batch, results, strict=True):
                if isinstance(result, CarbonLedgerError):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)
        finally:
            with self._pending_lock:
                self._pending -= len(batch)
