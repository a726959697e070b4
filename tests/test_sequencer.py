"""Concurrent submitters are pooled into batches; back-pressure is an explicit error."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ledger.log import Log
from ledger.sequencer import Sequencer, SequencerLimits
from ledger.state import Policy
from ledger.store import Store
from mapping.errors import BackPressureError
from verifier.keys import SigningKey
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
