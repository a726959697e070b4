"""Concurrent submitters are pooled into batches; back-pressure is an explicit error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ledger.log import Log
from ledger.sequencer import Sequencer, SequencerLimits
from ledger.store import Store
from mapping.errors import BackPressureError, CarbonLedgerError
from verifier.envelope import parse_entry
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.note import parse_checkpoint

from .helpers import NOW, Signer, label_for

GD = "gd-carbon-label"


@pytest.fixture
def log(db_url: str) -> Iterator[Log]:
    store = Store(db_url)
    yield Log(store, SigningKey.generate(), "seq.test/log", Policy(frozenset({GD})), lambda: NOW)
    store.close()


def test_concurrent_submitters_get_their_own_receipts(log: Log) -> None:
    gd = Signer()
    issuers = [Signer() for _ in range(4)]
    log.submit(gd.register(GD))
    for s in issuers:
        log.submit(gd.authorize(GD, s))
    seq = Sequencer(log, SequencerLimits(max_batch=64, max_wait_ms=5))
    receipts: dict[bytes, object] = {}
    lock = threading.Lock()

    def work(n: int, s: Signer) -> None:
        for i in range(15):
            env = s.issue(label_for(GD, f"T{n}-{i}"))
            r = seq.submit(env)
            with lock:
                receipts[env] = r

    threads = [threading.Thread(target=work, args=(n, s)) for n, s in enumerate(issuers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seq.close()
    assert len(receipts) == 60
    assert sorted(r.index for r in receipts.values()) == list(range(5, 65))  # type: ignore[attr-defined]
    for env, r in receipts.items():
        cp = parse_checkpoint(r.checkpoint.split("\n\n")[0] + "\n")  # type: ignore[attr-defined]
        verify_inclusion(leaf_hash(env), r.index, cp.size, r.inclusion_proof, cp.root_hash)  # type: ignore


def test_back_pressure_is_an_explicit_error(log: Log) -> None:
    seq = Sequencer(log, SequencerLimits(max_pending=0))
    with pytest.raises(BackPressureError) as e:
        seq.submit(Signer().register(GD))
    assert e.value.retry_after_s >= 1 and log.size == 0
    seq.close()


def test_waiting_batches_are_checked_ahead_in_worker_processes(db_url: str) -> None:
    """Many submitters at once (each its own key, so no chain depends on arrival order): batches large enough
    for the worker processes, several waiting at once, are checked ahead of the write, and every submitter
    still gets its own receipt or its own refusal."""
    from ledger import precheck

    store = Store(db_url)
    log = Log(store, SigningKey.generate(), "seq.test/log", Policy(frozenset({GD})), lambda: NOW, precheck_workers=True)
    gd = Signer()
    issuers = [Signer() for _ in range(3 * precheck.POOL_MIN_BATCH)]
    log.submit(gd.register(GD))
    log.submit_many([gd.authorize(GD, s) for s in issuers])
    envelopes = [s.issue(label_for(GD, f"W-{i:04d}")) for i, s in enumerate(issuers)]
    bad = bytearray(envelopes[7])
    bad[-10] = ord("A") if bad[-10] != ord("A") else ord("B")  # a signature that no longer verifies
    envelopes[7] = bytes(bad)
    started: list[bool] = []
    start_checks = log.start_checks

    def spy(batch):  # type: ignore[no-untyped-def]
        pending = start_checks(batch)
        started.append(pending.outcomes is not None)
        return pending

    log.start_checks = spy  # type: ignore[method-assign]
    commit_checked = log.commit_checked

    def first_write_waits_for_every_submitter(pending):  # type: ignore[no-untyped-def]
        # However fast the first batch is taken, the rest are queued before it is written: the sequencer then
        # finds full batches waiting (how many threads enqueue in time is otherwise up to the scheduler).
        deadline = time.monotonic() + 20
        while seq._pending < len(envelopes) and time.monotonic() < deadline:
            time.sleep(0.005)
        log.commit_checked = commit_checked  # type: ignore[method-assign]
        return commit_checked(pending)

    log.commit_checked = first_write_waits_for_every_submitter  # type: ignore[method-assign]
    seq = Sequencer(log, SequencerLimits(max_batch=precheck.POOL_MIN_BATCH, max_wait_ms=200))
    results: list[object] = [None] * len(envelopes)
    gate = threading.Barrier(len(envelopes))

    def submit(i: int) -> None:
        gate.wait()
        try:
            results[i] = seq.submit(envelopes[i])
        except CarbonLedgerError as e:  # the refusal is this submitter's own
            results[i] = e

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(envelopes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seq.close()
    assert isinstance(results[7], CarbonLedgerError) and results[7].code == "signature.invalid"
    receipts = [r for i, r in enumerate(results) if i != 7]
    base = 1 + len(issuers)
    assert sorted(r.index for r in receipts) == list(range(base, base + len(receipts)))  # type: ignore[attr-defined]
    assert log.size == base + len(receipts)
    assert any(started), "no batch went to the worker processes"
    store.close()


def test_a_receipt_timeout_says_the_entry_may_still_land(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    commit = log.commit_checked

    def slow_commit(*args: object, **kw: object) -> object:
        gate.wait(10)
        return commit(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "commit_checked", slow_commit)
    seq = Sequencer(log, SequencerLimits(receipt_timeout_s=0.05))
    env = Signer().register(GD)
    with pytest.raises(BackPressureError) as e:
        seq.submit(env)
    assert e.value.retry_after_s >= 1 and "may still be appended" in e.value.message
    gate.set()
    seq.close()  # the batch was not cancelled: it commits
    assert log.size == 1 and log.entry_by_id(parse_entry(env).entry_id).idx == 0
