"""The monitor's replay hands signature checks to the workers even when a chunk's signer key arrives in the chunk
before it (started before that chunk was folded, its checks had no key to verify under)."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger import precheck
from ledger.bench import BenchIssuer
from ledger.monitor_replay import MonitorReplay


def test_a_chunk_started_before_its_signers_key_was_folded_is_checked_again_in_the_workers() -> None:
    bi = BenchIssuer(datetime(2026, 1, 1, tzinfo=UTC))
    n = precheck.POOL_MIN_BATCH
    first = bi.setup_entries() + bi.labels(0, n)  # the scheme, the issuer's authorization, labels
    second = bi.labels(n, n)  # labels by the issuer the first chunk authorizes
    issuer = bi.issuer.verifying_key.key_id
    replay = MonitorReplay(use_workers=True)
    p1, p2 = replay.start(first), replay.start(second)
    assert p2.keys is not None and issuer not in p2.keys
    assert replay.add(0, p1) is None
    again = replay.restarted_if_stale(p2)
    assert again is not p2 and again.keys is not None and issuer in again.keys
    assert replay.restarted_if_stale(again) is again  # nothing stale any more: no third start
    _, verified = precheck.finish(again, [None] * n, replay.known_key)
    assert len(verified) == n  # every signature verified in the workers, none left to the fold
    assert replay.add(len(first), replay.start(second)) is None and replay.size == len(first) + n


def test_a_chunk_checked_in_this_thread_is_never_restarted() -> None:
    bi = BenchIssuer(datetime(2026, 1, 1, tzinfo=UTC))
    replay = MonitorReplay(use_workers=False)
    pending = replay.start(bi.setup_entries())
    assert replay.restarted_if_stale(pending) is pending
