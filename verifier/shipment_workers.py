"""A shipment verified on several processes: the reports :func:`verifier.verify.verify_shipment` gives, sooner.

A customs broker checks hundreds of bundles against one checkpoint; each bundle's own work (its parse, its
label's signature, its proofs, its fold) is independent of the others', so the shipment is cut into one
contiguous slice per process: this process verifies the first slice while each worker verifies one of the
others, against its own :class:`~verifier.shipment_cache.VerifierCache` for the same shipment (the caches
share nothing: each checks a shared item once, so every report is the one a single process gives). Reports
cross the process boundary as plain values (:meth:`Report.to_state`).

This is the verifier's one module that starts processes. The workers are a clean interpreter each
(``spawn``), never a fork of a process holding connections or threads: they import the verifier and, as every
spawned process does, the caller's main module (a script guards its work with ``if __name__ == "__main__"``;
a worker that cannot start is not retried, and the shipments are verified in the calling process alone). A
worker that dies is not a failed verification: its slice is verified here instead, and the pool restarts
on the next shipment.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from verifier.report import Report
from verifier.shipment_cache import VerifierCache
from verifier.steps_log import KeptCheckpoint
from verifier.trust import Trust
from verifier.verify import BundleInput, TrustInput, parsed_trust, verify_shipment
from verifier.worker_process import become_worker

__all__ = ["ShipmentWorkers", "default_processes", "processes_for"]

_MIN_SLICE = 8  # bundles: below this a slice costs more to send than to verify here
_CACHES_KEPT = 4  # shipments a worker remembers caches for (a broker verifies one at a time, in chunks)
_STOP_S = 5.0  # seconds a stopped worker may take to exit before it is killed
_START_S = 120.0  # seconds a new worker may take to import the verifier
_ANSWER_S, _ANSWER_S_PER_BUNDLE = 60.0, 1.0  # a slice's answer is awaited this long, then verified here
# This process's slice against a worker's: 1.2 measured 215 and 263 µs a bundle against 233 and 278 for even
# slices (two interleaved runs of 8 rounds, 2,000 bundles v2 in chunks of 100, two cores).
_HOME_SHARE = 1.2
_WORTH_A_WORKER = 2500  # bundles: see processes_for
_READY = b"ready"  # a worker's first message, once it has imported the verifier


def default_processes() -> int:
    """The processes a broker's shipment is verified on by default: one a core, at most four."""
    return max(1, min(4, os.cpu_count() or 1))


def processes_for(bundles: int) -> int:
    """:func:`default_processes` for a shipment large enough to be worth a worker's start-up, else one: a worker
    takes about 0.33 s to start and then saves about 130 µs a bundle on two cores (350 → 220 µs measured): the
    start-up is paid back from about 2,500 bundles."""
    return default_processes() if bundles >= _WORTH_A_WORKER else 1


class ShipmentWorkers:
    """Requires ``processes >= 1`` (this one included: ``processes - 1`` workers start; 1 verifies in this
    process alone). A context manager (entering starts the workers); :meth:`close` stops them. Not for several
    threads at once.

    Each worker is a process with a pipe, written and read by the calling thread alone: a slice is sent
    before this process starts on its own slice and read once it is done, so no helper thread competes with
    the verification for the interpreter lock (a pool's feeder thread did, and delayed every slice by
    milliseconds)."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"a shipment is verified on at least one process, not {processes}")
        self.processes = processes
        self._workers: list[tuple[BaseProcess, Connection] | None] = [None] * (processes - 1)
        self._unready: set[int] = set()  # workers whose start-up message is not read yet
        self._failed_start = False  # a worker died before it was up: every slice is verified here from then on
        self._asked = 0  # requests sent: each answer names its request, and only that one's is taken

    def __enter__(self) -> ShipmentWorkers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> ShipmentWorkers:
        """Start the workers now and wait until each has imported the verifier (about a third of a second here;
        a slice is sent only to a worker that reads, so a shipment's first slice would wait for it anyway)."""
        for i in range(len(self._workers)):
            self._worker(i)
        for i in sorted(self._unready):
            self._await_ready(i)
        return self

    def close(self) -> None:
        self._stop(*range(len(self._workers)))

    def verify(
        self,
        bundles: Sequence[BundleInput],
        trust: TrustInput,
        *,
        at: date,
        now: datetime,
        kept: KeptCheckpoint | None = None,
        consistency_proof: list[bytes] | None = None,
        target_scheme: str | None = None,
        cache: VerifierCache | None = None,
        label_id: str | None = None,
        label_scheme: str | None = None,
    ) -> list[Report]:
        """:func:`verify_shipment`'s reports for these arguments, in order."""
        if cache is None:
            cache = VerifierCache()
        question = {
            "kept": kept,
            "consistency_proof": consistency_proof,
            "target_scheme": target_scheme,
            "label_id": label_id,
            "label_scheme": label_scheme,
        }
        t = parsed_trust(trust)
        if not isinstance(t, Trust):  # every report is step 1's refusal of the trust file: nothing to share out
            return verify_shipment(bundles, trust, at=at, now=now, cache=cache, **question)
        slices = _slices(len(bundles), 1 if self._failed_start else self.processes)
        sent: list[tuple[slice, int | None, int]] = []  # (slice, worker or None, the request's number)
        try:
            for i, part in enumerate(slices[1:]):
                chunk = [bytes(b) if isinstance(b, bytearray | memoryview) else b for b in bundles[part]]
                # A slice holding anything but bytes (step 1 refuses it) is verified here, as one a worker lost is.
                self._asked += 1
                message = (self._asked, cache.token, chunk, t, at, now, question)
                ok = all(type(b) is bytes for b in chunk) and self._send(i, message)
                sent.append((part, i if ok else None, self._asked))
            reports = verify_shipment(bundles[slices[0]], t, at=at, now=now, cache=cache, **question)
            for k, (part, worker, number) in enumerate(sent):
                states = None if worker is None else self._receive(worker, number, part.stop - part.start)
                if states is None:
                    reports.extend(verify_shipment(bundles[part], t, at=at, now=now, cache=cache, **question))
                else:
                    reports.extend(map(Report.from_state, states))
                sent[k] = (part, None, number)  # answered: nothing outstanding from this worker
        except BaseException:
            # Interrupted (Ctrl-C) or failed with answers outstanding: those workers are stopped, so that no
            # later shipment reads an answer meant for this one.
            self._stop(*(worker for _, worker, _ in sent if worker is not None), kill=True)
            raise
        return reports

    def _worker(self, i: int) -> tuple[BaseProcess, Connection]:
        """Worker ``i``, started now if it is not running (a dead one is replaced)."""
        w = self._workers[i]
        if w is None or not w[0].is_alive():
            if w is not None:
                self._stop(i)
            spawn = multiprocessing.get_context("spawn")
            ours, theirs = spawn.Pipe()
            process = spawn.Process(
                target=_serve, args=(theirs, os.getpid()), name=f"carbonledger-shipment-{i}", daemon=True
            )
            process.start()
            theirs.close()
            _bounded_writes(ours)
            w = self._workers[i] = (process, ours)
            self._unready.add(i)
        return w

    def _send(self, i: int, message: tuple[Any, ...]) -> bool:
        try:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a question no process can be sent (a buffer)
            return False
        w = self._worker(i)
        try:
            w[1].send_bytes(data)  # a worker that stopped reading times out (_bounded_writes)
            return True
        except (OSError, ValueError):  # the worker is gone or stuck
            if i in self._unready:
                self._failed_start = True  # it died before it was up: not retried (see _await_ready)
            self._stop(i, kill=True)
            return False

    def _receive(self, i: int, number: int, bundles: int) -> list[tuple[Any, ...]] | None:
        """Worker ``i``'s report states for request ``number`` (of ``bundles`` bundles), or None when it died, did
        not answer in time or answered something else (it is then stopped, and the slice verified here)."""
        w = self._workers[i]
        answer = None
        try:
            if w is not None and self._await_ready(i) and w[1].poll(_ANSWER_S + _ANSWER_S_PER_BUNDLE * bundles):
                answer = pickle.loads(w[1].recv_bytes())
        except (OSError, EOFError, pickle.UnpicklingError):
            answer = None
        states = answer[1] if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == number else None
        if not (isinstance(states, list) and len(states) == bundles):
            self._stop(i, kill=True)  # dead, hung, or out of step with its requests
            return None
        return states

    def _await_ready(self, i: int) -> bool:
        """Whether worker ``i`` is up (its start-up message read now, or before); a worker that died starting
        is stopped."""
        w = self._workers[i]
        if i in self._unready and w is not None:
            self._unready.discard(i)
            try:
                if w[1].poll(_START_S) and w[1].recv_bytes() == _READY:
                    return True
            except (OSError, EOFError):
                pass
            self._stop(i, kill=True)
            self._failed_start = True  # not retried: a worker that cannot start would cost a spawn a shipment
            return False
        return w is not None

    def _stop(self, *workers: int, kill: bool = False) -> None:
        """Stop these workers: each reads end-of-file and exits (within :data:`_STOP_S` together, else it is
        killed); ``kill``: at once, for a worker busy with a slice nobody will read."""
        stopping = []
        for i in workers:
            self._unready.discard(i)
            w, self._workers[i] = self._workers[i], None
            if w is not None:
                w[1].close()
                stopping.append(w[0])
        deadline = time.monotonic() + (0 if kill else _STOP_S)
        for process in stopping:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def _bounded_writes(conn: Connection) -> None:
    """A write to ``conn`` fails (``OSError``) once it has made no progress for :data:`_ANSWER_S` seconds, so a
    worker stopped or stuck before reading its slice never holds the shipment: the socket's send timeout."""
    limit = max(_ANSWER_S, 0.001)  # a zero timeout would mean none
    with socket.socket(fileno=os.dup(conn.fileno())) as sock:  # the option is the socket's, shared by both fds
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(limit), int(limit % 1 * 1e6)))


def _slices(n: int, processes: int) -> list[slice]:
    """Contiguous slices of ``range(n)``, one a process, none under :data:`_MIN_SLICE` (at least one slice). The
    first, this process's, is :data:`_HOME_SHARE` times a worker's: a worker also unpickles its slice and
    pickles its answers, which cost it more than rebuilding the reports costs this process."""
    parts = max(1, min(processes, n // _MIN_SLICE))
    if parts == 1:
        return [slice(0, n)]
    home = min(round(n * _HOME_SHARE / (_HOME_SHARE + parts - 1)), n - _MIN_SLICE * (parts - 1))
    size, extra = divmod(n - home, parts - 1)
    out, start = [slice(0, home)], home
    for i in range(parts - 1):
        end = start + size + (1 if i < extra else 0)
        out.append(slice(start, end))
        start = end
    return out


# ---- the worker side ----------------------------------------------------------------------------
_caches: OrderedDict[str, VerifierCache] = OrderedDict()


def _serve(conn: Connection, parent_pid: int) -> None:
    """A worker's life: slices in, report states out, until the parent closes its end (or is gone)."""
    become_worker(parent_pid)
    gc.collect()
    gc.freeze()  # the start-up heap stays out of the collector's walks
    try:
        conn.send_bytes(_READY)
    except OSError:  # the parent closed before this worker was up: nothing to do
        return
    while True:
        try:
            message = conn.recv_bytes()
        except (OSError, EOFError):
            return
        number, token, bundles, trust, at, now, question = pickle.loads(message)  # from the parent, in its form
        states = _verify_slice(token, bundles, trust, at, now, question)
        try:
            conn.send_bytes(pickle.dumps((number, states), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # the parent stopped waiting (it verifies the slice itself): nothing to tell it
            return


def _verify_slice(
    token: str, bundles: list[bytes], trust: Trust, at: date, now: datetime, question: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """A slice's reports as plain values, against this worker's cache for the shipment ``token`` names."""
    cache = _caches.get(token)
    if cache is None:
        while len(_caches) >= _CACHES_KEPT:
            _caches.popitem(last=False)
        cache = _caches[token] = VerifierCache()
    else:
        _caches.move_to_end(token)
    return [r.to_state() for r in verify_shipment(bundles, trust, at=at, now=now, cache=cache, **question)]
