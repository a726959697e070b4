"""Shared by the log-side status map tests (issue 16): a log whose story touches every kind of status-bearing
object, and the recomputation a monitor runs (``verifier.status_replay``) to check what each checkpoint commits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ledger.log import Log
from ledger.store import Store
from verifier.envelope import parse_entry
from verifier.keys import SigningKey
from verifier.ledger_state import Policy
from verifier.note import parse_checkpoint, split_note
from verifier.status_commit import status_commitment
from verifier.status_replay import StatusReplay

from .helpers import NOW, Signer
from .test_verify_equivalence import CT, DATASET, GD, HK, JP, MEE, World, current_label, terms

__all__ = ["GD", "HK", "JP", "MEE", "committed", "open_log", "recomputed_roots", "tell_story"]


def open_log(url: str, key: SigningKey | None = None) -> Log:
    return Log(
        Store(url),
        key or SigningKey.generate(),
        "status.test/log",
        Policy(frozenset({GD, HK, CT, JP, MEE})),
        lambda: NOW,
    )


def tell_story(log: Log) -> World:
    """Schemes, a delegate key, labels (one in a batch of several), a dataset published and retired, an agreement
    proposed, accepted and withdrawn, a label revoked and another superseded, a root rotated, a key revoked."""
    w = World(log)
    w.issue("GD-ST-1")
    published = w.publish()
    w.issue("GD-ST-2", w.citing_label("GD-ST-2", published.entry_id))
    results = log.submit_many([w.cqc.issue(current_label(f"GD-ST-B{i}")) for i in range(5)])
    assert all(hasattr(r, "index") for r in results), results
    w.propose(GD, terms("gd-hk-mutual"))
    w.accept(HK, "gd-hk-mutual")
    first = log.entry_by_id(log.store.labels_with_id("GD-ST-1")[0].entry_id)
    log.submit(
        w.cqc.sign(
            "label.revoke", {"scheme": GD, "label_id": "GD-ST-1", "label_entry": first.entry_id, "reason": "recalled"}
        )
    )
    replacement = w.issue("GD-ST-3")
    second = log.store.labels_with_id("GD-ST-2")[0]
    log.submit(
        w.cqc.sign(
            "label.supersede",
            {
                "scheme": GD,
                "label_id": "GD-ST-2",
                "label_entry": second.entry_id,
                "replacement_entry": replacement.entry_id,
                "reason": "new data",
            },
        )
    )
    log.submit(
        w.mee.sign(
            "dataset.retire",
            {"publisher": MEE, "dataset": {"id": DATASET, "version": 1, "entry": published.entry_id}, "reason": "typo"},
        )
    )
    later = NOW + timedelta(seconds=1)
    log.clock = lambda: later
    w.withdraw(HK, "gd-hk-mutual", later)
    new_root = Signer()
    log.submit(w.roots[JP].sign("scheme.rotate", {"scheme": JP, "new_public_key": new_root.public_b64}, now=later))
    log.submit(
        w.roots[GD].sign("key.revoke", {"scheme": GD, "key_id": w.cqc.key_id, "reason": "key leaked"}, now=later)
    )
    return w


def committed(note: str) -> tuple[int, bytes, int]:
    """(tree size, status root, time) a signed checkpoint note commits to."""
    cp = parse_checkpoint(split_note(note)[0])
    commitment = status_commitment(cp)
    assert commitment is not None, f"checkpoint of size {cp.size} carries no status commitment"
    return cp.size, commitment.root, commitment.time_s


def recomputed_roots(log: Log, sizes: list[int]) -> dict[int, bytes]:
    """The status map root at each of ``sizes``, recomputed from the log's entries through the rule book (what
    a monitor runs; it never reads the log's map)."""
    replay, out = StatusReplay(), {}
    rows = log.store.entries(0, max(sizes, default=0))
    entries: list[tuple[int, Any]] = [(r.idx, parse_entry(bytes(r.envelope))) for r in rows]
    done = 0
    for size in sorted(sizes):
        replay.add(entries[done:size])
        done = size
        out[size] = replay.root
    return out
