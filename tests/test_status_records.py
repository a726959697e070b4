"""Status records agree with the rule book's own state on a whole story (the demo's log: schemes, keys,
labels revoked and superseded, datasets, agreements), and the map's root does not depend on the batching.

Attack guarded: an operator who commits a status that the log's entries do not imply (a revoked label still
"active", an agreement's withdrawal left out of its history) is caught by anyone who replays the log."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.home import load_settings, open_log
from verifier.envelope import parse_entry
from verifier.status_records import label_object_id, pair_object_id
from verifier.status_replay import replay_status

from .helpers import Cli


@pytest.fixture(scope="module")
def demo_entries(tmp_path_factory: pytest.TempPathFactory) -> list:
    home = tmp_path_factory.mktemp("status") / "home"
    Cli(home).json("--home", str(home), "demo")
    log = open_log(load_settings(home))
    try:
        return [(r.idx, parse_entry(bytes(r.envelope))) for r in log.store.entries(0, log.size)]
    finally:
        log.store.close()


def _batches(entries: list, rng: random.Random) -> Iterator[list]:
    i = 0
    while i < len(entries):
        n = rng.randint(1, 40)
        yield entries[i : i + n]
        i += n


def test_records_say_what_the_rule_book_state_says(demo_entries: list) -> None:
    replay = replay_status(demo_entries)
    state, records = replay.state, replay.records
    for (scheme, label_id), lr in state.labels.items():
        record = records[("label", label_object_id(scheme, label_id))]
        assert (record["entry"], record["index"], record["status"]) == (lr.entry_id, lr.index, lr.status)
        assert (record["decided_by"] is None) == (lr.status == "active")
    assert "revoked" in {r["status"] for (k, _), r in records.items() if k == "label"}
    for key_id, kr in state.keys.items():
        record = records[("key", key_id)]
        assert (record["scheme"], record["role"], set(record["kinds"])) == (kr.scheme, kr.role, set(kr.kinds))
        assert (record["revoked_index"], record["revoked_from_index"]) == (kr.revoked_index, kr.revoked_from_index)
    for scheme_id, sr in state.schemes.items():
        assert records[("scheme", scheme_id)]["root_key"] == sr.root_key_id
    events: dict[str, list[str]] = {}
    for a in state.agreements:
        events.setdefault(a.event.agreement_id, []).append(a.entry_id)
    assert events, "the demo negotiates agreements"
    for agreement_id, entry_ids in events.items():
        record = records[("agreement", agreement_id)]
        assert [e["entry"] for e in record["events"]] == entry_ids
        pair = records[("pair", pair_object_id(*record["parties"]))]
        assert agreement_id in pair["agreements"]
    for dataset_id, versions in state.datasets.items():
        record = records[("dataset", dataset_id)]
        assert [(v["version"], v["status"]) for v in record["versions"]] == [(v.version, v.status) for v in versions]
    kinds = {k for k, _ in records}
    assert kinds == {"label", "key", "scheme", "agreement", "pair", "dataset"}


def test_the_root_is_the_same_whatever_the_batching(demo_entries: list) -> None:
    whole = replay_status(demo_entries, batch=len(demo_entries))
    rng = random.Random(7)
    for _ in range(3):
        from verifier.status_replay import StatusReplay

        batched = StatusReplay()
        for chunk in _batches(demo_entries, rng):
            batched.add(chunk)
        assert batched.root == whole.root and batched.records == whole.records


def test_a_record_left_out_or_edited_changes_the_root(demo_entries: list) -> None:
    """The operator's forgery: drop the last entry that decides a label's status (its revocation) and the
    recomputed root differs from the honest one."""
    honest = replay_status(demo_entries).root
    revocations = [i for i, (_, e) in enumerate(demo_entries) if e.kind == "label.revoke"]
    assert revocations
    cut = revocations[-1]
    before = replay_status(demo_entries[:cut]).root
    assert before != replay_status(demo_entries[: cut + 1]).root
    assert honest != before


def test_records_are_canonical_json(demo_entries: list, tmp_path: Path) -> None:
    from verifier.canonical import require_canonical
    from verifier.status_records import record_bytes

    for record in replay_status(demo_entries).records.values():
        assert require_canonical(record_bytes(record)) == record
